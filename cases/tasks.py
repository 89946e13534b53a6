"""Celery shells for the cases app: load by id, call one service, retry on transient errors.
Every task is idempotent, so a retry (or a duplicate delivery under acks_late) is harmless."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .screening import (
    batches,
    case_score,
    case_screen_and_score,
    merchants_rescreen,
    rescreen_merchant_ids,
)
from .services import notification_send

# Database hiccups, a storage or broker connection dropping: worth another try.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, ConnectionError)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=8,
)
def send_notification_task(self: object, notification_id: int) -> None:
    notification_send(notification_id=notification_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
)
def screen_and_score_case_task(self: object, case_id: int) -> None:
    """After a submission or an answered RFI: screening, the 50% rule, the risk score and,
    for a high tier, the route to EDD (the authoritative tier; submit's is provisional)."""
    case_screen_and_score(case_id=case_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
)
def score_case_task(self: object, case_id: int) -> None:
    """Re-scores a case after a disposition or new hits (no screening)."""
    case_score(case_id=case_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
)
def rescreen_active_merchants_task(self: object, list_id: int | None = None) -> int:
    """After a sanctions list reload: fans the live merchants out in batches, each screened
    by its own task so that one slow or failing batch neither blocks nor repeats the rest.
    Returns the number of merchants enqueued."""
    ids = rescreen_merchant_ids()
    for batch in batches(ids):
        # Called outside any transaction (a task of its own): plain delay is safe here.
        rescreen_merchants_task.delay(batch, list_id)
    return len(ids)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
)
def rescreen_merchants_task(self: object, merchant_ids: list[int], list_id: int | None) -> int:
    """One batch: screens each merchant and opens (or updates) its case for new hits."""
    return merchants_rescreen(merchant_ids=merchant_ids, list_id=list_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
)
def build_report_task(self: object, report_id: int) -> None:
    """Builds one requested report version; a second run after success changes nothing."""
    from .reports.build import report_build

    report_build(report_id=report_id)


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def qc_draw_task(self: object) -> int:
    """The scheduled QC draw over the previous UTC day; returns how many reviews it queued."""
    from .qc.sampling import qc_draw_scheduled

    return qc_draw_scheduled().new_review_count


# --------------------------------------------------------------------------- ongoing monitoring
# Scheduled by CELERY_BEAT_SCHEDULE; each service is idempotent, so a late or repeated run is
# harmless, and each works one merchant or case per transaction.


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def expiry_watch_task(self: object) -> dict[str, int]:
    """Re-verification before a document expires; capabilities inactive after it."""
    from .monitoring import expiry_watch

    return expiry_watch()


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def periodic_review_open_task(self: object) -> int:
    """Opens the periodic reviews that fell due; returns how many."""
    from .monitoring import periodic_review_open

    return periodic_review_open()


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def rfi_expire_overdue_task(self: object) -> int:
    """Expires the cases whose RFI deadline passed unanswered; returns how many."""
    from .monitoring import rfi_expire_overdue

    return rfi_expire_overdue()


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def notify_sla_breaches_task(self: object) -> int:
    """Internal e-mail for each SLA breach flagged by flag_sla_breaches_task, once."""
    from .monitoring import sla_breaches_notify

    return sla_breaches_notify()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError, ConnectionError),
    retry_backoff=True,
    max_retries=8,
)
def send_staff_mail_task(self: object, subject: str, body: str, recipients: list[str]) -> int:
    """An internal e-mail to staff (never to a seller) through Django's mail framework."""
    from django.conf import settings
    from django.core.mail import send_mail

    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
