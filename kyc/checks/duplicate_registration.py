"""The same registration number (same country, compared without spaces or separators) is
held by another merchant: one legal entity behind two accounts, or a borrowed licence. The
service finds the candidates (other merchants' profiles and registration documents)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .base import CheckResult, failed, guarded, internal_warning, passed
from .context import CheckContext
from .registration_number import compact_number

NAME = "duplicate_registration_number"
SIGNAL_NAME = "duplicate_registration_signal"
CODE = "duplicate_registration_number_other_merchant"
MAX_LISTED = 20


@dataclass(frozen=True)
class RegistrationCandidate:
    merchant_id: int
    merchant_name: str
    country: str
    registration_number: str
    document_id: int | None = None  # set when the number was found on a document
    # Claimed before the document being checked was uploaded (the loader knows; a hand-built
    # candidate with no opinion counts as earlier).
    earlier: bool = True


def numbers_of(ctx: CheckContext) -> set[str]:
    """The registration numbers this document asserts: its own and its merchant's."""
    return {
        compact_number(n) for n in (ctx.number, ctx.merchant.registration_number) if n.strip()
    } - {""}


def _matches(
    ctx: CheckContext, candidates: Iterable[RegistrationCandidate]
) -> list[RegistrationCandidate]:
    numbers = numbers_of(ctx)
    country = ctx.merchant.country.upper()
    return sorted(
        (
            c
            for c in candidates
            if c.merchant_id != ctx.merchant.id
            and c.country.upper() == country
            and compact_number(c.registration_number) in numbers
        ),
        key=lambda c: (c.merchant_id, c.document_id or 0),
    )


def _listed(c: RegistrationCandidate) -> dict[str, Any]:
    return {
        "merchant_id": c.merchant_id,
        "merchant_name": c.merchant_name,
        "registration_number": c.registration_number,
        "document_id": c.document_id,
        "direction": "earlier" if c.earlier else "later",
    }


@guarded(NAME)
def check(ctx: CheckContext, candidates: Iterable[RegistrationCandidate]) -> CheckResult:
    """Seller-visible: fails only when another account claimed the number BEFORE this
    document was uploaded; a later claimant never changes this result (no oracle)."""
    numbers = numbers_of(ctx)
    country = ctx.merchant.country.upper()
    matches = [c for c in _matches(ctx, candidates) if c.earlier]
    if not matches:
        return passed(
            NAME,
            "no_duplicate_registration_number",
            "No other merchant uses this registration number.",
            "没有其他商家使用此注册号。",
            registration_numbers=sorted(numbers),
        )
    return failed(
        NAME,
        CODE,
        "This registration number is already used by another account. If your company has "
        "several accounts, say so in a comment; otherwise check the number you entered.",
        "此注册号已被其他账户使用。如果贵公司拥有多个账户，请在留言中说明；否则请核对您填写的号码。",
        registration_numbers=sorted(numbers),
        country=country,
        total=len(matches),
        merchant_ids=sorted({c.merchant_id for c in matches}),
        matches=[_listed(c) for c in matches[:MAX_LISTED]],
    )


def signal(ctx: CheckContext, candidates: Iterable[RegistrationCandidate]) -> CheckResult | None:
    """The staff-only fraud-ring signal (earlier and later claimants), or None."""
    matches = _matches(ctx, candidates)
    if not matches:
        return None
    merchant_ids = sorted({c.merchant_id for c in matches})
    return internal_warning(
        SIGNAL_NAME,
        CODE,
        f"Fraud-ring signal: this registration number is also held by {len(merchant_ids)} other "
        "merchant(s) (listed below, earlier or later). The seller is not told about later ones.",
        f"团伙欺诈信号：另有 {len(merchant_ids)} 个商家使用此注册号（见下方，早于或晚于此文件）。"
        "卖家不会得知之后的使用者。",
        registration_numbers=sorted(numbers_of(ctx)),
        country=ctx.merchant.country.upper(),
        total=len(matches),
        merchant_ids=merchant_ids,
        matches=[_listed(c) for c in matches[:MAX_LISTED]],
    )
