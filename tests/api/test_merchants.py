"""Merchants, people and capabilities through the API."""

from __future__ import annotations

from decimal import Decimal

from cases.models import ReviewCase
from merchants.models import Capability, Merchant, Person
from tests.api.helpers import actions, error
from tests.factories import PersonFactory

NEW_MERCHANT = {
    "legal_name": "Hangzhou Silk Road Trading Co., Ltd.",
    "local_name": "杭州丝路贸易有限公司",
    "entity_type": "company",
    "country": "cn",
    "registration_number": "91350100M000100Y43",
    "expected_monthly_volume": "25000.00",
}


# --------------------------------------------------------------------------- merchants


def test_seller_creates_a_merchant_with_its_draft_case(seller_api, seller, reference):
    response = seller_api.post("/api/v1/merchants/", NEW_MERCHANT)

    assert response.status_code == 201
    body = response.json()
    merchant = Merchant.objects.get()
    case = ReviewCase.objects.get()
    assert body["id"] == merchant.pk
    assert body["open_case_id"] == case.pk
    assert body["country"] == "CN"  # normalised by the service
    assert body["status"] == "onboarding"
    assert body["internal"] is None  # sellers do not see the risk tier
    assert case.state == "draft" and case.merchant_id == merchant.pk
    assert merchant.memberships.get().user == seller
    assert list(case.capabilities.values_list("kind", flat=True)) == ["sell"]
    assert actions(merchant_id=merchant.pk) == ["merchant.created", "case.opened"]


def test_a_reviewer_cannot_create_a_merchant(reviewer_api, reference):
    response = reviewer_api.post("/api/v1/merchants/", NEW_MERCHANT)

    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"
    assert Merchant.objects.count() == 0
    assert actions() == []


def test_merchant_create_reports_invalid_fields_in_the_error_shape(seller_api, reference):
    response = seller_api.post("/api/v1/merchants/", {**NEW_MERCHANT, "entity_type": "trust"})

    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "invalid"
    assert list(err["fields"]) == ["entity_type"]
    assert Merchant.objects.count() == 0


def test_unknown_fields_are_refused_rather_than_ignored(seller_api, reference):
    response = seller_api.post("/api/v1/merchants/", {**NEW_MERCHANT, "status": "active"})

    assert response.status_code == 400
    assert error(response)["fields"] == {"status": ["Unknown field."]}
    assert Merchant.objects.count() == 0


def test_seller_lists_only_its_own_merchants(seller_api, other_seller_api, draft_case):
    other_seller_api.post("/api/v1/merchants/", NEW_MERCHANT)

    body = seller_api.get("/api/v1/merchants/").json()

    assert body["count"] == 1
    assert [m["id"] for m in body["results"]] == [draft_case.merchant_id]
    assert body["results"][0]["open_case_id"] == draft_case.pk


def test_staff_see_every_merchant_with_the_internal_block(reviewer_api, draft_case):
    body = reviewer_api.get(f"/api/v1/merchants/{draft_case.merchant_id}/").json()

    assert body["legal_name"] == "Shenzhen Lumen Trading Co., Ltd."
    assert body["internal"] == {"risk_tier": None, "next_review_date": None}  # not assessed
    assert body["website"] is None  # unset: null, not "" (the schema says a URI or null)


def test_seller_updates_its_merchant_and_only_changed_fields_are_audited(seller_api, draft_case):
    merchant_id = draft_case.merchant_id
    response = seller_api.patch(
        f"/api/v1/merchants/{merchant_id}/",
        {"trading_name": "Lumen", "website": "https://lumen.example"},
    )

    assert response.status_code == 200
    assert response.json()["trading_name"] == "Lumen"
    assert response.json()["open_case_id"] == draft_case.pk
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(action="merchant.updated")
    assert set(event.after) == {"trading_name", "website"}


def test_a_reviewer_cannot_edit_a_merchant(reviewer_api, draft_case):
    response = reviewer_api.patch(
        f"/api/v1/merchants/{draft_case.merchant_id}/", {"trading_name": "Hijacked"}
    )

    assert response.status_code == 403
    assert Merchant.objects.get().trading_name == ""
    assert actions(action="merchant.updated") == []


# --------------------------------------------------------------------------- people


def test_seller_adds_lists_updates_and_removes_a_person(seller_api, draft_case):
    base = f"/api/v1/merchants/{draft_case.merchant_id}/people/"

    created = seller_api.post(
        base, {"full_name": "Zhang San", "is_director": True, "nationality": "cn"}
    )
    assert created.status_code == 201
    person_id = created.json()["id"]
    assert created.json()["nationality"] == "CN"

    listed = seller_api.get(base).json()
    assert [p["full_name"] for p in listed["results"]] == ["Li Wei", "Zhang San"]

    updated = seller_api.patch(f"{base}{person_id}/", {"ownership_percent": "30.00"})
    assert updated.status_code == 200
    # At or above the declaration threshold a person is a beneficial owner by definition.
    assert updated.json()["is_beneficial_owner"] is True

    assert seller_api.get(f"{base}{person_id}/").json()["ownership_percent"] == "30.00"
    removed = seller_api.delete(f"{base}{person_id}/")
    assert removed.status_code == 204
    assert not Person.objects.filter(pk=person_id).exists()
    assert actions(action__startswith="person.") == [
        "person.added",
        "person.updated",
        "person.removed",
    ]


