"""Staff need a second factor (TOTP) before any staff page; sellers do not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import LAST_SEEN_KEY
from accounts.otp import current_code
from audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]


def _sign_in(client: Client, user: Any, next_url: str = "/review/") -> Any:
    return client.post(
        f"/accounts/login/?next={next_url}",
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )


def _device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def test_a_reviewer_without_a_second_factor_cannot_reach_the_workbench(reviewer: Any) -> None:
    client = Client()
    response = _sign_in(client, reviewer)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    page = client.get("/review/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/two-factor/?next=%2Freview%2F"
    # No device yet: the verify page sends the reviewer to enrolment.
    verify = client.get("/accounts/two-factor/?next=/review/")
    assert verify["Location"] == "/accounts/two-factor/setup/?next=%2Freview%2F"


def test_a_password_only_staff_session_is_refused_by_the_api(reviewer: Any) -> None:
    client = Client()
    client.force_login(reviewer)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"


def test_enrolment_shows_a_qr_code_and_the_secret_and_a_right_code_confirms_it(
    reviewer: Any,
) -> None:
    client = Client()
    _sign_in(client, reviewer)
    page = client.get("/accounts/two-factor/setup/?next=/review/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and "<script>" not in body and "data-otp-secret" in body
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed

    wrong = client.post("/accounts/two-factor/setup/", {"otp_token": "000000", "next": "/review/"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    ok = client.post(
        "/accounts/two-factor/setup/", {"otp_token": current_code(device), "next": "/review/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/review/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/review/").status_code == 200
    actions = list(
        AuditEvent.objects.filter(action__startswith="auth.otp").values_list("action", flat=True)
    )
    assert sorted(actions) == ["auth.otp_enrolled", "auth.otp_failed"]


def test_a_wrong_code_is_shown_next_to_the_field_and_a_right_one_continues(
    reviewer: Any,
) -> None:
    device = _device(reviewer)
    client = Client()
    _sign_in(client, reviewer)
    wrong = client.post("/accounts/two-factor/", {"otp_token": "123456", "next": "/review/"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["otp_token"]
    assert client.get("/review/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    ok = client.post(
        "/accounts/two-factor/", {"otp_token": current_code(device), "next": "/review/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/review/"
    assert client.get("/review/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    assert list(
        AuditEvent.objects.filter(action__startswith="auth.otp")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["auth.otp_failed", "auth.otp_verified"]


def test_a_confirmed_device_cannot_be_replaced_by_enrolling_again(reviewer: Any) -> None:
    _device(reviewer)
    client = Client()
    _sign_in(client, reviewer)
    response = client.get("/accounts/two-factor/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_sellers_are_not_asked_for_a_second_factor(seller: Any) -> None:
    client = Client()
    response = _sign_in(client, seller, next_url="/seller/")
    assert response.status_code == 302 and response["Location"] == "/seller/"
    assert client.get("/seller/").status_code == 200


def test_the_requirement_can_be_turned_off_by_setting(reviewer: Any, settings: Any) -> None:
    settings.KYC_STAFF_REQUIRE_2FA = False
    client = Client()
    client.force_login(reviewer)
    assert client.get("/review/").status_code == 200


def test_api_tokens_of_staff_are_not_asked_for_a_second_factor(reviewer: Any) -> None:
    from accounts.models import ApiToken

    _token, key = ApiToken.issue(user=reviewer, name="bot", scopes=["cases:read"])
    response = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_an_idle_staff_session_ends(reviewer: Any, settings: Any) -> None:
    client = Client()
    client.force_login(reviewer)
    from tests.conftest import verify_second_factor

    verify_second_factor(client, reviewer)
    assert client.get("/review/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] -= settings.KYC_STAFF_SESSION_IDLE_SECONDS + 1
    session.save()
    response = client.get("/review/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_staff_sessions_end_at_browser_close_and_sellers_keep_the_default(
    reviewer: Any, seller: Any
) -> None:
    staff = Client()
    staff.force_login(reviewer)
    staff.get("/review/")
    assert staff.session.get_expire_at_browser_close()
    shop = Client()
    shop.force_login(seller)
    shop.get("/seller/")
    assert not shop.session.get_expire_at_browser_close()
