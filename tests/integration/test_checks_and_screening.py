"""Document checks, sanctions screening and risk scoring end to end on the real services: a
synthetic SDN list imported with the operator command, documents in an S3-compatible
server, and the checks and the screening run by a real Celery worker through Redis."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.roles import Role
from tests.conftest import accept_documents
from tests.factories import complete_edd_checklist, make_user, pdf_bytes, png_bytes
from tests.integration.conftest import S3Server, Worker, wait_until
from tests.services import need

pytestmark = pytest.mark.integration

# The published legacy CSV format: no header, `-0- ` for empty, aliases in Remarks, CRLF
# line endings and a trailing DOS end-of-file byte.
EMPTY = "-0- "
SYNTHETIC_SDN = (
    "\r\n".join(
        [
            f'91001,"GOLDEN HARBOR TRADING LIMITED",{EMPTY},"SDGT] [IRAN-EO13902",'
            + ",".join([EMPTY] * 7)
            + ",\"a.k.a. 'GOLDEN HARBOR SHIPPING CO.'; Registration ID 771234 (Hong Kong).\"",
            f'91002,"NORTHERN STAR PETROLEUM FZE",{EMPTY},"IRAN-EO13846",'
            + ",".join([EMPTY] * 7)
            + f",{EMPTY}",
            '91003,"KARIMOV, Rustam",individual,"SDNTK",'
            + ",".join([EMPTY] * 7)
            + ',"DOB 04 Mar 1968; nationality Uzbekistan."',
        ]
    )
    + "\r\n\x1a"
).encode("latin-1")


@pytest.fixture
def real_services() -> None:
    need("postgres", "redis", "moto")


def test_checks_screening_and_scoring_run_on_the_worker_and_gate_the_approval(
    real_services: None,
    transactional_db: None,
    s3_server: S3Server,
    celery_worker: Worker,
    tmp_path: Path,
) -> None:
    from audit.chain import verify_chain
    from audit.models import AuditEvent
    from cases import screening
    from cases.models import CaseState, ReviewCase
    from cases.reference_data import load_reference_data
    from cases.services import (
        case_approve,
        case_claim,
        case_second_approve,
        case_submit,
        onboarding_start,
    )
    from config.errors import Conflict
    from kyc.models import DocumentCheckResult, DocumentType, QualificationDocument, ScreeningMatch
    from kyc.services import document_upload
    from merchants.services import person_add

    load_reference_data()
    sdn_file = tmp_path / "sdn.csv"
    sdn_file.write_bytes(SYNTHETIC_SDN)
    call_command("import_sanctions", str(sdn_file), stdout=io.StringIO())

    seller = make_user(Role.SELLER)
    senior, checker = make_user(Role.SENIOR_REVIEWER), make_user(Role.SENIOR_REVIEWER)
    merchant, case = onboarding_start(
        actor=seller,
        data={
            "legal_name": "Golden Harbour Trading Ltd",
            "entity_type": "company",
            "country": "CN",
            "registration_number": "91350100M000100Y43",
        },
    )
    person = person_add(
        actor=seller,
        merchant=merchant,
        data={
            "full_name": "Chen Bo",
            "is_legal_representative": True,
            "ownership_percent": "100",
            "nationality": "CN",
        },
    )
    uploads: list[tuple[str, str, bytes, dict[str, Any]]] = [
        (
            "business_license",
            "license.pdf",
            pdf_bytes("Business license 91350100M000100Y43"),
            {
                "number": "91350100M000100Y43",
                "expiry_date": "2031-01-01",
                "holder_name": "Golden Harbour Trading Ltd",
            },
        ),
        (
            "identity_document",
            "id.png",
            png_bytes((1000, 640)),
            {"number": "110101199001011234", "expiry_date": "2032-01-01", "person": person.pk},
        ),
    ]
    docs = [
        document_upload(
            actor=seller,
            merchant=merchant,
            document_type=DocumentType.objects.get(code=code),
            fileobj=SimpleUploadedFile(name, data),
            filename=name,
            size=len(data),
            metadata=metadata,
        )
        for code, name, data, metadata in uploads
    ]

    # The worker runs the document checks on upload.
    wait_until(
        lambda: (
            not QualificationDocument.objects.filter(
                pk__in=[d.pk for d in docs], checks_completed_at__isnull=True
            ).exists()
        ),
        timeout=30,
        what="the worker to check both documents",
    )
    assert DocumentCheckResult.objects.filter(document__in=docs).exists()

    # Submitting enqueues screening and scoring after commit; the worker finds the listed
    # entity (Harbour ↔ Harbor, Ltd ↔ Limited), scores the merchant high and routes to EDD.
    case_submit(actor=seller, case_id=case.pk)

    def scored() -> ReviewCase | None:
        current = ReviewCase.objects.get(pk=case.pk)
        return current if current.risk_assessment_id else None

    case = wait_until(scored, timeout=30, what="the worker to screen and score the case")
    match = ScreeningMatch.objects.get(merchant=merchant, entry__list_id="91001")
    assert match.status == "open" and match.screened_name == "Golden Harbour Trading Ltd"
    assert (case.state, case.risk_tier, case.requires_four_eyes) == (CaseState.EDD, "high", True)
    assert "screening_open" in {f["code"] for f in case.risk_assessment.factors}

    # Approval is refused until the hit is disposed.
    case_claim(actor=senior, case_id=case.pk)
    with pytest.raises(Conflict) as refused:
        case_approve(actor=senior, case_id=case.pk, rationale="Looks fine.")
    assert refused.value.code == "screening_hits_open"
    assert ReviewCase.objects.get(pk=case.pk).state == CaseState.EDD

    screening.screening_dispose(
        actor=senior,
        case_id=case.pk,
        match_id=match.pk,
        status="false_positive",
        comment="The listed entity is a Hong Kong shipping company (registration 771234); "
        "this merchant is a Chinese company with another registration number.",
    )
    strong = match.score >= settings.KYC_STRONG_HIT_SCORE
    if strong:
        # Four-eyes on clearing a strong hit: the proposal alone leaves it open.
        assert ScreeningMatch.objects.get(pk=match.pk).status == "open"
        screening.screening_agree(
            actor=checker, case_id=case.pk, match_id=match.pk, comment="Agreed: other company."
        )
    assert ScreeningMatch.objects.get(pk=match.pk).status == "false_positive"
    # The worker re-scores after the disposition: the screening factor is gone.
    wait_until(
        lambda: AuditEvent.objects.filter(case_id=case.pk, action="case.risk_scored").exists(),
        timeout=30,
        what="the worker to re-score the case",
    )
    case = ReviewCase.objects.get(pk=case.pk)
    assert "screening_open" not in {f["code"] for f in case.risk_assessment.factors}

    complete_edd_checklist(case.pk, senior)  # EDD: every checklist item is worked first
    accept_documents(case, senior)
    case = case_approve(actor=senior, case_id=case.pk, rationale="Hit disposed; file clean.")
    assert case.state == CaseState.PENDING_SECOND_APPROVAL  # four-eyes stays
    case = case_second_approve(actor=checker, case_id=case.pk, rationale="Agree.")
    assert case.state == CaseState.APPROVED

    log = celery_worker.log_text()
    assert "cases.tasks.screen_and_score_case_task[" in log
    assert "cases.tasks.score_case_task[" in log
    assert log.count("kyc.tasks.run_document_checks_task[") >= 2
    result = verify_chain()
    assert result.ok, result.problem.describe() if result.problem else ""
    for action in (
        "case.submitted",
        "screening.hits_recorded",
        "case.routed_to_edd",
        *(
            ("screening.disposition_proposed", "screening.disposition_agreed")
            if strong
            else ("screening.disposed",)
        ),
        "case.maker_approved",
        "case.approved",
    ):
        assert AuditEvent.objects.filter(case_id=case.pk, action=action).count() == 1, action
