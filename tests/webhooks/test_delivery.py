"""Delivery: 2xx delivers, anything else retries by the backoff schedule and fails after the
last; duplicates are no-ops; the sweeper picks up what is due; manual redelivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from tests.webhooks.conftest import FakeReceiver
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from webhooks.services import deliveries_due, delivery_attempt, delivery_redeliver, webhook_emit


@pytest.fixture
def delivery(db: Any, subscription: Any) -> WebhookDelivery:
    with transaction.atomic():
        event = webhook_emit(event_type="case.approved", data={"case_id": 1})
    assert event is not None
    return event.deliveries.get()


def reload(delivery: WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery.objects.get(pk=delivery.pk)


def make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_2xx_answer_delivers_and_a_second_run_changes_nothing(
    delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    attempt = delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert attempt is not None and attempt.status_code == 200 and not attempt.is_manual
    d = reload(delivery)
    assert d.status == DeliveryStatus.DELIVERED and d.delivered_at is not None
    assert d.next_attempt_at is None and d.attempt_count == 1

    assert delivery_attempt(delivery_id=delivery.pk, attempt=1) is None
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.count() == 1


def test_failures_follow_the_backoff_schedule_then_fail(
    delivery: WebhookDelivery, receiver: FakeReceiver, settings: Any
) -> None:
    settings.KYC_WEBHOOK_RETRY_SCHEDULE = [60, 300, 3600, 18000, 64800]
    receiver.answers = [500] * 6
    for number, wait in enumerate([60, 300, 3600, 18000, 64800], start=1):
        before = timezone.now()
        delivery_attempt(delivery_id=delivery.pk, attempt=number)
        d = reload(delivery)
        assert d.status == DeliveryStatus.RETRYING
        assert d.last_status_code == 500
        assert d.next_attempt_at is not None
        assert before + timedelta(seconds=wait) <= d.next_attempt_at
        assert d.next_attempt_at <= timezone.now() + timedelta(seconds=wait)
        # Not due yet: a task without an attempt number does nothing.
        assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery_attempt(delivery_id=delivery.pk, attempt=6)
    d = reload(delivery)
    assert d.status == DeliveryStatus.FAILED and d.next_attempt_at is None
    assert d.attempt_count == 6
    assert (
        list(WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True))
        == [500] * 6
    )
    assert delivery_attempt(delivery_id=delivery.pk, attempt=7) is None
    assert len(receiver.requests) == 6


def test_a_redirect_is_a_failure_not_followed(
    delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    receiver.answers = [302]
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    d = reload(delivery)
    assert d.status == DeliveryStatus.RETRYING and d.last_status_code == 302
    assert "302" in d.last_error


def test_a_short_retry_is_a_celery_countdown_and_a_long_one_is_left_to_the_sweeper(
    delivery: WebhookDelivery,
    receiver: FakeReceiver,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from webhooks import tasks

    settings.KYC_WEBHOOK_RETRY_SCHEDULE = [60, 3600]
    monkeypatch.setattr(services, "_tasks_run_in_process", lambda: False)
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        tasks.deliver_webhook_task,
        "apply_async",
        lambda args, kwargs, countdown: sent.append((args, kwargs, countdown)),
    )
    receiver.answers = [500, 500]
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert sent == [((delivery.pk,), {"attempt": 2}, 60)]
    make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk, attempt=2)
    assert len(sent) == 1  # 3600 s is past KYC_WEBHOOK_MAX_COUNTDOWN: the beat job's


def test_the_sweeper_enqueues_due_deliveries_with_their_next_attempt_number(
    delivery: WebhookDelivery,
    receiver: FakeReceiver,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from webhooks import tasks

    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(
        tasks.deliver_webhook_task,
        "delay",
        lambda delivery_id, attempt=None: queued.append((delivery_id, attempt)),
    )
    assert deliveries_due() == []  # a new delivery waits for its own task first
    receiver.answers = [500]
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_due() == [delivery.pk]
    assert queued == [(delivery.pk, 2)]
    assert deliveries_due() == []  # pushed on while its task waits in the queue
    delivery_attempt(delivery_id=delivery.pk, attempt=2)
    assert reload(delivery).status == DeliveryStatus.DELIVERED


def test_a_lost_first_task_is_recovered_by_the_sweeper(
    delivery: WebhookDelivery, receiver: FakeReceiver, django_capture_on_commit_callbacks: Any
) -> None:
    make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_due() == [delivery.pk]
    # Tasks run in-process in the tests: the recovered delivery was sent.
    assert reload(delivery).status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


def test_redeliver_makes_a_manual_attempt_even_when_delivered_and_is_audited(
    delivery: WebhookDelivery,
    receiver: FakeReceiver,
    admin_user: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    receiver.answers = [503]
    with django_capture_on_commit_callbacks(execute=True):
        delivery_redeliver(actor=admin_user, delivery_id=delivery.pk)
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.is_manual, a.status_code) for a in attempts] == [
        (1, False, 200),
        (2, True, 503),
    ]
    assert attempts[1].requested_by == admin_user
    d = reload(delivery)
    assert d.status == DeliveryStatus.DELIVERED  # a manual attempt never moves the schedule
    assert d.last_status_code == 503
    event = AuditEvent.objects.get(action="webhook.redelivered")
    assert event.object_id == str(delivery.pk)


def test_redeliver_of_a_failed_delivery_that_succeeds_delivers_it(
    delivery: WebhookDelivery,
    receiver: FakeReceiver,
    admin_user: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.KYC_WEBHOOK_RETRY_SCHEDULE = []
    receiver.answers = [500]
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert reload(delivery).status == DeliveryStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        delivery_redeliver(actor=admin_user, delivery_id=delivery.pk)
    assert reload(delivery).status == DeliveryStatus.DELIVERED


def test_a_deactivated_subscription_fails_its_pending_deliveries_without_a_request(
    delivery: WebhookDelivery, receiver: FakeReceiver, admin_user: Any, subscription: Any
) -> None:
    services.subscription_deactivate(actor=admin_user, subscription_id=subscription.pk)
    assert delivery_attempt(delivery_id=delivery.pk, attempt=1) is None
    assert reload(delivery).status == DeliveryStatus.FAILED
    assert receiver.requests == []
