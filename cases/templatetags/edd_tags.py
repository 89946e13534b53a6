"""The EDD section of the case page loads its own data, in a fixed number of queries, so the
case page's view does not need to know about it."""

from __future__ import annotations

from typing import Any

from django import template

from cases.edd import edd_can_edit, edd_checklist
from cases.models import EddChecklistItem, ReviewCase

register = template.Library()


@register.simple_tag
def edd_section(case: ReviewCase, user: Any) -> dict[str, Any]:
    items = list(edd_checklist(case_id=case.pk))
    return {
        "items": items,
        "can_edit": bool(items) and edd_can_edit(actor=user, case=case),
        "open_count": sum(1 for i in items if i.status == EddChecklistItem.Status.OPEN),
        "statuses": EddChecklistItem.Status.choices,
    }
