"""The brand authorization chain covers the seller: trademark holder -> (distributors) ->
merchant, every link valid today, for the merchant's country and for this brand, each
grantee granting the next link, and no longer than the category allows.

A merchant that is itself the trademark holder needs no chain. A brand document with no
chain declared warns: the reviewer reads the letters themselves.
"""

from __future__ import annotations

from typing import Any

from .base import CheckResult, failed, guarded, passed, warning
from .context import ChainLink, CheckContext
from .names import best_match, similarity

NAME = "brand_chain"
WORLDWIDE = frozenset({"", "*", "WW", "WORLDWIDE", "GLOBAL"})

# code -> (English, Chinese); {n} is the link's position, {limit} the depth limit.
MESSAGES: dict[str, tuple[str, str]] = {
    "brand_chain_broken": (
        "The authorization chain is broken at link {n}: each link must be granted by the "
        "previous link's grantee. Upload the missing authorization letter.",
        "授权链在第 {n} 级中断：每一级授权必须由上一级的被授权方授予。请上传缺少的授权书。",
    ),
    "brand_chain_too_deep": (
        "The authorization chain has {count} links; at most {limit} are accepted here. Obtain "
        "an authorization closer to the brand owner.",
        "授权链共 {count} 级，此处最多接受 {limit} 级。请取得更接近品牌方的授权。",
    ),
    "brand_chain_wrong_brand": (
        "Link {n} of the authorization chain is for another brand. Upload the authorization "
        "for this brand.",
        "授权链第 {n} 级针对的是其他品牌。请上传此品牌的授权书。",
    ),
    "brand_chain_not_from_trademark_holder": (
        "The chain does not start at the trademark holder ({holder}): link 1 is granted by "
        "{grantor}. Upload the authorization granted by the trademark holder.",
        "授权链并非始于商标持有人（{holder}）：第 1 级授权方为 {grantor}。"
        "请上传由商标持有人授予的授权书。",
    ),
    "brand_chain_not_to_merchant": (
        "The last authorization is granted to {grantee}, not to your company. Upload an "
        "authorization issued to your company's registered name.",
        "最后一级授权的被授权方是 {grantee}，而不是贵公司。"
        "请上传以贵公司注册名称为被授权方的授权书。",
    ),
    "brand_chain_link_expired": (
        "Authorization link {n} expired on {until}. Upload a current authorization.",
        "第 {n} 级授权已于 {until} 过期。请上传有效的授权书。",
    ),
    "brand_chain_link_not_yet_valid": (
        "Authorization link {n} only starts on {since}. Upload an authorization valid today.",
        "第 {n} 级授权自 {since} 起才生效。请上传当前有效的授权书。",
    ),
    "brand_chain_territory": (
        "Authorization link {n} does not cover {country} (it covers {territories}). Upload "
        "an authorization that covers {country}.",
        "第 {n} 级授权的地域范围（{territories}）不包括 {country}。请上传涵盖 {country} 的授权书。",
    ),
}


def _problem(code: str, **details: Any) -> dict[str, Any]:
    return {"code": code, **details}


def _covers(link: ChainLink, country: str) -> bool:
    territories = {t.strip().upper() for t in link.territories}
    return not territories or bool(territories & WORLDWIDE) or country.upper() in territories


def _link_evidence(link: ChainLink) -> dict[str, Any]:
    return {
        "position": link.position,
        "grantor": link.grantor_name,
        "grantee": link.grantee_name,
        "territories": list(link.territories) or ["worldwide"],
        "valid_from": link.valid_from.isoformat() if link.valid_from else None,
        "valid_until": link.valid_until.isoformat() if link.valid_until else None,
    }


