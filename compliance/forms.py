"""The compliance pages' forms: they parse input; the services validate and decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.roles import STAFF_ROLES, Role
from cases.models import ReasonKind, Severity
from kyc.models import DocumentType, PersonScope, RequirementRule
from merchants.models import CapabilityKind, Category, EntityType
from merchants.services import ISO_COUNTRIES

from .services import RuleData

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r.value in STAFF_ROLES]


class DocumentTypeChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class RuleForm(forms.Form):
    code = forms.CharField(
        label=_("Requirement code"),
        max_length=80,
        help_text=_("Stable identifier of the requirement, e.g. business_license."),
    )
    capability_kind = forms.ChoiceField(label=_("Capability"), choices=CapabilityKind.choices)
    entity_type = forms.ChoiceField(
        label=_("Entity type"),
        choices=[("", _("Any entity type")), *EntityType.choices],
        required=False,
    )
    country = forms.ChoiceField(
        label=_("Country of registration"),
        choices=[("", _("Any country"))] + [(c, c) for c in sorted(ISO_COUNTRIES)],
        required=False,
    )
    category = CategoryChoice(
        label=_("Category"),
        queryset=Category.objects.order_by("code"),
        required=False,
        empty_label=_("Any category"),
    )
    person_scope = forms.ChoiceField(
        label=_("Who provides it"), choices=PersonScope.choices, required=False
    )
    document_types = DocumentTypeChoice(
        label=_("Accepted document types (any one of them)"),
        queryset=DocumentType.objects.filter(is_active=True).order_by("family", "code"),
        widget=forms.CheckboxSelectMultiple,
    )
    label_en = forms.CharField(label=_("Label (English)"), max_length=200)
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=200)

    @staticmethod
    def initial_for(rule: RequirementRule) -> dict[str, Any]:
        return {
            "code": rule.code,
            "capability_kind": rule.capability_kind,
            "entity_type": rule.entity_type,
            "country": rule.country,
            "category": rule.category_id,
            "person_scope": rule.person_scope,
            "document_types": [t.pk for t in rule.document_types.all()],
            "label_en": rule.label_en,
            "label_zh": rule.label_zh,
        }

    def rule_data(self) -> RuleData:
        data = self.cleaned_data
        category = data.get("category")
        return RuleData(
            code=data["code"],
            capability_kind=data["capability_kind"],
            entity_type=data.get("entity_type") or "",
            country=data.get("country") or "",
            category_id=category.pk if category is not None else None,
            person_scope=data.get("person_scope") or "",
            document_type_ids=[t.pk for t in data["document_types"]],
            label_en=data["label_en"],
            label_zh=data["label_zh"],
        )


class ReasonCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=60,
        help_text=_("Lowercase, e.g. doc_unreadable. It cannot be changed later."),
    )
    kind = forms.ChoiceField(label=_("Used for"), choices=ReasonKind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    text_en = forms.CharField(label=_("Text (English)"), max_length=300)
    text_zh = forms.CharField(label=_("Text (Chinese)"), max_length=300)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]


class ThresholdsForm(forms.Form):
    medium = forms.IntegerField(label=_("Medium from (points)"), min_value=1, max_value=1000)
    high = forms.IntegerField(label=_("High from (points)"), min_value=1, max_value=1000)
    prohibited = forms.IntegerField(
        label=_("Prohibited from (points)"), min_value=1, max_value=1000
    )


class CountryClassForm(forms.Form):
    label_en = forms.CharField(label=_("Name (English)"), max_length=200)
    label_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    points = forms.IntegerField(
        label=_("Points for the country of registration"), min_value=0, max_value=1000
    )
    nationality_points = forms.IntegerField(
        label=_("Points for a person's nationality"), min_value=0, max_value=1000
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Two-letter ISO codes separated by spaces or commas, e.g. CU IR KP."),
    )


class CategoryPointsForm(forms.Form):
    """One field per category that is not prohibited (a prohibited category's points are
    fixed)."""

    def __init__(
        self, *args: Any, categories: list[Category], points: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for category in categories:
            self.fields[category.code] = forms.IntegerField(
                label=category.name,
                min_value=0,
                max_value=1000,
                initial=points.get(category.code, 0),
            )

    def points(self) -> dict[str, int]:
        return {code: int(value) for code, value in self.cleaned_data.items()}


class QcSamplingRuleForm(forms.Form):
    rate_percent = forms.DecimalField(
        label=_("Sampling rate (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        max_digits=5,
    )
    min_per_reviewer_per_week = forms.IntegerField(
        label=_("Minimum per reviewer per week"), min_value=0, max_value=100
    )
    is_active = forms.BooleanField(label=_("Applies"), required=False)


class InviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=STAFF_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, initial="en"
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=STAFF_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
