"""Forms of the seller portal's profile pages. They only validate input; the services
(merchants.services) decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Brand, Capability, CapabilityKind, Category, Merchant, Person
from .services import MERCHANT_FIELDS, PERSON_FIELDS


def category_name(category: Category) -> str:
    """The category's name in the page's language."""
    return category.name


def brand_name(brand: Brand) -> str:
    return f"{brand.name} ({brand.local_name})" if brand.local_name else brand.name


def capability_label(capability: Capability) -> str:
    """Capability.label, but with the category named in the page's language."""
    if capability.kind == CapabilityKind.CATEGORY and capability.category is not None:
        return gettext("Category: %(name)s") % {"name": category_name(capability.category)}
    if capability.kind == CapabilityKind.BRAND and capability.brand is not None:
        return gettext("Brand: %(name)s") % {"name": brand_name(capability.brand)}
    return gettext("Sell on the platform")


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        name = category_name(obj)
        return f"{name} — {gettext('prohibited')}" if obj.is_prohibited else name


class BrandChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Brand) -> str:
        return brand_name(obj)


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country, named in the page's language (django-countries' names and
    translations), sorted by that name; the value stored is the alpha-2 code, as before."""
    return [("", "—"), *((str(code), str(name)) for code, name in countries)]


class _CountryCode(forms.ChoiceField):
    """A country picked from the list (never typed), stored as its ISO alpha-2 code."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=country_choices, **kwargs)

    def to_python(self, value: Any) -> str:
        # Codes typed in lower case by API-era clients and old forms still match.
        return str(super().to_python(value) or "").strip().upper()


class MerchantForm(forms.ModelForm):
    """The merchant profile, for creating and for editing."""

    country = _CountryCode(label=_("Country of registration"))
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    bank_country = _CountryCode(label=_("Bank country"), required=False)

    class Meta:
        model = Merchant
        fields = MERCHANT_FIELDS
        widgets = {
            "registered_address": forms.Textarea(attrs={"rows": 2}),
            "operating_address": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "local_name": _(
                "The name in its local script, e.g. the Chinese name on the business license."
            ),
            "registration_number": _("For China, the 18-character unified social credit code."),
            "operating_address": _("Leave empty when it is the registered address."),
            "bank_account_holder": _("The payout account's holder, normally the legal name."),
            "bank_account_number": _("An IBAN where the bank uses one; otherwise the number."),
            "bank_swift": _("8 or 11 characters, for example HSBCHKHHHKH."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_name"].help_text = _("Exactly as on the business license.")
        if self.instance.pk and self.instance.status == "active":
            # Said before saving: these edits put a live merchant back under review.
            self.fields["legal_name"].help_text = _(
                "Exactly as on the business license. Changing the legal name, registration "
                "number or bank details of an active merchant opens a review."
            )


class PersonForm(forms.ModelForm):
    """A legal representative, director or beneficial owner."""

    nationality = _CountryCode(label=_("Nationality"), required=False)

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "pep_details": forms.Textarea(attrs={"rows": 2}),
            "ownership_percent": forms.NumberInput(
                attrs={"step": "0.01", "min": "0", "max": "100"}
            ),
        }
        help_texts = {
            "is_pep": _("A senior public official, their family member or close associate."),
        }
        # The seller declares it in plain words; the acronym is the reviewers' (tipping-off).
        labels = {
            "is_pep": _("Holds or held a prominent public function (self-declared)"),
            "pep_details": _("The public function held"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ownership_percent"].help_text = gettext(
            "Share of the merchant this person owns, directly or indirectly. Anyone with "
            "%(threshold)s%% or more is a beneficial owner."
        ) % {"threshold": settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_pep") and not (data.get("pep_details") or "").strip():
            self.add_error("pep_details", _("Describe the public function held."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in PERSON_FIELDS}
        data["control_type"] = data["control_type"] or ""
        return data
