"""Write use-cases for qualification documents."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from config.errors import InvalidInput, NotAllowed, storage_write
from merchants.models import Brand, BrandAuthorization, Category, Merchant, Person
from merchants.services import ensure_member

from . import hooks
from .checks import CheckResult, FileSource, integrity, run_checks
from .checks.loading import (
    check_context,
    document_for_checks,
    duplicate_file_candidates,
    duplicate_file_documents,
    registration_candidates,
    registration_documents,
)
from .checks.runner import duplicate_checks, duplicate_signals, metadata_checks
from .models import (
    CheckOutcome,
    DocumentCheckResult,
    DocumentPreview,
    DocumentStatus,
    DocumentType,
    DocumentView,
    QualificationDocument,
)
from .previews import Preview, preview_key, render_preview
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
    "valid_indefinitely",
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


# Fixed messages (accounts.forms.SERVICE_MESSAGES shows them in the page's language).
EXPIRY_PASSED = "This document has expired. Upload the current one."
INDEFINITE_NOT_ALLOWED = "This type of document always has an expiry date; enter it."
INDEFINITE_WITH_DATE = "Leave the expiry date empty for a document valid indefinitely."


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
    indefinite = _as_bool(meta.get("valid_indefinitely"))
    cleaned["valid_indefinitely"] = indefinite
    if indefinite and not document_type.allows_indefinite_validity:
        errors["valid_indefinitely"] = [INDEFINITE_NOT_ALLOWED]
    elif indefinite and cleaned.get("expiry_date"):
        errors["expiry_date"] = [INDEFINITE_WITH_DATE]
    elif (
        document_type.has_expiry
        and not indefinite
        and not cleaned.get("expiry_date")
        and "expiry_date" not in errors
    ):
        errors["expiry_date"] = [f"A {document_type.name_en} has an expiry date; enter it."]
    issue, expiry = cleaned.get("issue_date"), cleaned.get("expiry_date")
    if issue and expiry and expiry < issue:
        errors["expiry_date"] = ["The expiry date is before the issue date."]
    elif expiry and expiry < timezone.localdate() and "expiry_date" not in errors:
        # An expired document proves nothing: refused at once, not "uploaded" and failed later.
        errors["expiry_date"] = [EXPIRY_PASSED]
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


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# What a replacement inherits from the document it replaces when the upload does not say.
REPLACEMENT_KEEPS = ("person", "category", "brand", "authorization_link")


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
    if supersedes is not None and supersedes.merchant_id != merchant.pk:
        raise NotAllowed("The document to replace belongs to another merchant.")
    metadata = dict(metadata or {})
    if supersedes is not None:
        # A replacement is for what it replaces unless the caller names something else:
        # dropping the brand/category link would reopen the requirement it satisfied.
        for key in REPLACEMENT_KEEPS:
            if key not in metadata:
                metadata[key] = getattr(supersedes, f"{key}_id")
    cleaned = _validate_metadata(merchant, document_type, metadata)
    inspected = inspect_upload(fileobj, filename, size)

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
            with storage_write("document upload"):
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
            hooks.document_changed(
                hooks.DocumentChange(
                    actor=actor,
                    merchant_id=merchant.pk,
                    event=hooks.DOCUMENT_REPLACED if supersedes else hooks.DOCUMENT_UPLOADED,
                    document_id=doc.pk,
                    before=document_snapshot(supersedes) if supersedes is not None else {},
                    after=document_snapshot(doc),
                    replaced_document_id=supersedes.pk if supersedes is not None else None,
                )
            )
            from .tasks import run_document_checks_task

            run_document_checks_task.delay_on_commit(doc.pk)
    except Exception:
        if stored_name:
            try:
                doc.file.storage.delete(stored_name)
            except Exception:  # the sweeper (operations) removes what could not be deleted now
                logger.exception("could not delete orphaned upload %s", stored_name)
        raise
    return doc


# --------------------------------------------------------------------------- checks

CHUNK_BYTES = 1024 * 1024


def stored_object_chunks(storage: Storage, name: str) -> Iterator[bytes]:
    """The stored object in chunks of at most CHUNK_BYTES, whatever its size.

    django-storages' S3File downloads the whole object into memory on first read; its
    boto3 object's streaming body is read instead, so memory stays bounded on S3 too.
    Raises FileNotFoundError when the object does not exist.
    """
    handle = storage.open(name, "rb")
    try:
        s3_object = getattr(handle, "obj", None)
        if s3_object is not None and hasattr(s3_object, "get"):
            body = s3_object.get()["Body"]
            try:
                yield from body.iter_chunks(CHUNK_BYTES)
            finally:
                body.close()
        else:
            yield from iter(lambda: handle.read(CHUNK_BYTES), b"")
    finally:
        handle.close()


def spool_and_hash(chunks: Iterable[bytes], sink: IO[bytes]) -> tuple[str, int]:
    """Copies the chunks to `sink` while hashing them: (SHA-256 hex digest, size)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        sink.write(chunk)
        size += len(chunk)
    sink.flush()
    return digest.hexdigest(), size


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    # Compared with what the JSON column gives back, so a rerun sees "unchanged".
    result: dict[str, Any] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return result


