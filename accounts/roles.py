"""Roles are Django groups; these helpers are the one place that names them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SELLER = "seller", _("Seller")
    REVIEWER = "reviewer", _("Reviewer")
    SENIOR_REVIEWER = "senior_reviewer", _("Senior reviewer")
    QC_LEAD = "qc_lead", _("QC lead")
    COMPLIANCE_ADMIN = "compliance_admin", _("Compliance admin")


STAFF_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER, Role.QC_LEAD, Role.COMPLIANCE_ADMIN})
# Roles allowed to work review cases (claim, decide).
REVIEWING_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER})


def roles_of(user: object) -> frozenset[str]:
    """The role names of a user, cached on the instance for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user._role_cache = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: object, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_staff_member(user: object) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def primary_role(user: object) -> str:
    """The role recorded in audit events: the most senior one the user holds."""
    order = [
        Role.COMPLIANCE_ADMIN,
        Role.QC_LEAD,
        Role.SENIOR_REVIEWER,
        Role.REVIEWER,
        Role.SELLER,
    ]
    held = roles_of(user)
    for role in order:
        if role in held:
            return str(role)
    return ""
