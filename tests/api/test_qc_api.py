"""QC API: the same permissions as the pages, the documented error shape, reproducible draws."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import CaseState, QcReview
from cases.qc.services import qc_dispute_raise, qc_review_complete
from config.errors import NotFound
from tests.api.helpers import error
from tests.cases.qc_helpers import decided_case, queued_review, rule
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FINDING = {
    "outcome": "disagree",
    "error_category": "screening_hit_mishandled",
    "severity": "critical",
    "comment": "A close sanctions match was dismissed without a reason.",
}


@pytest.fixture
def review(reviewer: Any) -> QcReview:
    return queued_review(decided_case(maker=reviewer))


@pytest.fixture
def qc_api(client_for: Callable[[Any], APIClient], qc_lead: Any) -> APIClient:
    return client_for(qc_lead)


def test_sellers_get_404_on_every_qc_endpoint(seller_api: APIClient, review: QcReview) -> None:
    for method, url in [
        ("get", "/api/v1/qc/reviews/"),
        ("get", f"/api/v1/qc/reviews/{review.pk}/"),
        ("post", f"/api/v1/qc/reviews/{review.pk}/complete/"),
        ("post", f"/api/v1/qc/reviews/{review.pk}/dispute/"),
        ("post", "/api/v1/qc/disputes/1/decide/"),
        ("get", "/api/v1/qc/draws/"),
        ("post", "/api/v1/qc/draws/"),
        ("get", "/api/v1/qc/metrics/"),
    ]:
        response = getattr(seller_api, method)(url, {}, format="json")
        assert response.status_code == 404, url
        assert error(response)["code"] == "not_found"


def test_a_lead_lists_the_queue_and_completes_a_review(qc_api: APIClient, review: QcReview) -> None:
    listing = qc_api.get("/api/v1/qc/reviews/?status=pending").json()
    assert [r["id"] for r in listing["results"]] == [review.pk]
    assert listing["results"][0]["case_decision"] == "approved"
    response = qc_api.post(f"/api/v1/qc/reviews/{review.pk}/complete/", FINDING, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "completed" and body["case_reopened"] is True
    review.case.refresh_from_db()
    assert review.case.state == CaseState.IN_REVIEW
    again = qc_api.post(f"/api/v1/qc/reviews/{review.pk}/complete/", FINDING, format="json")
    assert again.status_code == 409
    assert qc_api.get("/api/v1/qc/reviews/?status=bogus").status_code == 400


def test_the_maker_cannot_complete_the_review_of_their_own_decision(
    client_for: Callable[[Any], APIClient],
) -> None:
    lead = make_user(Role.QC_LEAD)
    review = queued_review(decided_case(maker=lead))
    response = client_for(lead).post(
        f"/api/v1/qc/reviews/{review.pk}/complete/", {"outcome": "agree"}, format="json"
    )
    assert response.status_code == 403
    assert error(response)["code"] == "maker_checker"
    assert not AuditEvent.objects.filter(action="qc.completed").exists()


def test_a_disagreement_without_category_is_400_with_fields(
    qc_api: APIClient, review: QcReview
) -> None:
    response = qc_api.post(
        f"/api/v1/qc/reviews/{review.pk}/complete/", {"outcome": "disagree"}, format="json"
    )
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"error_category", "severity", "comment"}


def test_disputes_through_the_api(
    client_for: Callable[[Any], APIClient],
    qc_api: APIClient,
    review: QcReview,
    reviewer: Any,
    other_reviewer: Any,
    qc_lead: Any,
) -> None:
    qc_review_complete(actor=qc_lead, review_id=review.pk, **{**FINDING, "severity": "minor"})
    maker_api = client_for(reviewer)
    assert client_for(other_reviewer).get(f"/api/v1/qc/reviews/{review.pk}/").status_code == 404
    assert maker_api.get(f"/api/v1/qc/reviews/{review.pk}/").status_code == 200
    assert [r["id"] for r in maker_api.get("/api/v1/qc/reviews/").json()["results"]] == [review.pk]
    url = f"/api/v1/qc/reviews/{review.pk}/dispute/"
    first = maker_api.post(url, {"reason": "The hit was a different person."}, format="json")
    assert first.status_code == 201
    second = maker_api.post(url, {"reason": "Again."}, format="json")
    assert second.status_code == 409 and error(second)["code"] == "already_disputed"
    decide = f"/api/v1/qc/disputes/{first.json()['id']}/decide/"
    own = qc_api.post(decide, {"status": "upheld", "comment": "ok"}, format="json")
    assert own.status_code == 403 and error(own)["code"] == "own_finding"
    other = client_for(make_user(Role.QC_LEAD)).post(
        decide, {"status": "upheld", "comment": "Right, withdrawn."}, format="json"
    )
    assert other.status_code == 200 and other.json()["finding_withdrawn"] is True
    detail = qc_api.get(f"/api/v1/qc/reviews/{review.pk}/").json()
    assert detail["dispute"]["status"] == "upheld"


def test_an_on_demand_draw_is_reproducible(qc_api: APIClient, reviewer: Any) -> None:
    rule("half", rate="0.5")
    for _ in range(20):
        decided_case(maker=reviewer)
    body = {"seed": "7"}
    first = qc_api.post("/api/v1/qc/draws/", body, format="json")
    second = qc_api.post("/api/v1/qc/draws/", body, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json()["sampled_case_ids"] == second.json()["sampled_case_ids"]
    assert first.json()["seed"] == "7"
    assert second.json()["new_review_count"] == 0
    listing = qc_api.get("/api/v1/qc/draws/").json()
    assert [d["id"] for d in listing["results"]] == [second.json()["id"], first.json()["id"]]
    bad = qc_api.post("/api/v1/qc/draws/", {"seed": "x"}, format="json")
    assert bad.status_code == 400 and "seed" in error(bad)["fields"]


def test_reviewers_cannot_draw_or_read_metrics(reviewer_api: APIClient) -> None:
    assert reviewer_api.post("/api/v1/qc/draws/", {}, format="json").status_code == 403
    assert reviewer_api.get("/api/v1/qc/metrics/").status_code == 403


def test_metrics_give_the_dashboard_numbers(
    qc_api: APIClient, review: QcReview, qc_lead: Any, reviewer: Any
) -> None:
    qc_review_complete(actor=qc_lead, review_id=review.pk, outcome="agree")
    body = qc_api.get("/api/v1/qc/metrics/").json()
    assert body["clean_sample_size"] == 59
    assert body["overall"]["accuracy_pct"] == 100.0
    assert body["reviewers"][0]["reviewer"] == reviewer.username
    assert body["reviewers"][0]["proof"]["more_needed"] == 58
    assert len(body["weeks"]) == 12


def test_a_maker_cannot_dispute_through_another_path(
    client_for: Callable[[Any], APIClient], review: QcReview, reviewer: Any
) -> None:
    # A pending review is invisible to its maker.
    response = client_for(reviewer).post(
        f"/api/v1/qc/reviews/{review.pk}/dispute/", {"reason": "early"}, format="json"
    )
    assert response.status_code == 404
    with pytest.raises(NotFound):  # the service says the same
        qc_dispute_raise(actor=reviewer, review_id=review.pk, reason="early")
