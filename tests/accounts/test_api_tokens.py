"""API tokens: created for the caller with the scopes their roles allow, shown once, stored
hashed, revocable, audited; a token reaches only what its scopes name."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _session(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_is_created_for_the_caller_and_its_key_shown_once(seller: Any) -> None:
    api = _session(seller)
    response = api.post(
        "/api/v1/tokens/", {"name": "shop-sync", "scopes": ["merchants:read"]}, format="json"
    )
    assert response.status_code == 201
    key = response.json()["key"]
    token = ApiToken.objects.get()
    assert token.user == seller and token.scopes == ["merchants:read"]
    assert token.key_hash == ApiToken.hash_key(key) and key not in str(token.__dict__)
    listed = api.get("/api/v1/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["shop-sync"] and "key" not in listed[0]
    event = AuditEvent.objects.get(action="api_token.created")
    assert key not in str(event.after) and event.after["prefix"] == token.prefix


def test_a_scope_the_roles_do_not_allow_is_refused(reviewer: Any) -> None:
    response = _session(reviewer).post(
        "/api/v1/tokens/", {"name": "x", "scopes": ["webhooks:manage"]}, format="json"
    )
    assert response.status_code == 400
    assert "scopes" in response.json()["error"]["fields"]
    assert ApiToken.objects.count() == 0 and not AuditEvent.objects.exists()


def test_a_token_without_the_scope_gets_403_insufficient_scope(seller: Any, reference: Any) -> None:
    _t, key = ApiToken.issue(user=seller, name="ro", scopes=["cases:read"])
    response = _token(key).get("/api/v1/merchants/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert _token(key).get("/api/v1/cases/").status_code == 200
    assert _token(key).get("/api/v1/me/").status_code == 200


def test_a_read_scope_does_not_allow_writes(seller: Any, reference: Any) -> None:
    _t, key = ApiToken.issue(user=seller, name="ro", scopes=["merchants:read"])
    response = _token(key).post("/api/v1/merchants/", {"legal_name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_tokens_cannot_manage_tokens(admin_user: Any) -> None:
    _t, key = ApiToken.issue(user=admin_user, name="all", scopes=["audit:export"])
    response = _token(key).get("/api/v1/tokens/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_revoking_a_token_makes_it_401_and_is_audited_once(seller: Any) -> None:
    token, key = ApiToken.issue(user=seller, name="s", scopes=["cases:read"])
    api = _session(seller)
    assert api.delete(f"/api/v1/tokens/{token.pk}/").status_code == 200
    assert api.delete(f"/api/v1/tokens/{token.pk}/").status_code == 200
    assert _token(key).get("/api/v1/cases/").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_someone_elses_token_is_404_but_a_compliance_admin_may_revoke_it(
    seller: Any, other_seller: Any, admin_user: Any
) -> None:
    token, _key = ApiToken.issue(user=seller, name="s", scopes=["cases:read"])
    assert _session(other_seller).delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert _session(admin_user).delete(f"/api/v1/tokens/{token.pk}/").status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_tokens_page_creates_lists_and_revokes(seller: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(seller)
    page = client.post("/accounts/api-tokens/", {"name": "erp", "scopes": ["cases:read"]})
    token = ApiToken.objects.get()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert page.context["new_key"] and ApiToken.hash_key(page.context["new_key"]) == token.key_hash
    assert client.get("/accounts/api-tokens/").context["new_key"] == ""
    client.post(f"/accounts/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_create_api_token_gives_the_roles_scopes_by_default(qc_lead: Any) -> None:
    call_command("create_api_token", qc_lead.username, "--name", "qc-bot")
    assert ApiToken.objects.get().scopes == ["audit:export", "cases:read", "merchants:read", "qc"]
