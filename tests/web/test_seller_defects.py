"""Defects a new seller hit (issue 12), each reproduced here: the account's language follows
the sign-up page, registration numbers are validated on save, countries come from a list,
Chinese amounts are grouped, and badges agree with the state they describe."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases import services
from cases.models import ReviewCase
from merchants.models import Capability, CapabilityStatus, Merchant
from merchants.registration import BUSINESS_MODULES, registration_number_error

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase"


def _in(language: str, client: Client | None = None) -> Client:
    client = client or Client()
    client.cookies["django_language"] = language
    return client


def _seller(client: Client, seller: Any, language: str) -> Client:
    client.force_login(seller)
    return _in(language, client)


# --------------------------------------------------------------------------- sign-up language


def test_the_chinese_signup_page_preselects_chinese() -> None:
    html = _in("zh-hans").get(reverse("signup")).content.decode()
    selected = re.search(r'<option value="([^"]+)"[^>]*selected', html)
    assert selected is not None and selected.group(1) == "zh-hans"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_signing_up_leaves_the_account_in_the_pages_language(language: str) -> None:
    # The browser posts what the page preselected; a client that leaves the field out gets
    # the page's language too.
    client = _in(language)
    html = client.get(reverse("signup")).content.decode()
    preselected = re.search(r'<option value="([^"]+)"[^>]*selected', html)
    assert preselected is not None
    form = {
        "username": f"new-{language}",
        "email": f"new-{language}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "preferred_language": preselected.group(1),
    }
    assert client.post(reverse("signup"), form).status_code == 302
    assert User.objects.get(username=f"new-{language}").preferred_language == language

    other = _in(language)
    del form["preferred_language"]
    form.update(username=f"bare-{language}", email=f"bare-{language}@example.com")
    assert other.post(reverse("signup"), form).status_code == 302
    assert User.objects.get(username=f"bare-{language}").preferred_language == language


def test_a_language_chosen_on_the_signup_form_wins_over_the_page() -> None:
    form = {
        "username": "picks-english",
        "email": "picks@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "preferred_language": "en",
    }
    assert _in("zh-hans").post(reverse("signup"), form).status_code == 302
    assert User.objects.get(username="picks-english").preferred_language == "en"


# --------------------------------------------------------------------------- registration numbers

MERCHANT_FORM = {
    "legal_name": "Hangzhou Silk Co., Ltd.",
    "entity_type": "company",
    "country": "CN",
    "business_model": "marketplace_seller",
    "expected_monthly_volume": "1000",
    "preferred_language": "en",
}


@pytest.mark.parametrize(
    ("country", "good", "bad"),
    [
        ("CN", "91350100M000100Y43", "91350100M000100Y44"),  # USCC check character
        ("CN", "91350100M000100Y43", "91350100M000100Y4"),  # USCC length
        ("SG", "197401143C", "197401143D"),  # UEN check letter
        ("FR", "732829320", "732829321"),  # SIREN Luhn
        ("US", "46-1234567", "00-1234567"),  # EIN prefix
        ("JP", "5835678256246", "5835678256245"),  # 法人番号 check digit
        ("GB", "09876543", "ABC"),  # Companies House shape (no check digit)
    ],
)
def test_registration_numbers_are_validated_per_country(country: str, good: str, bad: str) -> None:
    assert registration_number_error(country=country, entity_type="company", number=good) is None
    assert registration_number_error(country=country, entity_type="company", number=bad)


def test_a_country_without_a_validator_takes_any_number() -> None:
    assert "HK" not in BUSINESS_MODULES
    assert registration_number_error(country="HK", entity_type="company", number="x") is None


def test_an_individual_is_checked_against_personal_ids_only() -> None:
    assert registration_number_error(country="CN", entity_type="individual", number="x")
    assert (
        registration_number_error(
            country="CN", entity_type="individual", number="110101199001011237"
        )
        is None
    )
    assert registration_number_error(country="FR", entity_type="individual", number="x") is None


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_bad_registration_number_is_an_error_next_to_the_field(
    seller: Any, reference: Any, language: str
) -> None:
    client = _seller(Client(), seller, language)
    data = {**MERCHANT_FORM, "registration_number": "91350100M000100Y44"}
    response = client.post(reverse("cases:merchant_create"), data)
    assert response.status_code == 400
    form = response.context["form"]
    # The reason sits next to the field; on top only the page's usual "correct the fields".
    assert set(form.errors) == {"registration_number", "__all__"}
    expected = (
        "This registration number is not valid for the country chosen"
        if language == "en"
        else "该注册号对所选国家无效"
    )
    assert form.errors["registration_number"][0].startswith(expected)
    assert expected in response.content.decode()
    assert not Merchant.objects.exists()
    # The audit trail holds no merchant either: nothing half-written.
    from audit.models import AuditEvent

    assert not AuditEvent.objects.filter(action="merchant.created").exists()


def test_editing_to_a_bad_registration_number_is_refused(
    seller: Any, draft_case: ReviewCase
) -> None:
    client = _seller(Client(), seller, "en")
    merchant = draft_case.merchant
    data = {**MERCHANT_FORM, "legal_name": merchant.legal_name, "registration_number": "123"}
    response = client.post(reverse("merchants:edit", args=[merchant.pk]), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"registration_number", "__all__"}
    merchant.refresh_from_db()
    assert merchant.registration_number == "91350100M000100Y43"


def test_an_edit_that_leaves_the_number_alone_is_not_blocked_by_an_old_number(
    seller: Any, draft_case: ReviewCase
) -> None:
    from merchants.services import merchant_update

    merchant = draft_case.merchant
    Merchant.objects.filter(pk=merchant.pk).update(registration_number="LEGACY-1")
    merchant.refresh_from_db()
    merchant_update(actor=seller, merchant=merchant, data={"trading_name": "Lumen"})
    merchant.refresh_from_db()
    assert (merchant.trading_name, merchant.registration_number) == ("Lumen", "LEGACY-1")


def test_the_api_answers_400_with_the_field(seller: Any, reference: Any) -> None:
    client = _seller(Client(), seller, "en")
    body = {**MERCHANT_FORM, "registration_number": "91350100M000100Y44"}
    response = client.post("/api/v1/merchants/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["registration_number"]
    assert not Merchant.objects.exists()
    good = client.post(
        "/api/v1/merchants/",
        {**body, "registration_number": "91350100M000100Y43"},
        content_type="application/json",
    )
    assert good.status_code == 201, good.content


# --------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("language", "china", "hong_kong"), [("en", "China", "Hong Kong"), ("zh-hans", "中国", "香港")]
)
def test_countries_are_picked_from_a_list_named_in_the_pages_language(
    seller: Any, reference: Any, language: str, china: str, hong_kong: str
) -> None:
    html = _seller(Client(), seller, language).get(reverse("cases:merchant_create")).content
    page = html.decode()
    select = re.search(r'<select name="country"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, "the country is a select, not a text box"
    assert f'<option value="CN">{china}</option>' in select.group(1)
    assert f'<option value="HK">{hong_kong}</option>' in select.group(1)
    assert '<select name="bank_country"' in page


def test_a_country_not_on_the_list_is_refused_and_the_code_is_stored(
    seller: Any, reference: Any
) -> None:
    client = _seller(Client(), seller, "en")
    response = client.post(reverse("cases:merchant_create"), {**MERCHANT_FORM, "country": "XX"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["country"]
    response = client.post(reverse("cases:merchant_create"), {**MERCHANT_FORM, "country": "HK"})
    assert response.status_code == 302
    assert Merchant.objects.get().country == "HK"


def test_the_merchant_page_names_the_country(seller: Any, draft_case: ReviewCase) -> None:
    url = reverse("cases:merchant_detail", args=[draft_case.merchant_id])
    assert "中国" in _seller(Client(), seller, "zh-hans").get(url).content.decode()


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("language", "shown"), [("en", "1,250,000 USD"), ("zh-hans", "1,250,000 USD")]
)
def test_amounts_are_grouped_in_both_languages(
    seller: Any, reviewer: Any, claimed_case: ReviewCase, language: str, shown: str
) -> None:
    Merchant.objects.filter(pk=claimed_case.merchant_id).update(
        expected_monthly_volume=Decimal("1250000")
    )
    seller_page = _seller(Client(), seller, language).get(
        reverse("cases:merchant_detail", args=[claimed_case.merchant_id])
    )
    staff = Client()
    staff.force_login(reviewer)
    staff_page = _in(language, staff).get(reverse("cases:case_detail", args=[claimed_case.pk]))
    for response in (seller_page, staff_page):
        assert response.status_code == 200
        assert shown in response.content.decode()


# --------------------------------------------------------------------------- badges


def test_an_empty_draft_does_not_say_pending_review(seller: Any, draft_case: ReviewCase) -> None:
    for language, pending, draft in (
        ("en", "Pending review", "Not submitted"),
        ("zh-hans", "待审核", "未提交"),
    ):
        client = _seller(Client(), seller, language)
        for url in (
            reverse("cases:merchant_detail", args=[draft_case.merchant_id]),
            reverse("merchants:list"),
        ):
            html = client.get(url).content.decode()
            assert pending not in html, (language, url)
            assert draft in html, (language, url)


def test_a_submitted_case_says_under_review(seller: Any, submitted_case: ReviewCase) -> None:
    html = (
        _seller(Client(), seller, "en")
        .get(reverse("cases:merchant_detail", args=[submitted_case.merchant_id]))
        .content.decode()
    )
    assert "Pending review" in html  # the capability, now truly awaiting review
    assert "Under review" in html and "Not submitted" not in html


def test_an_active_capability_is_not_called_undecided(
    reviewer: Any, claimed_case: ReviewCase
) -> None:
    Capability.objects.filter(merchant_id=claimed_case.merchant_id).update(
        status=CapabilityStatus.ACTIVE
    )
    staff = Client()
    staff.force_login(reviewer)
    html = staff.get(reverse("cases:case_detail", args=[claimed_case.pk])).content.decode()
    assert "Not decided yet" not in html
    assert "Already active: it stays active when the case is approved" in html


def test_an_approved_case_does_not_call_its_capabilities_undecided(
    reviewer: Any, reviewed_case: ReviewCase
) -> None:
    claimed_case = reviewed_case  # its documents decided: approvable
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    claimed_case.refresh_from_db()
    assert claimed_case.state == "approved"
    staff = Client()
    staff.force_login(reviewer)
    html = staff.get(reverse("cases:case_detail", args=[claimed_case.pk])).content.decode()
    panel = html.split('id="capabilities"')[1].split("</section>")[0]
    assert "Active" in panel
    assert "Not decided yet" not in panel
    assert "Approved with the case." in panel


def test_the_staff_page_of_a_draft_says_not_submitted(senior: Any, draft_case: ReviewCase) -> None:
    staff = Client()
    staff.force_login(senior)
    response = staff.get(reverse("cases:case_detail", args=[draft_case.pk]))
    if response.status_code == 404:
        pytest.skip("staff do not open drafts")
    panel = response.content.decode().split('id="capabilities"')[1].split("</section>")[0]
    assert "Pending review" not in panel
    assert "Not submitted" in panel


def test_the_api_refuses_a_country_code_the_list_does_not_have(seller: Any, reference: Any) -> None:
    client = _seller(Client(), seller, "en")
    body = {**MERCHANT_FORM, "country": "XX"}
    response = client.post("/api/v1/merchants/", body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["country"]
    assert not Merchant.objects.exists()
    response = client.post(
        "/api/v1/merchants/", {**body, "country": "hk"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert Merchant.objects.get().country == "HK"
