"""Authentication: sessions with CSRF, per-integration tokens, and the audit trail naming the
token that acted."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent
from cases.models import ReviewCase
from merchants.models import Merchant
from tests.api.helpers import error


def test_anonymous_requests_get_401_in_the_error_shape(anon, db):
    response = anon.get("/api/v1/merchants/")

    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_token_auth_acts_and_the_audit_event_names_the_token(token_for, seller, reference):
    client, token = token_for(seller, name="erp-integration")

    response = client.post(
        "/api/v1/merchants/",
        {"legal_name": "Token Trading Ltd", "entity_type": "company", "country": "CN"},
    )

    assert response.status_code == 201
    event = AuditEvent.objects.get(action="merchant.created")
    assert event.actor_type == "api_token"
    assert event.actor_id == seller.pk
    assert event.actor_repr == f"{seller.username} via token erp-integration"
    assert AuditEvent.objects.get(action="case.opened").actor_type == "api_token"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_session_auth_is_recorded_as_the_user(seller_api, reference):
    seller_api.post(
        "/api/v1/merchants/",
        {"legal_name": "Session Ltd", "entity_type": "company", "country": "CN"},
    )

    assert AuditEvent.objects.get(action="merchant.created").actor_type == "user"


def test_a_revoked_token_is_refused(token_for, seller, reference):
    client, token = token_for(seller)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    response = client.get("/api/v1/merchants/")

    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_a_wrong_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token mk_not-a-real-key")

    response = client.get("/api/v1/merchants/")

    assert response.status_code == 401
    assert error(response)["message"] == "Invalid or revoked token."


def test_session_posts_need_the_csrf_token(seller, reference):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(seller)

    response = client.post(
        "/api/v1/merchants/", {"legal_name": "CSRF Ltd", "entity_type": "company", "country": "CN"}
    )

    assert response.status_code == 403
    assert "CSRF" in error(response)["message"]
    assert Merchant.objects.count() == 0


def test_token_posts_need_no_csrf_token(token_for, seller, reference):
    client, _ = token_for(seller)
    client.handler.enforce_csrf_checks = True

    response = client.post(
        "/api/v1/merchants/",
        {"legal_name": "No CSRF Ltd", "entity_type": "company", "country": "CN"},
    )

    assert response.status_code == 201


def test_me_tells_who_the_token_belongs_to(token_for, reviewer):
    client, _ = token_for(reviewer, name="queue-bot")

    body = client.get("/api/v1/me/").json()

    assert body["username"] == reviewer.username
    assert body["roles"] == ["reviewer"]
    assert body["is_staff_member"] is True
    assert body["api_token"] == "queue-bot"


def test_create_api_token_prints_a_working_key_once(seller, reference):
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", seller.username, "--name", "shop-sync", stdout=out, stderr=err)

    key = out.getvalue().strip()
    assert key.startswith("mk_")
    token = ApiToken.objects.get()
    assert token.name == "shop-sync" and token.user == seller
    assert token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash
    assert key not in err.getvalue()
    event = AuditEvent.objects.get(action="api_token.created")  # as when made in the API
    assert event.after["prefix"] == token.prefix and event.after["user"] == seller.username
    assert key not in str(event.after)
    assert not AuditEvent.objects.filter(action="api_token.issued").exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["api_token"] == "shop-sync"


def test_create_api_token_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "--name", "x")
    assert ApiToken.objects.count() == 0


def test_the_throttle_answers_429_in_the_error_shape(seller_api, draft_case, monkeypatch):
    from rest_framework.throttling import BaseThrottle

    from cases.api.views import CaseDetailView

    class Closed(BaseThrottle):
        def allow_request(self, request, view):
            return False

        def wait(self):
            return 30

    monkeypatch.setattr(CaseDetailView, "throttle_classes", [Closed])

    response = seller_api.get(f"/api/v1/cases/{draft_case.pk}/")

    assert response.status_code == 429
    assert error(response)["code"] == "throttled"
    assert response["Retry-After"] == "30"
    assert ReviewCase.objects.count() == 1


def test_last_used_is_written_at_most_once_a_minute(db, seller, reference, token_for):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import ApiToken

    client, token = token_for(seller, name="poller")

    def updates() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/merchants/").status_code == 200
        return sum(
            q["sql"].startswith("UPDATE") and "apitoken" in q["sql"] for q in ctx.captured_queries
        )

    assert updates() == 1  # first use
    assert updates() == 0  # within the minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    assert updates() == 1
