"""Template helpers of the seller portal: a case's state as the seller may see it
(cases/seller_status.py decides; these only expose it to templates)."""

from __future__ import annotations

from typing import Any

from django import template

from cases.seller_status import seller_status, seller_status_explained

register = template.Library()


@register.filter
def seller_status_code(case: Any) -> str:
    """The seller-facing status code (for the badge's class)."""
    return str(seller_status(case.state).value)


@register.filter
def seller_status_label(case: Any) -> str:
    """The seller-facing status, in the active language."""
    return str(seller_status(case.state).label)


@register.filter
def seller_status_text(case: Any) -> str:
    """Where the case stands and what the seller must do, in one sentence."""
    return seller_status_explained(
        case.state, rejection_severity=getattr(case, "rejection_severity", "") or ""
    )
