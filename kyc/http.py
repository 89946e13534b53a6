"""Serving stored files (documents, previews, EDD evidence) to browsers and API clients."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# Served as an inert document: no scripts, no plugins beyond the PDF itself, nothing fetched
# from elsewhere, even if a hostile file got past the upload checks; framed only by our pages.
DOCUMENT_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'"
)


def stored_file_response(
    handle: IO[bytes],
    *,
    content_type: str,
    name: str,
    download: bool,
    display_name: str = "",
) -> FileResponse:
    """`name` is ours (e.g. "document-12"); the extension follows the sniffed type. A
    `display_name` may replace it only when it is the upload's already-sanitised name
    (kyc.uploads.safe_display_name), never raw client input."""
    filename = display_name or f"{name}.{EXTENSIONS.get(content_type, 'bin')}"
    response = FileResponse(
        handle, content_type=content_type, as_attachment=download, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOCUMENT_CSP
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
