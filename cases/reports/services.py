"""Write use-cases for PDF review reports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from merchants.models import Capability

from ..models import ReportTrigger, ReviewCase, ReviewReport


def report_request(
    *,
    case: ReviewCase,
    trigger: str,
    actor: Any = None,
    capability: Capability | None = None,
    language: str | None = None,
) -> ReviewReport:
    """Requests the next version of the case's report inside the caller's transaction and
    builds it by a task after commit.

    Guarantees: versions of one case are numbered 1, 2, 3… without reuse (the caller holds
    the case row lock; the unique constraint catches anyone who does not); nothing is built
    if the decision rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("report_request must run inside the decision's transaction")
    if trigger not in ReportTrigger.values:
        raise ValueError(f"unknown report trigger {trigger!r}")
    last = ReviewReport.objects.filter(case_id=case.pk).aggregate(v=Max("version"))["v"] or 0
    report = ReviewReport.objects.create(
        case_id=case.pk,
        version=last + 1,
        trigger=trigger,
        capability=capability,
        language=language or settings.KYC_REPORT_LANGUAGE,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    from ..tasks import build_report_task

    build_report_task.delay_on_commit(report.pk)
    return report
