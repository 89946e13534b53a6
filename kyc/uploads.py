"""Treats every upload as hostile: the type comes from the bytes, never the name or the
client's Content-Type; size limits are enforced before anything is stored. The verdict is
the file-type document check's (kyc.checks.file_type), so the seller reads the same code
and message at upload as on a stored document."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO

from django.utils.text import get_valid_filename
from django.utils.translation import get_language

from config.errors import DomainError, InvalidInput, TooLarge, UnsupportedFileType

from .checks import CheckResult, limits_from_settings
from .checks.file_type import check_file_type
from .checks.source import HEAD_BYTES

WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in range(1, 10)]
)


@dataclass(frozen=True)
class InspectedUpload:
    sha256: str
    size: int
    content_type: str
    safe_filename: str


def safe_display_name(name: str) -> str:
    """The uploader's file name, reduced to something safe to show (never used as a key)."""
    name = unicodedata.normalize("NFKC", name or "")
    name = PureWindowsPath(PurePosixPath(name).name).name  # drop any path, either separator
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # controls, bidi
    try:
        name = get_valid_filename(name)
    except Exception:  # SuspiciousFileOperation for "", ".", ".."
        name = ""
    # No hidden (".x"), dots-only ("...") or trailing-dot names: Windows drops trailing dots
    # and spaces, which would leave an empty or different name on the reviewer's disk.
    name = name[:200].strip("._")
    if name.split(".")[0].upper() in WINDOWS_DEVICE_NAMES:
        name = f"_{name}"  # "CON.pdf" would open the console device on Windows, not a file
    return name or "document"


def _refuse(result: CheckResult) -> DomainError:
    """The upload refusal for a failed file-type check: its code and message, in the
    active language, and the HTTP status the API promises (400 / 413 / 415)."""
    message = result.message(get_language())
    fields = {"file": [message]}
    if result.code == "file_too_large":
        return TooLarge(message, code=result.code, fields=fields)
    if result.code == "unsupported_file_type":
        return UnsupportedFileType(
            message,
            code=result.code,
            fields=fields,
            details={"sniffed_type": result.evidence.get("sniffed_type", "unknown")},
        )
    return InvalidInput(message, code=result.code, fields=fields)


def inspect_upload(fileobj: IO[bytes], name: str, size: int | None = None) -> InspectedUpload:
    """Refuses an empty, oversized or wrongly typed file (the file-type check, the same one
    the checks pipeline runs) before anything is stored; hashes the rest in 1 MB chunks."""
    limits = limits_from_settings()
    if size is not None and size > limits.max_bytes:
        # The declared size is enough to refuse: nothing is read.
        raise _refuse(check_file_type(b"?", size, limits))
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    result = check_file_type(head, None if head else 0, limits)
    if result.is_failed:
        raise _refuse(result)
    digest = hashlib.sha256()
    total = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        total += len(chunk)
        if total > limits.max_bytes:
            raise _refuse(check_file_type(head, total, limits))
        digest.update(chunk)
    fileobj.seek(0)
    return InspectedUpload(
        sha256=digest.hexdigest(),
        size=total,
        content_type=str(result.evidence["sniffed_type"]),
        safe_filename=safe_display_name(name),
    )
