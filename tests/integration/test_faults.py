"""Faults on the real services (PostgreSQL, Redis, the S3-compatible server, Celery workers).

Each test ends asserting no lost upload, no duplicate audit event and no orphaned row:
- a worker SIGKILLed in the middle of a report build or of a document's checks: the message
  it never acknowledged (acks_late) is restored by Redis once older than the visibility
  timeout (a few seconds for these workers: CELERY_VISIBILITY_TIMEOUT), a new worker runs it
  again, and the idempotent task completes once;
- the broker down during an upload: the upload is kept, and the sweeper enqueues its checks
  once the broker is back;
- the object store failing during an upload: a 503 `storage_unavailable`, nothing written;
  an object whose transaction rolled back is removed by `sweep_storage`;
- a database error at the end of an approval: nothing of it is left, nothing enqueued.

The worker is made to stop at a known point by tests/integration/faultworker.py: it hangs
right before recording the task's audit event (work done and stored, nothing committed).
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.conftest import accept_documents
from tests.factories import pdf_bytes
from tests.integration.conftest import (
    BROKER_URL,
    S3Server,
    Worker,
    Workers,
    free_port,
    use_broker,
    wait_until,
)
from tests.services import need

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT = 4  # seconds; production keeps kombu's 3600


@pytest.fixture
def real_services() -> None:
    need("postgres", "redis", "moto")


def _worker_env(marker: Path, action: str) -> dict[str, str]:
    return {
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "KYC_FAULT_HANG_ACTION": action,
        "KYC_FAULT_MARKER": str(marker),
    }


def _kill_and_replace(workers: Workers, worker: Worker, env: dict[str, str]) -> Worker:
    """SIGKILLs `worker` (a hard crash: no acknowledgement, no restore) and starts another."""
    worker.kill()
    assert worker.process.returncode == -9
    return workers.start(app="tests.integration.faultworker", env=env)


def _keys(s3: S3Server, prefix: str) -> list[str]:
    listing = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def _upload_license(seller: Any, merchant: Any, name: str = "license.pdf") -> Any:
    from kyc.models import DocumentType
    from kyc.services import document_upload

    data = pdf_bytes(name)
    return document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=SimpleUploadedFile(name, data),
        filename=name,
        size=len(data),
        metadata={"number": "91350100M000100Y43", "expiry_date": "2031-01-01"},
    )


def _assert_chain_intact() -> None:
    from audit.chain import verify_chain

    result = verify_chain()
    assert result.ok, result.problem.describe() if result.problem else ""


# --------------------------------------------------------------------------- worker killed


def test_a_worker_killed_while_building_a_report_leaves_one_report_and_one_event(
    real_services: None,
    claimed_case: Any,
    reviewer: Any,
    s3_server: S3Server,
    celery_workers: Workers,
    tmp_path: Path,
) -> None:
    from audit.models import AuditEvent
    from cases.models import Notification, ReportStatus, ReviewReport
    from cases.services import case_approve

    marker = tmp_path / "hung-report"
    env = _worker_env(marker, "report.built")
    first = celery_workers.start(app="tests.integration.faultworker", env=env)

    accept_documents(claimed_case, reviewer)
    case_approve(actor=reviewer, case_id=claimed_case.pk, reason_codes=["approved_clean"])
    wait_until(marker.exists, timeout=60, what="the worker to reach the report's audit event")

    # Killed after the PDF was stored and the row updated, before the commit.
    key = f"reports/case-{claimed_case.pk}/review-report-v0001.pdf"
    assert _keys(s3_server, "reports/") == [key]
    second = _kill_and_replace(celery_workers, first, env)
    (report,) = ReviewReport.objects.filter(case=claimed_case)
    assert report.status == ReportStatus.PENDING and report.attempts == 0
    assert not AuditEvent.objects.filter(action="report.built").exists()

    report = wait_until(
        lambda: ReviewReport.objects.filter(case=claimed_case, status=ReportStatus.BUILT).first(),
        timeout=60,
        what="the redelivered build to finish on the new worker",
    )
    time.sleep(VISIBILITY_TIMEOUT + 1)  # room for a (wrong) second delivery to show itself

    assert ReviewReport.objects.filter(case=claimed_case).count() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.BUILT and report.attempts == 1
    (event,) = AuditEvent.objects.filter(action="report.built", case_id=claimed_case.pk)
    assert event.after["sha256"] == report.sha256 and event.after["key"] == key
    assert _keys(s3_server, "reports/") == [key]
    body = s3_server.client.get_object(Bucket=s3_server.bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == report.sha256
    assert AuditEvent.objects.filter(action="case.approved", case_id=claimed_case.pk).count() == 1
    assert Notification.objects.filter(case=claimed_case, event="case.approved").count() == 1
    assert "build_report_task" in second.log_text()
    _assert_chain_intact()


def test_a_worker_killed_while_checking_a_document_leaves_one_set_of_results(
    real_services: None,
    draft_case: Any,
    seller: Any,
    s3_server: S3Server,
    celery_workers: Workers,
    tmp_path: Path,
) -> None:
    from audit.models import AuditEvent
    from kyc.models import DocumentCheckResult, DocumentPreview, DocumentStatus

    marker = tmp_path / "hung-checks"
    env = _worker_env(marker, "document.checked")
    first = celery_workers.start(app="tests.integration.faultworker", env=env)

    doc = _upload_license(seller, draft_case.merchant)
    wait_until(marker.exists, timeout=60, what="the worker to reach the checks' audit event")
    _kill_and_replace(celery_workers, first, env)
    assert not DocumentCheckResult.objects.filter(document=doc).exists()

    wait_until(
        lambda: (
            DocumentCheckResult.objects.filter(document=doc).exists()
            and AuditEvent.objects.filter(action="document.checked", object_id=str(doc.pk)).exists()
        ),
        timeout=60,
        what="the redelivered checks to finish on the new worker",
    )
    time.sleep(VISIBILITY_TIMEOUT + 1)

    doc.refresh_from_db()
    assert doc.status == DocumentStatus.PENDING_REVIEW and doc.checks_completed_at is not None
    names = list(
        DocumentCheckResult.objects.filter(document=doc).values_list("check_name", flat=True)
    )
    assert len(names) == len(set(names)) > 3
    assert AuditEvent.objects.filter(action="document.checked", object_id=str(doc.pk)).count() == 1
    assert AuditEvent.objects.filter(action="document.uploaded", object_id=str(doc.pk)).count() == 1
    assert DocumentPreview.objects.filter(document=doc).count() == 1
    assert _keys(s3_server, "documents/") == [doc.file.name]
    assert _keys(s3_server, "previews/") == [doc.preview.file.name]
    _assert_chain_intact()


# --------------------------------------------------------------------------- broker down


def test_an_upload_while_the_broker_is_down_is_kept_and_checked_when_it_returns(
    real_services: None,
    draft_case: Any,
    seller: Any,
    s3_server: S3Server,
    celery_worker: Worker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from audit.models import AuditEvent
    from kyc.models import DocumentCheckResult, DocumentStatus, QualificationDocument

    merchant = draft_case.merchant
    client = Client()
    client.force_login(seller)
    use_broker(f"redis://127.0.0.1:{free_port()}/14")  # nothing listens there
    data = pdf_bytes("license")
    response = client.post(
        f"/api/v1/merchants/{merchant.pk}/documents/",
        {
            "file": SimpleUploadedFile("license.pdf", data),
            "document_type": "business_license",
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert response.status_code == 201, response.content
    doc = QualificationDocument.objects.get(pk=response.json()["id"])
    assert doc.status == DocumentStatus.UPLOADED and doc.checks_completed_at is None
    assert _keys(s3_server, "documents/") == [doc.file.name]
    assert AuditEvent.objects.filter(action="document.uploaded", object_id=str(doc.pk)).count() == 1
    assert "could not publish kyc.tasks.run_document_checks_task" in caplog.text

    use_broker(BROKER_URL)  # the broker is back
    call_command("sweep_stuck_work", "--older-than-minutes", "0")
    wait_until(
        lambda: QualificationDocument.objects.filter(
            pk=doc.pk, checks_completed_at__isnull=False
        ).exists(),
        timeout=60,
        what="the swept checks to run on the worker",
    )
    from kyc.sweepers import stuck_work

    assert stuck_work(older_than=timedelta(0)).documents == []
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.PENDING_REVIEW
    assert DocumentCheckResult.objects.filter(document=doc).exists()
    assert AuditEvent.objects.filter(action="document.checked", object_id=str(doc.pk)).count() == 1
    assert QualificationDocument.objects.filter(merchant=merchant).count() == 1
    _assert_chain_intact()


# --------------------------------------------------------------------------- storage down


def test_an_upload_while_the_storage_fails_answers_503_and_writes_nothing(
    real_services: None,
    draft_case: Any,
    seller: Any,
    s3_server: S3Server,
) -> None:
    from audit.models import AuditEvent
    from kyc.models import DocumentType, QualificationDocument

    merchant = draft_case.merchant
    s3_server.client.delete_bucket(Bucket=s3_server.bucket)  # the store refuses every write
    client = Client()
    client.force_login(seller)
    events_before = AuditEvent.objects.count()

    response = client.post(
        f"/api/v1/merchants/{merchant.pk}/documents/",
        {
            "file": SimpleUploadedFile("license.pdf", pdf_bytes("license")),
            "document_type": "business_license",
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "not kept" in error["message"] and error["fields"]["file"]

    page = client.post(
        reverse("cases:document_upload", args=[merchant.pk]),
        {
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "file": SimpleUploadedFile("license.pdf", pdf_bytes("license")),
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert page.status_code == 503
    assert "not kept" in page.context["form"].errors["file"][0]

    assert not QualificationDocument.objects.filter(merchant=merchant).exists()
    assert AuditEvent.objects.count() == events_before

    s3_server.client.create_bucket(Bucket=s3_server.bucket)  # the store is back
    doc = _upload_license(seller, merchant)
    assert _keys(s3_server, "documents/") == [doc.file.name]


def test_an_object_left_by_a_rolled_back_upload_is_removed_by_sweep_storage(
    real_services: None,
    draft_case: Any,
    seller: Any,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storages.backends.s3 import S3Storage

    from audit.models import AuditEvent
    from kyc import services as kyc_services
    from kyc.models import QualificationDocument

    merchant = draft_case.merchant
    kept = _upload_license(seller, merchant, "kept.pdf")

    # The database fails after the object was stored, and the storage's clean-up fails too
    # (a process killed there behaves the same): the object is left behind, no row.
    def failing_audit(**kwargs: Any) -> Any:
        raise OperationalError("the database went away")

    def failing_delete(self: Any, name: str) -> None:
        raise OSError("the store went away")

    with monkeypatch.context() as patch:
        patch.setattr(kyc_services, "audit_record", failing_audit)
        patch.setattr(S3Storage, "delete", failing_delete)
        with pytest.raises(OperationalError):
            _upload_license(seller, merchant, "lost.pdf")
    assert QualificationDocument.objects.filter(merchant=merchant).count() == 1
    keys = _keys(s3_server, "documents/")
    (orphan,) = [key for key in keys if key != kept.file.name]

    # Within the grace period (an upload may be in flight) nothing is touched.
    call_command("sweep_storage")
    assert _keys(s3_server, "documents/") == keys
    assert not AuditEvent.objects.filter(action="storage.orphans_removed").exists()

    call_command("sweep_storage", "--grace-minutes", "0")
    assert _keys(s3_server, "documents/") == [kept.file.name]
    (event,) = AuditEvent.objects.filter(action="storage.orphans_removed")
    assert event.after["keys"] == [orphan] and event.actor_type == "system"
    kept.refresh_from_db()
    assert kept.file.storage.exists(kept.file.name)

    call_command("sweep_storage", "--grace-minutes", "0")  # nothing more to do
    assert AuditEvent.objects.filter(action="storage.orphans_removed").count() == 1
    _assert_chain_intact()


# --------------------------------------------------------------------------- database error


def test_a_database_error_at_the_end_of_an_approval_leaves_nothing_behind(
    claimed_case: Any,
    reviewer: Any,
    admin_user: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from audit.models import AuditEvent
    from cases import services as case_services
    from cases.models import CaseState, Notification, ReviewCase, ReviewReport
    from webhooks.models import WebhookDelivery, WebhookEvent
    from webhooks.services import subscription_create

    subscription_create(
        actor=admin_user,
        data={
            "name": "Platform",
            "url": "http://127.0.0.1:9/kyc-events",
            "event_types": ["case.approved"],
        },
    )
    real_report_request = case_services.report_request
    written: list[Any] = []

    def report_request_then_fail(**kwargs: Any) -> Any:
        # Everything of the approval is written by now: state, decision, audit event,
        # webhook event and delivery, notification, report row and their on-commit tasks.
        written.append(real_report_request(**kwargs))
        written.append(AuditEvent.objects.filter(action="case.approved").count())
        written.append(WebhookDelivery.objects.count())
        raise OperationalError("could not write to the database")

    accept_documents(claimed_case, reviewer)  # an approval needs every document decided
    monkeypatch.setattr(case_services, "report_request", report_request_then_fail)
    before = {
        "events": AuditEvent.objects.count(),
        "webhooks": WebhookEvent.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
        "notifications": Notification.objects.count(),
        "reports": ReviewReport.objects.count(),
    }

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(OperationalError):
            case_services.case_approve(
                actor=reviewer, case_id=claimed_case.pk, reason_codes=["approved_clean"]
            )

    assert callbacks == []
    assert written[1:] == [1, 1]  # they were written, inside the transaction, then undone
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    assert case.state == CaseState.IN_REVIEW == claimed_case.state
    assert case.decided_at is None and not case.decision_reason_codes.exists()
    assert {
        "events": AuditEvent.objects.count(),
        "webhooks": WebhookEvent.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
        "notifications": Notification.objects.count(),
        "reports": ReviewReport.objects.count(),
    } == before
    _assert_chain_intact()
