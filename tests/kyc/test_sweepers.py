"""The recovery jobs and the on-commit publishing that never undoes a commit, on local
storage with in-process tasks (the real-services versions are in tests/integration/
test_faults.py)."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from tests.conftest import upload
from tests.factories import pdf_bytes


def _upload(seller: Any, merchant: Any, name: str = "license.pdf") -> Any:
    from kyc.models import DocumentType
    from kyc.services import document_upload

    return document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=upload(name, pdf_bytes(name)),
        filename=name,
        metadata={"number": "91350100M000100Y43", "expiry_date": "2031-01-01"},
    )


def _age(path: str, seconds: float) -> None:
    full = default_storage.path(path)
    then = time.time() - seconds
    os.utime(full, (then, then))


def test_a_broker_down_at_commit_keeps_the_upload_and_logs_the_lost_task(
    draft_case: Any,
    seller: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from audit.models import AuditEvent
    from kyc.models import DocumentStatus, QualificationDocument
    from kyc.tasks import run_document_checks_task

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(run_document_checks_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doc = _upload(seller, draft_case.merchant)

    assert len(callbacks) == 1
    doc = QualificationDocument.objects.get(pk=doc.pk)
    assert doc.status == DocumentStatus.UPLOADED and doc.checks_completed_at is None
    assert default_storage.exists(doc.file.name)
    assert AuditEvent.objects.filter(action="document.uploaded", object_id=str(doc.pk)).count() == 1
    assert (
        f"could not publish kyc.tasks.run_document_checks_task({doc.pk},) after commit"
        in caplog.text
    )


def test_a_programming_error_in_publishing_is_not_swallowed(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, db: Any
) -> None:
    from kyc.tasks import run_document_checks_task

    def wrong(*args: Any, **kwargs: Any) -> None:
        raise TypeError("run_document_checks_task() takes 1 positional argument")

    monkeypatch.setattr(run_document_checks_task, "delay", wrong)
    with pytest.raises(TypeError):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                run_document_checks_task.delay_on_commit(1, 2)


def test_the_sweeper_enqueues_what_lost_its_task_and_nothing_else(
    draft_case: Any, seller: Any, reviewer: Any
) -> None:
    from audit.models import AuditEvent
    from cases.models import Notification, ReportStatus, ReportTrigger, ReviewReport
    from cases.reports.services import report_request
    from kyc.models import DocumentStatus, QualificationDocument
    from kyc.sweepers import stuck_work, sweep_stuck_work

    merchant = draft_case.merchant
    # The `db` fixture never runs on-commit callbacks: each of these lost its task.
    stuck = _upload(seller, merchant, "stuck.pdf")
    recent = _upload(seller, merchant, "recent.pdf")
    ancient = _upload(seller, merchant, "ancient.pdf")
    with transaction.atomic():
        report = report_request(case=draft_case, trigger=ReportTrigger.REBUILD)
    notification = Notification.objects.create(
        merchant=merchant, event="case.approved", recipients=["seller@example.com"],
        subject="Approved", body="Approved.",
    )  # fmt: skip
    old = timezone.now() - timedelta(minutes=11)
    QualificationDocument.objects.filter(pk=stuck.pk).update(created_at=old)
    QualificationDocument.objects.filter(pk=ancient.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    ReviewReport.objects.filter(pk=report.pk).update(requested_at=old)
    Notification.objects.filter(pk=notification.pk).update(created_at=old)

    work = stuck_work()
    assert (work.documents, work.reports, work.notifications) == (
        [stuck.pk],
        [report.pk],
        [notification.pk],
    )
    assert work.screenings == []  # a draft: nothing to screen yet
    swept = sweep_stuck_work()  # tasks run in-process here
    assert swept.as_dict() == {"documents": 1, "reports": 1, "notifications": 1, "screenings": 0}

    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == DocumentStatus.PENDING_REVIEW and stuck.checks_completed_at
    assert recent.status == DocumentStatus.UPLOADED  # younger than 10 minutes: not yet
    assert ReviewReport.objects.get(pk=report.pk).status == ReportStatus.BUILT
    assert Notification.objects.get(pk=notification.pk).sent_at is not None
    assert AuditEvent.objects.filter(action="document.checked").count() == 1
    assert AuditEvent.objects.filter(action="report.built").count() == 1
    assert not any(stuck_work().as_dict().values())


def test_the_sweeper_screens_a_submitted_case_whose_screening_task_was_lost(
    ready_case: Any, seller: Any
) -> None:
    from cases.models import ReviewCase
    from cases.services import case_submit
    from kyc.models import RiskAssessment
    from kyc.sweepers import stuck_work, sweep_stuck_work

    case_submit(actor=seller, case_id=ready_case.pk)  # its on-commit task never runs here
    RiskAssessment.objects.filter(merchant=ready_case.merchant).delete()
    ReviewCase.objects.filter(pk=ready_case.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=11)
    )
    assert stuck_work().screenings == [ready_case.pk]
    sweep_stuck_work()
    assert RiskAssessment.objects.filter(merchant=ready_case.merchant).count() == 1
    assert stuck_work().screenings == []


def test_sweep_stuck_work_command_lists_in_a_dry_run(draft_case: Any, seller: Any) -> None:
    from kyc.models import DocumentStatus

    doc = _upload(seller, draft_case.merchant)
    out = io.StringIO()
    call_command("sweep_stuck_checks", "--older-than-minutes", "0", "--dry-run", stdout=out)
    assert f"would enqueue: checks of 1 documents [{doc.pk}]" in out.getvalue()
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.UPLOADED

    out = io.StringIO()
    call_command("sweep_stuck_work", "--older-than-minutes", "0", stdout=out)
    assert f"enqueued: checks of 1 documents [{doc.pk}]" in out.getvalue()
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.PENDING_REVIEW


def test_sweep_storage_removes_only_old_unreferenced_objects_with_one_event(
    draft_case: Any, seller: Any, settings: Any
) -> None:
    from audit.models import AuditEvent
    from cases.models import ReportTrigger
    from cases.reports.services import report_request
    from kyc.sweepers import storage_orphans, sweep_storage

    doc = _upload(seller, draft_case.merchant)
    with transaction.atomic():
        pending = report_request(case=draft_case, trigger=ReportTrigger.REBUILD)
    names = {
        "orphan": f"documents/merchant-{draft_case.merchant_id}/lost.pdf",
        "orphan_report": f"reports/case-{draft_case.pk}/review-report-v0099.pdf",
        "pending_report": pending.key,  # a crashed build's object: the rebuild replaces it
        "young": "edd/case-1/in-flight.pdf",
        "elsewhere": "exports/keep.csv",
    }
    for name in names.values():
        assert default_storage.save(name, ContentFile(b"%PDF-1.4")) == name
    for key, name in names.items():
        _age(name, 30 if key == "young" else 2 * 3600)
    _age(doc.file.name, 2 * 3600)

    assert storage_orphans() == sorted([names["orphan"], names["orphan_report"]])
    removed = sweep_storage()

    assert removed == sorted([names["orphan"], names["orphan_report"]])
    assert not default_storage.exists(names["orphan"])
    for key in ("pending_report", "young", "elsewhere"):
        assert default_storage.exists(names[key])
    assert default_storage.exists(doc.file.name)
    (event,) = AuditEvent.objects.filter(action="storage.orphans_removed")
    assert event.after == {"keys": removed, "count": 2, "grace_minutes": 60}
    assert sweep_storage() == []
    assert AuditEvent.objects.filter(action="storage.orphans_removed").count() == 1


def test_an_upload_whose_database_write_fails_leaves_an_orphan_the_sweeper_removes(
    draft_case: Any, seller: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from django.core.files.storage import FileSystemStorage

    from kyc import services as kyc_services
    from kyc.models import QualificationDocument

    def failing_audit(**kwargs: Any) -> Any:
        raise OperationalError("the database went away")

    def failing_delete(self: Any, name: str) -> None:
        raise OSError("the disk went away")

    with monkeypatch.context() as patch:
        patch.setattr(kyc_services, "audit_record", failing_audit)
        patch.setattr(FileSystemStorage, "delete", failing_delete)
        with pytest.raises(OperationalError):
            _upload(seller, draft_case.merchant)
    assert not QualificationDocument.objects.exists()
    root = Path(default_storage.path("documents"))
    (left,) = [p for p in root.rglob("*") if p.is_file()]
    name = left.relative_to(default_storage.path("")).as_posix()
    _age(name, 2 * 3600)

    out = io.StringIO()
    call_command("sweep_storage", "--dry-run", stdout=out)
    assert f"would remove 1 orphaned objects\n  {name}\n" == out.getvalue()
    call_command("sweep_storage", stdout=io.StringIO())
    assert not left.exists()


def test_a_storage_failure_during_an_upload_is_a_503_and_writes_nothing(
    draft_case: Any, seller: Any, monkeypatch: pytest.MonkeyPatch, client: Any
) -> None:
    from django.core.files.storage import FileSystemStorage
    from django.urls import reverse

    from audit.models import AuditEvent
    from kyc.models import DocumentType, QualificationDocument

    def disk_full(self: Any, name: str, content: Any, max_length: int | None = None) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    merchant = draft_case.merchant
    client.force_login(seller)
    events = AuditEvent.objects.count()
    response = client.post(
        f"/api/v1/merchants/{merchant.pk}/documents/",
        {
            "file": upload("license.pdf", pdf_bytes()),
            "document_type": "business_license",
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"

    page = client.post(
        reverse("cases:document_upload", args=[merchant.pk]),
        {
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "file": upload("license.pdf", pdf_bytes()),
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert page.status_code == 503
    assert "not kept" in page.context["form"].errors["file"][0]
    assert not QualificationDocument.objects.exists()
    assert AuditEvent.objects.count() == events
