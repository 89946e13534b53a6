"""Every page renders for the role it is for, and only for it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.roles import Role
from cases.models import ReviewCase
from kyc.models import QualificationDocument
from merchants.models import Merchant
from tests.conftest import accept_documents

pytestmark = pytest.mark.django_db


def test_home_sends_anonymous_users_to_the_login_page(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_home_sends_sellers_to_their_merchants(seller_client: Any) -> None:
    response = seller_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:list")


def test_home_sends_staff_to_the_review_queue(reviewer_client: Any) -> None:
    response = reviewer_client.get("/")
    assert response["Location"] == reverse("cases:queue")


def test_login_page_renders_with_the_language_switcher(client: Any) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert "简体中文" in html and "English" in html
    assert "<script>" not in html  # JS only from static files


def test_signup_creates_a_seller_and_signs_in(client: Any) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": "newseller",
            "email": "new@example.com",
            "preferred_language": "zh-hans",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    from accounts.models import User

    user = User.objects.get(username="newseller")
    assert list(user.groups.values_list("name", flat=True)) == [Role.SELLER]
    assert user.preferred_language == "zh-hans"
    assert client.get(reverse("merchants:list")).status_code == 200
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(action="seller.registered")
    assert (event.actor_id, event.actor_role) == (user.pk, "seller")


def test_signup_applies_the_password_validators(client: Any) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": "weak",
            "email": "weak@example.com",
            "preferred_language": "en",
            "password1": "12345",
            "password2": "12345",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    from accounts.models import User

    assert not User.objects.filter(username="weak").exists()


def test_login_and_logout(client: Any, seller: Any) -> None:
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": seller.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("logout")).status_code == 405  # a link cannot sign anyone out
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("merchants:list")).status_code == 302


def test_seller_pages_render(seller_client: Any, draft_case: ReviewCase) -> None:
    merchant = draft_case.merchant
    person = merchant.people.get()
    for url in (
        reverse("merchants:list"),
        reverse("cases:merchant_create"),
        reverse("cases:merchant_detail", args=[merchant.pk]),
        reverse("merchants:edit", args=[merchant.pk]),
        reverse("merchants:person_add", args=[merchant.pk]),
        reverse("merchants:person_edit", args=[merchant.pk, person.pk]),
        reverse("merchants:person_remove", args=[merchant.pk, person.pk]),
        reverse("cases:capability_apply", args=[merchant.pk]),
        reverse("cases:document_upload", args=[merchant.pk]),
    ):
        response = seller_client.get(url)
        assert response.status_code == 200, url


def test_upload_page_has_a_multipart_form_limited_to_document_types(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    html = seller_client.get(
        reverse("cases:document_upload", args=[draft_case.merchant_id])
    ).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in html


def test_staff_cannot_use_the_seller_portal(reviewer_client: Any, draft_case: ReviewCase) -> None:
    url = reverse("cases:merchant_detail", args=[draft_case.merchant_id])
    assert reviewer_client.get(url).status_code == 403


def test_sellers_cannot_open_the_review_queue(seller_client: Any) -> None:
    # A staff area: not found, rather than forbidden, for anyone without a staff role.
    assert seller_client.get(reverse("cases:queue")).status_code == 404


def test_review_pages_render(reviewer_client: Any, submitted_case: ReviewCase) -> None:
    assert reviewer_client.get(reverse("cases:queue")).status_code == 200
    response = reviewer_client.get(reverse("cases:case_detail", args=[submitted_case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert submitted_case.merchant.legal_name in html
    assert reverse("cases:case_claim", args=[submitted_case.pk]) in html
    # Not held yet: no decision but the claim.
    assert reverse("cases:case_approve", args=[submitted_case.pk]) not in html


def test_case_page_shows_documents_inline_with_their_metadata(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    html = reviewer_client.get(
        reverse("cases:case_detail", args=[claimed_case.pk])
    ).content.decode()
    for doc in QualificationDocument.objects.filter(merchant=claimed_case.merchant):
        file_url = reverse("kyc:document_file", args=[doc.pk])
        assert f'<iframe src="{file_url}?case={claimed_case.pk}"' in html
        assert doc.number in html
    assert "Li Wei" in html and "60%" in html
    assert "Submitted by the seller" in html  # history
    for action in ("approve", "reject", "request_info", "escalate", "release", "decide_document"):
        assert reverse(f"cases:case_{action}", args=[claimed_case.pk]) in html
    assert reverse("cases:case_claim", args=[claimed_case.pk]) not in html


def test_second_approval_form_only_for_a_different_senior(
    senior_client: Any, senior: Any, other_senior: Any, submitted_case: ReviewCase
) -> None:
    from cases.services import case_approve, case_claim, case_escalate
    from tests.factories import complete_edd_checklist

    case_claim(actor=senior, case_id=submitted_case.pk)
    case_escalate(actor=senior, case_id=submitted_case.pk, rationale="PEP owner")
    complete_edd_checklist(submitted_case.pk, senior)
    accept_documents(submitted_case, senior)
    case_approve(actor=senior, case_id=submitted_case.pk)
    url = reverse("cases:case_detail", args=[submitted_case.pk])
    second = reverse("cases:case_second_approve", args=[submitted_case.pk])
    assert second not in senior_client.get(url).content.decode()  # the maker

    from django.test import Client

    checker = Client()
    checker.force_login(other_senior)
    assert second in checker.get(url).content.decode()


def test_reopen_form_only_for_qc_on_decided_cases(
    qc_client: Any, reviewer_client: Any, claimed_case: ReviewCase, reviewer: Any
) -> None:
    from cases.services import case_approve

    accept_documents(claimed_case, reviewer)
    case_approve(actor=reviewer, case_id=claimed_case.pk)
    url = reverse("cases:case_detail", args=[claimed_case.pk])
    reopen = reverse("cases:case_reopen", args=[claimed_case.pk])
    assert reopen in qc_client.get(url).content.decode()
    assert reopen not in reviewer_client.get(url).content.decode()


def test_seller_following_a_case_link_lands_on_the_merchant_page(
    seller_client: Any, submitted_case: ReviewCase
) -> None:
    response = seller_client.get(
        reverse("cases:case_detail", args=[submitted_case.pk]), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(
        reverse("cases:merchant_detail", args=[submitted_case.merchant_id])
    )


def test_merchant_list_shows_the_current_application(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    html = seller_client.get(reverse("merchants:list")).content.decode()
    assert "Shenzhen Lumen Trading Co., Ltd." in html
    assert "Not submitted" in html


def test_creating_a_merchant_opens_its_draft_case(seller_client: Any, reference: Any) -> None:
    response = seller_client.post(
        reverse("cases:merchant_create"),
        {
            "legal_name": "Hangzhou Silk Co., Ltd.",
            "entity_type": "company",
            "country": "cn",
            "business_model": "marketplace_seller",
            "expected_monthly_volume": "1000",
            "preferred_language": "en",
        },
    )
    merchant = Merchant.objects.get(legal_name="Hangzhou Silk Co., Ltd.")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:merchant_detail", args=[merchant.pk])
    assert merchant.country == "CN"
    assert ReviewCase.objects.filter(merchant=merchant, state="draft").count() == 1


def test_invalid_merchant_form_shows_errors_next_to_fields(seller_client: Any) -> None:
    response = seller_client.post(reverse("cases:merchant_create"), {"legal_name": ""})
    assert response.status_code == 400
    form = response.context["form"]
    assert "legal_name" in form.errors and "entity_type" in form.errors
    assert not Merchant.objects.exists()


def test_adding_a_person_over_100_percent_is_refused_next_to_the_field(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    url = reverse("merchants:person_add", args=[draft_case.merchant_id])
    response = seller_client.post(
        url,
        {
            "full_name": "Zhang San",
            "is_beneficial_owner": "on",
            "ownership_percent": "50",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["ownership_percent"]
    assert len(errors) == 1 and errors[0].startswith("At most 40")
    assert draft_case.merchant.people.count() == 1


def test_person_add_edit_remove(seller_client: Any, draft_case: ReviewCase) -> None:
    merchant = draft_case.merchant
    response = seller_client.post(
        reverse("merchants:person_add", args=[merchant.pk]),
        {
            "full_name": "Wang Fang",
            "is_director": "on",
            "ownership_percent": "0",
        },
    )
    assert response.status_code == 302
    person = merchant.people.get(full_name="Wang Fang")
    response = seller_client.post(
        reverse("merchants:person_edit", args=[merchant.pk, person.pk]),
        {
            "full_name": "Wang Fang",
            "is_director": "on",
            "ownership_percent": "10",
            "nationality": "cn",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.nationality == "CN" and person.ownership_percent == 10
    response = seller_client.post(reverse("merchants:person_remove", args=[merchant.pk, person.pk]))
    assert response.status_code == 302
    assert not merchant.people.filter(pk=person.pk).exists()


def test_applying_for_a_prohibited_category_is_refused_with_the_reason(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    from merchants.models import Category

    weapons = Category.objects.get(code="weapons")
    response = seller_client.post(
        reverse("cases:capability_apply", args=[draft_case.merchant_id]),
        {"kind": "category", "category": weapons.pk},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["category"] == ["This category is prohibited on the platform."]
    assert "prohibited category and cannot be applied for" in form.non_field_errors()[0]
    assert not draft_case.merchant.capabilities.filter(category=weapons).exists()


def test_applying_for_a_category_lists_its_license_as_due(
    seller_client: Any, draft_case: ReviewCase
) -> None:
    from merchants.models import Category

    food = Category.objects.get(code="food")
    response = seller_client.post(
        reverse("cases:capability_apply", args=[draft_case.merchant_id]),
        {"kind": "category", "category": food.pk},
    )
    assert response.status_code == 302
    assert draft_case.capabilities.filter(category=food).exists()
    html = seller_client.get(
        reverse("cases:merchant_detail", args=[draft_case.merchant_id])
    ).content.decode()
    assert "Category: Food and beverages" in html
    assert "Food business license" in html