def test_ownership_above_100_percent_is_refused(seller_api, draft_case):
    # Li Wei already holds 60 %.
    response = seller_api.post(
        f"/api/v1/merchants/{draft_case.merchant_id}/people/",
        {"full_name": "Wang Wu", "ownership_percent": "50"},
    )

    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "ownership_over_100"
    assert "ownership_percent" in err["fields"]
    assert Person.objects.count() == 1


def test_unknown_person_of_a_visible_merchant_is_not_found(seller_api, draft_case):
    stranger = PersonFactory()  # belongs to another merchant

    response = seller_api.get(f"/api/v1/merchants/{draft_case.merchant_id}/people/{stranger.pk}/")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_a_reviewer_cannot_add_people(reviewer_api, draft_case):
    response = reviewer_api.post(
        f"/api/v1/merchants/{draft_case.merchant_id}/people/",
        {"full_name": "Ghost", "is_director": True},
    )

    assert response.status_code == 403
    assert Person.objects.count() == 1


# --------------------------------------------------------------------------- capabilities


def test_seller_applies_for_a_category_and_it_joins_the_draft_case(seller_api, draft_case):
    merchant_id = draft_case.merchant_id
    response = seller_api.post(
        f"/api/v1/merchants/{merchant_id}/capabilities/", {"kind": "category", "category": "food"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "category.food"
    assert body["status"] == "pending"
    assert body["case_id"] == draft_case.pk
    assert body["category"] == {
        "code": "food",
        "name_en": "Food and beverages",
        "name_zh": "食品饮料",
    }
    assert draft_case.capabilities.filter(pk=body["id"]).exists()

    listed = seller_api.get(f"/api/v1/merchants/{merchant_id}/capabilities/").json()
    assert [c["code"] for c in listed["results"]] == ["category.food", "sell"]


def test_a_prohibited_category_cannot_be_applied_for(seller_api, draft_case):
    response = seller_api.post(
        f"/api/v1/merchants/{draft_case.merchant_id}/capabilities/",
        {"kind": "category", "category": "weapons"},
    )

    assert response.status_code == 400
    assert error(response)["code"] == "category_prohibited"
    assert Capability.objects.filter(kind="category").count() == 0


def test_an_unknown_category_code_is_invalid(seller_api, draft_case):
    response = seller_api.post(
        f"/api/v1/merchants/{draft_case.merchant_id}/capabilities/",
        {"kind": "category", "category": "nonsense"},
    )

    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["category"]


def test_requirements_list_every_capability_with_the_open_case(seller_api, draft_case):
    merchant_id = draft_case.merchant_id
    seller_api.post(
        f"/api/v1/merchants/{merchant_id}/capabilities/", {"kind": "category", "category": "food"}
    )

    body = seller_api.get(f"/api/v1/merchants/{merchant_id}/requirements/").json()

    assert body["merchant_id"] == merchant_id
    assert body["case_id"] == draft_case.pk
    by_code = {r["capability"]: r for r in body["capabilities"]}
    assert set(by_code) == {"sell", "category.food"}
    sell_due = {i["code"] for i in by_code["sell"]["currently_due"]}
    assert "entity_registration" in sell_due
    assert by_code["category.food"]["currently_due"][0]["document_types"] == [
        "food_business_license"
    ]
    assert by_code["sell"]["disabled_reason"] == "requirements.currently_due"


def test_requirements_without_an_open_case_come_from_the_merchant(seller_api, seller, reference):
    from cases.services import case_withdraw, onboarding_start

    merchant, case = onboarding_start(
        actor=seller,
        data={"legal_name": "Solo Trader", "entity_type": "individual", "country": "CN"},
    )
    case_withdraw(actor=seller, case_id=case.pk)

    body = seller_api.get(f"/api/v1/merchants/{merchant.pk}/requirements/").json()

    assert body["case_id"] is None
    assert [r["capability"] for r in body["capabilities"]] == ["sell"]


def test_merchant_volume_is_a_decimal_string(seller_api, reference):
    body = seller_api.post("/api/v1/merchants/", NEW_MERCHANT).json()

    assert body["expected_monthly_volume"] == "25000.00"
    assert Merchant.objects.get().expected_monthly_volume == Decimal("25000.00")
