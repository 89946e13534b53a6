"""Screening matches and the risk score in the API: listed in the case detail (staff only),
disposed through POST …/screening-matches/{id}/disposition/, the approval refusal, and the
tier override through POST …/risk-override/."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from cases import screening
from cases.models import CaseState, ReviewCase
from kyc.models import Disposition, ScreeningMatch
from merchants.models import Person
from tests.api.helpers import error
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.conftest import accept_documents
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hit(claimed_case: ReviewCase) -> ScreeningMatch:
    entry = make_entry(make_list(), "GOLDEN HARBOR TRADING LIMITED", programs=["SDGT"])
    return make_match(claimed_case.merchant, entry, screened_name="Golden Harbour Trading Ltd")


def _url(case: ReviewCase, suffix: str = "") -> str:
    return f"/api/v1/cases/{case.pk}/{suffix}"


def _dispose(client: Any, case: ReviewCase, match: ScreeningMatch, **body: Any) -> Any:
    return client.post(_url(case, f"screening-matches/{match.pk}/disposition/"), body)


def test_staff_see_the_hits_and_the_risk_breakdown_in_the_case_detail(
    reviewer_api, claimed_case, hit
):
    screening.case_score(case_id=claimed_case.pk)
    body = reviewer_api.get(_url(claimed_case)).json()
    (match,) = body["internal"]["screening_matches"]
    assert match["id"] == hit.pk
    assert match["screened_name"] == "Golden Harbour Trading Ltd"
    assert match["listed_name"] == match["matched_name"] == "GOLDEN HARBOR TRADING LIMITED"
    assert (match["list_id"], match["list_source"]) == (hit.entry.list_id, "ofac_sdn")
    assert match["programs"] == ["SDGT"] and match["score"] == 92
    assert match["disposition"] == "open" and match["disposed_by"] is None
    risk = body["internal"]["risk"]
    assert risk["tier"] == risk["effective_tier"] == "high"
    assert {f["code"] for f in risk["factors"]} >= {"screening_open"}
    assert risk["points"] == sum(f["points"] for f in risk["factors"])
    assert body["internal"]["risk_tier"] == "high"


def test_sellers_never_see_a_screening_hit(seller_api, claimed_case, hit):
    response = seller_api.get(_url(claimed_case))
    assert response.status_code == 200
    assert response.json()["internal"] is None
    assert "GOLDEN" not in response.content.decode()


def test_approval_is_refused_with_409_and_the_list_until_the_hit_is_disposed(
    reviewer_api, reviewer, claimed_case, hit
):
    accept_documents(claimed_case, reviewer)
    response = reviewer_api.post(_url(claimed_case, "approve/"), {"rationale": "ok"})
    assert response.status_code == 409
    err = error(response)
    assert err["code"] == "screening_hits_open"
    assert [m["id"] for m in err["details"]["screening_matches"]] == [hit.pk]

    response = _dispose(
        reviewer_api,
        claimed_case,
        hit,
        disposition="false_positive",
        comment="Different registration number and country.",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["disposition"] == "false_positive"
    assert body["disposed_by"]["id"] == reviewer.pk and body["disposed_at"]
    assert body["disposition_comment"] == "Different registration number and country."

    response = reviewer_api.post(_url(claimed_case, "approve/"), {"rationale": "ok"})
    assert response.status_code == 200
    assert response.json()["state"] == CaseState.APPROVED


def test_a_disposition_without_a_comment_is_400_with_the_field(reviewer_api, claimed_case, hit):
    response = _dispose(reviewer_api, claimed_case, hit, disposition="false_positive")
    assert response.status_code == 400
    assert error(response)["fields"] == {"comment": ["Required."]}
    hit.refresh_from_db()
    assert hit.status == Disposition.OPEN


def test_an_unknown_disposition_is_400(reviewer_api, claimed_case, hit):
    response = _dispose(reviewer_api, claimed_case, hit, disposition="maybe", comment="x")
    assert response.status_code == 400
    assert "disposition" in error(response)["fields"]


def test_only_the_holder_disposes(client_for, other_reviewer, seller_api, claimed_case, hit):
    response = _dispose(
        client_for(other_reviewer), claimed_case, hit, disposition="false_positive", comment="x"
    )
    assert response.status_code == 403
    assert error(response)["code"] == "not_case_holder"
    response = _dispose(seller_api, claimed_case, hit, disposition="false_positive", comment="x")
    assert response.status_code == 403


def test_another_sellers_case_and_an_unknown_match_are_404(
    other_seller_api, reviewer_api, claimed_case, hit
):
    response = _dispose(
        other_seller_api, claimed_case, hit, disposition="false_positive", comment="x"
    )
    assert response.status_code == 404
    response = reviewer_api.post(
        _url(claimed_case, "screening-matches/999999/disposition/"),
        {"disposition": "false_positive", "comment": "x"},
    )
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_a_retried_disposition_with_the_same_key_is_not_applied_twice(
    reviewer_api, claimed_case, hit
):
    body = {"disposition": "inconclusive", "comment": "Registry offline."}
    url = _url(claimed_case, f"screening-matches/{hit.pk}/disposition/")
    first = reviewer_api.post(url, body, HTTP_IDEMPOTENCY_KEY="dispose-1")
    second = reviewer_api.post(url, body, HTTP_IDEMPOTENCY_KEY="dispose-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="screening.disposed").count() == 1


def test_the_holder_overrides_the_tier_with_a_comment(reviewer_api, reviewer, claimed_case):
    screening.case_score(case_id=claimed_case.pk)
    response = reviewer_api.post(_url(claimed_case, "risk-override/"), {"risk_tier": "medium"})
    assert response.status_code == 400
    assert error(response)["fields"] == {"comment": ["Required."]}

    response = reviewer_api.post(
        _url(claimed_case, "risk-override/"),
        {"risk_tier": "medium", "comment": "Adverse media on the director."},
    )
    assert response.status_code == 200
    internal = response.json()["internal"]
    assert internal["risk_tier"] == "medium"
    risk = internal["risk"]
    assert (risk["tier"], risk["override_tier"], risk["effective_tier"]) == (
        "low",
        "medium",
        "medium",
    )
    assert risk["override_comment"] == "Adverse media on the director."
    assert risk["overridden_by"]["id"] == reviewer.pk
    event = AuditEvent.objects.get(action="case.risk_overridden")
    assert (event.before["risk_tier"], event.after["risk_tier"]) == ("low", "medium")


def test_raising_the_tier_through_the_api_routes_to_edd(reviewer_api, claimed_case):
    screening.case_score(case_id=claimed_case.pk)
    response = reviewer_api.post(
        _url(claimed_case, "risk-override/"),
        {"risk_tier": "high", "comment": "Nominee shareholders."},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "edd" and body["internal"]["requires_four_eyes"] is True


def test_lowering_a_high_tier_needs_a_senior_reviewer(reviewer_api, ready_case, seller, reviewer):
    from cases.services import case_claim, case_submit

    Person.objects.filter(merchant=ready_case.merchant).update(is_pep=True)
    case_submit(actor=seller, case_id=ready_case.pk)
    case_claim(actor=reviewer, case_id=ready_case.pk)
    response = reviewer_api.post(
        _url(ready_case, "risk-override/"), {"risk_tier": "low", "comment": "Role ended."}
    )
    assert response.status_code == 403
    assert error(response)["code"] == "senior_required"


def test_case_detail_query_count_is_constant_with_many_hits(
    reviewer_api, claimed_case, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sdn = make_list()

    def add(count: int) -> None:
        for _ in range(count):
            person = PersonFactory(merchant=claimed_case.merchant, is_pep=True)
            make_match(claimed_case.merchant, make_entry(sdn, f"X {person.pk}"), person=person)
        screening.case_score(case_id=claimed_case.pk)

    add(2)
    with CaptureQueriesContext(connection) as few:
        reviewer_api.get(_url(claimed_case))
    add(50)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = reviewer_api.get(_url(claimed_case)).json()
    assert len(body["internal"]["screening_matches"]) == 52
