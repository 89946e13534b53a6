"""A seller reading or acting on another seller's objects gets 404, never 403: the API does
not reveal that the object exists. Nothing changes and nothing is audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cases.models import ReviewCase
from kyc.models import QualificationDocument
from merchants.models import Merchant, Person
from tests.api.helpers import error, upload_form


@pytest.fixture
def foreign(claimed_case):
    """Seller A's merchant, person, document and case (in review), as URL ids."""
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()
    return {
        "m": claimed_case.merchant_id,
        "p": claimed_case.merchant.people.get().pk,
        "d": doc.pk,
        "c": claimed_case.pk,
    }


ENDPOINTS = [
    ("get", "/api/v1/merchants/{m}/", None),
    ("patch", "/api/v1/merchants/{m}/", {"trading_name": "mine now"}),
    ("get", "/api/v1/merchants/{m}/people/", None),
    ("post", "/api/v1/merchants/{m}/people/", {"full_name": "X", "is_director": True}),
    ("get", "/api/v1/merchants/{m}/people/{p}/", None),
    ("patch", "/api/v1/merchants/{m}/people/{p}/", {"full_name": "Renamed"}),
    ("delete", "/api/v1/merchants/{m}/people/{p}/", None),
    ("get", "/api/v1/merchants/{m}/documents/", None),
    ("upload", "/api/v1/merchants/{m}/documents/", None),
    ("get", "/api/v1/documents/{d}/", None),
    ("get", "/api/v1/documents/{d}/file/", None),
    ("get", "/api/v1/merchants/{m}/capabilities/", None),
    ("post", "/api/v1/merchants/{m}/capabilities/", {"kind": "category", "category": "food"}),
    ("get", "/api/v1/merchants/{m}/requirements/", None),
    ("get", "/api/v1/cases/{c}/", None),
    ("post", "/api/v1/cases/{c}/comments/", {"body": "hello"}),
    ("post", "/api/v1/cases/{c}/documents/{d}/decision/", {"decision": "accept"}),
    *[
        ("post", f"/api/v1/cases/{{c}}/{name}/", body)
        for name, body in [
            ("submit", {}),
            ("claim", {}),
            ("release", {}),
            ("request_info", {"message": "x"}),
            ("resubmit", {}),
            ("escalate", {"rationale": "x"}),
            ("approve", {}),
            ("second_approve", {}),
            ("reject", {"reason_codes": ["requirements_not_met"], "rationale": "x"}),
            ("withdraw", {}),
            ("reopen", {"rationale": "x"}),
        ]
    ],
]


@pytest.mark.parametrize(
    ("method", "url", "body"), ENDPOINTS, ids=[f"{m} {u}" for m, u, _ in ENDPOINTS]
)
def test_another_sellers_objects_are_not_found(
    other_seller_api, foreign, stored_files, method, url, body
):
    snapshot = (
        list(Merchant.objects.values()),
        list(Person.objects.values()),
        list(QualificationDocument.objects.values()),
        list(ReviewCase.objects.values()),
    )
    events = AuditEvent.objects.count()
    files = stored_files()
    path = url.format(**foreign)

    if method == "upload":
        response = other_seller_api.post(path, upload_form(), format="multipart")
    else:
        response = getattr(other_seller_api, method)(path, body)

    assert response.status_code == 404, response.content
    assert error(response)["code"] == "not_found"
    assert (
        list(Merchant.objects.values()),
        list(Person.objects.values()),
        list(QualificationDocument.objects.values()),
        list(ReviewCase.objects.values()),
    ) == snapshot
    assert AuditEvent.objects.count() == events
    assert stored_files() == files


def test_another_sellers_merchants_and_cases_are_not_listed(other_seller_api, foreign):
    assert other_seller_api.get("/api/v1/merchants/").json()["count"] == 0
    assert other_seller_api.get("/api/v1/cases/").json()["count"] == 0
