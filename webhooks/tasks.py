"""Celery shells for webhooks: load by id, call one service. Each is idempotent: a delivery
attempt is claimed under the row lock with its number, so a duplicate task does nothing."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import deliveries_due, delivery_attempt

# Only the database: an HTTP failure is an attempt, recorded and retried by the schedule.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5
)
def deliver_webhook_task(self: object, delivery_id: int, attempt: int | None = None) -> None:
    delivery_attempt(delivery_id=delivery_id, attempt=attempt)


@shared_task(
    bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5
)
def redeliver_webhook_task(
    self: object, delivery_id: int, requested_by_id: int | None = None
) -> None:
    delivery_attempt(delivery_id=delivery_id, manual=True, requested_by_id=requested_by_id)


@shared_task(acks_late=True)
def dispatch_due_webhooks_task() -> int:
    return len(deliveries_due())
