"""The other scheduled jobs: periodic reviews by risk tier, RFI expiry, SLA-breach e-mails to
staff, and the beat schedule that runs them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.models import CaseKind, CaseState, Notification, PeriodicReviewInterval, ReviewCase
from cases.monitoring import (
    add_months,
    periodic_review_open,
    rfi_expire_overdue,
    sla_breaches_notify,
)
from cases.queues import cases_flag_sla_breaches
from merchants.models import CapabilityStatus, Merchant
from tests.cases.monitoring_helpers import approve, at


@pytest.fixture
def active(claimed_case: Any, reviewer: Any) -> Merchant:
    return approve(claimed_case, reviewer)


def periodic_reviews(merchant: Merchant) -> Any:
    return ReviewCase.objects.filter(merchant=merchant, kind=CaseKind.PERIODIC_REVIEW)


# --------------------------------------------------------------------------- periodic review


def test_the_default_intervals_are_loaded_once_and_keep_an_admins_change(reference: Any) -> None:
    from cases.reference_data import load_reference_data

    rows = dict(PeriodicReviewInterval.objects.values_list("risk_tier", "months"))
    assert rows == {"high": 12, "medium": 24, "low": 36, "prohibited": 6}
    PeriodicReviewInterval.objects.filter(risk_tier="high").update(months=9)

    load_reference_data()

    assert PeriodicReviewInterval.objects.count() == 4
    assert PeriodicReviewInterval.objects.get(risk_tier="high").months == 9


def test_approval_sets_the_next_review_by_the_risk_tier(active: Merchant) -> None:
    case = ReviewCase.objects.get(merchant=active, kind=CaseKind.ONBOARDING)
    months = PeriodicReviewInterval.objects.get(risk_tier=active.risk_tier or "low").months
    decided = timezone.localdate(case.decided_at)

    assert active.next_review_date == add_months(decided, months)
    event = AuditEvent.objects.get(case_id=case.pk, action="case.approved")
    assert event.after["merchant"]["after"]["next_review_date"] == str(active.next_review_date)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_a_due_periodic_review_opens_once(active: Merchant) -> None:
    due = active.next_review_date
    assert due is not None
    assert periodic_review_open(now=at(due - timedelta(days=1))) == 0

    assert periodic_review_open(now=at(due)) == 1

    case = periodic_reviews(active).get()
    assert case.state == CaseState.DRAFT
    assert case.created_by is None
    assert set(case.capabilities.values_list("status", flat=True)) == {CapabilityStatus.ACTIVE}
    assert Notification.objects.filter(case=case, event="periodic_review.opened").count() == 1
    events = AuditEvent.objects.count()

    assert periodic_review_open(now=at(due)) == 0
    assert periodic_review_open(now=at(due + timedelta(days=30))) == 0
    assert periodic_reviews(active).count() == 1
    assert AuditEvent.objects.count() == events


def test_a_merchant_not_active_gets_no_periodic_review(active: Merchant) -> None:
    Merchant.objects.filter(pk=active.pk).update(status="suspended")

    assert periodic_review_open(now=at(date(2099, 1, 1))) == 0


# --------------------------------------------------------------------------- RFI expiry


@pytest.fixture
def rfi_case(claimed_case: Any, reviewer: Any) -> ReviewCase:
    return services.case_request_info(
        actor=reviewer,
        case_id=claimed_case.pk,
        message="Upload a clearer licence scan.",
        deadline=timezone.now() + timedelta(days=14),
    )


def test_an_unanswered_rfi_expires_after_its_deadline_once(rfi_case: ReviewCase) -> None:
    assert rfi_case.rfi_deadline is not None
    assert rfi_expire_overdue(now=rfi_case.rfi_deadline - timedelta(minutes=1)) == 0

    assert rfi_expire_overdue(now=rfi_case.rfi_deadline + timedelta(minutes=1)) == 1

    rfi_case.refresh_from_db()
    assert rfi_case.state == CaseState.EXPIRED
    assert AuditEvent.objects.filter(case_id=rfi_case.pk, action="case.expired").count() == 1
    assert Notification.objects.filter(case=rfi_case, event="case.expired").count() == 1
    assert rfi_expire_overdue(now=rfi_case.rfi_deadline + timedelta(days=1)) == 0
    assert AuditEvent.objects.filter(case_id=rfi_case.pk, action="case.expired").count() == 1


def test_an_answered_rfi_is_left_alone(rfi_case: ReviewCase, seller: Any) -> None:
    services.case_resubmit(actor=seller, case_id=rfi_case.pk, answer="Done.")
    deadline = rfi_case.rfi_deadline
    assert deadline is not None

    assert rfi_expire_overdue(now=deadline + timedelta(days=1)) == 0

    rfi_case.refresh_from_db()
    assert rfi_case.state != CaseState.EXPIRED


# --------------------------------------------------------------------------- SLA breach e-mail


def test_an_sla_breach_emails_the_holder_and_the_senior_reviewers_once(
    claimed_case: ReviewCase,
    reviewer: Any,
    senior: Any,
    seller: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert claimed_case.sla_due_at is not None
    later = claimed_case.sla_due_at + timedelta(hours=1)
    assert cases_flag_sla_breaches(now=later) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert sla_breaches_notify(now=later) == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert reviewer.email in message.to and senior.email in message.to
    assert seller.email not in message.to
    assert f"case {claimed_case.pk}" in message.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_breaches_notify(now=later + timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(event__startswith="case.sla").exists()


def test_the_beat_schedule_runs_every_monitoring_job() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {
        "cases.tasks.expiry_watch_task",
        "cases.tasks.periodic_review_open_task",
        "cases.tasks.rfi_expire_overdue_task",
        "cases.tasks.notify_sla_breaches_task",
        "cases.tasks.rescreen_active_merchants_task",
        "cases.queues.flag_sla_breaches_task",
    } <= tasks


def test_the_task_shells_run_the_jobs(active: Merchant) -> None:
    from cases import tasks

    assert tasks.expiry_watch_task.apply().get() == {
        "warned": 0,
        "expired": 0,
        "disabled": 0,
        "kept_live": 0,
    }
    assert tasks.periodic_review_open_task.apply().get() == 0
    assert tasks.rfi_expire_overdue_task.apply().get() == 0
    assert tasks.notify_sla_breaches_task.apply().get() == 0
