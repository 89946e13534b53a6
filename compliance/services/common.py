"""What every compliance service checks first."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from config.errors import InvalidInput, NotAllowed


def require_admin(actor: Any) -> None:
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise NotAllowed(_("Only a compliance admin makes this change."))


def invalid(fields: dict[str, list[str]]) -> InvalidInput:
    return InvalidInput(_("Please correct the highlighted fields."), fields=fields)
