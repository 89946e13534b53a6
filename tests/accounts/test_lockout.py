"""django-axes: five wrong passwords lock the username+IP out for the cool-off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _post(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_out_until_the_cool_off_ends(
    seller: Any, settings: Any
) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _post(client, seller.username, "wrong-password").status_code == 200
    locked = _post(client, seller.username, "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed attempts; try again in 15 minutes." in locked.content.decode()

    refused = _post(client, seller.username, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session

    # The cool-off passes (the attempts are older than AXES_COOLOFF_TIME).
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    allowed = _post(client, seller.username, PASSWORD)
    assert allowed.status_code == 302
    assert client.session["_auth_user_id"] == str(seller.pk)


def test_the_lockout_is_per_username_and_address(seller: Any, other_seller: Any) -> None:
    client = Client()
    for _ in range(5):
        _post(client, seller.username, "wrong-password")
    assert _post(client, other_seller.username, PASSWORD).status_code == 302


def test_api_tokens_are_not_affected_by_a_lockout(seller: Any, reference: Any) -> None:
    from accounts.models import ApiToken

    client = Client()
    for _ in range(5):
        _post(client, seller.username, "wrong-password")
    _token, key = ApiToken.issue(user=seller, name="shop", scopes=["merchants:read"])
    response = client.get("/api/v1/merchants/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
