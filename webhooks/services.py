"""Write use-cases for webhooks: emitting events, managing subscriptions, delivering.

Emission happens inside the transaction of the change it describes (a rollback leaves no
event and no delivery); deliveries are enqueued after commit. An event is recorded only when
at least one active subscription wants its type at that moment: a subscription created later
does not receive earlier events (nothing is replayed).

Delivery: each attempt is claimed under the delivery's row lock (its number, a lease on
`next_attempt_at`), the HTTP request runs with no lock held, and the outcome is written under
the lock again. A 2xx delivers; anything else (a 3xx included: redirects are not followed)
schedules the next try from KYC_WEBHOOK_RETRY_SCHEDULE, and the delivery fails after the
last. Admin redeliveries are extra, manual attempts that never move the schedule.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role, has_role, is_staff_member
from audit.services import audit_record
from config.errors import InvalidInput, NotAllowed, NotFound

from . import network
from .events import EVENT_TYPES, TEST_EVENT
from .models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from .signing import delivery_headers, event_body, sign

FINISHED = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


def _jsonable(value: Any) -> Any:
    """What the JSON column gives back, so the body rebuilt later is the same bytes."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def require_admin(actor: Any) -> None:
    """Webhooks are the compliance admins' alone: other staff are refused (403); anyone
    without a staff role is told nothing exists (404)."""
    if not is_staff_member(actor):
        raise NotFound("Not found.")
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise NotAllowed("Only compliance admins manage webhooks.")


# --------------------------------------------------------------------------- emission


def _enqueue(delivery_id: int, attempt: int) -> None:
    from .tasks import deliver_webhook_task

    deliver_webhook_task.delay_on_commit(delivery_id, attempt=attempt)


def _create_deliveries(event: WebhookEvent, subscriptions: list[WebhookSubscription]) -> list[int]:
    # A delivery whose on-commit task is lost (broker down) is picked up by the beat job
    # once next_attempt_at passes.
    recover_at = event.occurred_at + timedelta(seconds=settings.KYC_WEBHOOK_RECOVERY_SECONDS)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(event=event, subscription=s, next_attempt_at=recover_at)
            for s in subscriptions
        ]
    )
    ids = [d.pk for d in deliveries]
    for delivery_id in ids:
        _enqueue(delivery_id, 1)
    return ids


def webhook_emit(
    *,
    event_type: str,
    data: dict[str, Any],
    merchant_id: int | None = None,
    case_id: int | None = None,
) -> WebhookEvent | None:
    """Records one event and a delivery for every active subscription that wants its type,
    inside the caller's transaction; the deliveries are sent after commit. Returns None, and
    writes nothing, when no subscription wants the type."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook_emit must run inside the transaction of the change")
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(is_active=True).only("pk", "event_types")
        if s.wants(event_type)
    ]
    if not subscriptions:
        return None
    event = WebhookEvent.objects.create(
        event_type=event_type,
        occurred_at=timezone.now(),
        payload=_jsonable(data),
        merchant_id=merchant_id,
        case_id=case_id,
    )
    _create_deliveries(event, subscriptions)
    return event


def webhook_event_refresh(*, event: WebhookEvent, data: dict[str, Any]) -> None:
    """Replaces the data of an event emitted earlier in the same transaction (the change's
    later steps, e.g. the capabilities an approval activated). Nothing has been sent yet:
    deliveries start after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook_event_refresh must run inside the transaction of the change")
    if WebhookAttempt.objects.filter(delivery__event=event).exists():
        return  # sent already (a stale reference): every attempt must carry the same body
    payload = _jsonable(data)
    if payload != event.payload:
        event.payload = payload
        event.save(update_fields=["payload"])


# --------------------------------------------------------------------------- subscriptions


