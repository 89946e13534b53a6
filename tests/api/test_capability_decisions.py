"""POST /api/v1/cases/{id}/capabilities/{capability_id}/decision/: same rules as the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from cases import services
from cases.models import CapabilityDecision, ReviewCase
from merchants.models import CapabilityStatus, Category
from tests.conftest import accept_documents, screen_and_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_category_case(ready_case: Any, seller: Any, reviewer: Any) -> ReviewCase:
    merchant = ready_case.merchant
    for code in ("apparel", "electronics"):
        services.capability_apply(
            actor=seller,
            merchant=merchant,
            kind="category",
            category=Category.objects.get(code=code),
        )
    screen_and_check(services.case_submit(actor=seller, case_id=ready_case.pk))
    return services.case_claim(actor=reviewer, case_id=ready_case.pk)


def path(case: ReviewCase, code: str) -> str:
    capability = case.capabilities.get(category__code=code)
    return f"/api/v1/cases/{case.pk}/capabilities/{capability.pk}/decision/"


def test_partial_approval_through_the_api(
    reviewer_api: APIClient, seller_api: APIClient, two_category_case: ReviewCase
) -> None:
    case = two_category_case
    accept_documents(case, case.assignee)
    assert (
        reviewer_api.post(path(case, "apparel"), {"decision": "approve"}, format="json").status_code
        == 201
    )
    response = reviewer_api.post(
        path(case, "electronics"),
        {"decision": "reject", "reason_codes": ["unauthorized_brand"], "rationale": "No letter."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["severity"] == "retry"
    assert (
        reviewer_api.post(f"/api/v1/cases/{case.pk}/approve/", {}, format="json").status_code == 200
    )

    assert case.capabilities.get(category__code="apparel").status == CapabilityStatus.ACTIVE
    assert case.capabilities.get(category__code="electronics").disabled_reason == "rejected.retry"
    seller_view = seller_api.get(f"/api/v1/cases/{case.pk}/").json()
    decisions = {d["decision"]: d for d in seller_view["capability_decisions"]}
    assert decisions["reject"]["reason_codes"][0]["code"] == "unauthorized_brand"
    assert "rationale" not in decisions["reject"]  # internal
    assert seller_view["internal"] is None
    staff_view = reviewer_api.get(f"/api/v1/cases/{case.pk}/").json()
    assert {d["rationale"] for d in staff_view["internal"]["capability_decisions"]} >= {
        "No letter."
    }


def test_a_rejection_without_reason_codes_is_invalid(
    reviewer_api: APIClient, two_category_case: ReviewCase
) -> None:
    response = reviewer_api.post(
        path(two_category_case, "electronics"),
        {"decision": "reject", "rationale": "No."},
        format="json",
    )
    assert response.status_code == 400
    assert "reason_codes" in response.json()["error"]["fields"]
    assert not CapabilityDecision.objects.exists()


def test_only_the_holder_decides_through_the_api(
    client_for: Callable[[Any], APIClient],
    other_reviewer: Any,
    seller_api: APIClient,
    two_category_case: ReviewCase,
) -> None:
    other = client_for(other_reviewer)
    body = {"decision": "approve"}
    assert other.post(path(two_category_case, "apparel"), body, format="json").status_code == 403
    assert (
        seller_api.post(path(two_category_case, "apparel"), body, format="json").status_code == 403
    )
    assert not CapabilityDecision.objects.exists()


def test_another_sellers_case_is_not_found(
    other_seller_api: APIClient, two_category_case: ReviewCase
) -> None:
    response = other_seller_api.post(
        path(two_category_case, "apparel"), {"decision": "approve"}, format="json"
    )
    assert response.status_code == 404
