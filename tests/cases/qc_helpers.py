"""Builders for the QC tests: decided cases made directly (the sampling reads only the final
decision), sampling rules, and a completed QC review."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cases.models import QcReview, QcSamplingRule, ReviewCase
from tests.factories import MerchantFactory


def decided_case(
    *,
    maker: Any,
    checker: Any = None,
    state: str = "approved",
    risk_tier: str = "low",
    decided_at: datetime | None = None,
) -> ReviewCase:
    return ReviewCase.objects.create(
        merchant=MerchantFactory(),
        state=state,
        risk_tier=risk_tier,
        maker=maker,
        checker=checker,
        decided_at=decided_at or timezone.now(),
        decision_rationale="Documents consistent; screening clear.",
    )


def rule(
    code: str, *, decision: str = "", risk_tier: str = "", rate: str = "0", minimum: int = 0
) -> QcSamplingRule:
    return QcSamplingRule.objects.create(
        code=code,
        name_en=code,
        decision=decision,
        risk_tier=risk_tier,
        rate=Decimal(rate),
        min_per_reviewer_per_week=minimum,
    )


def queued_review(case: ReviewCase) -> QcReview:
    """A pending QC review of the case's current decision (as a draw would queue it)."""
    assert case.decided_at is not None
    return QcReview.objects.create(
        case=case,
        sampled_by_rule="rate:test",
        case_decision=case.state,
        case_decided_at=case.decided_at,
        risk_tier=case.risk_tier,
        maker=case.maker,
        checker=case.checker,
    )
