"""The same file (by SHA-256) is on file for another merchant: a fraud-ring signal. The
service finds the candidate rows; this check only judges them, so it stays pure. The same
check run for the other merchant's document finds this one: both are flagged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .base import CheckResult, failed, guarded, passed
from .context import CheckContext

NAME = "duplicate_file"
MAX_LISTED = 20


@dataclass(frozen=True)
class DuplicateFileCandidate:
    document_id: int
    merchant_id: int
    merchant_name: str
    document_type: str
    sha256: str


@guarded(NAME)
def check(ctx: CheckContext, candidates: Iterable[DuplicateFileCandidate]) -> CheckResult:
    own = ctx.merchant.id
    matches = sorted(
        (c for c in candidates if c.sha256 == ctx.sha256 and c.merchant_id != own),
        key=lambda c: c.document_id,
    )
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
        "duplicate_file_other_merchant",
        "This exact file has already been submitted by another account. Upload your own "
        "original document; a reviewer will contact you if anything is unclear.",
        "此文件已由其他账户提交过。请上传您自己的原始文件；如有疑问，审核人员会与您联系。",
        sha256=ctx.sha256,
        total=len(matches),
        merchant_ids=sorted({c.merchant_id for c in matches}),
        documents=[
            {
                "document_id": c.document_id,
                "merchant_id": c.merchant_id,
                "merchant_name": c.merchant_name,
                "document_type": c.document_type,
            }
            for c in matches[:MAX_LISTED]
        ],
    )
