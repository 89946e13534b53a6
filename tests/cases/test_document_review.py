"""Decisions prove a look: an approval needs every document decided in the case, a note on an
accepted document whose checks warned or failed, and "accept all clean" accepts only clean
documents, naming each, one audit event per document."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.decisions import capability_decide
from cases.document_review import (
    DOCUMENT_NOTE_REQUIRED,
    DOCUMENTS_UNDECIDED,
    document_review_blockers,
    documents_accept_clean,
)
from cases.models import CaseState, DocumentDecision, ReviewCase
from config.errors import Conflict, InvalidInput, NotAllowed
from kyc.models import CheckOutcome, DocumentCheckResult, DocumentStatus, QualificationDocument
from kyc.services import document_run_checks

pytestmark = pytest.mark.django_db


def _doc(case: ReviewCase, code: str) -> QualificationDocument:
    return QualificationDocument.objects.get(merchant=case.merchant, document_type__code=code)


def _checked(doc: QualificationDocument, outcome: str = CheckOutcome.PASSED) -> None:
    """The checks pipeline's outcome, written directly (the pipeline has its own tests). The
    submitted case's checks already ran (tests/conftest.py screen_and_check): this sets the
    outcome of its expiry check."""
    DocumentCheckResult.objects.update_or_create(
        document=doc,
        check_name="expiry",
        defaults={"outcome": outcome, "code": f"expiry_{outcome}"},
    )
    QualificationDocument.objects.filter(pk=doc.pk).update(checks_completed_at=timezone.now())


def _document_blockers(details: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-document blockers of a refused approval: inside the readiness blockers
    (cases.readiness), each document blocker in details.blockers[i].details.blockers."""
    return [
        inner
        for blocker in details["blockers"]
        if blocker["code"] in (DOCUMENTS_UNDECIDED, DOCUMENT_NOTE_REQUIRED)
        for inner in blocker["details"]["blockers"]
    ]


def _replace(case: ReviewCase, code: str) -> QualificationDocument:
    """A newer version of the case's `code` document (the same file again), stored around
    the services (no change recorded), with the old one's data and its checks run."""
    old = _doc(case, code)
    QualificationDocument.objects.filter(pk=old.pk).update(status=DocumentStatus.SUPERSEDED)
    new = QualificationDocument.objects.create(
        merchant=case.merchant,
        document_type=old.document_type,
        person=old.person,
        file=old.file.name,
        sha256=old.sha256,
        size=old.size,
        content_type=old.content_type,
        number=old.number,
        expiry_date=old.expiry_date,
    )
    document_run_checks(document_id=new.pk)
    return new


def _accept(case: ReviewCase, doc: QualificationDocument, actor: Any, note: str = "") -> Any:
    return services.document_decide(
        actor=actor, case_id=case.pk, document_id=doc.pk, decision="accept", note=note
    )


