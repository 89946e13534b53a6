"""Idempotency-Key: a retried POST never does the work twice."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from accounts.models import IdempotencyKey
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import ReviewCase
from kyc.models import QualificationDocument
from tests import services as test_services
from tests.api.helpers import actions, error, upload_form
from tests.conftest import accept_documents


def test_a_replayed_upload_returns_the_first_response_without_a_second_upload(
    seller_api, draft_case, stored_files
):
    url = f"/api/v1/merchants/{draft_case.merchant_id}/documents/"
    first = seller_api.post(url, upload_form(), format="multipart", HTTP_IDEMPOTENCY_KEY="up-1")
    # A retry is a new multipart body (new boundary) with the same fields and file bytes.
    again = seller_api.post(url, upload_form(), format="multipart", HTTP_IDEMPOTENCY_KEY="up-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert QualificationDocument.objects.count() == 1
    assert len(stored_files()) == 1
    assert actions(action="document.uploaded") == ["document.uploaded"]


def test_the_same_key_with_another_file_is_refused(seller_api, draft_case, stored_files):
    url = f"/api/v1/merchants/{draft_case.merchant_id}/documents/"
    seller_api.post(url, upload_form(), format="multipart", HTTP_IDEMPOTENCY_KEY="up-2")
    from tests.factories import pdf_bytes

    other = seller_api.post(
        url,
        upload_form(data=pdf_bytes("Another license")),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="up-2",
    )

    assert other.status_code == 409
    assert error(other)["code"] == "idempotency_key_reused"
    assert QualificationDocument.objects.count() == 1
    assert len(stored_files()) == 1


def test_a_replayed_approval_is_not_applied_twice(reviewer_api, claimed_case):
    accept_documents(claimed_case, claimed_case.assignee)
    url = f"/api/v1/cases/{claimed_case.pk}/approve/"
    body = {"reason_codes": ["approved_clean"], "rationale": "ok"}
    first = reviewer_api.post(url, body, HTTP_IDEMPOTENCY_KEY="approve-1")
    again = reviewer_api.post(url, body, HTTP_IDEMPOTENCY_KEY="approve-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["state"] == "approved"
    assert actions(case_id=claimed_case.pk, action="case.approved") == ["case.approved"]


def test_the_same_key_with_a_different_body_is_a_conflict(reviewer_api, claimed_case):
    accept_documents(claimed_case, claimed_case.assignee)
    url = f"/api/v1/cases/{claimed_case.pk}/approve/"
    reviewer_api.post(url, {"rationale": "ok"}, HTTP_IDEMPOTENCY_KEY="approve-2")

    response = reviewer_api.post(
        url, {"rationale": "changed my mind"}, HTTP_IDEMPOTENCY_KEY="approve-2"
    )

    assert response.status_code == 409
    assert error(response)["code"] == "idempotency_key_reused"
    assert actions(case_id=claimed_case.pk, action="case.approved") == ["case.approved"]


def test_the_same_key_on_another_path_is_a_conflict(reviewer_api, claimed_case):
    accept_documents(claimed_case, claimed_case.assignee)
    reviewer_api.post(f"/api/v1/cases/{claimed_case.pk}/approve/", {}, HTTP_IDEMPOTENCY_KEY="k")

    response = reviewer_api.post(
        f"/api/v1/cases/{claimed_case.pk}/release/", {}, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 409
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == "approved"


def test_keys_are_per_user(client_for, seller, other_seller, reference):
    body = {"legal_name": "Same Body Ltd", "entity_type": "company", "country": "CN"}
    a = client_for(seller).post("/api/v1/merchants/", body, HTTP_IDEMPOTENCY_KEY="shared")
    b = client_for(other_seller).post("/api/v1/merchants/", body, HTTP_IDEMPOTENCY_KEY="shared")

    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert IdempotencyKey.objects.count() == 2


def test_a_failed_request_is_not_remembered_so_the_retry_executes(seller_api, draft_case):
    url = f"/api/v1/cases/{draft_case.pk}/submit/"
    refused = seller_api.post(url, {}, HTTP_IDEMPOTENCY_KEY="submit-1")
    assert refused.status_code == 400
    assert IdempotencyKey.objects.count() == 0

    docs = f"/api/v1/merchants/{draft_case.merchant_id}/documents/"
    person = draft_case.merchant.people.get()
    seller_api.post(docs, upload_form(), format="multipart")
    seller_api.post(
        docs,
        upload_form("identity_document", number="X1", expiry_date="2032-01-01", person=person.pk),
        format="multipart",
    )
    accepted = seller_api.post(url, {}, HTTP_IDEMPOTENCY_KEY="submit-1")

    assert accepted.status_code == 200
    assert accepted.json()["state"] == "submitted"
    stored = IdempotencyKey.objects.get()
    assert (stored.key, stored.response_status) == ("submit-1", 200)


def test_an_overlong_key_is_invalid(seller_api, draft_case):
    response = seller_api.post(
        f"/api/v1/cases/{draft_case.pk}/withdraw/", {}, HTTP_IDEMPOTENCY_KEY="k" * 256
    )

    assert response.status_code == 400
    assert ReviewCase.objects.get(pk=draft_case.pk).state == "draft"


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_execute_once(client_for, claimed_case, reviewer, monkeypatch):
    """Two copies of one request racing: the second waits on the key's unique index while the
    first runs, then replays its response."""
    test_services.need("postgres")
    accept_documents(claimed_case, reviewer)
    original = case_services.case_approve

    def slow_approve(**kwargs):
        time.sleep(0.5)  # keep the first request's transaction open while the second arrives
        return original(**kwargs)

    monkeypatch.setattr(case_services, "case_approve", slow_approve)
    url = f"/api/v1/cases/{claimed_case.pk}/approve/"
    clients = [client_for(reviewer), client_for(reviewer)]
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = clients[index].post(
                url, {"rationale": "ok"}, HTTP_IDEMPOTENCY_KEY="race"
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]
    assert AuditEvent.objects.filter(case_id=claimed_case.pk, action="case.approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_by_two_reviewers_have_one_winner(
    client_for, submitted_case, reviewer, other_reviewer
):
    test_services.need("postgres")
    url = f"/api/v1/cases/{submitted_case.pk}/claim/"
    clients = [client_for(reviewer), client_for(other_reviewer)]
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = clients[index].post(url, {})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert error(loser)["code"] in ("already_claimed", "invalid_state", "concurrent_transition")
    assert AuditEvent.objects.filter(case_id=submitted_case.pk, action="case.claimed").count() == 1
