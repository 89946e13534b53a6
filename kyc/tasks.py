"""Celery shells: load by id, call one service, retry what is transient."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import document_run_checks


def _transient_errors() -> tuple[type[BaseException], ...]:
    """Storage and database hiccups are retried; anything in the file never reaches here
    (the checks turn it into failed results)."""
    errors: list[type[BaseException]] = [OSError, ConnectionError, OperationalError, InterfaceError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        errors += [BotoCoreError, ClientError]
    except ImportError:  # no S3 backend installed
        pass
    return tuple(errors)


TRANSIENT_ERRORS = _transient_errors()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def run_document_checks_task(self: object, document_id: int) -> None:
    """Idempotent: a rerun leaves the same results and writes no second audit event."""
    document_run_checks(document_id=document_id)


# --------------------------------------------------------------------------- sweepers (beat)


@shared_task(acks_late=True)
def sweep_stuck_work_task() -> dict[str, int]:
    """Every few minutes: enqueues again the checks, report builds and notifications whose
    task was lost (kyc/sweepers.py)."""
    from .sweepers import sweep_stuck_work

    return sweep_stuck_work().as_dict()


@shared_task(acks_late=True)
def sweep_storage_task() -> int:
    """Daily: deletes the stored objects no row references (kyc/sweepers.py)."""
    from .sweepers import sweep_storage

    return len(sweep_storage())