def _upsert_results(
    doc: QualificationDocument, results: list[CheckResult], *, remove_stale: bool
) -> list[str]:
    """Writes one row per check (the caller holds the document's row lock). Returns the
    names of the checks whose stored result changed; an unchanged row is not touched."""
    existing = {r.check_name: r for r in DocumentCheckResult.objects.filter(document=doc)}
    changed: list[str] = []
    now = timezone.now()
    for result in results:
        row = result.as_row()
        row["evidence"] = _jsonable(row["evidence"])
        current = existing.pop(result.check_name, None)
        if current is None:
            DocumentCheckResult.objects.create(
                document=doc, check_name=result.check_name, checked_at=now, **row
            )
            changed.append(result.check_name)
        elif any(getattr(current, field) != value for field, value in row.items()):
            for field, value in row.items():
                setattr(current, field, value)
            current.checked_at = now
            current.save(update_fields=[*row, "checked_at"])
            changed.append(result.check_name)
    if remove_stale and existing:
        DocumentCheckResult.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        changed += sorted(existing)
    return sorted(changed)


def _summary(doc: QualificationDocument) -> dict[str, Any]:
    rows = list(DocumentCheckResult.objects.filter(document=doc).order_by("check_name"))
    counts = {outcome: 0 for outcome in CheckOutcome.values}
    for row in rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    return {
        "outcomes": counts,
        "failed": sorted({r.code for r in rows if r.outcome == CheckOutcome.FAILED}),
        "warnings": sorted({r.code for r in rows if r.outcome == CheckOutcome.WARNING}),
    }


def _store_preview(doc: QualificationDocument, preview: Preview) -> str:
    """Saves the preview under its deterministic key, replacing any earlier one."""
    key = preview_key(
        merchant_id=doc.merchant_id, document_uuid=str(doc.uuid), extension=preview.extension
    )
    storage = default_storage
    if storage.exists(key):  # the local file storage never overwrites on its own
        storage.delete(key)
    saved = storage.save(key, ContentFile(preview.data))
    return saved


def _preview_is_current(doc: QualificationDocument) -> bool:
    preview = DocumentPreview.objects.filter(document=doc).first()
    return bool(preview and preview.file.name and default_storage.exists(preview.file.name))


def _may_render(results: list[CheckResult]) -> bool:
    """Only a file that opened cleanly is handed to a renderer."""
    gate = {"file_type", "pdf_structure", "image_decode"}
    present = {r.check_name for r in results}
    return bool(present & {"pdf_structure", "image_decode"}) and not any(
        r.is_failed for r in results if r.check_name in gate
    )


