"""Builds one requested report version: render, store under its deterministic key, record.

Idempotent and crash-safe:
- a BUILT (or FAILED) version is never touched again: a second run does nothing, and a
  BUILT version's key is never written again;
- the whole build runs under the report row's lock, so a duplicate delivery of the task
  waits for the first and then finds the version built (otherwise it could overwrite the
  object after the first recorded its digest);
- a worker killed after the upload but before the commit leaves an object and a PENDING row:
  the redelivered task deletes that object and builds again, so exactly one object, one
  BUILT row and one `report.built` event result.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record

from ..models import ReportStatus, ReviewReport
from .render import report_render

logger = logging.getLogger(__name__)

# build_report_task retries up to 8 times (9 attempts); the last failed attempt marks the
# version FAILED so it does not stay "being built" forever.
MAX_ATTEMPTS = 9


class ReportBuildError(OSError):
    """A build that failed for a reason other than a transient one (a rendering error).
    It subclasses OSError because build_report_task retries OSError with backoff: a report
    that failed to render is worth a few more tries before it is marked failed."""


@dataclass(frozen=True)
class BuildResult:
    report_id: int
    built: bool  # False: nothing to do (already built or failed)
    key: str = ""
    sha256: str = ""
    size: int = 0
    page_count: int = 0
    seconds: float = 0.0


def _policy_label(report: ReviewReport) -> str:
    policy = report.case.policy_version
    return policy.label if policy is not None else ""


def report_build(*, report_id: int) -> BuildResult:
    """Builds the report version `report_id` once; see the module docstring for guarantees."""
    started = time.perf_counter()
    try:
        with transaction.atomic():
            report = (
                ReviewReport.objects.select_for_update(of=("self",))
                .select_related("case__policy_version", "capability", "requested_by")
                .filter(pk=report_id)
                .first()
            )
            if report is None or report.status != ReportStatus.PENDING:
                return BuildResult(report_id=report_id, built=False)
            rendered = report_render(report)
            data = rendered.pdf
            digest = hashlib.sha256(data).hexdigest()
            key = report.key
            storage = default_storage
            # Only a crashed earlier attempt of this very version can have left an object
            # here (a BUILT version never gets this far): replace it, never pick a new name.
            if storage.exists(key):
                storage.delete(key)
            stored_name = storage.save(key, ContentFile(data, name=key))
            if stored_name != key:
                storage.delete(stored_name)
                raise ReportBuildError(f"storage stored {key} as {stored_name}")
            report.status = ReportStatus.BUILT
            report.file.name = key
            report.sha256 = digest
            report.size = len(data)
            report.page_count = rendered.page_count
            report.built_at = timezone.now()
            report.attempts += 1
            report.error = ""
            report.save(
                update_fields=[
                    "status",
                    "file",
                    "sha256",
                    "size",
                    "page_count",
                    "built_at",
                    "attempts",
                    "error",
                ]
            )
            audit_record(
                action="report.built",
                obj=report,
                case_id=report.case_id,
                merchant_id=report.case.merchant_id,
                after={
                    "version": report.version,
                    "trigger": report.trigger,
                    "language": report.language,
                    "key": key,
                    "sha256": digest,
                    "size": len(data),
                    "page_count": rendered.page_count,
                    "capability": report.capability.code if report.capability else None,
                },
                policy_version=_policy_label(report),
            )
    except Exception as exc:
        _record_failure(report_id, exc)
        if isinstance(exc, OSError | ConnectionError):
            raise
        raise ReportBuildError(f"{type(exc).__name__}: {exc}") from exc
    return BuildResult(
        report_id=report_id,
        built=True,
        key=key,
        sha256=digest,
        size=len(data),
        page_count=rendered.page_count,
        seconds=time.perf_counter() - started,
    )


def _record_failure(report_id: int, exc: BaseException) -> None:
    """Counts the failed attempt (in its own transaction: the build's rolled back) and, at
    the last one, marks the version FAILED with one `report.failed` event."""
    logger.warning("report %s: build failed: %s", report_id, exc, exc_info=exc)
    try:
        with transaction.atomic():
            report = (
                ReviewReport.objects.select_for_update(of=("self",))
                .select_related("case__policy_version")
                .filter(pk=report_id)
                .first()
            )
            if report is None or report.status != ReportStatus.PENDING:
                return
            report.attempts += 1
            report.error = f"{type(exc).__name__}: {exc}"[:2000]
            fields = ["attempts", "error"]
            if report.attempts >= MAX_ATTEMPTS:
                report.status = ReportStatus.FAILED
                fields.append("status")
                audit_record(
                    action="report.failed",
                    obj=report,
                    case_id=report.case_id,
                    merchant_id=report.case.merchant_id,
                    after={
                        "version": report.version,
                        "trigger": report.trigger,
                        "attempts": report.attempts,
                        "error": report.error,
                    },
                    policy_version=_policy_label(report),
                )
            report.save(update_fields=fields)
    except Exception:  # the database itself is down: the retry will count again
        logger.exception("report %s: could not record the failed attempt", report_id)
