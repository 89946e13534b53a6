"""Helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent
from tests.factories import pdf_bytes


def actions(**filters: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(**filters).order_by("seq").values_list("action", flat=True)
    )


def upload_form(
    document_type: str = "business_license",
    data: bytes | None = None,
    name: str = "license.pdf",
    **fields: Any,
) -> dict[str, Any]:
    """A multipart body for POST /merchants/{id}/documents/."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body: dict[str, Any] = {
        "file": SimpleUploadedFile(
            name, pdf_bytes() if data is None else data, content_type="application/pdf"
        ),
        "document_type": document_type,
    }
    if document_type == "business_license":
        body.update({"number": "91350100M000100Y43", "expiry_date": "2031-01-01"})
    body.update(fields)
    return body


def error(response: Any) -> dict[str, Any]:
    """The error body, after checking it has exactly the documented shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert (
        {"code", "message", "fields"}
        <= set(body["error"])
        <= {"code", "message", "fields", "details"}
    ), body
    return body["error"]
