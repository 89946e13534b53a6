"""Change of details: an active merchant's owners, legal name, registration number or bank
details change through the seller's page or API → one change-of-details case, the change on
its audit event, the merchant re-screened (the new owner included) and the seller told."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import CaseKind, CaseState, Notification, ReviewCase
from kyc.models import ScreeningMatch, ScreeningSubject
from merchants.models import Merchant, Person
from tests.cases.monitoring_helpers import approve
from tests.cases.screening_helpers import make_entry, make_list

LISTED_OWNER = "Viktor Petrovich Karelin"


@pytest.fixture
def active(claimed_case: Any, reviewer: Any) -> Merchant:
    return approve(claimed_case, reviewer)


@pytest.fixture
def api(seller: Any) -> APIClient:
    client = APIClient()
    client.force_login(seller)
    return client


@pytest.fixture
def sanctions(db: Any) -> Any:
    """A small list loaded the way the screening tests load one; the real matcher runs."""
    sdn = make_list()
    make_entry(sdn, LISTED_OWNER.upper(), entry_type="individual")
    return sdn


def cod_cases(merchant: Merchant) -> Any:
    return ReviewCase.objects.filter(merchant=merchant, kind=CaseKind.CHANGE_OF_DETAILS)


def test_adding_an_owner_opens_a_change_of_details_case_and_screens_the_new_owner(
    active: Merchant, api: APIClient, sanctions: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/merchants/{active.pk}/people/",
            {
                "full_name": LISTED_OWNER,
                "is_beneficial_owner": True,
                "ownership_percent": "30",
                "nationality": "RU",
            },
            format="json",
        )

    assert response.status_code == 201, response.content
    case = cod_cases(active).get()
    assert case.state in (CaseState.SUBMITTED, CaseState.EDD)  # in the platform's hands
    assert case.created_by is None
    event = AuditEvent.objects.get(case_id=case.pk, action="case.details_changed")
    assert event.after["changes"][0]["field"] == "person.added"
    assert event.after["changes"][0]["after"]["full_name"] == LISTED_OWNER
    new_owner = Person.objects.get(merchant=active, full_name=LISTED_OWNER)
    match = ScreeningMatch.objects.get(merchant=active, person=new_owner)
    assert match.subject == ScreeningSubject.PERSON
    assert match.screened_name == LISTED_OWNER
    hits = AuditEvent.objects.get(case_id=case.pk, action="screening.hits_recorded")
    assert hits.after["matches"][0]["screened_name"] == LISTED_OWNER
    assert Notification.objects.filter(case=case, event="change_of_details.opened").count() == 1


def test_a_second_change_joins_the_open_case(
    active: Merchant, api: APIClient, sanctions: Any
) -> None:
    person = active.people.get()
    api.patch(f"/api/v1/merchants/{active.pk}/", {"legal_name": "Lumen Global Ltd."}, "json")
    api.patch(
        f"/api/v1/merchants/{active.pk}/people/{person.pk}/",
        {"ownership_percent": "40"},
        format="json",
    )
    api.delete(f"/api/v1/merchants/{active.pk}/people/{person.pk}/")

    case = cod_cases(active).get()
    changes = [
        e.after["changes"][0]["field"]
        for e in AuditEvent.objects.filter(case_id=case.pk, action="case.details_changed")
    ]
    assert changes == ["legal_name", "ownership_percent", "person.removed"]
    assert Notification.objects.filter(event="change_of_details.opened").count() == 1


def test_the_bank_details_change_is_recorded_before_and_after(
    active: Merchant, api: APIClient
) -> None:
    response = api.patch(
        f"/api/v1/merchants/{active.pk}/",
        {"bank_account_number": "GB82 WEST 1234 5698 7654 32", "bank_swift": "westgb2l"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["bank_account_number"] == "GB82WEST12345698765432"
    assert response.json()["bank_swift"] == "WESTGB2L"
    event = AuditEvent.objects.get(action="case.details_changed")
    assert event.before == {"bank_account_number": "", "bank_swift": ""}
    assert {c["field"]: c["after"] for c in event.after["changes"]} == {
        "bank_account_number": "GB82WEST12345698765432",
        "bank_swift": "WESTGB2L",
    }


def test_invalid_bank_details_are_refused_with_the_fields(active: Merchant, api: APIClient) -> None:
    response = api.patch(
        f"/api/v1/merchants/{active.pk}/",
        {
            "bank_account_number": "GB00WEST12345698765432",
            "bank_swift": "ABC",
            "bank_country": "XX",
        },
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"bank_account_number", "bank_swift", "bank_country"}
    assert not cod_cases(active).exists()
    assert Merchant.objects.get(pk=active.pk).bank_swift == ""


def test_other_profile_edits_open_nothing(active: Merchant, api: APIClient) -> None:
    response = api.patch(
        f"/api/v1/merchants/{active.pk}/", {"website": "https://lumen.example"}, "json"
    )

    assert response.status_code == 200
    assert not cod_cases(active).exists()


def test_edits_of_a_merchant_still_onboarding_open_nothing(draft_case: Any, api: APIClient) -> None:
    merchant = draft_case.merchant
    api.patch(f"/api/v1/merchants/{merchant.pk}/", {"legal_name": "Renamed Ltd."}, "json")
    api.post(
        f"/api/v1/merchants/{merchant.pk}/people/",
        {"full_name": "New Owner", "is_beneficial_owner": True, "ownership_percent": "30"},
        format="json",
    )

    assert not cod_cases(merchant).exists()
    assert not AuditEvent.objects.filter(action="case.details_changed").exists()


def test_the_people_page_routes_through_the_change_of_details_review(
    active: Merchant, seller: Any, client: Any
) -> None:
    client.force_login(seller)

    response = client.post(
        reverse("merchants:person_add", kwargs={"merchant_id": active.pk}),
        {
            "full_name": "Chen Jing",
            "is_director": "on",
            "ownership_percent": "0",
            "control_type": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert cod_cases(active).count() == 1


def test_the_profile_form_shows_and_saves_the_bank_details(
    active: Merchant, seller: Any, client: Any
) -> None:
    client.force_login(seller)
    url = reverse("merchants:edit", kwargs={"merchant_id": active.pk})
    page = client.get(url).content.decode()
    assert 'name="bank_account_number"' in page
    data = {
        "legal_name": active.legal_name,
        "local_name": active.local_name,
        "entity_type": active.entity_type,
        "country": active.country,
        "registration_number": active.registration_number,
        "business_model": active.business_model,
        "expected_monthly_volume": "0",
        "contact_email": active.contact_email,
        "preferred_language": "en",
        "bank_account_holder": active.legal_name,
        "bank_name": "HSBC",
        "bank_country": "hk",
        "bank_account_number": "004-123456-001",
        "bank_swift": "HSBCHKHHHKH",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    merchant = Merchant.objects.get(pk=active.pk)
    assert (merchant.bank_country, merchant.bank_swift) == ("HK", "HSBCHKHHHKH")
    assert cod_cases(active).count() == 1
    overview = client.get(reverse("cases:merchant_detail", kwargs={"merchant_id": active.pk}))
    assert "004-123456-001" in overview.content.decode()
