from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from config.errors import InvalidInput, TooLarge, UnsupportedFileType
from kyc.models import DocumentStatus, DocumentType, QualificationDocument
from kyc.services import document_run_checks, document_upload
from kyc.uploads import safe_display_name
from tests.conftest import upload
from tests.factories import ELF_BYTES, pdf_bytes, png_bytes


def _try(seller, merchant, data, name="license.pdf", **meta):
    meta = {"number": "91350100M000100Y43", "expiry_date": "2031-01-01", **meta}
    return document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=upload(name, data),
        filename=name,
        size=len(data),
        metadata=meta,
    )


def _stored_files(settings) -> list[str]:
    root = settings.STORAGES["default"]["OPTIONS"]["location"]
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_a_pdf_is_stored_with_hash_size_and_sniffed_type(draft_case, seller, settings):
    data = pdf_bytes()
    doc = _try(seller, draft_case.merchant, data)
    import hashlib

    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert (doc.size, doc.content_type) == (len(data), "application/pdf")
    assert doc.file.name == f"documents/merchant-{doc.merchant_id}/{doc.uuid}.pdf"
    assert len(_stored_files(settings)) == 1
    assert AuditEvent.objects.filter(action="document.uploaded", object_id=str(doc.pk)).exists()


def test_checks_task_confirms_integrity_and_is_idempotent(
    draft_case, seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doc = _try(seller, draft_case.merchant, pdf_bytes())
    assert len(callbacks) == 1  # the check task is enqueued only on commit
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.PENDING_REVIEW and doc.integrity_verified_at
    assert doc.page_count == 1 and doc.checks_completed_at
    document_run_checks(document_id=doc.pk)
    checked = AuditEvent.objects.filter(action="document.checked", object_id=str(doc.pk))
    assert checked.count() == 1
    assert checked.get().after["sha256_matches"] is True


@pytest.mark.parametrize(
    ("data", "name", "error", "needle"),
    [
        (ELF_BYTES, "invoice.pdf", UnsupportedFileType, "ELF"),
        (b"MZ\x90\x00" + b"\x00" * 100, "license.pdf", UnsupportedFileType, "whatever its name"),
        (b"", "empty.pdf", InvalidInput, "empty"),
        (b"<html><script>alert(1)</script></html>", "page.pdf", UnsupportedFileType, "PDF"),
    ],
)
def test_hostile_or_empty_files_are_refused_leaving_nothing(
    draft_case, seller, settings, data, name, error, needle
):
    before = AuditEvent.objects.count()
    with pytest.raises(error) as exc:
        _try(seller, draft_case.merchant, data, name=name)
    assert needle in exc.value.message
    assert "file" in exc.value.fields
    assert not QualificationDocument.objects.exists()
    assert _stored_files(settings) == []
    assert AuditEvent.objects.count() == before


def test_a_file_over_the_limit_is_refused_with_the_limit(draft_case, seller, settings):
    settings.KYC_MAX_UPLOAD_BYTES = 1024 * 1024
    data = pdf_bytes() + b"%" + b"x" * (1024 * 1024)
    with pytest.raises(TooLarge) as exc:
        _try(seller, draft_case.merchant, data)
    assert "1 MB" in exc.value.message
    assert not QualificationDocument.objects.exists() and _stored_files(settings) == []


def test_bad_metadata_is_refused_before_anything_is_stored(draft_case, seller, settings):
    with pytest.raises(InvalidInput) as exc:
        _try(
            seller,
            draft_case.merchant,
            pdf_bytes(),
            number="",
            expiry_date="not-a-date",
            person=999999,
        )
    assert set(exc.value.fields) == {"number", "expiry_date", "person"}
    assert _stored_files(settings) == [] and not QualificationDocument.objects.exists()


def test_expiry_before_issue_is_refused(draft_case, seller):
    with pytest.raises(InvalidInput) as exc:
        _try(
            seller,
            draft_case.merchant,
            pdf_bytes(),
            issue_date="2024-01-01",
            expiry_date="2023-01-01",
        )
    assert exc.value.fields == {"expiry_date": ["The expiry date is before the issue date."]}


def test_a_database_failure_removes_the_stored_object(draft_case, seller, settings, monkeypatch):
    import kyc.services as kyc_services

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(kyc_services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        _try(seller, draft_case.merchant, pdf_bytes())
    assert _stored_files(settings) == [] and not QualificationDocument.objects.exists()


def test_another_seller_cannot_upload_to_my_merchant(draft_case, other_seller):
    from config.errors import NotAllowed

    with pytest.raises(NotAllowed):
        _try(other_seller, draft_case.merchant, pdf_bytes())


def test_png_is_accepted_and_replacing_supersedes_the_old_document(draft_case, seller):
    old = _try(seller, draft_case.merchant, pdf_bytes())
    new = document_upload(
        actor=seller,
        merchant=draft_case.merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=upload("scan.png", png_bytes(), "image/png"),
        filename="scan.png",
        metadata={"number": "1", "expiry_date": "2031-01-01"},
        supersedes=old,
    )
    old.refresh_from_db()
    assert new.content_type == "image/png" and old.status == DocumentStatus.SUPERSEDED


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\system32\\evil.pdf", "evil.pdf"),
        ("invoice\u202egpj.pdf", "invoicegpj.pdf"),
        ("..", "document"),
        ("", "document"),
    ],
)
def test_display_names_drop_paths_and_unicode_tricks(raw, expected):
    assert safe_display_name(raw) == expected


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_display_names_never_contain_separators_or_controls(raw):
    name = safe_display_name(raw)
    assert name and "/" not in name and "\\" not in name and ".." != name
    assert all(ord(ch) >= 32 for ch in name)


