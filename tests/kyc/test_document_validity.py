"""Expiry dates as sellers meet them (issue 12): a past expiry date is refused at once, next
to the field and in the API; a Chinese business license may be valid indefinitely (长期),
where the type allows it, and no expiry date is invented for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import CaseKind, ReviewCase
from cases.monitoring import expiry_watch
from kyc.checks import expiry
from kyc.checks.context import CheckContext
from kyc.models import DocumentCheckResult, DocumentStatus, DocumentType, QualificationDocument
from kyc.requirements import merchant_requirements
from tests.cases.monitoring_helpers import LICENCE_EXPIRY, approve, at
from tests.conftest import upload
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _docs_url(case: ReviewCase) -> str:
    return f"/api/v1/merchants/{case.merchant_id}/documents/"


def _license(**fields: Any) -> dict[str, Any]:
    return {
        "file": upload("license.pdf", pdf_bytes()),
        "document_type": "business_license",
        "number": "91350100M000100Y43",
        **fields,
    }


def test_a_past_expiry_date_is_refused_by_the_api_with_the_field(
    seller: Any, draft_case: ReviewCase
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    response = _api(seller).post(
        _docs_url(draft_case), _license(expiry_date=yesterday.isoformat()), format="multipart"
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["fields"] == {"expiry_date": ["This document has expired. Upload the current one."]}
    assert not QualificationDocument.objects.exists()


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "This document has expired."), ("zh-hans", "已过期")]
)
def test_a_past_expiry_date_is_refused_next_to_the_field_in_the_sellers_language(
    seller: Any, draft_case: ReviewCase, language: str, expected: str
) -> None:
    client = _web(seller)
    client.cookies["django_language"] = language
    response = client.post(
        reverse("cases:document_upload", args=[draft_case.merchant_id]),
        {
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "file": upload("license.pdf", pdf_bytes()),
            "number": "91350100M000100Y43",
            "expiry_date": "2020-01-01",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert any(expected in e for e in form.errors["expiry_date"]), form.errors
    assert 'id="id_expiry_date_errors"' in response.content.decode()
    assert not QualificationDocument.objects.exists()


def test_a_business_license_valid_indefinitely_needs_no_expiry_date(
    seller: Any, draft_case: ReviewCase, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(seller).post(
            _docs_url(draft_case), _license(valid_indefinitely="true"), format="multipart"
        )
    assert response.status_code == 201, response.json()
    assert response.json()["valid_indefinitely"] is True
    assert response.json()["expiry_date"] is None
    doc = QualificationDocument.objects.get()
    assert (doc.expiry_date, doc.valid_indefinitely) == (None, True)
    result = DocumentCheckResult.objects.get(document=doc, check_name="expiry")
    assert (result.outcome, result.code) == ("passed", "valid_indefinitely")
    sell = next(r for r in merchant_requirements(draft_case.merchant) if r["capability"] == "sell")
    codes = {i["code"] for i in sell["pending_verification"]}
    assert "entity_registration" in codes
    assert all(i["code"] != "entity_registration" for i in sell["currently_due"])
    assert sell["eventually_due"] == []


def test_the_document_types_api_says_which_types_may_be_valid_indefinitely(
    seller: Any, reference: Any
) -> None:
    rows = _api(seller).get("/api/v1/document-types/?page_size=100").json()["results"]
    flags = {r["code"]: r["allows_indefinite_validity"] for r in rows}
    assert flags["business_license"] is True
    assert flags["identity_document"] is False


def test_a_type_without_indefinite_validity_refuses_it(seller: Any, draft_case: ReviewCase) -> None:
    person = draft_case.merchant.people.get()
    response = _api(seller).post(
        _docs_url(draft_case),
        {
            "file": upload("id.pdf", pdf_bytes("ID")),
            "document_type": "identity_document",
            "number": "X1",
            "person": person.pk,
            "valid_indefinitely": "true",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "valid_indefinitely": ["This type of document always has an expiry date; enter it."]
    }
    assert not QualificationDocument.objects.exists()


def test_indefinite_validity_and_an_expiry_date_contradict(
    seller: Any, draft_case: ReviewCase
) -> None:
    response = _api(seller).post(
        _docs_url(draft_case),
        _license(valid_indefinitely="true", expiry_date="2031-01-01"),
        format="multipart",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"expiry_date"}


def test_the_upload_form_offers_no_expiry_only_where_the_type_allows_it(
    seller: Any, draft_case: ReviewCase
) -> None:
    url = reverse("cases:document_upload", args=[draft_case.merchant_id])
    html = _web(seller).get(url).content.decode()
    assert 'name="valid_indefinitely"' in html
    license_pk = DocumentType.objects.get(code="business_license").pk
    id_pk = DocumentType.objects.get(code="identity_document").pk
    assert f'data-indefinite="1" value="{license_pk}"' in html or (
        f'value="{license_pk}" data-family="entity"' in html
    )
    option = html[html.index(f'value="{id_pk}"') - 200 : html.index(f'value="{id_pk}"') + 200]
    assert 'data-indefinite="0"' in option
    response = _web(seller).post(
        url,
        {
            "document_type": license_pk,
            "file": upload("license.pdf", pdf_bytes()),
            "number": "91350100M000100Y43",
            "valid_indefinitely": "on",
        },
    )
    assert response.status_code == 302
    doc = QualificationDocument.objects.get()
    assert (doc.expiry_date, doc.valid_indefinitely) == (None, True)
    page = _web(seller).get(reverse("cases:merchant_detail", args=[draft_case.merchant_id]))
    assert "No expiry (长期)" in page.content.decode()


def test_the_expiry_check_passes_an_indefinite_document_and_fails_a_missing_date() -> None:
    today = timezone.localdate()
    indefinite = CheckContext(today=today, has_expiry=True, valid_indefinitely=True)
    assert expiry.check(indefinite).code == "valid_indefinitely"
    missing = CheckContext(today=today, has_expiry=True)
    assert expiry.check(missing).code == "expiry_date_missing"


def test_the_expiry_watch_leaves_an_indefinite_license_alone(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    merchant = approve(claimed_case, reviewer)
    QualificationDocument.objects.filter(
        merchant=merchant, document_type__code="business_license"
    ).exclude(status=DocumentStatus.SUPERSEDED).update(expiry_date=None, valid_indefinitely=True)
    result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=10)))
    assert result == {"warned": 0, "expired": 0, "disabled": 0, "kept_live": 0}
    assert not ReviewCase.objects.filter(merchant=merchant, kind=CaseKind.REVERIFICATION).exists()
