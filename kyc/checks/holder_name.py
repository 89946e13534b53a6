"""The holder name on the document is the merchant's legal or local-script name (or, on a
person's document, that person's name; on a trademark certificate, the brand's trademark
holder or the merchant), compared fuzzily: case, punctuation, word order and legal-form
words (Ltd/Limited, Co/Company, 有限公司 …) do not matter."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed, warning
from .context import TRADEMARK_TYPES, CheckContext
from .names import best_match

NAME = "holder_name"


def expected_names(ctx: CheckContext) -> tuple[tuple[str, ...], str]:
    """The names the holder may carry, and whose they are."""
    if ctx.person is not None:
        return ctx.person.names, "person"
    if ctx.document_type in TRADEMARK_TYPES and ctx.brand and ctx.brand.trademark_holder:
        return (ctx.brand.trademark_holder, *ctx.merchant.names), "trademark_holder"
    return ctx.merchant.names, "merchant"


@guarded(NAME)
def check(ctx: CheckContext) -> CheckResult:
    holder = ctx.holder_name.strip()
    names, whose = expected_names(ctx)
    if not holder:
        return passed(
            NAME,
            "holder_name_not_given",
            "No holder name was entered for this document.",
            "此文件未填写持有人名称。",
        )
    if not names:
        return warning(
            NAME,
            "holder_name_not_compared",
            "There is no name on file to compare the holder name with; a reviewer will check it.",
            "资料中没有可与持有人名称比对的名称；审核人员将人工核对。",
            holder_name=holder,
        )
    score, matched = best_match(holder, names)
    limits = ctx.limits
    evidence = {
        "holder_name": holder,
        "compared_with": list(names),
        "matched_name": matched,
        "score": score,
        "expected": whose,
    }
    who_en = {"person": "the person's name", "trademark_holder": "the trademark holder"}.get(
        whose, "your company's registered name"
    )
    who_zh = {"person": "该人员的姓名", "trademark_holder": "商标持有人"}.get(
        whose, "贵公司的注册名称"
    )
    if score >= limits.name_match_pass:
        return passed(
            NAME,
            "holder_name_matches",
            f"The holder name matches {who_en}.",
            f"持有人名称与{who_zh}一致。",
            **evidence,
        )
    if score >= limits.name_match_warn:
        return warning(
            NAME,
            "holder_name_similar",
            f"The holder name “{holder}” is close to, but not the same as, {who_en}. "
            "Check the spelling against the document.",
            f"持有人名称“{holder}”与{who_zh}相近但不完全一致。请对照文件核对拼写。",
            **evidence,
        )
    return failed(
        NAME,
        "holder_name_mismatch",
        f"The holder name “{holder}” does not match {who_en} ({', '.join(names)}). Upload a "
        "document issued to that name, or correct the name you entered.",
        f"持有人名称“{holder}”与{who_zh}（{'、'.join(names)}）不一致。请上传以该名称签发的文件，"
        "或更正您填写的名称。",
        **evidence,
    )
