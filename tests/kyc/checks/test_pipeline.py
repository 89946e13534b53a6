"""The checks pipeline end to end on the database: upload -> task (on commit) -> one result
per check, a preview, the status; idempotent; duplicates flag both merchants; hostile files
stored anyway get their own failed checks; the requirements object carries the codes."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from kyc.models import (
    DocumentCheckResult,
    DocumentPreview,
    DocumentStatus,
    DocumentType,
    QualificationDocument,
)
from kyc.requirements import merchant_requirements
from kyc.services import document_run_checks, document_upload
from kyc.tasks import run_document_checks_task
from merchants.models import Merchant
from tests.conftest import upload
from tests.factories import ELF_BYTES, MerchantFactory, PersonFactory, add_member, pdf_bytes

from . import files

pytestmark = pytest.mark.django_db

LICENSE_META = {
    "number": "91350100M000100Y43",
    "expiry_date": "2031-01-01",
    "holder_name": "Shenzhen Lumen Trading Company Limited",
}


def _upload(
    actor: Any,
    merchant: Merchant,
    data: bytes,
    capture: Any,
    *,
    code: str = "business_license",
    name: str = "license.pdf",
    **meta: Any,
) -> QualificationDocument:
    with capture(execute=True):
        doc = document_upload(
            actor=actor,
            merchant=merchant,
            document_type=DocumentType.objects.get(code=code),
            fileobj=upload(name, data),
            filename=name,
            size=len(data),
            metadata={**LICENSE_META, **meta},
        )
    doc.refresh_from_db()
    return doc


def _stored_without_upload_checks(merchant: Merchant, data: bytes) -> QualificationDocument:
    """A file already in storage that the upload would refuse today (it came in before a
    limit was tightened, or through an import): the pipeline must still judge it."""
    doc = QualificationDocument(
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type="application/pdf",
        number="91350100M000100Y43",
        expiry_date="2031-01-01",
    )
    doc.file.save("upload", ContentFile(data), save=False)
    doc.save()
    return doc


def _results(doc: QualificationDocument) -> dict[str, tuple[str, str]]:
    return {
        r.check_name: (r.outcome, r.code) for r in DocumentCheckResult.objects.filter(document=doc)
    }


def _checked_events(doc: QualificationDocument) -> Any:
    return AuditEvent.objects.filter(action="document.checked", object_id=str(doc.pk))


def test_an_upload_gets_every_applicable_check_a_preview_and_pending_review(
    draft_case, seller, django_capture_on_commit_callbacks
):
    doc = _upload(seller, draft_case.merchant, pdf_bytes(), django_capture_on_commit_callbacks)

    assert _results(doc) == {
        "integrity": ("passed", "sha256_matches"),
        "file_type": ("passed", "file_type_allowed"),
        "pdf_structure": ("passed", "pdf_readable"),
        "pdf_javascript": ("passed", "pdf_no_javascript"),
        "pdf_embedded_files": ("passed", "pdf_no_embedded_files"),
        "duplicate_file": ("passed", "no_duplicate_file"),
        "duplicate_registration_number": ("passed", "no_duplicate_registration_number"),
        "registration_number": ("passed", "registration_number_valid"),
        "expiry": ("passed", "document_valid"),
        "holder_name": ("passed", "holder_name_matches"),
    }
    assert doc.status == DocumentStatus.PENDING_REVIEW
    assert doc.checks_completed_at and doc.integrity_verified_at and doc.page_count == 1
    preview = DocumentPreview.objects.get(document=doc)
    assert preview.file.name == f"previews/merchant-{doc.merchant_id}/{doc.uuid}.png"
    assert default_storage.exists(preview.file.name)
    assert max(preview.width, preview.height) <= 1200
    event = _checked_events(doc).get()
    assert event.actor_type == "system"
    assert event.after["outcomes"] == {"passed": 10, "warning": 0, "failed": 0}
    assert event.after["sha256_matches"] is True


def test_running_the_checks_twice_changes_nothing(
    draft_case, seller, django_capture_on_commit_callbacks
):
    doc = _upload(seller, draft_case.merchant, pdf_bytes(), django_capture_on_commit_callbacks)
    before = list(DocumentCheckResult.objects.filter(document=doc).values())
    preview_before = DocumentPreview.objects.get(document=doc)
    root = default_storage.location
    files_before = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)

    run_document_checks_task.apply(args=[doc.pk])
    document_run_checks(document_id=doc.pk)

    assert list(DocumentCheckResult.objects.filter(document=doc).values()) == before
    assert _checked_events(doc).count() == 1
    assert DocumentPreview.objects.get(document=doc).created_at == preview_before.created_at
    files_after = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
    assert files_after == files_before


def test_a_changed_result_is_updated_in_place_and_audited_once_more(
    draft_case, seller, django_capture_on_commit_callbacks
):
    doc = _upload(seller, draft_case.merchant, pdf_bytes(), django_capture_on_commit_callbacks)
    QualificationDocument.objects.filter(pk=doc.pk).update(holder_name="Somebody Else Ltd")

    document_run_checks(document_id=doc.pk)

    assert _results(doc)["holder_name"] == ("failed", "holder_name_mismatch")
    assert DocumentCheckResult.objects.filter(document=doc).count() == 10
    events = list(_checked_events(doc).order_by("seq"))
    assert len(events) == 2 and events[1].after["changed"] == ["holder_name"]
    assert events[1].after["failed"] == ["holder_name_mismatch"]


def test_a_failed_check_becomes_a_requirements_error_with_its_code(
    draft_case, seller, django_capture_on_commit_callbacks
):
    doc = _upload(
        seller,
        draft_case.merchant,
        files.pdf_with_open_action_js(),
        django_capture_on_commit_callbacks,
    )
    assert _results(doc)["pdf_javascript"] == ("failed", "pdf_javascript")

    sell = next(r for r in merchant_requirements(draft_case.merchant) if r["capability"] == "sell")
    errors = [e for e in sell["errors"] if e.get("document_id") == doc.pk]
    assert [e["code"] for e in errors] == ["pdf_javascript"]
    assert "scripts" in errors[0]["reason"]
    assert any(item.get("document_id") == doc.pk for item in sell["currently_due"])


def _second_merchant(other_seller: Any, registration_number: str) -> Merchant:
    merchant = MerchantFactory(
        legal_name="Guangzhou Pearl River Imports Co., Ltd.",
        local_name="广州珠江进口有限公司",
        registration_number=registration_number,
    )
    add_member(merchant, other_seller)
    PersonFactory(merchant=merchant, full_name="Chen Mei")
    return merchant


def test_the_same_file_uploaded_by_two_merchants_flags_both(
    draft_case, seller, other_seller, django_capture_on_commit_callbacks
):
    data = pdf_bytes("Shared license scan")
    first = _upload(seller, draft_case.merchant, data, django_capture_on_commit_callbacks)
    assert _results(first)["duplicate_file"] == ("passed", "no_duplicate_file")

    other = _second_merchant(other_seller, "91440300MA5G9KJ2XT")
    second = _upload(
        other_seller,
        other,
        data,
        django_capture_on_commit_callbacks,
        code="proof_of_address",
        number="",
        holder_name="",
    )

    # The later upload is blocked (seller-visible); the first keeps its passed result.
    assert _results(second)["duplicate_file"] == ("failed", "duplicate_file_other_merchant")
    assert _results(first)["duplicate_file"] == ("passed", "no_duplicate_file")
    # Both carry the staff-only signal naming the other side.
    for doc, counterpart in ((second, first), (first, second)):
        result = DocumentCheckResult.objects.get(document=doc, check_name="duplicate_file_signal")
        assert (result.outcome, result.code, result.is_internal) == (
            "warning",
            "duplicate_file_other_merchant",
            True,
        )
        assert result.evidence["documents"][0]["document_id"] == counterpart.pk
        assert result.evidence["merchant_ids"] == [counterpart.merchant_id]
    # The first document's signal is audited on it, naming where it came from.
    flagged = _checked_events(first).order_by("seq").last()
    assert flagged.after["changed"] == ["duplicate_file_signal"]
    assert flagged.text == f"duplicate signal from document {second.pk}"
    # The first merchant's requirements say nothing new (no oracle).
    sell = next(r for r in merchant_requirements(draft_case.merchant) if r["capability"] == "sell")
    assert not [e for e in sell["errors"] if e.get("document_id") == first.pk]
    # Rerunning either side writes nothing new.
    events = AuditEvent.objects.count()
    document_run_checks(document_id=first.pk)
    document_run_checks(document_id=second.pk)
    assert AuditEvent.objects.count() == events


def test_the_same_registration_number_on_two_merchants_flags_both(
    draft_case, seller, other_seller, django_capture_on_commit_callbacks
):
    first = _upload(seller, draft_case.merchant, pdf_bytes("A"), django_capture_on_commit_callbacks)
    other = _second_merchant(other_seller, "9135-0100-M000100Y43")  # same number, dashes
    second = _upload(
        other_seller,
        other,
        pdf_bytes("B"),
        django_capture_on_commit_callbacks,
        holder_name="Guangzhou Pearl River Imports Ltd",
    )
    assert _results(second)["duplicate_registration_number"] == (
        "failed",
        "duplicate_registration_number_other_merchant",
    )
    assert _results(first)["duplicate_registration_number"] == (
        "passed",
        "no_duplicate_registration_number",
    )
    for doc, counterpart in ((second, first), (first, second)):
        result = DocumentCheckResult.objects.get(
            document=doc, check_name="duplicate_registration_signal"
        )
        assert result.code == "duplicate_registration_number_other_merchant"
        assert result.is_internal
        assert counterpart.merchant_id in result.evidence["merchant_ids"]
    assert _results(first)["duplicate_file"] == ("passed", "no_duplicate_file")


@pytest.mark.parametrize(
    ("data", "check_name", "code"),
    [
        (ELF_BYTES, "file_type", "unsupported_file_type"),
        (files.pdf_encrypted(), "pdf_structure", "pdf_encrypted"),
        (files.pdf_with_open_action_js(), "pdf_javascript", "pdf_javascript"),
        (files.pdf_with_attachment(), "pdf_embedded_files", "pdf_embedded_files"),
        (files.png_header_only(20_000, 20_000), "image_decode", "image_too_many_pixels"),
        (files.truncated_jpeg(), "image_decode", "image_unreadable"),
        (files.image((300, 200)), "image_resolution", "image_resolution_too_low"),
        (b"%PDF-1.4\n" + os.urandom(3000), "pdf_structure", "pdf_unreadable"),
    ],
    ids=[
        "renamed-executable",
        "encrypted-pdf",
        "pdf-with-javascript",
        "pdf-with-attachment",
        "20000x20000-png",
        "truncated-jpeg",
        "tiny-image",
        "garbage-pdf",
    ],
)
def test_each_hostile_file_gets_its_own_failed_check(draft_case, data, check_name, code):
    doc = _stored_without_upload_checks(draft_case.merchant, data)

    document_run_checks(document_id=doc.pk)

    doc.refresh_from_db()
    assert _results(doc)[check_name] == ("failed", code)
    assert doc.status == DocumentStatus.PENDING_REVIEW and doc.checks_completed_at
    # Only a file that opened cleanly is rendered (a script or an attachment does not stop
    # PDFium from drawing the page, and a small image is still an image).
    readable = check_name in ("pdf_javascript", "pdf_embedded_files", "image_resolution")
    assert DocumentPreview.objects.filter(document=doc).exists() == readable
    result = DocumentCheckResult.objects.get(document=doc, check_name=check_name)
    assert result.message_en and result.message_zh


def test_an_image_gets_a_jpeg_preview_at_most_1200_pixels(
    draft_case, seller, django_capture_on_commit_callbacks
):
    person = draft_case.merchant.people.get()
    doc = _upload(
        seller,
        draft_case.merchant,
        files.image((2400, 1600), "JPEG", noise=True),
        django_capture_on_commit_callbacks,
        code="identity_document",
        name="id.jpg",
        number="110101199001011237",
        holder_name="Li Wei",
        person=person.pk,
    )
    preview = DocumentPreview.objects.get(document=doc)
    assert preview.file.name.endswith(f"{doc.uuid}.jpg")
    assert (preview.width, preview.height) == (1200, 800)
    assert _results(doc)["holder_name"] == ("passed", "holder_name_matches")
    assert "registration_number" not in _results(doc)


def test_a_missing_stored_object_fails_integrity_and_the_rest_still_runs(draft_case):
    doc = _stored_without_upload_checks(draft_case.merchant, pdf_bytes())
    default_storage.delete(doc.file.name)

    document_run_checks(document_id=doc.pk)

    results = _results(doc)
    assert results["integrity"] == ("failed", "file_missing")
    assert results["registration_number"] == ("passed", "registration_number_valid")
    assert "pdf_structure" not in results


def test_a_stored_object_that_changed_fails_integrity(draft_case):
    doc = _stored_without_upload_checks(draft_case.merchant, pdf_bytes())
    path = default_storage.path(doc.file.name)
    with open(path, "wb") as handle:
        handle.write(pdf_bytes("tampered"))

    document_run_checks(document_id=doc.pk)

    doc.refresh_from_db()
    assert _results(doc)["integrity"] == ("failed", "file_integrity_mismatch")
    assert doc.integrity_verified_at is None
    assert _checked_events(doc).get().after["sha256_matches"] is False


def test_transient_storage_errors_are_retried_then_given_up_leaving_nothing(
    draft_case, monkeypatch
):
    doc = _stored_without_upload_checks(draft_case.merchant, pdf_bytes())
    calls = []

    def unreachable(storage: Any, name: str) -> Any:
        calls.append(name)
        raise ConnectionError("object storage unreachable")

    monkeypatch.setattr("kyc.services.stored_object_chunks", unreachable)
    result = run_document_checks_task.apply(args=[doc.pk])

    assert result.failed() and isinstance(result.result, ConnectionError)
    assert len(calls) == 1 + run_document_checks_task.max_retries
    assert not DocumentCheckResult.objects.filter(document=doc).exists()
    assert not _checked_events(doc).exists()


def test_a_missing_document_is_nothing_to_do(db):
    assert document_run_checks(document_id=987654) is None


# --------------------------------------------------------------------------- shown


def test_the_preview_is_served_permission_checked_audited_and_inert(
    draft_case, seller, other_seller, reviewer, django_capture_on_commit_callbacks
):
    doc = _upload(seller, draft_case.merchant, pdf_bytes(), django_capture_on_commit_callbacks)
    url = reverse("kyc:document_preview", args=[doc.pk])
    client = Client()
    client.force_login(reviewer)

    response = client.get(f"{url}?case={draft_case.pk}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Disposition"] == f'inline; filename="document-{doc.pk}-preview.png"'
    event = AuditEvent.objects.filter(action="document.viewed").get()
    assert (event.actor_id, event.case_id) == (reviewer.pk, draft_case.pk)

    stranger = Client()
    stranger.force_login(other_seller)
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_a_document_without_preview_has_no_preview_url(draft_case, reviewer):
    doc = _stored_without_upload_checks(draft_case.merchant, ELF_BYTES)
    document_run_checks(document_id=doc.pk)
    client = Client()
    client.force_login(reviewer)
    assert client.get(reverse("kyc:document_preview", args=[doc.pk])).status_code == 404


def test_the_api_document_detail_carries_results_and_whether_a_preview_exists(
    draft_case, seller, reviewer, django_capture_on_commit_callbacks
):
    doc = _upload(
        seller,
        draft_case.merchant,
        files.pdf_encrypted(),
        django_capture_on_commit_callbacks,
    )
    api = APIClient()
    api.force_authenticate(seller)
    body = api.get(f"/api/v1/documents/{doc.pk}/").json()

    assert body["has_preview"] is False and body["checks_completed_at"]
    failed = {r["check_name"]: r for r in body["check_results"] if r["outcome"] == "failed"}
    assert failed["pdf_structure"]["code"] == "pdf_encrypted"
    assert "password" in failed["pdf_structure"]["message_en"]
    assert failed["pdf_structure"]["evidence"] is None  # staff only

    clean = _upload(seller, draft_case.merchant, pdf_bytes("x"), django_capture_on_commit_callbacks)
    listed = api.get(f"/api/v1/merchants/{draft_case.merchant_id}/documents/").json()
    by_id = {d["id"]: d for d in listed["results"]}
    assert by_id[clean.pk]["has_preview"] is True and by_id[doc.pk]["has_preview"] is False
    api.force_authenticate(reviewer)
    staff = api.get(f"/api/v1/documents/{doc.pk}/").json()
    structure = next(r for r in staff["check_results"] if r["check_name"] == "pdf_structure")
    assert structure["evidence"] == {"encrypted": True, "needs_password": True}


def test_the_case_page_shows_the_preview_and_each_check_in_the_users_language(
    draft_case, seller, reviewer, django_capture_on_commit_callbacks
):
    doc = _upload(
        seller,
        draft_case.merchant,
        pdf_bytes(),
        django_capture_on_commit_callbacks,
        holder_name="Somebody Else Ltd",
    )
    client = Client()
    client.force_login(reviewer)
    html = client.get(reverse("cases:case_detail", args=[draft_case.pk])).content.decode()

    preview_url = reverse("kyc:document_preview", args=[doc.pk])
    assert f'<img src="{preview_url}?case={draft_case.pk}"' in html
    assert "holder_name_mismatch" in html and "badge-check-failed" in html
    assert "Somebody Else Ltd" in html
    assert "does not match" in html

    client.cookies["django_language"] = "zh-hans"
    html_zh = client.get(
        reverse("cases:case_detail", args=[draft_case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "不一致" in html_zh
