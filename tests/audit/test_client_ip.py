"""Audit events record where a request came from: behind the deployment's reverse proxies that
is the client from X-Forwarded-For (as far as TRUSTED_PROXY_COUNT trusts it), the same address
the sign-in lockout keys on, not the proxy every request arrives from."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"  # the reverse proxy: every request reaches gunicorn from it
CLIENT = "203.0.113.7"
FORGED = "198.51.100.9"


def _create_token(user: Any, **meta: str) -> AuditEvent:
    client = APIClient()
    client.force_login(user)
    response = client.post(
        "/api/v1/tokens/", {"name": "erp", "scopes": ["cases:read"]}, format="json", **meta
    )
    assert response.status_code == 201
    return AuditEvent.objects.get(action="api_token.created")


def test_behind_the_proxy_the_event_records_the_client_not_the_proxy(
    seller: Any, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    event = _create_token(seller, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)

    assert event.ip == CLIENT


def test_an_address_the_client_wrote_itself_is_not_recorded(seller: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sends its own X-Forwarded-For; the proxy appends the real address after it.

    event = _create_token(seller, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{FORGED}, {CLIENT}")

    assert event.ip == CLIENT


def test_without_trusted_proxies_the_header_is_ignored(seller: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0

    event = _create_token(seller, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT)

    assert event.ip == PROXY


def test_an_api_token_request_records_the_client_too(
    seller: Any, reference: Any, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    _token, key = ApiToken.issue(user=seller, name="erp", scopes=["merchants:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.post(
        "/api/v1/merchants/",
        {"legal_name": "Proxy Trading Ltd", "entity_type": "company", "country": "CN"},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=CLIENT,
    )

    assert response.status_code == 201, response.content
    events = AuditEvent.objects.exclude(action="api_token.created")
    assert events.exists()
    assert set(events.values_list("ip", flat=True)) == {CLIENT}
