"""The same file (by SHA-256) is on file for another merchant: a fraud-ring signal. The
service finds the candidate rows; this module only judges them, so it stays pure.

Two results, so that the first uploader never learns of a later one (no oracle):
- `check` (seller-visible) fails only for the LATER upload: the file was submitted before by
  another account, so this seller is blocked and told to upload its own original;
- `signal` (staff only) is on both sides: the other documents, earlier or later, for the
  reviewer. The seller of the earlier document sees nothing change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .base import CheckResult, failed, guarded, internal_warning, passed
from .context import CheckContext

NAME = "duplicate_file"
SIGNAL_NAME = "duplicate_file_signal"
CODE = "duplicate_file_other_merchant"
MAX_LISTED = 20


@dataclass(frozen=True)
class DuplicateFileCandidate:
    document_id: int
    merchant_id: int
    merchant_name: str
    document_type: str
    sha256: str
    # Uploaded before the document being checked (the loader knows; a hand-built candidate
    # with no opinion counts as earlier).
    earlier: bool = True


def _matches(
    ctx: CheckContext, candidates: Iterable[DuplicateFileCandidate]
) -> list[DuplicateFileCandidate]:
    own = ctx.merchant.id
    return sorted(
        (c for c in candidates if c.sha256 == ctx.sha256 and c.merchant_id != own),
        key=lambda c: c.document_id,
    )


@guarded(NAME)
def check(ctx: CheckContext, candidates: Iterable[DuplicateFileCandidate]) -> CheckResult:
    matches = [c for c in _matches(ctx, candidates) if c.earlier]
    if not matches:
        return passed(
            NAME,
            "no_duplicate_file",
            "No other merchant has submitted this file.",
            "没有其他商家提交过此文件。",
            sha256=ctx.sha256,
        )
    return failed(
        NAME,
        CODE,
        "This exact file has already been submitted by another account. Upload your own "
        "original document; a reviewer will contact you if anything is unclear.",
        "此文件已由其他账户提交过。请上传您自己的原始文件；如有疑问，审核人员会与您联系。",
        sha256=ctx.sha256,
        total=len(matches),
        merchant_ids=sorted({c.merchant_id for c in matches}),
        documents=[_listed(c) for c in matches[:MAX_LISTED]],
    )


def _listed(c: DuplicateFileCandidate) -> dict[str, Any]:
    return {
        "document_id": c.document_id,
        "merchant_id": c.merchant_id,
        "merchant_name": c.merchant_name,
        "document_type": c.document_type,
        "direction": "earlier" if c.earlier else "later",
    }


def signal(ctx: CheckContext, candidates: Iterable[DuplicateFileCandidate]) -> CheckResult | None:
    """The staff-only fraud-ring signal, or None when no other merchant has the file. Not
    guarded: a check error here would become a seller-visible failure (the oracle)."""
    matches = _matches(ctx, candidates)
    if not matches:
        return None
    return internal_warning(
        SIGNAL_NAME,
        CODE,
        f"Fraud-ring signal: the same file is on file for {len(matches)} document(s) of other "
        "merchants (listed below, uploaded earlier or later). The seller is not told about "
        "later uploads.",
        f"团伙欺诈信号：其他商家的 {len(matches)} 份文件与此文件完全相同（见下方，"
        "上传时间早于或晚于此文件）。卖家不会得知之后的上传。",
        sha256=ctx.sha256,
        total=len(matches),
        merchant_ids=sorted({c.merchant_id for c in matches}),
        documents=[_listed(c) for c in matches[:MAX_LISTED]],
    )
