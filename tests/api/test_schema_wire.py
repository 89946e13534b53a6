"""The schema says what the wire carries: the token list answers in the paginated envelope,
and choice columns that hold "" when unset (a case's risk tier before it is scored, an
approved capability's severity) answer null, which the schema documents, not "" (which the
enum does not allow)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.decisions import capability_decide
from tests.conftest import accept_documents

NULL_ENUM = {"$ref": "#/components/schemas/NullEnum"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_the_token_list_is_documented_and_answered_as_a_page(
    openapi: dict[str, Any], client_for: Any, seller: Any
) -> None:
    operation = openapi["paths"]["/api/v1/tokens/"]["get"]
    documented = _component(
        openapi, operation["responses"]["200"]["content"]["application/json"]["schema"]
    )
    assert {p["name"] for p in operation["parameters"]} >= {"page", "page_size"}
    api = client_for(seller)
    for name in ("erp", "shop"):
        created = api.post(
            "/api/v1/tokens/", {"name": name, "scopes": ["cases:read"]}, format="json"
        )
        assert created.status_code == 201

    page = api.get("/api/v1/tokens/", {"page_size": 1}).json()

    assert documented["type"] == "object"
    assert set(page) == set(documented["properties"]) == {"count", "next", "previous", "results"}
    assert page["count"] == 2 and [t["name"] for t in page["results"]] == ["shop"]
    assert documented["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/ApiTokenOut"
    }


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("CaseInternalListOut", "risk_tier"),
        ("CaseInternalDetailOut", "risk_tier"),
        ("CapabilityDecisionOut", "severity"),
        ("CapabilityDecisionInternalOut", "severity"),
    ],
)
def test_blank_choice_columns_are_documented_nullable(
    openapi: dict[str, Any], component: str, field: str
) -> None:
    documented = openapi["components"]["schemas"][component]["properties"][field]

    assert documented["nullable"] is True
    assert NULL_ENUM in documented["oneOf"]


def test_a_case_not_yet_scored_answers_a_null_risk_tier(
    draft_case: Any, client_for: Any, reviewer: Any
) -> None:
    assert draft_case.risk_tier == ""
    api = client_for(reviewer)

    listed = api.get("/api/v1/cases/").json()["results"]
    detail = api.get(f"/api/v1/cases/{draft_case.pk}/").json()

    assert [c["internal"]["risk_tier"] for c in listed] == [None]
    assert detail["internal"]["risk_tier"] is None


def test_a_scored_case_still_answers_its_risk_tier(
    claimed_case: Any, client_for: Any, reviewer: Any
) -> None:
    detail = client_for(reviewer).get(f"/api/v1/cases/{claimed_case.pk}/").json()

    assert detail["internal"]["risk_tier"] == claimed_case.risk_tier != ""


def test_an_approved_capability_answers_a_null_severity(
    claimed_case: Any, client_for: Any, reviewer: Any, seller: Any
) -> None:
    accept_documents(claimed_case, reviewer)
    capability_decide(
        actor=reviewer,
        case_id=claimed_case.pk,
        capability_id=claimed_case.capabilities.get().pk,
        decision="approve",
    )
    staff: APIClient = client_for(reviewer)
    owner: APIClient = client_for(seller)

    as_staff = staff.get(f"/api/v1/cases/{claimed_case.pk}/").json()
    as_seller = owner.get(f"/api/v1/cases/{claimed_case.pk}/").json()

    assert [d["severity"] for d in as_staff["internal"]["capability_decisions"]] == [None]
    assert [d["severity"] for d in as_staff["capability_decisions"]] == [None]
    assert [d["severity"] for d in as_seller["capability_decisions"]] == [None]
    assert as_seller["internal"] is None
