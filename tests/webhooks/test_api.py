"""The webhooks API and pages: compliance admins only (403 for other staff, 404 for sellers),
the secret shown only on creation and rotation, never listed and never audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.webhooks.conftest import FakeReceiver
from webhooks.models import WebhookAttempt, WebhookSubscription
from webhooks.services import delivery_attempt, webhook_emit

API = "/api/v1/webhooks"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [("seller", 404, "not_found"), ("reviewer", 403, "forbidden"), ("qc_lead", 403, "forbidden")],
)
def test_everyone_but_compliance_admins_is_refused(
    request: pytest.FixtureRequest,
    role: str,
    status: int,
    code: str,
    subscription: Any,
    client: Any,
) -> None:
    """Other staff get 403; sellers are not told webhooks exist (404)."""
    user = request.getfixturevalue(role)
    api = client_for(user)
    for path in [
        f"{API}/subscriptions/",
        f"{API}/subscriptions/{subscription.pk}/",
        f"{API}/deliveries/",
        f"{API}/event-types/",
    ]:
        response = api.get(path)
        assert response.status_code == status, path
        assert response.json()["error"]["code"] == code
    response = api.post(
        f"{API}/subscriptions/", {"name": "x", "url": "https://a.test/"}, format="json"
    )
    assert response.status_code == status
    assert api.post(f"{API}/subscriptions/{subscription.pk}/rotate-secret/").status_code == status
    client.force_login(user)
    for path in ["/webhooks/", f"/webhooks/{subscription.pk}/", "/webhooks/new/"]:
        assert client.get(path).status_code == status, path
    assert client.post(f"/webhooks/{subscription.pk}/rotate-secret/").status_code == status
    assert WebhookSubscription.objects.count() == 1


def test_create_returns_the_secret_once_and_never_again(admin_user: Any, public_dns: Any) -> None:
    api = client_for(admin_user)
    response = api.post(
        f"{API}/subscriptions/",
        {"name": "Platform", "url": "https://hooks.platform.test/kyc", "event_types": []},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert len(secret) >= 40
    sub = WebhookSubscription.objects.get()
    assert sub.secret == secret and sub.created_by == admin_user

    listed = api.get(f"{API}/subscriptions/")
    detail = api.get(f"{API}/subscriptions/{sub.pk}/")
    patched = api.patch(f"{API}/subscriptions/{sub.pk}/", {"name": "Renamed"}, format="json")
    for response in (listed, detail, patched):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert "secret" not in json.dumps(response.json())
    assert detail.json()["deliveries"] == {"pending": 0, "retrying": 0, "delivered": 0, "failed": 0}

    rotated = api.post(f"{API}/subscriptions/{sub.pk}/rotate-secret/")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != secret
    sub.refresh_from_db()
    assert sub.secret == new_secret

    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "webhook.subscription_created",
        "webhook.subscription_updated",
        "webhook.secret_rotated",
    ]
    for event in AuditEvent.objects.all():
        dumped = json.dumps([event.before, event.after, event.text])
        assert secret not in dumped and new_secret not in dumped


def test_a_refused_url_answers_400_on_url(admin_user: Any, public_dns: Any) -> None:
    response = client_for(admin_user).post(
        f"{API}/subscriptions/",
        {"name": "Metadata", "url": "http://169.254.169.254/latest/"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "metadata" in error["fields"]["url"][0]
    assert WebhookSubscription.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_unknown_event_types_are_refused(admin_user: Any, public_dns: Any) -> None:
    response = client_for(admin_user).post(
        f"{API}/subscriptions/",
        {"name": "x", "url": "https://a.test/", "event_types": ["case.exploded"]},
        format="json",
    )
    assert response.status_code == 400
    assert "event_types" in response.json()["error"]["fields"]


def test_delete_deactivates_and_is_audited(admin_user: Any, subscription: Any) -> None:
    response = client_for(admin_user).delete(f"{API}/subscriptions/{subscription.pk}/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert AuditEvent.objects.filter(action="webhook.subscription_deactivated").count() == 1


def test_delivery_log_lists_filters_and_shows_attempts_then_redelivers(
    admin_user: Any,
    subscription: Any,
    receiver: FakeReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with transaction.atomic():
        event = webhook_emit(event_type="case.approved", data={"case_id": 3}, case_id=3)
    assert event is not None
    delivery = event.deliveries.get()
    receiver.answers = [500]
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    api = client_for(admin_user)

    listed = api.get(f"{API}/deliveries/", {"subscription": subscription.pk, "status": "retrying"})
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["results"]] == [delivery.pk]
    assert listed.json()["results"][0]["event"]["id"] == str(event.event_id)
    assert api.get(f"{API}/deliveries/", {"status": "delivered"}).json()["results"] == []
    assert api.get(f"{API}/deliveries/", {"event_type": "case.rejected"}).json()["results"] == []
    assert api.get(f"{API}/deliveries/", {"status": "bogus"}).status_code == 400

    detail = api.get(f"{API}/deliveries/{delivery.pk}/").json()
    assert [(a["number"], a["status_code"], a["is_manual"]) for a in detail["attempts"]] == [
        (1, 500, False)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        redeliver = api.post(f"{API}/deliveries/{delivery.pk}/redeliver/")
    assert redeliver.status_code == 202
    # Tasks run in-process in the tests (after the request's commit).
    attempts = WebhookAttempt.objects.filter(delivery=delivery).order_by("number")
    assert [(a.number, a.is_manual, a.status_code) for a in attempts] == [
        (1, False, 500),
        (2, True, 200),
    ]
    assert api.get(f"{API}/deliveries/999999/").status_code == 404


def test_event_types_lists_the_known_types(admin_user: Any) -> None:
    response = client_for(admin_user).get(f"{API}/event-types/")
    types = [row["type"] for row in response.json()]
    assert "case.approved" in types and "capability.inactive" in types


def test_pages_let_an_admin_create_see_the_secret_once_and_read_the_log(
    client: Any,
    admin_user: Any,
    public_dns: Any,
    receiver: FakeReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(admin_user)
    assert client.get("/webhooks/").status_code == 200
    response = client.post(
        "/webhooks/new/",
        {
            "name": "Platform",
            "url": "https://hooks.platform.test/kyc",
            "event_types": ["case.approved", "case.rejected"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    sub = WebhookSubscription.objects.get()
    assert sub.event_types == ["case.approved", "case.rejected"]
    assert sub.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    page = client.get(f"/webhooks/{sub.pk}/")
    assert page.status_code == 200 and sub.secret not in page.content.decode()
    assert sub.secret not in client.get("/webhooks/").content.decode()

    refused = client.post(f"/webhooks/{sub.pk}/", {"name": "Platform", "url": "https://[fe80::1]/"})
    assert refused.status_code == 400 and "link-local" in refused.content.decode()

    response = client.post(f"/webhooks/{sub.pk}/test/")
    assert response.status_code == 302
    delivery = sub.deliveries.get()
    assert delivery.event.event_type == "webhook.test"
    page = client.get(f"/webhooks/deliveries/{delivery.pk}/")
    assert page.status_code == 200 and str(delivery.event.event_id) in page.content.decode()
    assert client.get(f"/webhooks/events/{delivery.event_id}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    assert delivery.attempts.filter(is_manual=True).count() == 1
    assert client.get(f"/webhooks/{sub.pk}/?status=delivered").status_code == 200
