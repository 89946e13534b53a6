"""Treats every upload as hostile: the type comes from the bytes, never the name or the
client's Content-Type; size limits are enforced before anything is stored."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO

import filetype
from django.conf import settings
from django.utils.text import get_valid_filename

from config.errors import InvalidInput, TooLarge, UnsupportedFileType

_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


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
    return name[:200] or "document"


def inspect_upload(fileobj: IO[bytes], name: str, size: int | None = None) -> InspectedUpload:
    max_bytes = settings.KYC_MAX_UPLOAD_BYTES
    if size is not None and size > max_bytes:
        raise TooLarge(
            f"The file is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB.",
            fields={"file": [f"Files may be at most {max_bytes / 1048576:.0f} MB."]},
        )
    fileobj.seek(0)
    head = fileobj.read(8192)
    if not head:
        raise InvalidInput(
            "The file is empty.", code="file_empty", fields={"file": ["The file is empty."]}
        )
    kind = filetype.guess(head)
    sniffed = kind.mime if kind else "unknown"
    if sniffed not in settings.KYC_ALLOWED_MIME_TYPES:
        allowed = ", ".join(_TYPE_NAMES[t] for t in settings.KYC_ALLOWED_MIME_TYPES)
        found = f"a {kind.extension.upper()} file" if kind else "not a recognised document"
        raise UnsupportedFileType(
            f"This file is {found}, whatever its name says. Upload a {allowed} file.",
            fields={"file": [f"Only {allowed} files are accepted."]},
            details={"sniffed_type": sniffed},
        )
    digest = hashlib.sha256()
    total = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(
                f"The file is larger than the {max_bytes / 1048576:.0f} MB limit.",
                fields={"file": [f"Files may be at most {max_bytes / 1048576:.0f} MB."]},
            )
        digest.update(chunk)
    fileobj.seek(0)
    return InspectedUpload(
        sha256=digest.hexdigest(),
        size=total,
        content_type=sniffed,
        safe_filename=safe_display_name(name),
    )
