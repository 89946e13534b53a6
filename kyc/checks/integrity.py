"""The stored object is byte for byte the file that was uploaded: its SHA-256, computed while
streaming it back from storage, equals the one recorded at upload."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed
from .context import CheckContext

NAME = "integrity"


@guarded(NAME)
def check(computed_sha256: str | None, ctx: CheckContext) -> CheckResult:
    """`computed_sha256` is None when the stored object could not be found at all."""
    if computed_sha256 is None:
        return failed(
            NAME,
            "file_missing",
            "The stored file could not be found. Upload the document again.",
            "找不到已存储的文件。请重新上传该文件。",
            recorded_sha256=ctx.sha256,
        )
    if computed_sha256 != ctx.sha256:
        return failed(
            NAME,
            "file_integrity_mismatch",
            "The stored file is not the file that was uploaded. Upload the document again.",
            "已存储的文件与上传的文件不一致。请重新上传该文件。",
            recorded_sha256=ctx.sha256,
            stored_sha256=computed_sha256,
        )
    return passed(
        NAME,
        "sha256_matches",
        "The stored file is exactly the file that was uploaded (SHA-256 verified).",
        "已存储的文件与上传的文件完全一致（SHA-256 已校验）。",
        sha256=computed_sha256,
    )
