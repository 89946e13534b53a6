"""Read use-cases for the webhooks pages and API (compliance admins only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from config.errors import InvalidInput, NotFound

from .models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from .services import require_admin


def subscription_list(*, actor: Any) -> QuerySet[WebhookSubscription]:
    """Every subscription with its delivery counts per status (one query)."""
    require_admin(actor)
    counts = {
        f"n_{status}": Count("deliveries", filter=Q(deliveries__status=status))
        for status in DeliveryStatus.values
    }
    return (
        WebhookSubscription.objects.select_related("created_by")
        .annotate(**counts)
        .order_by("name", "id")  # Meta.ordering is not applied to a grouped query
    )


def subscription_get(*, actor: Any, subscription_id: int) -> WebhookSubscription:
    sub = subscription_list(actor=actor).filter(pk=subscription_id).first()
    if sub is None:
        raise NotFound("Subscription not found.")
    return sub


def delivery_list(
    *,
    actor: Any,
    subscription_id: int | str | None = None,
    status: str | None = None,
    event_type: str | None = None,
    event_id: int | None = None,
) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, filtered; 400 for a filter value that cannot match."""
    require_admin(actor)
    qs = WebhookDelivery.objects.select_related("event", "subscription")
    errors: dict[str, list[str]] = {}
    if subscription_id not in (None, ""):
        if not str(subscription_id).isdigit():
            errors["subscription"] = ["A subscription id."]
        else:
            qs = qs.filter(subscription_id=int(str(subscription_id)))
    if status:
        if status not in DeliveryStatus.values:
            errors["status"] = [f"One of: {', '.join(DeliveryStatus.values)}."]
        else:
            qs = qs.filter(status=status)
    if event_type:
        qs = qs.filter(event__event_type=event_type)
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    if errors:
        raise InvalidInput("Invalid filter.", fields=errors)
    return qs.order_by("-created_at", "-id")


def delivery_get(*, actor: Any, delivery_id: int) -> WebhookDelivery:
    require_admin(actor)
    delivery = (
        WebhookDelivery.objects.select_related("event", "subscription")
        .prefetch_related("attempts__requested_by")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound("Delivery not found.")
    return delivery


def event_get(*, actor: Any, event_id: int) -> WebhookEvent:
    require_admin(actor)
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound("Event not found.")
    return event
