"""Builders shared by the review report tests (tests/cases, tests/web, tests/api,
tests/integration): a decided case with owners, checked documents, disposed screening hits,
reason codes, a rationale, a maker and a checker. No tests here."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from tests.conftest import accept_documents

CHINESE_NAME = "宁波港湾纺织有限公司"
RATIONALE = "Licence verified against the registry; owners explained."
HOSTILE_NAMES = ("<img src=http://127.0.0.1:9/x.png>", "<script>alert(1)</script>")


def pdf_text(data: bytes) -> str:
    """The text of every page (what an examiner's viewer shows), whitespace-normalised."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def stored_bytes(key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        return bytes(handle.read())


def enrich(case: Any) -> None:
    """Two more owners, check results on every document, two disposed screening hits."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.details import case_acknowledge_changes
    from kyc.models import CheckOutcome, Disposition, DocumentCheckResult, DocumentType
    from kyc.services import document_run_checks, document_upload
    from merchants.models import Person
    from tests.cases.screening_helpers import (
        make_entry,
        make_list,
        make_match,
        record_screening_run,
    )
    from tests.factories import make_user, pdf_bytes

    merchant = case.merchant
    zhang = Person.objects.create(
        merchant=merchant,
        full_name="Zhang Min",
        local_name="张敏",
        is_beneficial_owner=True,
        ownership_percent=25,
    )
    chen = Person.objects.create(
        merchant=merchant,
        full_name="Chen Jie",
        local_name="陈杰",
        is_director=True,
        is_beneficial_owner=True,
        ownership_percent=15,
    )
    seller = merchant.memberships.select_related("user").first().user
    id_type = DocumentType.objects.get(code="identity_document")
    for n, person in enumerate((zhang, chen)):
        document_upload(
            actor=seller,
            merchant=merchant,
            document_type=id_type,
            fileobj=SimpleUploadedFile(f"id-{n}.pdf", pdf_bytes(f"ID {n}"), "application/pdf"),
            filename=f"owner-id-{n}.pdf",
            metadata={
                "number": f"11010119900101123{n}",
                "expiry_date": "2032-01-01",
                "person": person.pk,
            },
        )
    for doc in merchant.documents.filter(checks_completed_at__isnull=True):
        document_run_checks(document_id=doc.pk)  # approval waits for every document's checks
    for doc in merchant.documents.all():
        DocumentCheckResult.objects.update_or_create(
            document=doc,
            check_name="file_type",
            defaults={
                "outcome": CheckOutcome.PASSED,
                "code": "file_type_allowed",
                "message_en": "The file is a PDF.",
                "message_zh": "文件为 PDF。",
            },
        )
        DocumentCheckResult.objects.update_or_create(
            document=doc,
            check_name="expiry",
            defaults={
                "outcome": CheckOutcome.WARNING,
                "code": "document_expiring_soon",
                "message_en": "Expires within the warning window.",
                "message_zh": "即将过期。",
            },
        )
    sdn = make_list()
    disposer = make_user("reviewer", username="disposer-rita")
    for name in ("Harbour Trading Front LLC", "Li Wei Shipping"):
        match = make_match(merchant, make_entry(sdn, name), score=81)
        match.status = Disposition.FALSE_POSITIVE
        match.disposition_comment = f"Different registration and address than {name}."
        match.disposed_by = disposer
        match.save()
    # The new owners' names screened against the new list, and the holder has seen the
    # documents added during the review: approval waits for both (cases.readiness).
    record_screening_run(merchant, sdn)
    if case.assignee_id is not None and case.data_changes.filter(acknowledged_at=None).exists():
        case_acknowledge_changes(actor=case.assignee, case_id=case.pk)


def approve_with_four_eyes(case: Any, maker: Any, checker: Any) -> Any:
    """The holder (maker) approves with a reason code and rationale; a second senior reviewer
    (checker) gives the second approval. Returns the approved case."""
    from cases import services
    from cases.models import ReviewCase

    ReviewCase.objects.filter(pk=case.pk).update(requires_four_eyes=True)
    accept_documents(case, maker)
    services.case_approve(
        actor=maker, case_id=case.pk, reason_codes=["approved_clean"], rationale=RATIONALE
    )
    return services.case_second_approve(actor=checker, case_id=case.pk, rationale="Agreed.")


def build(report: Any) -> Any:
    from cases.reports.build import report_build

    return report_build(report_id=report.pk)


def rebuild_in_transaction(case: Any, actor: Any = None, language: str | None = None) -> Any:
    from cases.reports.services import report_rebuild

    with transaction.atomic():
        return report_rebuild(actor=actor, case_id=case.pk, language=language)