# --------------------------------------------------------------------------- bounded memory

FIFTY_MB = 50 * 1024 * 1024


def _big_file(path) -> str:
    """A 50 MB file on disk, written in chunks (the test itself must not hold it)."""
    chunk = os.urandom(1024 * 1024)
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        for _ in range(50):
            handle.write(chunk)
    return str(path)


def _peak(func):
    import tracemalloc

    tracemalloc.start()
    try:
        value = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return value, peak


def test_hashing_a_50_mb_stored_object_holds_only_a_chunk_in_memory(tmp_path):
    import hashlib
    import tempfile

    from django.core.files.storage import FileSystemStorage

    from kyc.services import spool_and_hash, stored_object_chunks

    storage = FileSystemStorage(location=str(tmp_path))
    path = _big_file(tmp_path / "big.pdf")

    def run():
        with tempfile.TemporaryFile() as sink:
            return spool_and_hash(stored_object_chunks(storage, "big.pdf"), sink)

    (digest, size), peak = _peak(run)

    expected = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            expected.update(block)
    assert (digest, size) == (expected.hexdigest(), os.path.getsize(path))
    assert size > FIFTY_MB
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1048576:.1f} MB for a 50 MB object"


def test_inspecting_a_50_mb_upload_streams_it(tmp_path, settings):
    from kyc.uploads import inspect_upload

    settings.KYC_MAX_UPLOAD_BYTES = 64 * 1024 * 1024
    path = _big_file(tmp_path / "big.pdf")
    with open(path, "rb") as handle:
        inspected, peak = _peak(lambda: inspect_upload(handle, "big.pdf"))
    assert inspected.size > FIFTY_MB and inspected.content_type == "application/pdf"
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1048576:.1f} MB for a 50 MB upload"


def test_the_upload_refusal_is_the_file_type_checks_verdict(draft_case, seller):
    from kyc.checks import CheckLimits
    from kyc.checks.file_type import check_file_type

    with pytest.raises(UnsupportedFileType) as exc:
        _try(seller, draft_case.merchant, ELF_BYTES, name="invoice.pdf")
    verdict = check_file_type(ELF_BYTES, len(ELF_BYTES), CheckLimits())
    assert exc.value.code == verdict.code == "unsupported_file_type"
    assert exc.value.message == verdict.message_en
    assert exc.value.details == {"sniffed_type": "application/x-executable"}
