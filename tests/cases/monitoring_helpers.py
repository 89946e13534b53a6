"""Builders for the ongoing-monitoring tests: an active merchant (its onboarding approved) and
a clock to move."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from cases import services
from cases.models import ReviewCase
from merchants.models import Merchant
from tests.conftest import accept_documents

# The ready_case fixture's business licence expires on this day (its ID in 2032).
LICENCE_EXPIRY = date(2031, 1, 1)


def at(day: date, hour: int = 12) -> datetime:
    """Noon UTC on `day`: what a scheduled job would see as `now` that day."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def approve(claimed_case: ReviewCase, reviewer: Any) -> Merchant:
    """Approves the claimed onboarding case: the merchant is active, its documents accepted."""
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    return Merchant.objects.get(pk=claimed_case.merchant_id)