def find_problems(ctx: CheckContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(problems that fail the chain, things to warn about), in chain order."""
    assert ctx.brand is not None
    limits = ctx.limits
    threshold = limits.name_match_pass
    links = sorted(ctx.chain, key=lambda link: link.position)
    limit = ctx.chain_max_depth if ctx.chain_max_depth is not None else limits.brand_chain_max_depth
    merchant_names = (*ctx.merchant.names, ctx.merchant.trading_name)
    country = ctx.merchant.country
    problems: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []

    if len(links) > limit:
        problems.append(_problem("brand_chain_too_deep", count=len(links), limit=limit))
    for expected, link in enumerate(links, start=1):
        if link.position != expected:
            problems.append(_problem("brand_chain_broken", n=expected, reason="missing link"))
            break
    holder = ctx.brand.trademark_holder
    if holder:
        score = similarity(links[0].grantor_name, holder)
        if score < threshold:
            problems.append(
                _problem(
                    "brand_chain_not_from_trademark_holder",
                    n=1,
                    holder=holder,
                    grantor=links[0].grantor_name,
                    score=score,
                )
            )
    else:
        warnings.append(_problem("brand_chain_holder_unknown", n=1))
    for previous, following in zip(links, links[1:], strict=False):
        score = similarity(previous.grantee_name, following.grantor_name)
        if score < threshold:
            problems.append(
                _problem(
                    "brand_chain_broken",
                    n=following.position,
                    grantee=previous.grantee_name,
                    grantor=following.grantor_name,
                    score=score,
                )
            )
    last = links[-1]
    score, _ = best_match(last.grantee_name, merchant_names)
    if score < threshold:
        problems.append(
            _problem(
                "brand_chain_not_to_merchant",
                n=last.position,
                grantee=last.grantee_name,
                score=score,
            )
        )
    for link in links:
        if link.brand_id is not None and ctx.brand.id is not None and link.brand_id != ctx.brand.id:
            problems.append(_problem("brand_chain_wrong_brand", n=link.position))
        if link.valid_from and link.valid_from > ctx.today:
            problems.append(
                _problem(
                    "brand_chain_link_not_yet_valid",
                    n=link.position,
                    since=link.valid_from.isoformat(),
                )
            )
        if link.valid_until and link.valid_until < ctx.today:
            problems.append(
                _problem(
                    "brand_chain_link_expired", n=link.position, until=link.valid_until.isoformat()
                )
            )
        elif link.valid_until and (link.valid_until - ctx.today).days <= limits.expiry_warning_days:
            warnings.append(
                _problem(
                    "brand_chain_expiring_soon",
                    n=link.position,
                    until=link.valid_until.isoformat(),
                )
            )
        if not _covers(link, country):
            problems.append(
                _problem(
                    "brand_chain_territory",
                    n=link.position,
                    country=country,
                    territories=", ".join(link.territories),
                )
            )
    return problems, warnings


@guarded(NAME)
def check(ctx: CheckContext) -> CheckResult:
    brand = ctx.brand
    if brand is None:
        return passed(NAME, "no_brand", "This document concerns no brand.", "此文件不涉及品牌。")
    limit = (
        ctx.chain_max_depth if ctx.chain_max_depth is not None else ctx.limits.brand_chain_max_depth
    )
    base: dict[str, Any] = {
        "brand": brand.name,
        "trademark_holder": brand.trademark_holder,
        "max_depth": limit,
        "depth_limit_from": ctx.chain_depth_source,
        "links": [_link_evidence(link) for link in sorted(ctx.chain, key=lambda x: x.position)],
    }
    if not ctx.chain:
        merchant_names = (*ctx.merchant.names, ctx.merchant.trading_name)
        score, matched = best_match(brand.trademark_holder, merchant_names)
        if brand.trademark_holder and score >= ctx.limits.name_match_pass:
            return passed(
                NAME,
                "brand_owned_by_merchant",
                f"Your company holds the {brand.name} trademark; no authorization is needed.",
                f"贵公司为 {brand.name} 商标持有人，无需授权。",
                matched_name=matched,
                score=score,
                **base,
            )
        return warning(
            NAME,
            "brand_chain_not_declared",
            f"No authorization chain is declared for {brand.name}. Add each authorization "
            "(brand owner to you, through any distributors) under Brands.",
            f"尚未声明 {brand.name} 的授权链。"
            "请在“品牌”中添加每一级授权（从品牌方经各级经销商到贵公司）。",
            **base,
        )
    problems, warnings = find_problems(ctx)
    if problems:
        first = problems[0]
        en, zh = MESSAGES[first["code"]]
        values = {"n": "", "limit": limit, "count": len(ctx.chain), **first}
        return failed(
            NAME,
            first["code"],
            en.format(**values),
            zh.format(**values),
            problems=problems,
            warnings=warnings,
            **base,
        )
    if any(w["code"] == "brand_chain_expiring_soon" for w in warnings):
        soon = next(w for w in warnings if w["code"] == "brand_chain_expiring_soon")
        return warning(
            NAME,
            "brand_chain_expiring_soon",
            f"Authorization link {soon['n']} expires on {soon['until']}. Renew it before then.",
            f"第 {soon['n']} 级授权将于 {soon['until']} 到期。请在到期前续签。",
            warnings=warnings,
            **base,
        )
    if warnings:
        return warning(
            NAME,
            "brand_chain_holder_unknown",
            f"The trademark holder of {brand.name} is not on file, so the start of the chain "
            "cannot be checked; a reviewer will check it.",
            f"资料中没有 {brand.name} 的商标持有人，无法核对授权链的起点；审核人员将人工核对。",
            warnings=warnings,
            **base,
        )
    return passed(
        NAME,
        "brand_chain_valid",
        f"The authorization chain for {brand.name} is complete and valid for "
        f"{ctx.merchant.country}.",
        f"{brand.name} 的授权链完整，且在 {ctx.merchant.country} 有效。",
        **base,
    )
