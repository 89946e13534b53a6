"""EDD: the checklist created on entering EDD, the senior holder's work on it, hostile
evidence uploads, and the approval rules (complete checklist, four-eyes, maker ≠ checker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from cases import edd, screening, services
from cases.models import CaseState, EddChecklistItem, EddEvidence, EddItem, ReviewCase
from config.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    TooLarge,
    UnsupportedFileType,
)
from tests.conftest import accept_documents, upload
from tests.factories import ELF_BYTES, pdf_bytes


def _escalate(case: ReviewCase, reviewer: Any) -> ReviewCase:
    return services.case_escalate(actor=reviewer, case_id=case.pk, rationale="Opaque owners.")


@pytest.fixture
def edd_case(claimed_case: Any, reviewer: Any, senior: Any) -> ReviewCase:
    """Escalated by the L1 reviewer and claimed by a senior reviewer."""
    _escalate(claimed_case, reviewer)
    return services.case_claim(actor=senior, case_id=claimed_case.pk)


def _complete(case: ReviewCase, senior: Any) -> None:
    for code in EddItem.values:
        edd.edd_item_update(
            actor=senior, case_id=case.pk, item=code, status="satisfied", notes="Checked."
        )


def _media_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "media" / "edd"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --------------------------------------------------------------------------- checklist


def test_escalation_creates_the_checklist_once(claimed_case, reviewer, senior):
    case = _escalate(claimed_case, reviewer)
    assert case.state == CaseState.EDD
    items = list(EddChecklistItem.objects.filter(case=case).values_list("item", "status"))
    assert sorted(items) == sorted((code, "open") for code in EddItem.values)
    assert edd.edd_checklist_ensure(case) == 0
    assert EddChecklistItem.objects.filter(case=case).count() == len(EddItem.values)


def test_the_risk_score_routing_to_edd_creates_the_checklist_once(submitted_case):
    person = submitted_case.merchant.people.get()
    person.is_pep = True
    person.save()
    case = screening.case_score(case_id=submitted_case.pk)
    assert case.state == CaseState.EDD
    assert EddChecklistItem.objects.filter(case=case).count() == len(EddItem.values)
    screening.case_score(case_id=submitted_case.pk)  # a rescoring adds nothing
    assert EddChecklistItem.objects.filter(case=case).count() == len(EddItem.values)


def test_raising_the_tier_to_high_creates_the_checklist(claimed_case, reviewer):
    case = screening.risk_override(
        actor=reviewer, case_id=claimed_case.pk, tier="high", comment="Shell-company pattern."
    )
    assert case.state == CaseState.EDD
    assert EddChecklistItem.objects.filter(case=case).count() == len(EddItem.values)


def test_a_case_outside_edd_has_no_checklist(claimed_case):
    assert not EddChecklistItem.objects.filter(case=claimed_case).exists()


# --------------------------------------------------------------------------- item updates


def test_the_senior_holder_updates_an_item_and_it_is_audited(edd_case, senior):
    row = edd.edd_item_update(
        actor=senior,
        case_id=edd_case.pk,
        item="source_of_funds",
        status="satisfied",
        notes="Bank statements 2024–2025 match declared turnover.",
    )
    assert (row.status, row.completed_by, row.completed_at is not None) == (
        "satisfied",
        senior,
        True,
    )
    event = AuditEvent.objects.get(action="edd.item_updated")
    assert event.before == {"item": "source_of_funds", "status": "open", "notes": ""}
    assert event.after["status"] == "satisfied" and event.case_id == edd_case.pk
    assert event.actor_id == senior.pk


def test_an_unchanged_update_writes_nothing(edd_case, senior):
    for _ in range(2):
        edd.edd_item_update(
            actor=senior, case_id=edd_case.pk, item="adverse_media", status="concern", notes="X"
        )
    assert AuditEvent.objects.filter(action="edd.item_updated").count() == 1


@pytest.mark.parametrize("status", ["satisfied", "concern", "not_applicable"])
def test_a_worked_item_needs_notes(edd_case, senior, status):
    with pytest.raises(InvalidInput) as exc:
        edd.edd_item_update(
            actor=senior, case_id=edd_case.pk, item="source_of_wealth", status=status, notes=" "
        )
    assert exc.value.code == "notes_required"
    assert not AuditEvent.objects.filter(action="edd.item_updated").exists()
    assert EddChecklistItem.objects.get(case=edd_case, item="source_of_wealth").status == "open"


def test_an_l1_reviewer_cannot_update_an_item(edd_case, reviewer):
    with pytest.raises(NotAllowed):
        edd.edd_item_update(
            actor=reviewer, case_id=edd_case.pk, item="source_of_funds", status="open"
        )


def test_a_senior_who_does_not_hold_the_case_cannot_update_an_item(edd_case, other_senior):
    with pytest.raises(NotAllowed) as exc:
        edd.edd_item_update(
            actor=other_senior,
            case_id=edd_case.pk,
            item="source_of_funds",
            status="satisfied",
            notes="x",
        )
    assert exc.value.code == "not_case_holder"


def test_a_seller_never_sees_the_checklist(edd_case, seller):
    with pytest.raises(NotFound):
        edd.edd_item_update(
            actor=seller, case_id=edd_case.pk, item="source_of_funds", status="open"
        )


def test_an_unknown_item_is_not_found(edd_case, senior):
    with pytest.raises(NotFound):
        edd.edd_item_update(actor=senior, case_id=edd_case.pk, item="horoscope", status="open")


def test_the_checklist_is_frozen_outside_edd(edd_case, senior, other_senior):
    _complete(edd_case, senior)
    accept_documents(edd_case, senior)
    services.case_approve(actor=senior, case_id=edd_case.pk)
    with pytest.raises(Conflict):
        edd.edd_item_update(
            actor=senior, case_id=edd_case.pk, item="source_of_funds", status="open"
        )


# --------------------------------------------------------------------------- evidence


def test_evidence_is_stored_under_its_key_and_audited(edd_case, senior, tmp_path):
    evidence = edd.edd_evidence_add(
        actor=senior,
        case_id=edd_case.pk,
        item="source_of_funds",
        fileobj=upload("../../statement.pdf", pdf_bytes("Statement")),
        filename="../../statement.pdf",
        description="Bank statement",
    )
    assert evidence.file.name == f"edd/case-{edd_case.pk}/{evidence.uuid}.pdf"
    assert (evidence.content_type, evidence.original_filename) == (
        "application/pdf",
        "statement.pdf",
    )
    assert len(_media_files(tmp_path)) == 1
    event = AuditEvent.objects.get(action="edd.evidence_added")
    assert event.after["sha256"] == evidence.sha256 and event.case_id == edd_case.pk


@pytest.mark.parametrize(
    ("data", "size", "error"),
    [
        (ELF_BYTES, None, UnsupportedFileType),
        (b"", None, InvalidInput),
        (pdf_bytes(), 50 * 1024 * 1024, TooLarge),
    ],
    ids=["elf-renamed-pdf", "empty", "oversize"],
)
def test_hostile_evidence_leaves_no_row_and_no_file(edd_case, senior, tmp_path, data, size, error):
    with pytest.raises(error):
        edd.edd_evidence_add(
            actor=senior,
            case_id=edd_case.pk,
            item="source_of_funds",
            fileobj=upload("evil.pdf", data),
            filename="evil.pdf",
            size=size,
        )
    assert not EddEvidence.objects.exists()
    assert _media_files(tmp_path) == []
    assert not AuditEvent.objects.filter(action="edd.evidence_added").exists()


def test_a_failure_after_storing_deletes_the_file(edd_case, senior, tmp_path, monkeypatch):
    def boom(**kwargs: Any) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr(edd, "audit_record", boom)
    with pytest.raises(RuntimeError):
        edd.edd_evidence_add(
            actor=senior,
            case_id=edd_case.pk,
            item="source_of_funds",
            fileobj=upload("s.pdf", pdf_bytes()),
            filename="s.pdf",
        )
    assert not EddEvidence.objects.exists()
    assert _media_files(tmp_path) == []


def test_an_l1_reviewer_cannot_add_evidence(edd_case, reviewer, tmp_path):
    with pytest.raises(NotAllowed):
        edd.edd_evidence_add(
            actor=reviewer,
            case_id=edd_case.pk,
            item="source_of_funds",
            fileobj=upload("s.pdf", pdf_bytes()),
            filename="s.pdf",
        )
    assert _media_files(tmp_path) == []


# --------------------------------------------------------------------------- decisions


def test_only_a_senior_reviewer_claims_an_edd_case(claimed_case, reviewer, other_reviewer):
    _escalate(claimed_case, reviewer)
    with pytest.raises(NotAllowed):
        services.case_claim(actor=other_reviewer, case_id=claimed_case.pk)


def test_approval_is_refused_while_items_are_open(edd_case, senior):
    edd.edd_item_update(
        actor=senior, case_id=edd_case.pk, item="source_of_funds", status="satisfied", notes="ok"
    )
    with pytest.raises(InvalidInput) as exc:
        services.case_approve(actor=senior, case_id=edd_case.pk)
    assert exc.value.code == "edd_checklist_incomplete"
    assert exc.value.details["open_items"] == [c for c in EddItem.values if c != "source_of_funds"]
    edd_case.refresh_from_db()
    assert edd_case.state == CaseState.EDD and edd_case.maker is None


def test_approval_of_a_complete_edd_case_goes_to_second_approval(edd_case, senior):
    ReviewCase.objects.filter(pk=edd_case.pk).update(requires_four_eyes=False)
    _complete(edd_case, senior)
    accept_documents(edd_case, senior)
    case = services.case_approve(actor=senior, case_id=edd_case.pk)
    assert (case.state, case.maker, case.assignee) == (
        CaseState.PENDING_SECOND_APPROVAL,
        senior,
        None,
    )


def test_the_maker_cannot_be_the_checker(edd_case, senior, other_senior, reviewer):
    _complete(edd_case, senior)
    accept_documents(edd_case, senior)
    services.case_approve(actor=senior, case_id=edd_case.pk)
    with pytest.raises(NotAllowed) as exc:
        services.case_second_approve(actor=senior, case_id=edd_case.pk)
    assert exc.value.code == "maker_checker"
    with pytest.raises(NotAllowed):
        services.case_second_approve(actor=reviewer, case_id=edd_case.pk)
    case = services.case_second_approve(actor=other_senior, case_id=edd_case.pk)
    assert (case.state, case.maker, case.checker) == (CaseState.APPROVED, senior, other_senior)
