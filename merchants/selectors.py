"""Read use-cases for merchants, where permission scoping lives."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.roles import Role, has_role, is_staff_member
from config.errors import NotFound

from .models import Capability, Merchant, Person


def merchant_list(*, actor: Any) -> QuerySet[Merchant]:
    """Sellers see their own merchants; staff see all (through cases and search)."""
    qs = Merchant.objects.all()
    if is_staff_member(actor):
        return qs
    if has_role(actor, Role.SELLER):
        return qs.filter(memberships__user=actor)
    return qs.none()


def merchant_get(*, actor: Any, merchant_id: Any) -> Merchant:
    try:
        return merchant_list(actor=actor).get(pk=int(merchant_id))
    except (Merchant.DoesNotExist, ValueError, TypeError):
        raise NotFound("Merchant not found.") from None


def merchant_is_member(*, actor: Any, merchant: Merchant) -> bool:
    return merchant.memberships.filter(user=actor).exists()


def person_list(*, merchant: Merchant) -> QuerySet[Person]:
    return merchant.people.all()


def capability_list(*, merchant: Merchant) -> QuerySet[Capability]:
    return merchant.capabilities.select_related("category", "brand").order_by("kind", "id")
