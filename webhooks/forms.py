"""The subscription form of the webhooks pages; the service checks the URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .events import EVENT_TYPES

ALL_TYPES = "*"


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        help_text=_(
            "An https:// address of the platform's receiver. Link-local and cloud metadata "
            "addresses are refused."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        required=False,
        choices=[(ALL_TYPES, _("All event types"))] + [(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("“All event types” (or none ticked) also sends types added later."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        types = data.get("event_types") or []
        data["event_types"] = [] if ALL_TYPES in types else list(types)
        return data

    @staticmethod
    def initial_for(sub: Any) -> dict[str, Any]:
        return {
            "name": sub.name,
            "url": sub.url,
            "event_types": list(sub.event_types) or [ALL_TYPES],
            "is_active": sub.is_active,
        }
