"""The seller is told exactly what is missing and why, and can fix it from the portal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from cases.models import CaseState, ReviewCase
from kyc.models import DocumentType, QualificationDocument
from tests.conftest import upload
from tests.factories import ELF_BYTES, pdf_bytes

pytestmark = pytest.mark.django_db


def _merchant_page(client: Any, case: ReviewCase) -> str:
    response = client.get(reverse("cases:merchant_detail", args=[case.merchant_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_missing_required_documents_are_named_with_the_reason(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    html = _merchant_page(seller_client, draft_case)
    assert "Business license or certificate of incorporation" in html
    assert "Identity document of the legal representative: Li Wei" in html
    assert "Nothing suitable is on file yet." in html
    assert "Before you can submit" in html


def test_submit_is_refused_with_the_list_of_what_is_due(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    response = seller_client.post(reverse("cases:seller_submit", args=[draft_case.pk]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not submitted: these are still due" in html
    due_list = html.split('id="still-due"', 1)[1].split("</div>", 1)[0]
    assert "Business license or certificate of incorporation" in due_list
    assert "Identity document of the legal representative: Li Wei" in due_list
    draft_case.refresh_from_db()
    assert draft_case.state == CaseState.DRAFT


def test_a_complete_case_says_nothing_is_missing_and_submits(
    seller_client: Any, ready_case: ReviewCase
) -> None:
    html = _merchant_page(seller_client, ready_case)
    assert "Nothing is missing. You can submit your application." in html
    response = seller_client.post(reverse("cases:seller_submit", args=[ready_case.pk]))
    assert response.status_code == 302
    ready_case.refresh_from_db()
    assert ready_case.state == CaseState.SUBMITTED


def test_rejected_document_reason_is_shown_to_the_seller(
    seller_client: Any, claimed_case: ReviewCase, reviewer: Any
) -> None:
    from cases.services import case_request_info

    document = QualificationDocument.objects.get(
        merchant=claimed_case.merchant, document_type__code="business_license"
    )
    case_request_info(
        actor=reviewer,
        case_id=claimed_case.pk,
        message="Please upload a readable license.",
        items=[
            {
                "document_id": document.pk,
                "reason_code": "doc_illegible",
                "note": "The seal is cut off.",
            }
        ],
    )
    html = _merchant_page(seller_client, claimed_case)
    assert "Please upload a readable license." in html
    assert "The document is not readable." in html
    assert "The seal is cut off." in html
    assert reverse("cases:seller_resubmit", args=[claimed_case.pk]) in html


def test_answering_an_rfi_before_fixing_it_is_refused_with_the_list(
    seller_client: Any, claimed_case: ReviewCase, reviewer: Any
) -> None:
    from cases.services import case_request_info

    document = QualificationDocument.objects.get(
        merchant=claimed_case.merchant, document_type__code="business_license"
    )
    case_request_info(
        actor=reviewer,
        case_id=claimed_case.pk,
        message="Fix the license.",
        items=[{"document_id": document.pk, "reason_code": "doc_illegible"}],
    )
    response = seller_client.post(
        reverse("cases:seller_resubmit", args=[claimed_case.pk]), {"answer": "Done"}
    )
    assert response.status_code == 400
    assert "Business license or certificate of incorporation" in response.content.decode()
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.INFO_REQUESTED


def test_withdraw_from_the_portal(seller_client: Any, draft_case: ReviewCase) -> None:
    response = seller_client.post(reverse("cases:seller_withdraw", args=[draft_case.pk]))
    assert response.status_code == 302
    draft_case.refresh_from_db()
    assert draft_case.state == CaseState.WITHDRAWN


def test_withdrawing_a_case_under_review_is_a_conflict(
    seller_client: Any, claimed_case: ReviewCase
) -> None:
    response = seller_client.post(reverse("cases:seller_withdraw", args=[claimed_case.pk]))
    assert response.status_code == 409
    assert "it is now Under review" in response.content.decode()


# --------------------------------------------------------------------------- uploads


def _upload_url(case: ReviewCase) -> str:
    return reverse("cases:document_upload", args=[case.merchant_id])


def _post_upload(client: Any, case: ReviewCase, name: str, data: bytes) -> Any:
    return client.post(
        _upload_url(case),
        {
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "file": upload(name, data),
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )


def _stored_files() -> list[Path]:
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_valid_upload_is_stored_and_listed(seller_client: Any, draft_case: ReviewCase) -> None:
    response = _post_upload(seller_client, draft_case, "license.pdf", pdf_bytes())
    assert response.status_code == 302
    document = QualificationDocument.objects.get(merchant=draft_case.merchant)
    assert document.original_filename == "license.pdf"
    assert default_storage.exists(document.file.name)
    assert "Business license" in _merchant_page(seller_client, draft_case)


@pytest.mark.parametrize(
    ("name", "data", "status", "expected"),
    [
        ("invoice.pdf", ELF_BYTES, 415, "whatever its name says"),
        ("empty.pdf", b"", 400, "The file is empty."),
    ],
    ids=["executable-renamed-pdf", "empty-file"],
)
def test_a_refused_file_is_named_next_to_the_field_and_nothing_is_stored(
    seller_client: Any,
    draft_case: ReviewCase,
    name: str,
    data: bytes,
    status: int,
    expected: str,
) -> None:
    response = _post_upload(seller_client, draft_case, name, data)
    assert response.status_code == status
    form = response.context["form"]
    assert form.errors["file"]
    assert any(expected in e for e in form.non_field_errors() + form.errors["file"])
    assert f'id="{form["file"].auto_id}_errors"' in response.content.decode()
    assert not QualificationDocument.objects.exists()
    assert _stored_files() == []


def test_an_over_limit_file_is_refused_next_to_the_field_and_nothing_is_stored(
    seller_client: Any, draft_case: ReviewCase, settings: Any
) -> None:
    settings.KYC_MAX_UPLOAD_BYTES = 200
    response = _post_upload(seller_client, draft_case, "big.pdf", pdf_bytes())
    assert response.status_code == 413
    form = response.context["form"]
    assert form.errors["file"]
    assert "The file is too large." in form.non_field_errors()[0]
    assert not QualificationDocument.objects.exists()
    assert _stored_files() == []


def test_missing_metadata_is_shown_next_to_its_field(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    response = seller_client.post(
        _upload_url(draft_case),
        {
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "file": upload("license.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["number"] == ["A Business license must carry its number."]
    assert form.errors["expiry_date"]
    assert not QualificationDocument.objects.exists()
    assert _stored_files() == []


def test_upload_link_from_a_requirement_prefills_the_form(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    person = draft_case.merchant.people.get()
    response = seller_client.get(
        _upload_url(draft_case) + f"?document_type=identity_document&person={person.pk}"
    )
    form = response.context["form"]
    assert form["document_type"].value() == DocumentType.objects.get(code="identity_document").pk
    assert form["person"].value() == person.pk