def document_run_checks(*, document_id: int) -> QualificationDocument | None:
    """Runs every applicable automated check on one document and stores the results.

    Guarantees:
    - the stored object is streamed (bounded memory) to a temporary file and its SHA-256
      verified; every check then runs on that copy; a hostile file yields failed results,
      never an exception;
    - one DocumentCheckResult per check, upserted under the document's row lock: running
      twice leaves the same rows, and a "document.checked" audit event (the outcome
      summary) is written only when some result changed;
    - a first-page preview is stored under a deterministic key (rerun = overwrite);
    - status uploaded -> pending_review, checks_completed_at and page_count are set;
    - a duplicate file or registration number found on another merchant's document is
      flagged on that document too (its own duplicate checks are recomputed), after this
      document's transaction committed, one document per transaction.
    Storage and database errors propagate (the task retries them).
    """
    doc = document_for_checks(document_id)
    if doc is None:
        return None
    ctx = check_context(doc)
    duplicates = duplicate_file_candidates(doc)
    registrations = registration_candidates(ctx)
    digest: str | None = None
    page_count: int | None = None
    preview: Preview | None = None
    with tempfile.NamedTemporaryFile(prefix="kyc-check-") as spool:
        try:
            chunks = stored_object_chunks(doc.file.storage, doc.file.name or "")
            digest, _ = spool_and_hash(chunks, spool)
        except FileNotFoundError:
            logger.warning("document %s: stored object %s is missing", doc.pk, doc.file.name)
        if digest is None:
            results = [
                integrity.check(None, ctx),
                *duplicate_checks(ctx, duplicates, registrations),
                *metadata_checks(ctx),
            ]
        else:
            source = FileSource(path=spool.name)
            results = run_checks(
                source,
                ctx,
                computed_sha256=digest,
                duplicate_files=duplicates,
                registration_candidates=registrations,
            )
            if source.sniffed_type == "application/pdf":
                page_count = source.pdf(ctx.limits.max_pdf_objects).page_count
            if _may_render(results) and not _preview_is_current(doc):
                preview = render_preview(source, max_pixels=ctx.limits.max_image_pixels)
    preview_name = _store_preview(doc, preview) if preview is not None else None

    with transaction.atomic():
        doc = QualificationDocument.objects.select_for_update().get(pk=document_id)
        changed = _upsert_results(doc, results, remove_stale=True)
        fields: list[str] = []
        intact = digest is not None and digest == doc.sha256
        if intact and doc.integrity_verified_at is None:
            doc.integrity_verified_at = timezone.now()
            fields.append("integrity_verified_at")
        if page_count is not None and doc.page_count != page_count:
            doc.page_count = page_count
            fields.append("page_count")
        if doc.status == DocumentStatus.UPLOADED:
            doc.status = DocumentStatus.PENDING_REVIEW
            fields.append("status")
        if changed or doc.checks_completed_at is None:
            doc.checks_completed_at = timezone.now()
            fields.append("checks_completed_at")
        if fields:
            doc.save(update_fields=fields)
        if preview is not None and preview_name is not None:
            DocumentPreview.objects.update_or_create(
                document=doc,
                defaults={
                    "file": preview_name,
                    "width": preview.width,
                    "height": preview.height,
                    "created_at": timezone.now(),
                },
            )
        if changed:
            audit_record(
                action="document.checked",
                obj=doc,
                merchant_id=doc.merchant_id,
                after={
                    "sha256_matches": intact,
                    "page_count": doc.page_count,
                    "status": doc.status,
                    "changed": changed,
                    **_summary(doc),
                },
            )

    others = {d.pk for d in duplicate_file_documents(doc).exclude(status=DocumentStatus.SUPERSEDED)}
    others |= set(registration_documents(ctx).values_list("pk", flat=True))
    for other_id in sorted(others):
        document_refresh_duplicate_signals(document_id=other_id, source_document_id=doc.pk)
    return doc


def document_refresh_duplicate_signals(
    *, document_id: int, source_document_id: int | None = None
) -> list[str]:
    """Recomputes only the staff-only fraud-ring signals of one document (the EARLIER side of
    a duplicate just found), so both documents carry the signal for the reviewer. Its
    seller-visible results are left as they were: the first uploader never learns that
    someone else later submitted the same file or number (no oracle). Audited, like a full
    run, only when a result changed. Returns the changed check names."""
    doc = document_for_checks(document_id)
    if doc is None:
        return []
    ctx = check_context(doc)
    results = duplicate_signals(ctx, duplicate_file_candidates(doc), registration_candidates(ctx))
    with transaction.atomic():
        locked = QualificationDocument.objects.select_for_update().get(pk=document_id)
        changed = _upsert_results(locked, results, remove_stale=False)
        if changed:
            audit_record(
                action="document.checked",
                obj=locked,
                merchant_id=locked.merchant_id,
                after={"changed": changed, **_summary(locked)},
                text=f"duplicate signal from document {source_document_id}"
                if source_document_id
                else "",
            )
    return changed


def document_set_status(*, document: QualificationDocument, status: str) -> dict[str, Any]:
    """Sets a document's review status inside the caller's transaction (the caller audits)."""
    before = document.status
    QualificationDocument.objects.filter(pk=document.pk).update(status=status)
    document.status = status
    return {"document": document.pk, "before": before, "after": status}


def document_record_view(
    *, actor: Any, document: QualificationDocument, case_id: int | None, disposition: str
) -> None:
    """Viewing or downloading a document is itself an audit event. A view is recorded once
    per viewer per document version per case (a DocumentView row and one `document.viewed`
    event), not on every page load: the case page embeds the file, so a count of loads
    would prove nothing. Each download is recorded: a copy left the system."""
    with transaction.atomic():
        if disposition == "viewed":
            # get_or_create under the unique constraints: of two concurrent first views, one
            # inserts and the other finds its row (no second event).
            _view, created = DocumentView.objects.get_or_create(
                document=document, viewer=actor, case_id=case_id
            )
            if not created:
                return
        audit_record(
            action=f"document.{disposition}",
            actor=actor,
            obj=document,
            merchant_id=document.merchant_id,
            case_id=case_id,
        )
