"""Password rules beyond Django's: staff accounts hold the keys to every seller's documents."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .otp import is_staff_account


class StaffMinimumLengthValidator:
    """At least `min_length` characters for staff members and superusers (sellers keep the
    general minimum). A user not saved yet has no roles, so it is judged as a seller."""

    def __init__(self, min_length: int = 12) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            staff = bool(user is not None and (user.is_staff or user.is_superuser))
        else:
            staff = is_staff_account(user)  # a saved User is always "authenticated"
        if staff and len(password) < self.min_length:
            raise ValidationError(
                ngettext(
                    "A staff password must contain at least %(min_length)d character.",
                    "A staff password must contain at least %(min_length)d characters.",
                    self.min_length,
                )
                % {"min_length": self.min_length},
                code="password_too_short_for_staff",
            )

    def get_help_text(self) -> str:
        return _("Staff passwords must contain at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
