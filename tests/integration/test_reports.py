"""The PDF review report on the real services: an approval commits, the Celery worker builds
the report, the object lands in the S3-compatible server under its deterministic key, and the
text extracted from that object shows the Chinese name with the digest the audit trail holds."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from tests.cases.test_reports_fixtures import CHINESE_NAME, pdf_text
from tests.conftest import accept_documents
from tests.factories import make_user, pdf_bytes
from tests.integration.conftest import (
    S3Server,
    Worker,
    onboard_ningbo,
    wait_screened,
    wait_until,
)
from tests.services import need

pytestmark = pytest.mark.integration


@pytest.fixture
def real_services() -> None:
    need("postgres", "redis", "moto")


def test_approval_builds_the_report_in_the_worker_and_stores_it_in_s3(
    real_services: None,
    transactional_db: None,
    s3_server: S3Server,
    celery_worker: Worker,
) -> None:
    from audit.chain import verify_chain
    from audit.models import AuditEvent
    from cases.models import ReportStatus, ReviewReport
    from cases.reference_data import load_reference_data
    from cases.services import case_approve, case_claim, case_submit
    from kyc.models import DocumentType
    from kyc.services import document_upload

    load_reference_data()
    seller = make_user(Role.SELLER)
    reviewer = make_user(Role.REVIEWER)
    merchant, case, person = onboard_ningbo(seller)
    for code, name, metadata in (
        ("business_license", "license.pdf", {"number": "91350100M000100Y43"}),
        ("identity_document", "id.pdf", {"number": "110101199001011234", "person": person.pk}),
    ):
        data = pdf_bytes(name)
        document_upload(
            actor=seller,
            merchant=merchant,
            document_type=DocumentType.objects.get(code=code),
            fileobj=SimpleUploadedFile(name, data),
            filename=name,
            size=len(data),
            metadata={**metadata, "expiry_date": "2032-01-01"},
        )
    case_submit(actor=seller, case_id=case.pk)
    case_claim(actor=reviewer, case_id=case.pk)
    wait_screened(case)
    accept_documents(case, reviewer)
    case_approve(
        actor=reviewer,
        case_id=case.pk,
        reason_codes=["approved_clean"],
        rationale="Documents verified against the registry.",
    )

    def built() -> ReviewReport | None:
        return ReviewReport.objects.filter(case=case, status=ReportStatus.BUILT).first()

    report = wait_until(built, timeout=60, what="the worker to build the review report")
    key = f"reports/case-{case.pk}/review-report-v0001.pdf"
    assert report.key == key and report.file.name == key
    body = s3_server.client.get_object(Bucket=s3_server.bucket, Key=key)["Body"].read()
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert CHINESE_NAME in text and "Ningbo Harbour Textiles Co., Ltd." in text
    assert "All requirements met; no adverse findings." in text  # the reason code's label
    (event,) = AuditEvent.objects.filter(action="report.built", case_id=case.pk)
    assert event.actor_type == "system"
    assert hashlib.sha256(body).hexdigest() == event.after["sha256"] == report.sha256
    assert event.after["key"] == key
    assert ReviewReport.objects.filter(case=case).count() == 1
    assert "cases.tasks.build_report_task[" in celery_worker.log_text()
    result = verify_chain()
    assert result.ok, result.problem.describe() if result.problem else ""
