"""The "changed since submission" panel of the case page: each recorded change of the
merchant's data as a row a reviewer reads (field label, before → after, who, when), in the
page's language, and the approval blockers next to the approve button."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kyc.models import DocumentType
from merchants.models import Capability

from .. import labels
from ..models import CaseDataChange, ReviewCase


def field_label(change: CaseDataChange) -> str:
    return labels.change_field_label(change.field, person=bool(change.person_name))


def _value(
    value: Any, *, change: CaseDataChange, capabilities: dict[str, str], doc_types: dict[str, str]
) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    value = labels.change_value_label(change.field, value, person=bool(change.person_name))
    if isinstance(value, dict):
        if "full_name" in value:
            return str(value["full_name"])
        if "document_type" in value:
            code = str(value["document_type"])
            return doc_types.get(code, code)
        return ", ".join(f"{v}" for v in value.values() if v not in (None, ""))
    text = str(value)
    return capabilities.get(text, doc_types.get(text, text))


def change_rows(case: ReviewCase, changes: list[CaseDataChange]) -> list[dict[str, Any]]:
    """One row per change, values in words (a capability's label, a document type's name)."""
    if not changes:
        return []
    capabilities = {
        c.code: c.label
        for c in Capability.objects.filter(merchant_id=case.merchant_id).select_related(
            "category", "brand"
        )
    }
    doc_types = {t.code: t.name for t in DocumentType.objects.all()}
    rows = []
    for change in changes:
        before, after = change.before, change.after
        if change.field == "capability.requested":
            before = None
        rows.append(
            {
                "change": change,
                "label": field_label(change),
                "person": change.person_name,
                "before": _value(
                    before, change=change, capabilities=capabilities, doc_types=doc_types
                ),
                "after": _value(
                    after, change=change, capabilities=capabilities, doc_types=doc_types
                ),
                "by": change.actor.get_username() if change.actor else _("the platform"),
                "at": change.created_at,
            }
        )
    return rows
