"""Staff users and roles: invitation, roles, deactivation, second-factor reset; the platform
always keeps an active compliance admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from audit.services import audit_record
from config.errors import Conflict, InvalidInput, NotFound

from .. import selectors
from .common import invalid, require_admin

# --------------------------------------------------------------------------- users and roles


def _clean_roles(roles: list[str]) -> list[str]:
    chosen = sorted(set(roles or []))
    if not chosen:
        raise invalid({"roles": [_("Choose at least one role.")]})
    if any(r not in STAFF_ROLES for r in chosen):
        raise invalid({"roles": [_("Choose staff roles only.")]})
    return chosen


def _set_groups(user: User, roles: list[str]) -> None:
    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    user.groups.set(groups)
    user.__dict__.pop("_role_cache", None)


def _user_roles(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "roles": _user_roles(user),
        "is_active": user.is_active,
    }


def _lock_staff_user(user_id: int) -> User:
    found = User.objects.select_for_update().filter(pk=user_id).first()
    if found is None or not selectors.staff_user_queryset().filter(pk=found.pk).exists():
        raise NotFound(_("No such staff member."))
    return found


def _refuse_last_admin(target: User, *, stays_admin: bool) -> None:
    """Nobody leaves the platform without an active compliance admin: demoting or
    deactivating the last one (in practice: yourself) is refused with `last_admin`. The
    active admins are locked, so two admins demoting each other at once cannot both pass."""
    if stays_admin:
        return
    admins = list(
        User.objects.select_for_update(of=("self",))
        .filter(groups__name=Role.COMPLIANCE_ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if target.pk in admins and not [pk for pk in admins if pk != target.pk]:
        raise Conflict(
            _(
                "You are the last active compliance admin: give another staff member the role "
                "first."
            ),
            code="last_admin",
        )


@transaction.atomic
def user_invite(
    *,
    actor: Any,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    roles: list[str],
    language: str,
    base_url: str,
) -> User:
    """Creates a staff account with `roles` and no usable password, and e-mails the person a
    link to set one (after commit). At the first sign-in they set up their authenticator."""
    require_admin(actor)
    from django.conf import settings

    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    email = (email or "").strip().lower()
    if not username:
        errors["username"] = [_("Required.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    if not email:
        errors["email"] = [_("Required.")]
    elif User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("An account with this e-mail address exists already.")]
    if language not in dict(settings.LANGUAGES):
        errors["preferred_language"] = [_("Choose a language.")]
    try:
        chosen = _clean_roles(roles)
    except InvalidInput as exc:
        errors.update(exc.fields)
        chosen = []
    if errors:
        raise invalid(errors)
    try:
        with transaction.atomic():
            user = User(
                username=username,
                email=email,
                first_name=(first_name or "").strip()[:150],
                last_name=(last_name or "").strip()[:150],
                preferred_language=language,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        raise invalid({"username": [_("This username is taken.")]}) from None
    _set_groups(user, chosen)
    audit_record(
        action="user.invited",
        actor=actor,
        obj=user,
        after={**_user_snapshot(user), "granted": chosen},
    )
    from ..tasks import send_invitation_task

    send_invitation_task.delay_on_commit(user.pk, base_url)
    return user


def invitation_send(*, user_id: int, base_url: str) -> int:
    """Sends the set-password e-mail to an invited staff member in their language; returns
    the number of messages sent (0 when the account is gone or inactive)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = base_url.rstrip("/") + reverse("set-password", args=[uid, token])
    with translation.override(user.preferred_language or "en"):
        subject = _("Your Merchant KYC staff account")
        body = _(
            "Hello %(name)s,\n\nA compliance admin created a Merchant KYC staff account for "
            "you (username: %(username)s).\n\nSet your password here:\n%(link)s\n\nThen sign "
            "in and set up an authenticator app: staff sign in with a 6-digit code as a second "
            "step. The link works once and expires in a few days."
        ) % {"name": user.get_full_name() or user.username, "username": user.username, "link": link}
    from django.conf import settings

    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


@transaction.atomic
def user_roles_set(*, actor: Any, user_id: int, roles: list[str]) -> User:
    """Replaces a staff member's roles (at least one staff role). Removing the last active
    compliance admin's role is refused."""
    require_admin(actor)
    chosen = _clean_roles(roles)
    user = _lock_staff_user(user_id)
    before = _user_roles(user)
    if before == chosen:
        return user
    if user.is_active:
        _refuse_last_admin(user, stays_admin=Role.COMPLIANCE_ADMIN in chosen)
    _set_groups(user, chosen)
    audit_record(
        action="user.roles_changed",
        actor=actor,
        obj=user,
        before={"roles": before},
        after={
            "roles": chosen,
            "granted": sorted(set(chosen) - set(before)),
            "removed": sorted(set(before) - set(chosen)),
        },
    )
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user_id: int, is_active: bool) -> User:
    """Deactivates a staff account (it can no longer sign in; its sessions and API tokens
    stop working at their next request) or activates it again. Deactivating the last active
    compliance admin is refused. The account, its roles and its history stay."""
    require_admin(actor)
    user = _lock_staff_user(user_id)
    if user.is_active == is_active:
        return user
    if not is_active:
        _refuse_last_admin(user, stays_admin=False)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit_record(
        action="user.activated" if is_active else "user.deactivated",
        actor=actor,
        obj=user,
        before={"is_active": not is_active},
        after={"username": user.username, "is_active": is_active},
    )
    return user


@transaction.atomic
def user_second_factor_reset(*, actor: Any, user_id: int) -> int:
    """Deletes every TOTP device of a staff member: their sessions verified by it are no
    longer verified, and their next sign-in sets up a new authenticator. Returns how many
    devices were deleted (0 writes nothing)."""
    require_admin(actor)
    user = _lock_staff_user(user_id)
    devices = TOTPDevice.objects.filter(user=user)
    names = sorted(devices.values_list("name", flat=True))
    if not names:
        return 0
    devices.delete()
    audit_record(
        action="user.second_factor_reset",
        actor=actor,
        obj=user,
        before={"devices": names},
        after={"username": user.username, "devices": []},
    )
    return len(names)
