"""Webhooks API: subscriptions, the delivery log, redelivery (compliance admins only; anyone
else gets 404). A subscription's secret is in the answer to its creation and to a rotation,
and in no other response."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ApiView, InputSerializer, Pagination
from config.idempotency import idempotent

from . import selectors, services
from .events import EVENT_TYPES
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from .signing import format_created

TAGS = ["webhooks"]


class SubscriptionIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    url = serializers.CharField(
        max_length=500,
        help_text="https:// endpoint; link-local, metadata and (in production) private "
        "addresses are refused.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)),
        required=False,
        default=list,
        help_text="The event types to receive; empty for every type.",
    )
    is_active = serializers.BooleanField(required=False, default=True)


class SubscriptionPatchIn(InputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    url = serializers.CharField(max_length=500, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), required=False
    )
    is_active = serializers.BooleanField(required=False)


class DeliveryStatsOut(serializers.Serializer):
    pending = serializers.IntegerField(source="n_pending")
    retrying = serializers.IntegerField(source="n_retrying")
    delivered = serializers.IntegerField(source="n_delivered")
    failed = serializers.IntegerField(source="n_failed")


class SubscriptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    event_types = serializers.ListField(
        child=serializers.CharField(), help_text="Empty: every event type."
    )
    is_active = serializers.BooleanField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    deliveries = DeliveryStatsOut(source="*")

    def get_created_by(self, obj: WebhookSubscription) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class SubscriptionWithSecretOut(SubscriptionOut):
    secret = serializers.CharField(
        help_text="Shown only in this response: store it to verify X-KYC-Signature."
    )


class AttemptOut(serializers.Serializer):
    number = serializers.IntegerField()
    is_manual = serializers.BooleanField()
    requested_by = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(allow_null=True)
    status_code = serializers.IntegerField(allow_null=True)
    response_excerpt = serializers.CharField()
    error = serializers.CharField()

    def get_requested_by(self, obj: Any) -> str | None:
        return obj.requested_by.get_username() if obj.requested_by else None


class EventOut(serializers.Serializer):
    id = serializers.UUIDField(source="event_id")
    type = serializers.CharField(source="event_type")
    created = serializers.SerializerMethodField()
    data = serializers.JSONField(source="payload")

    def get_created(self, obj: Any) -> str:
        return format_created(obj)


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    subscription = serializers.IntegerField(source="subscription_id")
    event = EventOut()
    status = serializers.CharField(help_text="`pending`, `retrying`, `delivered` or `failed`.")
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DeliveryDetailOut(DeliveryOut):
    attempts = AttemptOut(many=True, source="attempts.all")


class EventTypeOut(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()


def _subscription_out(sub: WebhookSubscription, request: Request, secret: str = "") -> Any:
    fresh = selectors.subscription_get(actor=request.user, subscription_id=sub.pk)
    if secret:
        fresh.secret = secret
        return SubscriptionWithSecretOut(fresh).data
    return SubscriptionOut(fresh).data


class SubscriptionListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="webhooks_subscriptions_list",
        responses=SubscriptionOut(many=True),
        tags=TAGS,
        description="Compliance admins: every subscription with its delivery counts. The "
        "secret is never listed.",
    )
    def get(self, request: Request) -> Response:
        return self.paginate(selectors.subscription_list(actor=request.user), SubscriptionOut)

    @extend_schema(
        operation_id="webhooks_subscriptions_create",
        request=SubscriptionIn,
        responses={201: SubscriptionWithSecretOut},
        tags=TAGS,
        description="Compliance admins: creates a subscription with a generated secret, "
        "returned in this response only. An URL whose host is or resolves to a refused "
        "address answers 400 on `url`. (The Idempotency-Key is not honoured here: the "
        "response holds the secret and is not stored.)",
    )
    def post(self, request: Request) -> Response:
        services.require_admin(request.user)
        serializer = SubscriptionIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub, secret = services.subscription_create(
            actor=request.user, data=dict(serializer.validated_data)
        )
        return Response(_subscription_out(sub, request, secret), status=status.HTTP_201_CREATED)


class SubscriptionDetailView(ApiView):
    @extend_schema(
        operation_id="webhooks_subscriptions_retrieve",
        responses=SubscriptionOut,
        tags=TAGS,
        description="Compliance admins: one subscription (without its secret).",
    )
    def get(self, request: Request, subscription_id: int) -> Response:
        sub = selectors.subscription_get(actor=request.user, subscription_id=subscription_id)
        return Response(SubscriptionOut(sub).data)

    @extend_schema(
        operation_id="webhooks_subscriptions_partial_update",
        request=SubscriptionPatchIn,
        responses=SubscriptionOut,
        tags=TAGS,
        description="Compliance admins: changes the name, URL, event types or active flag.",
    )
    def patch(self, request: Request, subscription_id: int) -> Response:
        services.require_admin(request.user)
        serializer = SubscriptionPatchIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = services.subscription_update(
            actor=request.user,
            subscription_id=subscription_id,
            data=dict(serializer.validated_data),
        )
        return Response(_subscription_out(sub, request))

    @extend_schema(
        operation_id="webhooks_subscriptions_deactivate",
        responses=SubscriptionOut,
        tags=TAGS,
        description="Compliance admins: deactivates the subscription (kept, with its "
        "delivery log; PATCH `is_active` turns it back on).",
    )
    def delete(self, request: Request, subscription_id: int) -> Response:
        sub = services.subscription_deactivate(actor=request.user, subscription_id=subscription_id)
        return Response(_subscription_out(sub, request))


class SubscriptionRotateSecretView(ApiView):
    @extend_schema(
        operation_id="webhooks_subscriptions_rotate_secret",
        request=None,
        responses=SubscriptionWithSecretOut,
        tags=TAGS,
        description="Compliance admins: replaces the secret; the new one is returned in this "
        "response only and signs every attempt from now on.",
    )
    def post(self, request: Request, subscription_id: int) -> Response:
        sub, secret = services.subscription_rotate_secret(
            actor=request.user, subscription_id=subscription_id
        )
        return Response(_subscription_out(sub, request, secret))


class SubscriptionTestView(ApiView):
    @extend_schema(
        operation_id="webhooks_subscriptions_send_test",
        request=None,
        responses={202: DeliveryOut},
        tags=TAGS,
        description="Compliance admins: sends a `webhook.test` event to this subscription.",
    )
    @idempotent
    def post(self, request: Request, subscription_id: int) -> Response:
        delivery = services.webhook_send_test(actor=request.user, subscription_id=subscription_id)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


DELIVERY_FILTERS = [
    OpenApiParameter("subscription", OpenApiTypes.INT, description="A subscription id."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values),
    OpenApiParameter("event_type", OpenApiTypes.STR, description="e.g. `case.approved`."),
]


class DeliveryListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        parameters=DELIVERY_FILTERS,
        responses=DeliveryOut(many=True),
        tags=TAGS,
        description="Compliance admins: deliveries, newest first.",
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        qs = selectors.delivery_list(
            actor=request.user,
            subscription_id=query.get("subscription"),
            status=query.get("status"),
            event_type=query.get("event_type"),
        )
        return self.paginate(qs, DeliveryOut)


class DeliveryDetailView(ApiView):
    @extend_schema(
        operation_id="webhooks_deliveries_retrieve",
        responses=DeliveryDetailOut,
        tags=TAGS,
        description="Compliance admins: one delivery with every attempt (the delivery log).",
    )
    def get(self, request: Request, delivery_id: int) -> Response:
        delivery = selectors.delivery_get(actor=request.user, delivery_id=delivery_id)
        return Response(DeliveryDetailOut(delivery).data)


class DeliveryRedeliverView(ApiView):
    @extend_schema(
        operation_id="webhooks_deliveries_redeliver",
        request=None,
        responses={202: OpenApiResponse(DeliveryOut, description="The attempt is queued.")},
        tags=TAGS,
        description="Compliance admins: queues a manual attempt now, whatever the status "
        "(delivered and failed deliveries included); it does not change the retry schedule.",
    )
    @idempotent
    def post(self, request: Request, delivery_id: int) -> Response:
        delivery: WebhookDelivery = services.delivery_redeliver(
            actor=request.user, delivery_id=delivery_id
        )
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


class EventTypeListView(ApiView):
    @extend_schema(
        operation_id="webhooks_event_types_list",
        responses=EventTypeOut(many=True),
        tags=TAGS,
        description="Compliance admins: the event types a subscription can ask for.",
    )
    def get(self, request: Request) -> Response:
        services.require_admin(request.user)
        rows = [{"type": t, "description": str(d)} for t, d in EVENT_TYPES.items()]
        return Response(EventTypeOut(rows, many=True).data)
