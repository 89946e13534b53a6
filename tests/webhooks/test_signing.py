"""The signed body and its signature: a known vector, the exact body format, and the same
bytes on every attempt of every delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from tests.webhooks.conftest import FakeReceiver
from webhooks.models import WebhookAttempt, WebhookEvent
from webhooks.services import delivery_attempt, subscription_create, webhook_emit
from webhooks.signing import event_body, sign, verify


def test_signature_matches_the_rfc_4231_hmac_sha256_vector() -> None:
    # RFC 4231, test case 2.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign("Jefe", b"what do ya want for nothing?") == f"sha256={expected}"
    assert verify("Jefe", b"what do ya want for nothing?", f"sha256={expected}")
    assert not verify("Jefe", b"what do ya want for nothing!", f"sha256={expected}")


def test_body_is_compact_json_with_id_type_created_and_data_in_order() -> None:
    event = WebhookEvent(
        event_id=uuid.UUID("6f1c1b9e-0000-4000-8000-000000000001"),
        event_type="case.approved",
        occurred_at=datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=UTC),
        payload={"state": "approved", "case_id": 7, "capabilities": [{"id": 1, "code": "sell"}]},
    )
    body = event_body(event)
    assert body == (
        b'{"id":"6f1c1b9e-0000-4000-8000-000000000001","type":"case.approved",'
        b'"created":"2026-05-01T08:30:00.123456Z",'
        b'"data":{"capabilities":[{"code":"sell","id":1}],"case_id":7,"state":"approved"}}'
    )
    assert json.loads(body)["data"]["case_id"] == 7


def test_every_attempt_of_every_delivery_sends_the_same_body_and_event_id(
    db: Any, admin_user: Any, subscription: Any, receiver: FakeReceiver
) -> None:
    other, other_secret = subscription_create(
        actor=admin_user, data={"name": "Ledger", "url": "https://ledger.platform.test/in"}
    )
    with transaction.atomic():
        event = webhook_emit(event_type="case.approved", data={"case_id": 1, "state": "approved"})
    assert event is not None
    receiver.answers = [500, 500, 200, 200]
    assert event.deliveries.count() == 2
    deliveries = [
        event.deliveries.get(subscription=subscription),
        event.deliveries.get(subscription=other),
    ]
    for _ in range(3):
        delivery_attempt(delivery_id=deliveries[0].pk)
        # Due at once for the test: the schedule's wait is covered in test_delivery.
        type(deliveries[0]).objects.filter(pk=deliveries[0].pk).update(
            next_attempt_at=event.occurred_at
        )
    delivery_attempt(delivery_id=deliveries[1].pk)

    bodies = {r["body"] for r in receiver.requests}
    assert len(receiver.requests) == 4 and len(bodies) == 1
    body = bodies.pop()
    assert json.loads(body)["id"] == str(event.event_id)
    assert [r["headers"]["X-KYC-Event-Id"] for r in receiver.requests] == [str(event.event_id)] * 4
    assert [r["headers"]["X-KYC-Delivery-Attempt"] for r in receiver.requests] == [
        "1",
        "2",
        "3",
        "1",
    ]
    first = receiver.requests[0]["headers"]
    assert (
        first["X-KYC-Signature"]
        == "sha256=" + hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
    )
    assert receiver.requests[3]["headers"]["X-KYC-Signature"] == sign(other_secret, body)
    assert first["Content-Type"] == "application/json"
    assert first["User-Agent"] == "MerchantKYC-Webhooks/1"
    assert first["X-KYC-Event-Type"] == "case.approved"
    signatures = set(
        WebhookAttempt.objects.filter(delivery=deliveries[0]).values_list("signature", flat=True)
    )
    assert signatures == {first["X-KYC-Signature"]}
