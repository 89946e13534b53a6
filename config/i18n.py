"""Bilingual reference data (names, reason texts, check messages) stored as _en/_zh pairs."""

from __future__ import annotations

from django.utils.translation import get_language


def is_chinese() -> bool:
    return (get_language() or "").startswith("zh")


def localized(en: str, zh: str) -> str:
    """The Chinese text on a Chinese page when there is one, else the English."""
    return zh if zh and is_chinese() else en
