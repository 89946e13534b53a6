"""Read use-cases for review cases; permission scoping lives here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import Role, has_role, is_staff_member
from config.errors import NotFound

from .models import REVIEW_QUEUE_STATES, ReasonCode, ReviewCase


def case_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[ReviewCase]:
    """Cases the actor may see: a seller its own merchants' cases, staff every case.

    Ordered for the queue: SLA due time first (oldest deadline first), then priority.
    """
    # Lists show the merchant and the assignee; a single case (case_get) also its maker and
    # checker. Each joined table is planning and columns on every list query.
    qs = ReviewCase.objects.select_related("merchant", "assignee")
    if not is_staff_member(actor):
        if has_role(actor, Role.SELLER):
            qs = qs.filter(merchant__memberships__user=actor)
        else:
            return qs.none()
    filters = filters or {}
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if "states" in filters:
        qs = qs.filter(state__in=filters["states"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("risk_tier"):
        qs = qs.filter(risk_tier=filters["risk_tier"])
    if filters.get("queue") == "open":
        qs = qs.filter(state__in=REVIEW_QUEUE_STATES)
    elif filters.get("queue") == "mine":
        qs = qs.filter(assignee=actor)
    elif filters.get("queue") == "unassigned":
        qs = qs.filter(state__in=REVIEW_QUEUE_STATES, assignee__isnull=True)
    if filters.get("assignee"):
        qs = qs.filter(assignee_id=filters["assignee"])
    search = (filters.get("q") or "").strip()
    if search:
        condition = (
            Q(merchant__legal_name__icontains=search)
            | Q(merchant__local_name__icontains=search)
            | Q(merchant__trading_name__icontains=search)
            | Q(merchant__registration_number__iexact=search)
        )
        if search.isdigit():
            condition |= Q(pk=int(search))
        qs = qs.filter(condition)
    return qs.order_by("sla_due_at", "priority", "id")


def case_get(*, actor: Any, case_id: Any) -> ReviewCase:
    try:
        return case_list(actor=actor).select_related("maker", "checker").get(pk=int(case_id))
    except (ReviewCase.DoesNotExist, ValueError, TypeError):
        raise NotFound("Case not found.") from None


def reason_code_list(*, kind: str | None = None) -> QuerySet[ReasonCode]:
    qs = ReasonCode.objects.filter(is_active=True)
    return qs.filter(kind=kind) if kind else qs


def comments_visible_to(*, actor: Any, case: ReviewCase) -> QuerySet[Any]:
    qs = case.comments.select_related("author")
    if is_staff_member(actor):
        return qs
    return qs.filter(visibility="seller")


def open_case_for(*, merchant_id: int) -> ReviewCase | None:
    return (
        ReviewCase.objects.filter(merchant_id=merchant_id)
        .exclude(state__in=["approved", "rejected", "withdrawn", "expired"])
        .order_by("-created_at")
        .first()
    )
