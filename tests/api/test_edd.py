"""The EDD checklist through the API: staff read it, the senior holder works it, hostile
evidence gets the documented statuses with nothing stored, and the maker is never the
checker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import CaseState, EddEvidence, EddItem, ReviewCase
from tests.api.helpers import error
from tests.conftest import accept_documents
from tests.factories import ELF_BYTES, pdf_bytes

pytestmark = pytest.mark.django_db
QUERIES = 7  # …plus the TOTP device that verified the staff session (django_otp)


@pytest.fixture
def edd_case(claimed_case: Any, reviewer: Any, senior: Any) -> ReviewCase:
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="Opaque owners.")
    return services.case_claim(actor=senior, case_id=claimed_case.pk)


def _url(case: ReviewCase, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.pk}/edd/{suffix}"


def _edd_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "media" / "edd"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _complete(api: Any, case: ReviewCase) -> None:
    for code in EddItem.values:
        response = api.post(
            _url(case, f"{code}/"), {"status": "not_applicable", "notes": "n/a"}, format="json"
        )
        assert response.status_code == 200, response.content


def test_staff_read_the_checklist(client_for, edd_case, senior, reviewer):
    body = client_for(senior).get(_url(edd_case)).json()
    assert body["state"] == "edd" and body["can_edit"] is True and body["complete"] is False
    assert [i["item"] for i in body["items"]] == EddItem.values
    assert body["open_items"] == EddItem.values
    assert client_for(reviewer).get(_url(edd_case)).json()["can_edit"] is False


def test_a_seller_cannot_read_the_checklist(client_for, edd_case, seller):
    # Internal to the review team: to the case's own seller it does not exist.
    response = client_for(seller).get(_url(edd_case))
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_the_senior_holder_updates_an_item(client_for, edd_case, senior):
    response = client_for(senior).post(
        _url(edd_case, "source_of_funds/"),
        {"status": "satisfied", "notes": "Audited accounts."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "satisfied"
    assert response.json()["completed_by"] == senior.get_username()


def test_notes_are_required(client_for, edd_case, senior):
    response = client_for(senior).post(
        _url(edd_case, "source_of_funds/"), {"status": "concern"}, format="json"
    )
    assert response.status_code == 400
    assert error(response)["fields"] == {"notes": ["Required."]}


def test_an_l1_reviewer_and_a_non_holder_are_refused(client_for, edd_case, reviewer, other_senior):
    for user in (reviewer, other_senior):
        response = client_for(user).post(
            _url(edd_case, "source_of_funds/"), {"status": "satisfied", "notes": "x"}, format="json"
        )
        assert response.status_code == 403


def test_evidence_upload_and_download(client_for, edd_case, senior, reviewer):
    response = client_for(senior).post(
        _url(edd_case, "adverse_media/evidence/"),
        {"file": SimpleUploadedFile("search.pdf", pdf_bytes("Search")), "description": "Search"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["item"] == "adverse_media" and body["content_type"] == "application/pdf"
    download = client_for(reviewer).get(body["file_url"])
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == pdf_bytes("Search")


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [(ELF_BYTES, 415, "unsupported_file_type"), (b"", 400, "file_empty")],
    ids=["elf-renamed-pdf", "empty"],
)
def test_hostile_evidence_is_refused_and_nothing_is_stored(
    client_for, edd_case, senior, tmp_path, data, status, code
):
    response = client_for(senior).post(
        _url(edd_case, "adverse_media/evidence/"),
        {"file": SimpleUploadedFile("evil.pdf", data, content_type="application/pdf")},
        format="multipart",
    )
    assert response.status_code == status
    assert error(response)["code"] == code
    assert not EddEvidence.objects.exists()
    assert _edd_files(tmp_path) == []


def test_oversize_evidence_is_413_and_nothing_is_stored(
    client_for, edd_case, senior, tmp_path, settings
):
    settings.KYC_MAX_UPLOAD_BYTES = 1024
    response = client_for(senior).post(
        _url(edd_case, "adverse_media/evidence/"),
        {"file": SimpleUploadedFile("big.pdf", pdf_bytes() + b"%" * 4096)},
        format="multipart",
    )
    assert response.status_code == 413
    assert error(response)["code"] == "file_too_large"
    assert not EddEvidence.objects.exists()
    assert _edd_files(tmp_path) == []


def test_approval_needs_a_complete_checklist_and_a_second_senior(
    client_for, edd_case, senior, other_senior
):
    api = client_for(senior)
    accept_documents(edd_case, senior)
    response = api.post(f"/api/v1/cases/{edd_case.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "edd_checklist_incomplete"
    assert err["details"]["open_items"] == EddItem.values

    _complete(api, edd_case)
    response = api.post(f"/api/v1/cases/{edd_case.pk}/approve/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == CaseState.PENDING_SECOND_APPROVAL

    response = api.post(f"/api/v1/cases/{edd_case.pk}/second_approve/", {}, format="json")
    assert response.status_code == 403
    assert error(response)["code"] == "maker_checker"

    response = client_for(other_senior).post(
        f"/api/v1/cases/{edd_case.pk}/second_approve/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == CaseState.APPROVED


def test_the_checklist_read_has_a_constant_query_count(
    client_for, edd_case, senior, django_assert_num_queries
):
    # Session, user, OTP device, roles, case, checklist, evidence: the same with 0 or 15 files.
    api = client_for(senior)
    with django_assert_num_queries(QUERIES):
        api.get(_url(edd_case))
    for code in EddItem.values:
        for n in range(3):
            api.post(
                _url(edd_case, f"{code}/evidence/"),
                {"file": SimpleUploadedFile(f"e{n}.pdf", pdf_bytes(f"{code}{n}"))},
                format="multipart",
            )
    with django_assert_num_queries(QUERIES):
        body = api.get(_url(edd_case)).json()
    assert sum(len(i["evidence"]) for i in body["items"]) == 3 * len(EddItem.values)
