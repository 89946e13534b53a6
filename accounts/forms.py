"""Sign-up form, and the one place that turns a service's refusal into form errors.

Every page form in the project reports a `config.errors.DomainError` the same way: its
`fields` next to the fields, its `message` at the top of the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import STORAGE_UNAVAILABLE_MESSAGE, DomainError

from .models import User

# Services speak English. Their fixed messages are listed here so that they reach the user
# in the page's language; messages with values in them are shown as the service wrote them.
SERVICE_MESSAGES = {
    "Please correct the highlighted fields.": _("Please correct the highlighted fields."),
    "Required.": _("Required."),
    "The file is empty.": _("The file is empty."),
    "Enter a date as YYYY-MM-DD.": _("Enter a date as YYYY-MM-DD."),
    "The expiry date is before the issue date.": _("The expiry date is before the issue date."),
    "The issue date is in the future.": _("The issue date is in the future."),
    "Not found for this merchant.": _("Not found for this merchant."),
    "Say how this person is related to the merchant.": _(
        "Say how this person is related to the merchant."
    ),
    "Choose at least one role.": _("Choose at least one role."),
    (
        "This registration number is not valid for the country chosen: check its length and "
        "check digit against the business license."
    ): _(
        "This registration number is not valid for the country chosen: check its length and "
        "check digit against the business license."
    ),
    "Choose a category.": _("Choose a category."),
    "Choose a brand.": _("Choose a brand."),
    "This category is prohibited on the platform.": _(
        "This category is prohibited on the platform."
    ),
    "Write the message the seller will see.": _("Write the message the seller will see."),
    "The deadline must be in the future.": _("The deadline must be in the future."),
    "Must be in the future.": _("Must be in the future."),
    "Say why the case needs EDD.": _("Say why the case needs EDD."),
    "A rejection needs reason codes and a rationale.": _(
        "A rejection needs reason codes and a rationale."
    ),
    "Give at least one reason code.": _("Give at least one reason code."),
    "Explain the decision.": _("Explain the decision."),
    "Say why the case is reopened.": _("Say why the case is reopened."),
    "A rejected document needs a reason code.": _("A rejected document needs a reason code."),
    "The comment is empty.": _("The comment is empty."),
    "Only the merchant's own sellers can change it.": _(
        "Only the merchant's own sellers can change it."
    ),
    "Four-eyes: the maker of an approval cannot also be its checker.": _(
        "Four-eyes: the maker of an approval cannot also be its checker."
    ),
    "Four-eyes: the maker cannot also be the checker.": _(
        "Four-eyes: the maker cannot also be the checker."
    ),
    "EDD cases are worked by senior reviewers.": _("EDD cases are worked by senior reviewers."),
    "Only senior reviewers decide EDD cases.": _("Only senior reviewers decide EDD cases."),
    "Only senior reviewers give the second approval.": _(
        "Only senior reviewers give the second approval."
    ),
    "Some RFI items are invalid.": _("Some RFI items are invalid."),
    "This document type is no longer accepted.": _("This document type is no longer accepted."),
    "Enter who grants this authorization.": _("Enter who grants this authorization."),
    "Enter who receives this authorization.": _("Enter who receives this authorization."),
    "The first authorization must come from the brand owner on the trademark certificate.": _(
        "The first authorization must come from the brand owner on the trademark certificate."
    ),
    "Each authorization must be granted by the previous one's recipient.": _(
        "Each authorization must be granted by the previous one's recipient."
    ),
    "The last authorization must be granted to your company's registered name.": _(
        "The last authorization must be granted to your company's registered name."
    ),
    "The end of validity is before its start.": _("The end of validity is before its start."),
    "This authorization has already ended.": _("This authorization has already ended."),
    "A sub-authorization cannot last longer than the authorization it comes from.": _(
        "A sub-authorization cannot last longer than the authorization it comes from."
    ),
    "A sub-authorization cannot start before the authorization it comes from.": _(
        "A sub-authorization cannot start before the authorization it comes from."
    ),
    "Enter two-letter ISO country codes separated by commas, or leave empty for worldwide.": _(
        "Enter two-letter ISO country codes separated by commas, or leave empty for worldwide."
    ),
    "A sub-authorization cannot cover countries the authorization it comes from does not.": _(
        "A sub-authorization cannot cover countries the authorization it comes from does not."
    ),
    "The authorization must cover the country your company is registered in.": _(
        "The authorization must cover the country your company is registered in."
    ),
    "A chain has at most 5 authorizations.": _("A chain has at most 5 authorizations."),
    "This document has expired. Upload the current one.": _(
        "This document has expired. Upload the current one."
    ),
    "This type of document always has an expiry date; enter it.": _(
        "This type of document always has an expiry date; enter it."
    ),
    "Leave the expiry date empty for a document valid indefinitely.": _(
        "Leave the expiry date empty for a document valid indefinitely."
    ),
    STORAGE_UNAVAILABLE_MESSAGE: _(
        "The document store is unavailable, so the file was not kept. Try again in a few minutes."
    ),
}


def service_text(text: str) -> str:
    """A service's message in the current language when it is one of the known ones."""
    known = SERVICE_MESSAGES.get(text)
    return str(known) if known is not None else text


def apply_domain_error(
    form: forms.BaseForm,
    exc: DomainError,
    *,
    field_map: dict[str, str] | None = None,
    message: str | None = None,
    with_message: bool = True,
) -> None:
    """Puts a service's refusal on the form: `fields` next to the fields they name (or on
    top when the form has no such field) and `message` as the form's non-field error, unless
    the page shows that message elsewhere."""
    field_map = field_map or {}
    for name, errors in exc.fields.items():
        target = field_map.get(name, name)
        for error in errors:
            if target in form.fields:
                form.add_error(target, service_text(error))
            else:
                form.add_error(None, service_text(error))
    if with_message:
        form.add_error(None, message or service_text(exc.message))


def page_language() -> str:
    """The active language as one of settings.LANGUAGES' codes (e.g. "zh-hans")."""
    active = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    codes = [code for code, _name in settings.LANGUAGES]
    if active in codes:
        return active
    return next((c for c in codes if c.split("-")[0] == active.split("-")[0]), codes[0])


class SignupForm(UserCreationForm):
    """A seller's own account: username, e-mail, password (Django's validators) and the
    language the portal and the notifications use."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, initial="en"
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "preferred_language")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["username"].help_text = _(
            "Letters, digits and @/./+/-/_ only; 150 characters or fewer."
        )
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["password1"].label = _("Password")
        self.fields["password2"].label = _("Password again")
        self.fields["password2"].help_text = _("Enter the same password again.")
        # The account speaks the language of the page it was opened on, unless the seller
        # picks another: a seller signing up on the Chinese page gets Chinese e-mails.
        self.fields["preferred_language"].initial = page_language()
        self.fields["preferred_language"].required = False

    def clean_preferred_language(self) -> str:
        return self.cleaned_data.get("preferred_language") or page_language()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(gettext("An account with this e-mail address exists."))
        return email


class OtpTokenForm(forms.Form):
    """The 6-digit code from the staff member's authenticator app."""

    otp_token = forms.CharField(
        label=_("6-digit code"),
        min_length=6,
        max_length=6,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(gettext("Enter the 6 digits your app shows."))
        return token


class ApiTokenForm(forms.Form):
    """A new API token: what it is for and what it may reach (accounts/scopes.py)."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. erp-integration"))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args: Any, allowed: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = allowed  # type: ignore[attr-defined]