def _clean_subscription(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if "name" in data or not partial:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = ["Required."]
        elif len(name) > 120:
            errors["name"] = ["At most 120 characters."]
        cleaned["name"] = name
    if "url" in data or not partial:
        url = str(data.get("url") or "").strip()
        if not url:
            errors["url"] = ["Required."]
        elif len(url) > 500:
            errors["url"] = ["At most 500 characters."]
        else:
            try:
                network.check_url(url)
            except network.DestinationRefused as exc:
                errors["url"] = [exc.message]
        cleaned["url"] = url
    if "event_types" in data or not partial:
        types = data.get("event_types") or []
        if not isinstance(types, list | tuple) or not all(isinstance(t, str) for t in types):
            errors["event_types"] = ["A list of event types; empty for every type."]
        else:
            unknown = [t for t in types if t not in EVENT_TYPES]
            if unknown:
                errors["event_types"] = [f"Unknown event type: {t}" for t in unknown]
            cleaned["event_types"] = sorted(set(types))
    if "is_active" in data:
        cleaned["is_active"] = bool(data["is_active"])
    if errors:
        message = errors["url"][0] if "url" in errors else "The subscription is invalid."
        raise InvalidInput(message, fields=errors)
    return cleaned


def _subscription_snapshot(sub: WebhookSubscription) -> dict[str, Any]:
    # Never the secret: the audit trail is exported and read by many.
    return {
        "name": sub.name,
        "url": sub.url,
        "event_types": list(sub.event_types),
        "is_active": sub.is_active,
    }


def _lock_subscription(subscription_id: int) -> WebhookSubscription:
    sub = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound("Subscription not found.")
    return sub


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def subscription_create(*, actor: Any, data: dict[str, Any]) -> tuple[WebhookSubscription, str]:
    """Creates a subscription with a generated secret; returns it with the secret, which the
    caller shows once. The URL must pass the destination checks (400 on `url`)."""
    require_admin(actor)
    cleaned = _clean_subscription(data, partial=False)
    secret = new_secret()
    sub = WebhookSubscription.objects.create(
        name=cleaned["name"],
        url=cleaned["url"],
        event_types=cleaned["event_types"],
        is_active=cleaned.get("is_active", True),
        secret=secret,
        created_by=actor,
    )
    audit_record(
        action="webhook.subscription_created",
        actor=actor,
        obj=sub,
        after=_subscription_snapshot(sub),
    )
    return sub, secret


@transaction.atomic
def subscription_update(
    *, actor: Any, subscription_id: int, data: dict[str, Any]
) -> WebhookSubscription:
    """Changes name, URL, event types or active flag; no audit event when nothing changed."""
    require_admin(actor)
    sub = _lock_subscription(subscription_id)
    cleaned = _clean_subscription(data, partial=True)
    before = _subscription_snapshot(sub)
    for key, value in cleaned.items():
        setattr(sub, key, value)
    after = _subscription_snapshot(sub)
    if after != before:
        sub.save()
        audit_record(
            action="webhook.subscription_updated",
            actor=actor,
            obj=sub,
            before=before,
            after=after,
        )
    return sub


@transaction.atomic
def subscription_rotate_secret(
    *, actor: Any, subscription_id: int
) -> tuple[WebhookSubscription, str]:
    """A new secret, effective for every attempt from now on (retries of older events too)."""
    require_admin(actor)
    sub = _lock_subscription(subscription_id)
    secret = new_secret()
    sub.secret = secret
    sub.save(update_fields=["secret", "updated_at"])
    audit_record(action="webhook.secret_rotated", actor=actor, obj=sub)
    return sub, secret


@transaction.atomic
def subscription_deactivate(*, actor: Any, subscription_id: int) -> WebhookSubscription:
    """Stops new deliveries; pending ones fail at their next attempt."""
    require_admin(actor)
    sub = _lock_subscription(subscription_id)
    if sub.is_active:
        before = _subscription_snapshot(sub)
        sub.is_active = False
        sub.save(update_fields=["is_active", "updated_at"])
        audit_record(
            action="webhook.subscription_deactivated",
            actor=actor,
            obj=sub,
            before=before,
            after=_subscription_snapshot(sub),
        )
    return sub


@transaction.atomic
def webhook_send_test(*, actor: Any, subscription_id: int) -> WebhookDelivery:
    """A `webhook.test` event delivered to this subscription only, whatever its types."""
    require_admin(actor)
    sub = _lock_subscription(subscription_id)
    event = WebhookEvent.objects.create(
        event_type=TEST_EVENT,
        occurred_at=timezone.now(),
        payload={"subscription_id": sub.pk, "message": "A test event from Merchant KYC."},
    )
    (delivery_id,) = _create_deliveries(event, [sub])
    audit_record(
        action="webhook.test_sent",
        actor=actor,
        obj=sub,
        after={"event_id": str(event.event_id), "delivery": delivery_id},
    )
    return WebhookDelivery.objects.get(pk=delivery_id)


@transaction.atomic
def delivery_redeliver(*, actor: Any, delivery_id: int) -> WebhookDelivery:
    """Queues a manual attempt now, whatever the delivery's status (a delivered or failed
    one included); the retry schedule is not changed by it."""
    require_admin(actor)
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("event")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    audit_record(
        action="webhook.redelivered",
        actor=actor,
        obj=delivery,
        case_id=delivery.event.case_id,
        merchant_id=delivery.event.merchant_id,
        after={
            "event_id": str(delivery.event.event_id),
            "event_type": delivery.event.event_type,
            "subscription": delivery.subscription_id,
            "status": delivery.status,
        },
    )
    from .tasks import redeliver_webhook_task

    redeliver_webhook_task.delay_on_commit(delivery.pk, requested_by_id=actor.pk)
    return delivery


# --------------------------------------------------------------------------- delivery


def _lease() -> timedelta:
    # Long enough for the request to finish; a worker that dies mid-request leaves the
    # delivery to the beat job after it.
    return timedelta(
        seconds=settings.KYC_WEBHOOK_CONNECT_TIMEOUT + settings.KYC_WEBHOOK_READ_TIMEOUT + 60
    )


def _claim(
    delivery_id: int, *, attempt: int | None, manual: bool, requested_by_id: int | None
) -> tuple[WebhookAttempt, WebhookDelivery] | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("event", "subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        if not manual:
            if delivery.status in FINISHED:
                return None  # a duplicate or late task: the outcome is settled
            if attempt is not None and attempt != delivery.attempt_count + 1:
                return None  # that attempt was made (or is in flight) already
            if (
                attempt is None
                and delivery.attempt_count
                and (delivery.next_attempt_at is None or delivery.next_attempt_at > now)
            ):
                return None  # not due yet
            if not delivery.subscription.is_active:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                delivery.last_error = "The subscription was deactivated."
                delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
                return None
        number = delivery.attempt_count + 1
        delivery.attempt_count = number
        fields = ["attempt_count"]
        if not manual:
            delivery.next_attempt_at = now + _lease()
            fields.append("next_attempt_at")
        delivery.save(update_fields=fields)
        body = event_body(delivery.event)
        record = WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            is_manual=manual,
            requested_by_id=requested_by_id,
            started_at=now,
            signature=sign(delivery.subscription.secret, body),
        )
    return record, delivery


def _tasks_run_in_process() -> bool:
    return bool(current_app.conf.task_always_eager)


def _schedule_retry(delivery_id: int, delay: int, attempt: int) -> None:
    # Short waits are a Celery countdown; longer ones (and every wait when tasks run
    # in-process, where a countdown would run at once) are the beat job's.
    if delay <= settings.KYC_WEBHOOK_MAX_COUNTDOWN and not _tasks_run_in_process():
        from .tasks import deliver_webhook_task

        transaction.on_commit(
            lambda: deliver_webhook_task.apply_async(
                (delivery_id,), {"attempt": attempt}, countdown=delay
            )
        )


def delivery_attempt(
    *,
    delivery_id: int,
    attempt: int | None = None,
    manual: bool = False,
    requested_by_id: int | None = None,
) -> WebhookAttempt | None:
    """Makes one attempt of a delivery and records it; None when there is nothing to do
    (delivered, failed, not due, or attempt `attempt` was made already). Idempotent."""
    claimed = _claim(delivery_id, attempt=attempt, manual=manual, requested_by_id=requested_by_id)
    if claimed is None:
        return None
    record, delivery = claimed
    event, subscription = delivery.event, delivery.subscription
    body = event_body(event)
    headers = delivery_headers(
        event=event, secret=subscription.secret, body=body, attempt=record.number
    )
    refused_for_good = False
    try:
        destination = network.check_url(subscription.url)
    except network.DestinationRefused as exc:
        # A refused address is a configuration problem: no retry (an admin redelivers once
        # the URL is fixed). A name that does not resolve may be a passing DNS failure.
        refused_for_good = "resolved" not in exc.message
        result = network.HttpResult(
            status_code=None, duration_ms=0, response_excerpt="", error=exc.message[:500]
        )
    else:
        result = network.post(destination, body=body, headers=headers)
    ok = result.status_code is not None and 200 <= result.status_code < 300
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        now = timezone.now()
        record.duration_ms = result.duration_ms
        record.status_code = result.status_code
        record.response_excerpt = result.response_excerpt
        record.error = result.error or (
            "" if ok else f"HTTP {result.status_code}: not a 2xx answer"
        )
        record.save(update_fields=["duration_ms", "status_code", "response_excerpt", "error"])
        delivery.last_status_code = result.status_code
        delivery.last_error = record.error
        fields = ["last_status_code", "last_error"]
        if ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            fields += ["status", "delivered_at", "next_attempt_at"]
        elif not manual:
            made = delivery.attempts.filter(is_manual=False).count()
            schedule = list(settings.KYC_WEBHOOK_RETRY_SCHEDULE)
            if refused_for_good or made > len(schedule):
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delay = int(schedule[made - 1])
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = now + timedelta(seconds=delay)
                _schedule_retry(delivery.pk, delay, delivery.attempt_count + 1)
            fields += ["status", "next_attempt_at"]
        delivery.save(update_fields=fields)
    return record


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Enqueues deliveries whose next attempt is due: retries past the countdown limit and
    deliveries whose task was lost. Rows another sweeper or a task holds are skipped."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "attempt_count")[:limit]
        )
        ids = [pk for pk, _ in due]
        # Not again at the next sweep while the task waits in the queue; if it is lost too,
        # the sweep after the recovery delay sends it.
        WebhookDelivery.objects.filter(pk__in=ids).update(
            next_attempt_at=now + timedelta(seconds=settings.KYC_WEBHOOK_RECOVERY_SECONDS)
        )
        from .tasks import deliver_webhook_task

        for delivery_id, made in due:
            # The attempt number makes a duplicate of this task (or of a countdown) a no-op.
            deliver_webhook_task.delay_on_commit(delivery_id, attempt=made + 1)
    return ids
