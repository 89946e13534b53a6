"""The "changed since submission" panel of the case page: each recorded change of the
merchant's data as a row a reviewer reads (field label, before → after, who, when), in the
page's language, and the approval blockers next to the approve button."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyc.models import DocumentType, QualificationDocument
from merchants.models import Capability, Merchant, Person

from ..models import CaseDataChange, ReviewCase

SPECIAL_LABELS = {
    "person.added": gettext_lazy("Person added"),
    "person.removed": gettext_lazy("Person removed"),
    "capability.requested": gettext_lazy("Capability requested"),
    "document.uploaded": gettext_lazy("Document uploaded"),
    "document.replaced": gettext_lazy("Document replaced"),
    "document.removed": gettext_lazy("Document removed"),
    "document.sha256": gettext_lazy("Document file (SHA-256)"),
    "document.document_type": gettext_lazy("Document type"),
    "document.person": gettext_lazy("Document holder"),
}


def _verbose(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    label = str(getattr(field, "verbose_name", name))
    return label[:1].upper() + label[1:]


def field_label(change: CaseDataChange) -> str:
    if change.field in SPECIAL_LABELS:
        return str(SPECIAL_LABELS[change.field])
    if change.field.startswith("document."):
        return _verbose(QualificationDocument, change.field.split(".", 1)[1])
    if change.person_name:
        return _verbose(Person, change.field)
    return _verbose(Merchant, change.field)


def _value(value: Any, *, capabilities: dict[str, str], doc_types: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
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
                "before": _value(before, capabilities=capabilities, doc_types=doc_types),
                "after": _value(after, capabilities=capabilities, doc_types=doc_types),
                "by": change.actor.get_username() if change.actor else _("the platform"),
                "at": change.created_at,
            }
        )
    return rows
