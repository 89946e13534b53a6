"""The queues and assignment API: same services, same permissions as the workbench."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import CaseState, ReviewCase
from tests.cases.test_queues import default_queues, open_case
from tests.factories import make_user

__all__ = ["default_queues"]


def test_queues_list_with_counts(default_queues, reviewer_api):
    open_case(due_in_hours=-1)
    open_case()
    response = reviewer_api.get("/api/v1/queues/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}  # every list's envelope
    rows = {r["code"]: r for r in body["results"]}
    assert body["count"] == len(rows)
    assert rows["onboarding-standard"]["counts"] == {"open": 2, "unassigned": 2, "breached": 1}
    assert rows["edd"]["requires_senior"] is True
    assert rows["edd"]["escalation_queue"] == "sla-escalations"
    assert rows["sla-escalations"]["escalation_queue"] is None


def test_sellers_do_not_see_queues(default_queues, seller_api):
    assert seller_api.get("/api/v1/queues/").status_code == 404
    assert seller_api.get("/api/v1/queues/edd/cases/").status_code == 404


def test_a_queues_cases_by_sla_due_time_with_filters(default_queues, reviewer_api):
    later = open_case(due_in_hours=5)
    sooner = open_case(due_in_hours=1)
    open_case(queue="edd", state=CaseState.EDD)
    response = reviewer_api.get("/api/v1/queues/onboarding-standard/cases/")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [sooner.pk, later.pk]
    assert response.json()["results"][0]["queue"] == "onboarding-standard"
    found = reviewer_api.get(
        "/api/v1/queues/onboarding-standard/cases/", {"q": later.merchant.legal_name}
    )
    assert [c["id"] for c in found.json()["results"]] == [later.pk]
    assert reviewer_api.get("/api/v1/queues/nope/cases/").status_code == 404
    bad = reviewer_api.get("/api/v1/queues/edd/cases/", {"view": "everything"})
    assert bad.status_code == 400


def test_queue_api_query_count_does_not_grow_with_rows(
    default_queues, reviewer_api, django_assert_max_num_queries
):
    for _ in range(5):
        open_case()
    with django_assert_max_num_queries(12) as few:
        assert reviewer_api.get("/api/v1/queues/onboarding-standard/cases/").status_code == 200
    for _ in range(50):
        open_case()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = reviewer_api.get("/api/v1/queues/onboarding-standard/cases/")
    assert response.json()["count"] == 55


def test_next_case_claims_and_returns_the_case(default_queues, reviewer, reviewer_api):
    case = open_case()
    response = reviewer_api.post("/api/v1/cases/next/")
    assert response.status_code == 200
    assert response.json()["id"] == case.pk and response.json()["state"] == CaseState.IN_REVIEW
    again = reviewer_api.post("/api/v1/cases/next/")  # held now: the same case again
    assert again.status_code == 200 and again.json()["id"] == case.pk


def test_next_case_returns_the_most_urgent_held_case_before_pulling(
    default_queues, reviewer, reviewer_api
):
    waiting = open_case(due_in_hours=1)
    open_case(due_in_hours=20, state=CaseState.IN_REVIEW, assignee=reviewer)
    urgent = open_case(due_in_hours=4, state=CaseState.IN_REVIEW, assignee=reviewer)
    response = reviewer_api.post("/api/v1/cases/next/")
    assert response.status_code == 200 and response.json()["id"] == urgent.pk
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_next_case_is_204_when_nothing_is_held_or_waiting(default_queues, reviewer_api):
    assert reviewer_api.post("/api/v1/cases/next/").status_code == 204


def test_next_case_over_the_cap_is_a_conflict(default_queues, client_for):
    reviewer = make_user(Role.REVIEWER, max_open_cases=0)
    open_case()
    response = client_for(reviewer).post("/api/v1/cases/next/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "max_open_cases"


def test_next_case_is_for_reviewers(default_queues, seller_api):
    open_case()
    assert seller_api.post("/api/v1/cases/next/").status_code == 404


def test_a_senior_reassigns_through_the_api(default_queues, senior, reviewer, client_for):
    case = open_case(state=CaseState.IN_REVIEW, assignee=make_user(Role.REVIEWER))
    response = client_for(senior).post(
        f"/api/v1/cases/{case.pk}/reassign/", {"assignee": reviewer.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert ReviewCase.objects.get(pk=case.pk).assignee == reviewer


def test_a_reviewer_may_not_reassign_through_the_api(default_queues, reviewer, reviewer_api):
    case = open_case(state=CaseState.IN_REVIEW, assignee=reviewer)
    other = make_user(Role.REVIEWER)
    response = reviewer_api.post(
        f"/api/v1/cases/{case.pk}/reassign/", {"assignee": other.pk}, format="json"
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


def test_reassigning_to_an_ineligible_user_is_invalid(default_queues, senior, seller, client_for):
    case = open_case(state=CaseState.IN_REVIEW, assignee=make_user(Role.REVIEWER))
    response = client_for(senior).post(
        f"/api/v1/cases/{case.pk}/reassign/", {"assignee": seller.pk}, format="json"
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["fields"]


def test_availability_toggle(reviewer, reviewer_api, seller_api):
    response = reviewer_api.post("/api/v1/me/availability/", {"is_available": False}, format="json")
    assert response.status_code == 200 and response.json() == {"is_available": False}
    reviewer.refresh_from_db()
    assert reviewer.is_available is False
    assert AuditEvent.objects.filter(action="reviewer.availability_changed").count() == 1
    denied = seller_api.post("/api/v1/me/availability/", {"is_available": False}, format="json")
    assert denied.status_code == 404  # a staff feature: to sellers it does not exist


@pytest.mark.parametrize("path", ["/api/v1/queues/", "/api/v1/queues/edd/cases/"])
def test_anonymous_callers_are_refused(default_queues, anon: Any, path: str):
    assert anon.get(path).status_code in (401, 403)
