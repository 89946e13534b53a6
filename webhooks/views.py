"""The webhooks pages (/webhooks/): compliance admins only; other staff get 403, anyone
without a staff role 404, so the pages' existence is not revealed to sellers. Every change goes
through webhooks.services (audited)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import apply_domain_error
from accounts.roles import Role, has_role, is_staff_member
from config.errors import DomainError, NotFound

from . import selectors, services
from .events import EVENT_TYPES
from .forms import SubscriptionForm
from .models import DeliveryStatus, WebhookSubscription
from .signing import event_body

View = Callable[..., HttpResponseBase]


def admin_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_member(request.user):
            raise Http404
        if not has_role(request.user, Role.COMPLIANCE_ADMIN):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc

    return wrapped


def _secret_page(request: HttpRequest, sub: WebhookSubscription, secret: str) -> HttpResponse:
    # The only time the secret is shown: not cached, not in a redirect URL or a message.
    response = render(request, "webhooks/secret.html", {"subscription": sub, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@admin_only
@require_http_methods(["GET"])
def subscription_list(request: HttpRequest) -> HttpResponse:
    subscriptions = selectors.subscription_list(actor=request.user)
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@admin_only
@never_cache
@require_http_methods(["GET", "POST"])
def subscription_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sub, secret = services.subscription_create(actor=request.user, data=form.service_data())
        except DomainError as exc:
            apply_domain_error(form, exc, with_message="url" not in exc.fields)
        else:
            return _secret_page(request, sub, secret)
    status = 400 if form.is_bound else 200
    return render(request, "webhooks/form.html", {"form": form}, status=status)


@admin_only
@require_http_methods(["GET", "POST"])
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    sub = selectors.subscription_get(actor=request.user, subscription_id=subscription_id)
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                services.subscription_update(
                    actor=request.user, subscription_id=sub.pk, data=form.service_data()
                )
            except DomainError as exc:
                apply_domain_error(form, exc, with_message="url" not in exc.fields)
            else:
                messages.success(request, _("The subscription was saved."))
                return redirect("webhooks:detail", subscription_id=sub.pk)
    else:
        form = SubscriptionForm(initial=SubscriptionForm.initial_for(sub))
    status_filter = request.GET.get("status") or ""
    if status_filter not in DeliveryStatus.values:
        status_filter = ""
    deliveries = selectors.delivery_list(
        actor=request.user, subscription_id=sub.pk, status=status_filter or None
    )
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": sub,
            "form": form,
            "page": page,
            "status_filter": status_filter,
            "statuses": DeliveryStatus.choices,
        },
        status=400 if form.is_bound else 200,
    )


@admin_only
@never_cache
@require_POST
def subscription_rotate(request: HttpRequest, subscription_id: int) -> HttpResponse:
    sub, secret = services.subscription_rotate_secret(
        actor=request.user, subscription_id=subscription_id
    )
    return _secret_page(request, sub, secret)


@admin_only
@require_POST
def subscription_deactivate(request: HttpRequest, subscription_id: int) -> HttpResponseBase:
    services.subscription_deactivate(actor=request.user, subscription_id=subscription_id)
    messages.success(request, _("The subscription was deactivated."))
    return redirect("webhooks:detail", subscription_id=subscription_id)


@admin_only
@require_POST
def subscription_test(request: HttpRequest, subscription_id: int) -> HttpResponseBase:
    delivery = services.webhook_send_test(actor=request.user, subscription_id=subscription_id)
    messages.success(request, _("A test event was queued."))
    return redirect("webhooks:delivery", delivery_id=delivery.pk)


@admin_only
@require_http_methods(["GET"])
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.delivery_get(actor=request.user, delivery_id=delivery_id)
    return render(
        request,
        "webhooks/delivery.html",
        {
            "delivery": delivery,
            "event": delivery.event,
            "body": event_body(delivery.event).decode("ascii"),
            "attempts": list(delivery.attempts.all()),
        },
    )


@admin_only
@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponseBase:
    services.delivery_redeliver(actor=request.user, delivery_id=delivery_id)
    messages.success(request, _("A manual attempt was queued."))
    return redirect("webhooks:delivery", delivery_id=delivery_id)


@admin_only
@require_http_methods(["GET"])
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, event_id=event_id)
    deliveries = selectors.delivery_list(actor=request.user, event_id=event.pk).prefetch_related(
        "attempts__requested_by"
    )
    return render(
        request,
        "webhooks/event.html",
        {
            "event": event,
            "description": EVENT_TYPES.get(event.event_type, ""),
            "body": event_body(event).decode("ascii"),
            "deliveries": deliveries,
        },
    )
