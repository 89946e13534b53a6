"""Write use-cases of accounts: API tokens (issue, revoke) and the staff second factor's events.

Each writes exactly one audit event inside its transaction; a token's key is returned once
by `api_token_create` and never stored or audited (only its prefix is).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from config.errors import InvalidInput, NotFound

from .models import ApiToken, User
from .roles import Role, has_role
from .scopes import SCOPES, scopes_for_roles


def api_token_create(*, actor: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Issues a token for `actor` with `scopes`, each one the actor's roles can use.
    Returns the token and its key: the only time the key exists in clear."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Required.")]
    elif len(name) > 100:
        errors["name"] = [_("Use at most 100 characters.")]
    requested = list(dict.fromkeys(scopes or []))
    allowed = scopes_for_roles(actor)
    if not requested:
        errors["scopes"] = [_("Choose at least one scope.")]
    else:
        unknown = [s for s in requested if s not in SCOPES]
        refused = [s for s in requested if s in SCOPES and s not in allowed]
        if unknown:
            errors["scopes"] = [_("Unknown scope: %(scope)s.") % {"scope": s} for s in unknown]
        elif refused:
            errors["scopes"] = [
                _("Your roles do not allow the scope %(scope)s.") % {"scope": s} for s in refused
            ]
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", fields=errors)
    with transaction.atomic():
        token, key = ApiToken.issue(user=actor, name=name, scopes=sorted(requested))
        audit_record(
            action="api_token.created",
            actor=actor,
            obj=token,
            after={
                "user": actor.get_username(),
                "name": token.name,
                "prefix": token.prefix,
                "scopes": token.scopes,
            },
        )
    return token, key


def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revokes a token: the owner's own, or anyone's by a compliance admin. Revoking a revoked
    token changes nothing and writes no event. Other people's tokens are 404, not 403."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id)
        if not has_role(actor, Role.COMPLIANCE_ADMIN):
            token = token.filter(user=actor)
        found = token.first()
        if found is None:
            raise NotFound("No such token.")
        if found.revoked_at is not None:
            return found
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
        audit_record(
            action="api_token.revoked",
            actor=actor,
            obj=found,
            before={"revoked_at": None},
            after={
                "user": found.user.get_username(),
                "name": found.name,
                "prefix": found.prefix,
                "revoked_at": found.revoked_at,
            },
        )
    return found


def otp_event(*, actor: Any, action: str, device: TOTPDevice | None, **after: Any) -> None:
    """Records a second-factor event (`auth.otp_enrolled`, `auth.otp_verified`,
    `auth.otp_failed`): who, which device; never a code or a secret."""
    with transaction.atomic():
        audit_record(
            action=action,
            actor=actor,
            obj=device,
            object_type="" if device is not None else "otp_totp.totpdevice",
            after={"device": device.name if device is not None else None, **after},
        )
