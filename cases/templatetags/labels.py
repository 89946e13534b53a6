"""Template filters that show an identifier by its label, in the page's language. Every one
reads the one table of its kind (kyc.labels, cases.labels): the case page and the PDF report
load this library, so they cannot label a code differently.

    {% load labels %}
    {{ result.check_name|check_label }}  {{ result.code|check_code_label }}
    {{ key|evidence_label }}  {{ value|evidence_value:key }}
    {{ factor.code|risk_factor_label }}  {{ tier|tier_label }}  {{ state|state_label }}
"""

from __future__ import annotations

from typing import Any

from django import template

from cases import labels as case_labels
from kyc import labels as kyc_labels

register = template.Library()

register.filter("check_label", kyc_labels.check_label)
register.filter("check_code_label", kyc_labels.check_code_label)
register.filter("evidence_label", kyc_labels.evidence_label)
register.filter("validator_label", kyc_labels.validator_label)
register.filter("validator_message", kyc_labels.validator_message)
register.filter("risk_factor_label", kyc_labels.risk_factor_label)
register.filter("entry_type_label", kyc_labels.entry_type_label)
register.filter("list_source_label", kyc_labels.list_source_label)
register.filter("screening_explanation", kyc_labels.screening_explanation)
register.filter("event_label", case_labels.event_label)
register.filter("state_label", case_labels.state_label)
register.filter("role_label", case_labels.role_label)
register.filter("tier_label", case_labels.tier_label)
register.filter("language_label", case_labels.language_label)


@register.filter
def evidence_value(value: Any, key: str = "") -> str:
    return kyc_labels.evidence_value(value, key)


@register.filter
def validator_errors(errors: dict[str, str]) -> list[tuple[str, str]]:
    return kyc_labels.validator_errors(errors or {})
