"""Acceptance: a webhook receiver that answers 500 twice then 200 receives the event three
times, with the same event id and a valid signature each time, and the delivery log shows
all three. Real services: PostgreSQL, Redis, a real Celery worker (retry delays of 1 s,
given to it through KYC_WEBHOOK_RETRY_SCHEDULE) and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any

import pytest

from tests.conftest import accept_documents
from tests.integration.conftest import Worker, wait_until
from tests.services import need

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    url: str
    answers: list[int]
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="", answers=[500, 500, 200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.requests.append({"headers": dict(self.headers.items()), "body": body})
                code = state.answers.pop(0) if state.answers else 200
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(f"receiver says {code}".encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/kyc-events"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fast_retry_worker(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, settings: Any
) -> Worker:
    need("postgres", "redis", "moto")
    # The worker inherits the environment: retries after 1 s instead of 1 min, 5 min, …
    monkeypatch.setenv("KYC_WEBHOOK_RETRY_SCHEDULE", "1,1,1")
    monkeypatch.setenv("KYC_WEBHOOK_ALLOW_HTTP", "true")
    monkeypatch.setenv("KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")
    settings.KYC_WEBHOOK_RETRY_SCHEDULE = [1, 1, 1]
    worker: Worker = request.getfixturevalue("celery_worker")
    return worker


def test_a_receiver_failing_twice_gets_the_same_signed_event_three_times(
    transactional_db: None,
    claimed_case: Any,
    reviewer: Any,
    admin_user: Any,
    receiver: Receiver,
    request: pytest.FixtureRequest,
) -> None:
    from cases.services import case_approve
    from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
    from webhooks.services import subscription_create

    subscription, secret = subscription_create(
        actor=admin_user,
        data={"name": "Platform", "url": receiver.url, "event_types": ["case.approved"]},
    )
    # Everything before this ran in-process; the approval's tasks go to the real worker.
    worker: Worker = request.getfixturevalue("fast_retry_worker")

    accept_documents(claimed_case, reviewer)
    case_approve(actor=reviewer, case_id=claimed_case.pk)

    delivery = wait_until(
        lambda: WebhookDelivery.objects.filter(
            subscription=subscription, status=DeliveryStatus.DELIVERED
        ).first(),
        timeout=60,
        what="the webhook to be delivered after two failures",
    )
    assert len(receiver.requests) == 3, worker.log_text()[-3000:]
    event = delivery.event
    assert event.event_type == "case.approved" and event.case_id == claimed_case.pk
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1  # the same bytes every time
    body = bodies.pop()
    document = json.loads(body)
    assert document["id"] == str(event.event_id)
    assert document["type"] == "case.approved"
    assert document["data"]["case_id"] == claimed_case.pk
    assert document["data"]["state"] == "approved"
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    for number, req in enumerate(receiver.requests, start=1):
        headers = {k.lower(): v for k, v in req["headers"].items()}
        assert headers["x-kyc-event-id"] == str(event.event_id)
        assert headers["x-kyc-event-type"] == "case.approved"
        assert headers["x-kyc-delivery-attempt"] == str(number)
        assert hmac.compare_digest(headers["x-kyc-signature"], expected)
        assert headers["content-type"] == "application/json"

    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code, a.is_manual) for a in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, False),
    ]
    assert all(a.duration_ms is not None for a in log)
    assert log[0].response_excerpt == "receiver says 500"
    assert log[2].response_excerpt == "receiver says 200"
    # About 1 s between attempts: the schedule from the worker's environment.
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in pairwise(log)]
    assert all(0.9 <= gap < 30 for gap in gaps), gaps
    delivery.refresh_from_db()
    assert delivery.attempt_count == 3 and delivery.last_status_code == 200
