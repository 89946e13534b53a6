"""The document file view: permission-checked, audited, served inert."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import ReviewCase
from kyc.models import QualificationDocument
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db


def _document(case: ReviewCase, code: str = "business_license") -> QualificationDocument:
    return QualificationDocument.objects.get(merchant=case.merchant, document_type__code=code)


def test_viewing_a_document_is_audited_and_served_inert(
    reviewer_client: Any, reviewer: Any, submitted_case: ReviewCase
) -> None:
    document = _document(submitted_case)
    url = reverse("kyc:document_file", args=[document.pk])
    response = reviewer_client.get(f"{url}?case={submitted_case.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="document-{document.pk}.pdf"'
    assert response["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'"
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    event = AuditEvent.objects.filter(action="document.viewed").get()
    assert (event.actor_id, event.object_id, event.case_id, event.merchant_id) == (
        reviewer.pk,
        str(document.pk),
        submitted_case.pk,
        submitted_case.merchant_id,
    )


def test_download_is_an_attachment_and_audited_as_such(
    seller_client: Any, seller: Any, ready_case: ReviewCase
) -> None:
    document = _document(ready_case)
    response = seller_client.get(reverse("kyc:document_file", args=[document.pk]) + "?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="document-{document.pk}.pdf"'
    event = AuditEvent.objects.filter(action="document.downloaded").get()
    assert event.actor_id == seller.pk and event.case_id is None


@pytest.mark.parametrize("case_param", ["abc", "1 OR 1=1", "999999"])
def test_an_invalid_case_parameter_is_refused_and_nothing_recorded(
    reviewer_client: Any, submitted_case: ReviewCase, case_param: str
) -> None:
    document = _document(submitted_case)
    response = reviewer_client.get(
        reverse("kyc:document_file", args=[document.pk]), {"case": case_param}
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="document.viewed").exists()


def test_anonymous_users_are_sent_to_log_in(client: Any, ready_case: ReviewCase) -> None:
    document = _document(ready_case)
    response = client.get(reverse("kyc:document_file", args=[document.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_uploaders_filename_never_reaches_the_header(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    from kyc.models import DocumentType
    from kyc.services import document_upload
    from tests.conftest import upload

    hostile = 'evil".pdf\r\nSet-Cookie: x=1'
    document = document_upload(
        actor=draft_case.merchant.memberships.get().user,
        merchant=draft_case.merchant,
        document_type=DocumentType.objects.get(code="proof_of_address"),
        fileobj=upload(hostile, pdf_bytes()),
        filename=hostile,
    )
    response = seller_client.get(reverse("kyc:document_file", args=[document.pk]))
    assert response["Content-Disposition"] == f'inline; filename="document-{document.pk}.pdf"'
