"""The onboarding path end to end on the real services: PostgreSQL, objects in an
S3-compatible server, tasks through Redis to a real Celery worker."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from tests.conftest import accept_documents
from tests.factories import make_user, pdf_bytes, png_bytes
from tests.integration.conftest import (
    S3Server,
    Worker,
    onboard_ningbo,
    wait_screened,
    wait_until,
)
from tests.services import need

pytestmark = pytest.mark.integration

TRANSITIONS = ("case.opened", "case.submitted", "case.claimed", "case.approved")


@pytest.fixture
def real_services() -> None:
    # First, before anything is started: outside CI a missing service skips the test (named),
    # under CI=true it fails it.
    need("postgres", "redis", "moto")


def test_upload_to_s3_then_worker_verifies_and_notifies_through_to_approval(
    real_services: None,
    transactional_db: None,
    s3_server: S3Server,
    celery_worker: Worker,
) -> None:
    from audit.chain import verify_chain
    from audit.models import AuditEvent
    from cases.models import CaseState, Notification
    from cases.reference_data import load_reference_data
    from cases.services import case_approve, case_claim, case_submit
    from kyc.models import DocumentStatus, DocumentType, QualificationDocument
    from kyc.services import document_upload

    load_reference_data()
    seller = make_user(Role.SELLER)
    reviewer = make_user(Role.REVIEWER)
    merchant, case, person = onboard_ningbo(seller)

    # The seller uploads what is currently due; each upload commits on its own, so its
    # verification task goes to the broker right after.
    files = [
        (
            "business_license",
            "license.pdf",
            pdf_bytes("Business license 91350100M000100Y43"),
            {"number": "91350100M000100Y43", "expiry_date": "2031-01-01"},
        ),
        (
            "identity_document",
            "id.png",
            png_bytes((1000, 640)),
            {"number": "110101199001011234", "expiry_date": "2032-01-01", "person": person.pk},
        ),
    ]
    docs: list[Any] = []
    for code, filename, data, metadata in files:
        docs.append(
            document_upload(
                actor=seller,
                merchant=merchant,
                document_type=DocumentType.objects.get(code=code),
                fileobj=SimpleUploadedFile(filename, data),
                filename=filename,
                size=len(data),
                metadata=metadata,
            )
        )

    # The objects are in the bucket, byte for byte what the SHA-256 on the row says.
    for doc, (_, _, data, _) in zip(docs, files, strict=True):
        body = s3_server.client.get_object(Bucket=s3_server.bucket, Key=doc.file.name)["Body"]
        stored = body.read()
        assert hashlib.sha256(stored).hexdigest() == doc.sha256 == hashlib.sha256(data).hexdigest()
        assert len(stored) == doc.size
    listed = s3_server.client.list_objects_v2(Bucket=s3_server.bucket, Prefix="documents/")
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(d.file.name for d in docs)

    # The worker re-reads each object from S3 and records the verification as the system.
    def all_verified() -> bool:
        return not QualificationDocument.objects.filter(
            pk__in=[d.pk for d in docs], integrity_verified_at__isnull=True
        ).exists()

    wait_until(all_verified, timeout=30, what="the worker to verify both documents")
    for doc in docs:
        doc.refresh_from_db()
        assert doc.status == DocumentStatus.PENDING_REVIEW
        verified = AuditEvent.objects.filter(action="document.checked", object_id=str(doc.pk))
        assert verified.count() == 1
        assert verified.get().actor_type == "system"
        assert verified.get().after["sha256_matches"] is True

    case = case_submit(actor=seller, case_id=case.pk)
    case = case_claim(actor=reviewer, case_id=case.pk)
    wait_screened(case)
    accept_documents(case, reviewer)
    case = case_approve(
        actor=reviewer,
        case_id=case.pk,
        reason_codes=["approved_clean"],
        rationale="Documents verified against the registry.",
    )
    assert case.state == CaseState.APPROVED

    # Notifications are rows written with each transition and sent by the worker after commit.
    def all_sent() -> bool:
        rows = list(Notification.objects.filter(case=case))
        return len(rows) == 2 and all(n.sent_at is not None for n in rows)

    wait_until(all_sent, timeout=30, what="the worker to send both notifications")
    assert sorted(Notification.objects.filter(case=case).values_list("event", flat=True)) == [
        "case.approved",
        "case.submitted",
    ]

    # It really was the worker, not an in-process fallback.
    log = celery_worker.log_text()
    assert log.count("kyc.tasks.run_document_checks_task[") >= 2
    assert "cases.tasks.send_notification_task[" in log

    result = verify_chain()
    assert result.ok, result.problem.describe() if result.problem else ""
    for action in TRANSITIONS:
        assert AuditEvent.objects.filter(case_id=case.pk, action=action).count() == 1, action
    for doc in docs:
        assert (
            AuditEvent.objects.filter(action="document.uploaded", object_id=str(doc.pk)).count()
            == 1
        )
