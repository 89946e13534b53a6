"""A stored ISO alpha-2 country code, shown as the country's name in the page's language."""

from __future__ import annotations

from django import template
from django_countries import countries

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """ "CN" -> "China" / "中国"; an unknown or empty code is shown as stored."""
    if not code:
        return ""
    return str(countries.name(code.upper()) or code)
