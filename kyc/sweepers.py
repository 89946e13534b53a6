"""Recovery jobs for work a fault left behind (docs/operations.md, "Sweepers").

- `sweep_stuck_work`: a task is published after its transaction commits; when the broker is
  down at that moment the change is kept and the publish failure only logged
  (config.celery.KycTask). This job finds what was left without its task and enqueues it
  again: documents whose checks never ran, report versions still pending, notifications
  never sent, submitted cases never screened and scored (webhook deliveries have their own
  dispatcher, dispatch_due_webhooks_task).
  Every one of those tasks is idempotent, so enqueueing one that is merely slow, or queued
  twice, is harmless.
- `sweep_storage`: an object stored by a request or a task whose database transaction then
  rolled back is referenced by no row. Objects under the documents/, previews/, edd/ and
  reports/ prefixes that no row references and that are older than a grace period (so an
  upload in flight is never touched) are deleted, audited as one `storage.orphans_removed`
  event listing the keys.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record

logger = logging.getLogger(__name__)

# Work older than this is not enqueued again by the sweeper: it failed for a reason another
# try will not cure, and an operator looks at it (the log names it).
MAX_AGE = timedelta(days=7)
# At most this many items of each kind per sweep; the next sweep takes the rest.
BATCH = 500

STORAGE_PREFIXES = ("documents/", "previews/", "edd/", "reports/")
_REPORT_KEY = re.compile(r"^reports/case-(\d+)/review-report-v(\d+)\.pdf$")


@dataclass
class StuckWork:
    documents: list[int] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)
    screenings: list[int] = field(default_factory=list)  # case ids

    def as_dict(self) -> dict[str, int]:
        return {
            "documents": len(self.documents),
            "reports": len(self.reports),
            "notifications": len(self.notifications),
            "screenings": len(self.screenings),
        }


def _stuck_after(older_than: timedelta | None) -> timedelta:
    if older_than is not None:
        return older_than
    return timedelta(minutes=settings.KYC_SWEEP_STUCK_AFTER_MINUTES)


def stuck_work(*, older_than: timedelta | None = None) -> StuckWork:
    """What is waiting for a task that should have finished by now (ids, oldest first)."""
    from django.db.models import Exists, OuterRef

    from cases.models import CaseState, Notification, ReportStatus, ReviewCase, ReviewReport

    from .models import DocumentStatus, QualificationDocument, RiskAssessment

    now = timezone.now()
    ceiling = now - _stuck_after(older_than)
    floor = now - MAX_AGE
    documents = QualificationDocument.objects.filter(
        status=DocumentStatus.UPLOADED,
        checks_completed_at__isnull=True,
        created_at__lte=ceiling,
        created_at__gte=floor,
    ).order_by("created_at", "pk")
    reports = ReviewReport.objects.filter(
        status=ReportStatus.PENDING, requested_at__lte=ceiling, requested_at__gte=floor
    ).order_by("requested_at", "pk")
    notifications = Notification.objects.filter(
        sent_at__isnull=True, created_at__lte=ceiling, created_at__gte=floor
    ).order_by("created_at", "pk")
    # A submitted case is screened and scored by a task: no risk assessment of its merchant
    # since the submission means that task never ran.
    scored_since = RiskAssessment.objects.filter(
        merchant_id=OuterRef("merchant_id"), computed_at__gte=OuterRef("submitted_at")
    )
    screenings = (
        ReviewCase.objects.filter(
            state__in=[CaseState.SUBMITTED, CaseState.IN_REVIEW],
            submitted_at__lte=ceiling,
            submitted_at__gte=floor,
        )
        .exclude(Exists(scored_since))
        .order_by("submitted_at", "pk")
    )
    return StuckWork(
        documents=list(documents.values_list("pk", flat=True)[:BATCH]),
        reports=list(reports.values_list("pk", flat=True)[:BATCH]),
        notifications=list(notifications.values_list("pk", flat=True)[:BATCH]),
        screenings=list(screenings.values_list("pk", flat=True)[:BATCH]),
    )


def sweep_stuck_work(*, older_than: timedelta | None = None) -> StuckWork:
    """Enqueues again each document check, report build, notification and case screening left
    without its task. Outside any transaction; a broker still down makes it raise (the next
    run retries). Returns what it enqueued."""
    from cases.tasks import build_report_task, screen_and_score_case_task, send_notification_task

    from .tasks import run_document_checks_task

    work = stuck_work(older_than=older_than)
    for document_id in work.documents:
        run_document_checks_task.delay(document_id)
    for report_id in work.reports:
        build_report_task.delay(report_id)
    for notification_id in work.notifications:
        send_notification_task.delay(notification_id)
    for case_id in work.screenings:
        screen_and_score_case_task.delay(case_id)
    if any(work.as_dict().values()):
        logger.warning(
            "sweeper: enqueued again the checks of documents %s, the builds of reports %s, "
            "the notifications %s and the screening of cases %s",
            work.documents,
            work.reports,
            work.notifications,
            work.screenings,
        )
    return work


# --------------------------------------------------------------------------- storage


@dataclass(frozen=True)
class StoredObject:
    name: str
    modified: datetime


def _s3_objects(storage: Storage, prefix: str) -> Iterator[StoredObject]:
    location = str(getattr(storage, "location", "") or "").strip("/")
    full_prefix = f"{location}/{prefix}" if location else prefix
    for summary in storage.bucket.objects.filter(Prefix=full_prefix):  # type: ignore[attr-defined]
        key = summary.key
        name = key[len(location) + 1 :] if location else key
        yield StoredObject(name=name, modified=summary.last_modified)


def _local_objects(storage: Storage, prefix: str) -> Iterator[StoredObject]:
    root = storage.path("")
    top = os.path.join(root, prefix)
    for directory, _dirs, files in os.walk(top):
        for filename in files:
            path = os.path.join(directory, filename)
            name = os.path.relpath(path, root).replace(os.sep, "/")
            modified = datetime.fromtimestamp(os.path.getmtime(path), tz=UTC)
            yield StoredObject(name=name, modified=modified)


def _generic_objects(storage: Storage, prefix: str) -> Iterator[StoredObject]:
    directories, files = storage.listdir(prefix.rstrip("/"))
    for filename in files:
        name = f"{prefix}{filename}"
        yield StoredObject(name=name, modified=storage.get_modified_time(name))
    for directory in directories:
        yield from _generic_objects(storage, f"{prefix}{directory}/")


def stored_objects(storage: Storage, prefix: str) -> Iterator[StoredObject]:
    """Every object under `prefix` with its last-modified time (one listing call per 1,000
    objects on S3; a walk of the directory on local storage)."""
    if hasattr(storage, "bucket"):
        return _s3_objects(storage, prefix)
    try:
        storage.path("")
    except NotImplementedError:
        return _generic_objects(storage, prefix)
    return _local_objects(storage, prefix)


def _referenced(names: list[str]) -> set[str]:
    """The names among `names` that some row references (a pending report version reserves
    its deterministic key before it is built)."""
    from cases.models import EddEvidence, ReportStatus, ReviewReport

    from .models import DocumentPreview, QualificationDocument

    found: set[str] = set()
    for model in (QualificationDocument, DocumentPreview, EddEvidence, ReviewReport):
        found.update(model.objects.filter(file__in=names).values_list("file", flat=True))
    for name in names:
        match = _REPORT_KEY.match(name)
        if match and name not in found:
            pending = ReviewReport.objects.filter(
                case_id=int(match[1]), version=int(match[2]), status=ReportStatus.PENDING
            )
            if pending.exists():
                found.add(name)
    return found


def storage_orphans(*, grace: timedelta | None = None, storage: Storage | None = None) -> list[str]:
    """The stored names no row references, older than the grace period, sorted."""
    storage = storage or default_storage
    if grace is None:
        grace = timedelta(minutes=settings.KYC_SWEEP_STORAGE_GRACE_MINUTES)
    ceiling = timezone.now() - grace
    orphans: list[str] = []
    for prefix in STORAGE_PREFIXES:
        batch: list[str] = []
        for obj in stored_objects(storage, prefix):
            if obj.modified <= ceiling:
                batch.append(obj.name)
            if len(batch) >= BATCH:
                orphans += sorted(set(batch) - _referenced(batch))
                batch = []
        if batch:
            orphans += sorted(set(batch) - _referenced(batch))
    return sorted(orphans)


def sweep_storage(*, grace: timedelta | None = None, storage: Storage | None = None) -> list[str]:
    """Deletes the orphaned objects and records one `storage.orphans_removed` event with
    their keys (none when there were none). Returns the keys deleted."""
    storage = storage or default_storage
    if grace is None:
        grace = timedelta(minutes=settings.KYC_SWEEP_STORAGE_GRACE_MINUTES)
    removed: list[str] = []
    for name in storage_orphans(grace=grace, storage=storage):
        try:
            storage.delete(name)
        except Exception:  # the next sweep tries again
            logger.exception("sweeper: could not delete the orphaned object %s", name)
        else:
            removed.append(name)
    if removed:
        with transaction.atomic():
            audit_record(
                action="storage.orphans_removed",
                object_type="storage",
                object_id="default",
                after={
                    "keys": removed,
                    "count": len(removed),
                    "grace_minutes": int(grace.total_seconds() // 60),
                },
            )
        logger.warning("sweeper: removed %d orphaned storage objects", len(removed))
    return removed
