"""API token scopes: what an integration's token may reach. Session users are not scoped.

A scope names a resource family and an access level. Each API route belongs to one family
(by its URL name); GET/HEAD/OPTIONS need `<family>:read`, other methods `<family>:write`, except
for the families that have a single scope (`qc`, `audit:export`, `webhooks:manage`). A token
can only be given scopes its owner's roles can use; the roles and object permissions still
apply on top of the scope.

| scope | routes |
|---|---|
| `merchants:read` / `merchants:write` | merchants, people, capabilities, requirements, |
|   | documents and their files, reference data |
| `cases:read` / `cases:write` | cases, transitions, comments, decisions, EDD, queues, |
|   | next case, reassignment, availability, reports |
| `qc` | `/api/v1/qc/…` |
| `audit:export` | `/api/v1/audit/…` |
| `webhooks:manage` | `/api/v1/webhooks/…` |

`/api/v1/me/` needs no scope (it is the first call to make with a new token). The token
endpoints (`/api/v1/tokens/…`) refuse token authentication: tokens are managed from a
signed-in, second-factor-verified session.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .roles import Role, roles_of

SCOPES: dict[str, Any] = {
    "merchants:read": _("Read merchants, people, documents and reference data"),
    "merchants:write": _("Change merchants, people and documents"),
    "cases:read": _("Read cases, queues and reports"),
    "cases:write": _("Act on cases (submit, claim, decide, comment)"),
    "qc": _("Quality control reviews, draws and metrics"),
    "audit:export": _("Export and verify the audit trail"),
    "webhooks:manage": _("Manage webhook subscriptions and deliveries"),
}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.SELLER: frozenset({"merchants:read", "merchants:write", "cases:read", "cases:write"}),
    Role.REVIEWER: frozenset({"merchants:read", "cases:read", "cases:write"}),
    Role.SENIOR_REVIEWER: frozenset({"merchants:read", "cases:read", "cases:write"}),
    Role.QC_LEAD: frozenset({"merchants:read", "cases:read", "qc", "audit:export"}),
    Role.COMPLIANCE_ADMIN: frozenset(SCOPES),
}

# Families with one scope whatever the method.
_SINGLE = {"qc": "qc", "audit": "audit:export", "webhooks": "webhooks:manage"}
# Routes by URL name (namespace "api") → family; prefixes first match wins.
_FAMILY_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("qc-", "qc"),
    ("audit-", "audit"),
    ("webhook-", "webhooks"),
    ("merchant-", "merchants"),
    ("person-", "merchants"),
    ("capability-", "merchants"),
    ("requirements", "merchants"),
    ("document-", "merchants"),
    ("category-", "merchants"),
    ("reason-code-", "merchants"),
    ("case-", "cases"),
    ("queue-", "cases"),
    ("report-", "cases"),
    ("me-availability", "cases"),
)
UNSCOPED_ROUTES = frozenset({"me", "schema", "docs"})
TOKEN_MANAGEMENT_ROUTES = frozenset({"token-list", "token-detail"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def scopes_for_roles(user: Any) -> frozenset[str]:
    """The scopes a user's roles can use (what a token of theirs may be given)."""
    allowed: set[str] = set()
    for role in roles_of(user):
        allowed |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(allowed)


def required_scope(url_name: str | None, method: str) -> str | None:
    """The scope a token needs for this route and method; None when no scope is needed. An
    unknown route needs a scope no token has (a new endpoint is closed until mapped here)."""
    if not url_name or url_name in UNSCOPED_ROUTES:
        return None
    for prefix, family in _FAMILY_BY_PREFIX:
        if url_name.startswith(prefix):
            if family in _SINGLE:
                return _SINGLE[family]
            return f"{family}:{'read' if method.upper() in READ_METHODS else 'write'}"
    return "unmapped"
