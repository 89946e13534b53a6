"""Write use-cases for qualification documents."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import date
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import InvalidInput, NotAllowed
from merchants.models import Brand, BrandAuthorization, Category, Merchant, Person
from merchants.services import ensure_member

from .models import DocumentStatus, DocumentType, QualificationDocument
from .uploads import inspect_upload

logger = logging.getLogger(__name__)

DOCUMENT_AUDIT_FIELDS = (
    "document_type",
    "person",
    "category",
    "brand",
    "number",
    "issuer",
    "holder_name",
    "issue_date",
    "expiry_date",
    "sha256",
    "size",
    "content_type",
    "original_filename",
)


def document_snapshot(doc: QualificationDocument) -> dict[str, Any]:
    data = {}
    for name in DOCUMENT_AUDIT_FIELDS:
        value = (
            getattr(doc, f"{name}_id", None)
            if name in ("person", "category", "brand")
            else getattr(doc, name)
        )
        data[name] = value
    data["document_type"] = doc.document_type.code
    data["status"] = doc.status
    return data


def _validate_metadata(
    merchant: Merchant, document_type: DocumentType, meta: dict[str, Any]
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for text_field in ("number", "issuer", "holder_name"):
        cleaned[text_field] = str(meta.get(text_field) or "").strip()[:255]
    for date_field in ("issue_date", "expiry_date"):
        value = meta.get(date_field)
        if value in (None, ""):
            cleaned[date_field] = None
        elif isinstance(value, date):
            cleaned[date_field] = value
        else:
            try:
                cleaned[date_field] = date.fromisoformat(str(value))
            except ValueError:
                errors[date_field] = ["Enter a date as YYYY-MM-DD."]
    if document_type.requires_number and not cleaned["number"]:
        errors["number"] = [f"A {document_type.name_en} must carry its number."]
    if document_type.has_expiry and not cleaned.get("expiry_date") and "expiry_date" not in errors:
        errors["expiry_date"] = [f"A {document_type.name_en} has an expiry date; enter it."]
    issue, expiry = cleaned.get("issue_date"), cleaned.get("expiry_date")
    if issue and expiry and expiry < issue:
        errors["expiry_date"] = ["The expiry date is before the issue date."]
    if issue and issue > timezone.localdate():
        errors["issue_date"] = ["The issue date is in the future."]
    for key, model, qs in (
        ("person", Person, merchant.people.all()),
        ("category", Category, Category.objects.all()),
        ("brand", Brand, Brand.objects.all()),
        ("authorization_link", BrandAuthorization, merchant.brand_authorizations.all()),
    ):
        value = meta.get(key)
        if value in (None, ""):
            cleaned[key] = None
            continue
        obj = value if isinstance(value, model) else qs.filter(pk=_as_int(value)).first()
        if obj is None or (isinstance(value, model) and not qs.filter(pk=obj.pk).exists()):
            errors[key] = ["Not found for this merchant."]
        cleaned[key] = obj
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", fields=errors)
    return cleaned


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def document_upload(
    *,
    actor: Any,
    merchant: Merchant,
    document_type: DocumentType,
    fileobj: IO[bytes],
    filename: str,
    size: int | None = None,
    metadata: dict[str, Any] | None = None,
    supersedes: QualificationDocument | None = None,
) -> QualificationDocument:
    """Stores one document and its metadata, or nothing at all.

    The file is inspected before anything is written (size, emptiness, sniffed type); the
    row, the stored object and the audit event are one unit: if any part fails, the stored
    object is deleted and the transaction rolls back. Checks are enqueued after commit.
    """
    ensure_member(actor=actor, merchant=merchant)
    if not document_type.is_active:
        raise InvalidInput(
            "This document type is no longer accepted.", fields={"document_type": ["Not accepted."]}
        )
    cleaned = _validate_metadata(merchant, document_type, metadata or {})
    inspected = inspect_upload(fileobj, filename, size)
    if supersedes is not None and supersedes.merchant_id != merchant.pk:
        raise NotAllowed("The document to replace belongs to another merchant.")

    stored_name: str | None = None
    doc = QualificationDocument(
        merchant=merchant,
        document_type=document_type,
        original_filename=inspected.safe_filename,
        sha256=inspected.sha256,
        size=inspected.size,
        content_type=inspected.content_type,
        uploaded_by=actor,
        status=DocumentStatus.UPLOADED,
        **cleaned,
    )
    try:
        with transaction.atomic():
            doc.file.save("upload", File(fileobj, name="upload"), save=False)
            stored_name = doc.file.name
            doc.save()
            if supersedes is not None:
                QualificationDocument.objects.filter(pk=supersedes.pk).update(
                    status=DocumentStatus.SUPERSEDED
                )
            audit_record(
                action="document.uploaded",
                actor=actor,
                obj=doc,
                merchant_id=merchant.pk,
                after=document_snapshot(doc),
                text=f"replaces document {supersedes.pk}" if supersedes else "",
            )
            from .tasks import verify_document_task

            verify_document_task.delay_on_commit(doc.pk)
    except Exception:
        if stored_name:
            try:
                doc.file.storage.delete(stored_name)
            except Exception:  # the sweeper (operations) removes what could not be deleted now
                logger.exception("could not delete orphaned upload %s", stored_name)
        raise
    return doc


def document_verify(*, document_id: int) -> QualificationDocument | None:
    """Re-reads the stored object and confirms it is the file that was uploaded.

    Idempotent: a document already verified is left as it is.
    """
    doc = QualificationDocument.objects.filter(pk=document_id).first()
    if doc is None or doc.integrity_verified_at is not None:
        return doc
    digest = hashlib.sha256()
    with doc.file.storage.open(doc.file.name or "", "rb") as handle:
        data = handle.read()
    digest.update(data)
    page_count = _pdf_page_count(data) if doc.content_type == "application/pdf" else None
    with transaction.atomic():
        doc = QualificationDocument.objects.select_for_update().get(pk=document_id)
        if doc.integrity_verified_at is not None:
            return doc
        intact = digest.hexdigest() == doc.sha256
        doc.integrity_verified_at = timezone.now()
        doc.page_count = page_count
        if doc.status == DocumentStatus.UPLOADED:
            doc.status = DocumentStatus.PENDING_REVIEW
        doc.save(update_fields=["integrity_verified_at", "page_count", "status"])
        audit_record(
            action="document.verified" if intact else "document.integrity_failed",
            obj=doc,
            merchant_id=doc.merchant_id,
            after={"sha256_matches": intact, "page_count": page_count, "status": doc.status},
        )
    return doc


def _pdf_page_count(data: bytes) -> int | None:
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # an unreadable PDF is reported by the document checks, not here
        return None


def document_set_status(*, document: QualificationDocument, status: str) -> dict[str, Any]:
    """Sets a document's review status inside the caller's transaction (the caller audits)."""
    before = document.status
    QualificationDocument.objects.filter(pk=document.pk).update(status=status)
    document.status = status
    return {"document": document.pk, "before": before, "after": status}


def document_record_view(
    *, actor: Any, document: QualificationDocument, case_id: int | None, disposition: str
) -> None:
    """Viewing or downloading a document is itself an audit event."""
    with transaction.atomic():
        audit_record(
            action=f"document.{disposition}",
            actor=actor,
            obj=document,
            merchant_id=document.merchant_id,
            case_id=case_id,
        )