def test_approval_with_undecided_documents_is_refused_with_409_and_names_them(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    license_doc = _doc(claimed_case, "business_license")
    _accept(claimed_case, license_doc, reviewer)
    id_doc = _doc(claimed_case, "identity_document")
    with pytest.raises(Conflict) as refused:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert refused.value.status == 409
    assert refused.value.code == DOCUMENTS_UNDECIDED
    assert [(b["code"], b["document_id"]) for b in _document_blockers(refused.value.details)] == [
        (DOCUMENTS_UNDECIDED, id_doc.pk)
    ]
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    assert case.state == CaseState.IN_REVIEW
    assert not AuditEvent.objects.filter(case_id=case.pk, action="case.approved").exists()
    # Nothing was accepted on the reviewer's behalf.
    assert QualificationDocument.objects.get(pk=id_doc.pk).status == DocumentStatus.PENDING_REVIEW


def test_approval_never_accepts_a_document_nobody_decided(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    for doc in claimed_case.merchant.documents.all():
        _accept(claimed_case, doc, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    event = AuditEvent.objects.get(case_id=claimed_case.pk, action="case.approved")
    assert "documents_accepted" not in event.after
    accepted = AuditEvent.objects.filter(case_id=claimed_case.pk, action="document.accepted")
    assert accepted.count() == 2 and {e.actor_id for e in accepted} == {reviewer.pk}


def test_a_rejected_document_counts_as_decided(claimed_case: ReviewCase, reviewer: Any) -> None:
    id_doc = _doc(claimed_case, "identity_document")
    _accept(claimed_case, _doc(claimed_case, "business_license"), reviewer)
    services.document_decide(
        actor=reviewer,
        case_id=claimed_case.pk,
        document_id=id_doc.pk,
        decision="reject",
        reason_code="doc_illegible",
    )
    assert document_review_blockers(claimed_case) == []


def test_a_decision_made_in_an_earlier_case_does_not_count(
    claimed_case: ReviewCase, reviewer: Any, senior: Any
) -> None:
    other = ReviewCase.objects.create(merchant=claimed_case.merchant, kind="periodic_review")
    for doc in claimed_case.merchant.documents.all():
        DocumentDecision.objects.create(
            case=other, document=doc, decision="accept", decided_by=senior
        )
    codes = [b.code for b in document_review_blockers(claimed_case)]
    assert codes == [DOCUMENTS_UNDECIDED, DOCUMENTS_UNDECIDED]


def test_a_replaced_document_must_be_decided_again(claimed_case: ReviewCase, reviewer: Any) -> None:
    for doc in claimed_case.merchant.documents.all():
        _accept(claimed_case, doc, reviewer)
    old = _doc(claimed_case, "business_license")
    QualificationDocument.objects.filter(pk=old.pk).update(status=DocumentStatus.SUPERSEDED)
    new = QualificationDocument.objects.create(
        merchant=claimed_case.merchant,
        document_type=old.document_type,
        file=old.file.name,
        sha256="f" * 64,
        size=old.size,
        content_type=old.content_type,
    )
    assert [(b.code, b.document_id) for b in document_review_blockers(claimed_case)] == [
        (DOCUMENTS_UNDECIDED, new.pk)
    ]


@pytest.mark.parametrize("outcome", [CheckOutcome.WARNING, CheckOutcome.FAILED])
def test_accepting_a_document_whose_checks_warned_or_failed_needs_a_note(
    claimed_case: ReviewCase, reviewer: Any, outcome: str
) -> None:
    doc = _doc(claimed_case, "business_license")
    _checked(doc, outcome)
    with pytest.raises(InvalidInput) as refused:
        _accept(claimed_case, doc, reviewer, note="   ")
    assert refused.value.code == DOCUMENT_NOTE_REQUIRED
    assert refused.value.fields == {"note": ["Required."]}
    assert not DocumentDecision.objects.filter(document=doc).exists()
    assert not AuditEvent.objects.filter(action="document.accepted").exists()
    assert QualificationDocument.objects.get(pk=doc.pk).status == DocumentStatus.PENDING_REVIEW

    decision = _accept(claimed_case, doc, reviewer, note="Renewal receipt seen; registry ok.")
    assert decision.note == "Renewal receipt seen; registry ok."
    event = AuditEvent.objects.get(action="document.accepted")
    assert event.text == "Renewal receipt seen; registry ok."


def test_approving_a_case_whose_document_warned_needs_a_note_for_that_document(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    """An acceptance recorded before the warning arrived (or by older code) has no note:
    the approval is refused until the document is decided again with one."""
    doc = _doc(claimed_case, "business_license")
    for each in claimed_case.merchant.documents.all():
        _accept(claimed_case, each, reviewer)
    _checked(doc, CheckOutcome.WARNING)
    with pytest.raises(Conflict) as refused:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert refused.value.code == DOCUMENT_NOTE_REQUIRED
    assert [b["document_id"] for b in _document_blockers(refused.value.details)] == [doc.pk]
    _accept(claimed_case, doc, reviewer, note="Expiry warning: renewal on file.")
    case = services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert case.state == CaseState.APPROVED


def test_the_checker_cannot_approve_over_a_document_replaced_while_waiting(
    claimed_case: ReviewCase, reviewer: Any, senior: Any
) -> None:
    ReviewCase.objects.filter(pk=claimed_case.pk).update(requires_four_eyes=True)
    for doc in claimed_case.merchant.documents.all():
        _accept(claimed_case, doc, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    new = _replace(claimed_case, "identity_document")
    with pytest.raises(Conflict) as refused:
        services.case_second_approve(actor=senior, case_id=claimed_case.pk)
    assert refused.value.code == DOCUMENTS_UNDECIDED
    assert [b["document_id"] for b in _document_blockers(refused.value.details)] == [new.pk]
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.PENDING_SECOND_APPROVAL


def test_approving_a_capability_needs_its_documents_decided(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    sell = claimed_case.capabilities.get()
    with pytest.raises(Conflict) as refused:
        capability_decide(
            actor=reviewer, case_id=claimed_case.pk, capability_id=sell.pk, decision="approve"
        )
    assert refused.value.code == DOCUMENTS_UNDECIDED
    assert not claimed_case.capability_decisions.exists()


def test_accept_all_clean_accepts_only_clean_documents_and_names_each(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    license_doc = _doc(claimed_case, "business_license")
    id_doc = _doc(claimed_case, "identity_document")
    _checked(license_doc, CheckOutcome.PASSED)
    _checked(id_doc, CheckOutcome.WARNING)
    result = documents_accept_clean(actor=reviewer, case_id=claimed_case.pk)
    assert [d.pk for d in result.accepted] == [license_doc.pk]
    assert [(d.pk, why) for d, why in result.skipped] == [(id_doc.pk, "checks_warned_or_failed")]
    assert QualificationDocument.objects.get(pk=license_doc.pk).status == DocumentStatus.ACCEPTED
    assert QualificationDocument.objects.get(pk=id_doc.pk).status == DocumentStatus.PENDING_REVIEW
    events = AuditEvent.objects.filter(case_id=claimed_case.pk, action="document.accepted")
    assert [(e.object_id, e.after["via"]) for e in events] == [
        (str(license_doc.pk), "accept_all_clean")
    ]
    # Running it again accepts nothing more and writes nothing.
    again = documents_accept_clean(actor=reviewer, case_id=claimed_case.pk)
    assert again.accepted == [] and events.count() == 1
    assert [b.code for b in document_review_blockers(claimed_case)] == [DOCUMENTS_UNDECIDED]


@pytest.fixture
def unchecked_case(ready_case: ReviewCase, seller: Any, reviewer: Any) -> ReviewCase:
    """A submitted case claimed before the background work after the submission (document
    checks, screening) ran."""
    services.case_submit(actor=seller, case_id=ready_case.pk)
    return services.case_claim(actor=reviewer, case_id=ready_case.pk)


def test_accept_all_clean_skips_documents_whose_checks_have_not_run(
    unchecked_case: ReviewCase, reviewer: Any
) -> None:
    claimed_case = unchecked_case
    assert not claimed_case.merchant.documents.exclude(checks_completed_at=None).exists()
    result = documents_accept_clean(actor=reviewer, case_id=claimed_case.pk)
    assert result.accepted == []
    assert {why for _d, why in result.skipped} == {"checks_pending"}
    assert not DocumentDecision.objects.exists()
    assert not AuditEvent.objects.filter(action="document.accepted").exists()


def test_accept_all_clean_is_for_the_holder_only(
    claimed_case: ReviewCase, other_reviewer: Any, seller: Any
) -> None:
    _checked(_doc(claimed_case, "business_license"))
    with pytest.raises(NotAllowed):
        documents_accept_clean(actor=other_reviewer, case_id=claimed_case.pk)
    with pytest.raises(NotAllowed):
        documents_accept_clean(actor=seller, case_id=claimed_case.pk)
    assert not DocumentDecision.objects.exists()


def test_document_rejection_takes_document_reasons_only(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    doc = _doc(claimed_case, "business_license")
    for case_reason in ("prohibited_business", "rfi_source_of_funds"):
        with pytest.raises(InvalidInput):
            services.document_decide(
                actor=reviewer,
                case_id=claimed_case.pk,
                document_id=doc.pk,
                decision="reject",
                reason_code=case_reason,
            )
    assert not DocumentDecision.objects.exists()


def test_case_rejection_takes_case_reasons_only(claimed_case: ReviewCase, reviewer: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.case_reject(
            actor=reviewer, case_id=claimed_case.pk, reason_codes=["doc_illegible"], rationale="x"
        )
    assert refused.value.fields == {"reason_codes": ["Unknown: doc_illegible"]}
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.IN_REVIEW
