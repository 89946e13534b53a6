"""Case-level screening and risk: scoring after submission, routing to EDD, OFAC's 50% rule,
dispositions, the approval block, the tier override and re-screening after a list reload."""

from __future__ import annotations

import sys
import types
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError
from django_fsm import can_proceed

from audit.chain import verify_chain
from audit.models import AuditEvent
from cases import screening, services
from cases.models import CaseKind, CaseState, ReviewCase
from cases.tasks import (
    rescreen_active_merchants_task,
    score_case_task,
    screen_and_score_case_task,
)
from config.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from kyc.models import Disposition, RiskAssessment, ScreeningMatch, ScreeningSubject
from merchants.models import MerchantStatus, Person
from tests.cases.screening_helpers import make_entry, make_list, make_match, record_screening_run
from tests.conftest import accept_documents
from tests.factories import MerchantFactory, PersonFactory, complete_edd_checklist


def refresh(case: ReviewCase) -> ReviewCase:
    return ReviewCase.objects.get(pk=case.pk)


def actions(case: ReviewCase) -> list[str]:
    return list(
        AuditEvent.objects.filter(case_id=case.pk).order_by("seq").values_list("action", flat=True)
    )


def hit_legal_name(hits: dict[str, Any], case: ReviewCase, entry: Any) -> None:
    hits[case.merchant.legal_name] = entry


# --------------------------------------------------------------------------- after submission


def test_submit_enqueues_screening_and_scoring_only_after_commit(
    ready_case, seller, screener, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_submit(actor=seller, case_id=ready_case.pk)
    assert refresh(ready_case).risk_assessment is None  # nothing ran inside the transaction
    assert screener.calls == []
    for callback in callbacks:
        callback()
    case = refresh(ready_case)
    assert screener.calls == [case.merchant_id]
    assert case.risk_assessment is not None and case.risk_tier == "low"


def test_resubmit_enqueues_screening_again(
    claimed_case, reviewer, seller, screener, django_capture_on_commit_callbacks
):
    services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="Clearer scan")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_resubmit(actor=seller, case_id=claimed_case.pk, answer="done")
    assert screener.calls == [claimed_case.merchant_id]


def test_a_low_risk_case_is_scored_and_linked_with_one_event(submitted_case, screener):
    case = screening.case_screen_and_score(case_id=submitted_case.pk)
    assert case is not None and case.state == CaseState.SUBMITTED
    assessment = case.risk_assessment
    assert assessment is not None and assessment.merchant_id == case.merchant_id
    assert (case.risk_tier, case.requires_four_eyes) == ("low", False)
    event = AuditEvent.objects.get(case_id=case.pk, action="case.risk_scored")
    assert event.actor_type == "system" and event.after["risk_assessment"] == assessment.pk
    assert event.after["factors"] == assessment.factors


def test_the_screening_task_twice_changes_nothing_the_second_time(
    submitted_case, screener, hits, golden_harbor
):
    hit_legal_name(hits, submitted_case, golden_harbor)
    assessments = RiskAssessment.objects.count()  # the submission's screening scored it once
    screen_and_score_case_task.delay(submitted_case.pk)
    first = (
        actions(submitted_case),
        RiskAssessment.objects.count(),
        ScreeningMatch.objects.count(),
    )
    screen_and_score_case_task.delay(submitted_case.pk)
    second = (
        actions(submitted_case),
        RiskAssessment.objects.count(),
        ScreeningMatch.objects.count(),
    )
    assert first == second
    assert first[1:] == (assessments + 1, 1)
    assert screener.calls == [submitted_case.merchant_id] * 2


def test_a_screening_hit_routes_the_case_to_edd_with_four_eyes(
    submitted_case, screener, hits, golden_harbor
):
    hit_legal_name(hits, submitted_case, golden_harbor)
    case = screening.case_screen_and_score(case_id=submitted_case.pk)
    assert case is not None
    assert (case.state, case.risk_tier, case.requires_four_eyes) == ("edd", "high", True)
    assert actions(case)[-2:] == ["screening.hits_recorded", "case.routed_to_edd"]
    routed = AuditEvent.objects.get(case_id=case.pk, action="case.routed_to_edd")
    assert (routed.before["state"], routed.after["state"]) == ("submitted", "edd")
    assert {f["code"] for f in routed.after["factors"]} == {
        "screening_open",
        "ownership_unaccounted",  # the fixture's owner holds 60%
    }
    recorded = AuditEvent.objects.get(case_id=case.pk, action="screening.hits_recorded")
    assert recorded.after["matches"][0]["matched_name"] == "GOLDEN HARBOR TRADING LIMITED"


def test_a_pep_routes_the_submitted_case_to_edd_for_senior_reviewers(
    ready_case, seller, reviewer, senior, screener
):
    Person.objects.filter(merchant=ready_case.merchant).update(is_pep=True)
    services.case_submit(actor=seller, case_id=ready_case.pk)
    screening.case_screen_and_score(case_id=ready_case.pk)
    assert refresh(ready_case).state == CaseState.EDD
    with pytest.raises(NotAllowed):
        services.case_claim(actor=reviewer, case_id=ready_case.pk)
    case = services.case_claim(actor=senior, case_id=ready_case.pk)
    assert (case.state, case.assignee) == (CaseState.EDD, senior)


def test_routing_a_case_in_review_hands_it_from_an_l1_holder_to_the_edd_queue(
    claimed_case, screener, hits, golden_harbor
):
    hit_legal_name(hits, claimed_case, golden_harbor)
    case = screening.case_screen_and_score(case_id=claimed_case.pk)
    assert case is not None and (case.state, case.assignee) == (CaseState.EDD, None)


def test_a_senior_holder_keeps_the_case_it_routes_to_edd(
    submitted_case, senior, screener, hits, golden_harbor
):
    services.case_claim(actor=senior, case_id=submitted_case.pk)
    hit_legal_name(hits, submitted_case, golden_harbor)
    case = screening.case_screen_and_score(case_id=submitted_case.pk)
    assert case is not None and (case.state, case.assignee) == (CaseState.EDD, senior)


def test_a_case_waiting_on_the_seller_is_scored_but_not_moved(
    claimed_case, reviewer, screener, hits, golden_harbor
):
    services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="Clearer scan")
    hit_legal_name(hits, claimed_case, golden_harbor)
    case = screening.case_screen_and_score(case_id=claimed_case.pk)
    assert case is not None
    assert (case.state, case.risk_tier, case.requires_four_eyes) == (
        "info_requested",
        "high",
        True,
    )


@pytest.mark.parametrize("state", ["draft", "withdrawn"])
def test_drafts_and_closed_cases_are_not_screened(ready_case, seller, screener, state):
    if state == "withdrawn":
        services.case_withdraw(actor=seller, case_id=ready_case.pk)
    before = actions(ready_case)
    screen_and_score_case_task.delay(ready_case.pk)
    assert screener.calls == [] and actions(ready_case) == before


def test_the_task_retries_a_transient_database_error(submitted_case, monkeypatch, screener):
    calls: list[int] = []

    def flaky(**kwargs: Any) -> list[Any]:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return screener(**kwargs)

    monkeypatch.setattr("cases.screening._screen_merchant", flaky)
    result = screen_and_score_case_task.apply(args=[submitted_case.pk])
    assert result.successful(), result.traceback
    assert len(calls) == 2 and refresh(submitted_case).risk_assessment is not None


def test_with_no_sanctions_list_loaded_the_case_is_still_scored(submitted_case, monkeypatch):
    class NoActiveSanctionsList(DomainError):
        code = "no_sanctions_list"

    def screen_merchant(**kwargs: Any) -> list[Any]:
        raise NoActiveSanctionsList("No sanctions list is loaded.")

    module = types.ModuleType("kyc.screening.services")
    module.screen_merchant = screen_merchant  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kyc.screening.services", module)
    case = screening.case_screen_and_score(case_id=submitted_case.pk)
    assert case is not None and case.risk_assessment is not None


def test_other_screening_errors_are_not_swallowed(submitted_case, monkeypatch):
    def screen_merchant(**kwargs: Any) -> list[Any]:
        raise DomainError("the index is corrupt", code="index_corrupt")

    module = types.ModuleType("kyc.screening.services")
    module.screen_merchant = screen_merchant  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kyc.screening.services", module)
    scored = submitted_case.risk_assessment_id
    with pytest.raises(DomainError):
        screening.case_screen_and_score(case_id=submitted_case.pk)
    assert refresh(submitted_case).risk_assessment_id == scored


# --------------------------------------------------------------------------- 50% rule


def _owners(merchant: Any, *percents: int) -> list[Person]:
    Person.objects.filter(merchant=merchant).update(ownership_percent=0)
    return [
        PersonFactory(
            merchant=merchant,
            full_name=f"Owner {index}",
            is_legal_representative=False,
            is_beneficial_owner=True,
            ownership_percent=percent,
        )
        for index, percent in enumerate(percents)
    ]


def test_owners_with_hits_holding_50_percent_together_make_the_merchant_listed(reference, sdn):
    merchant = MerchantFactory(legal_name="Pacific Rim Logistics Ltd")
    a, b = _owners(merchant, 30, 25)
    make_match(merchant, make_entry(sdn, "OWNER ZERO", entry_type="individual"), person=a)
    make_match(merchant, make_entry(sdn, "OWNER ONE", entry_type="individual"), person=b)

    match = screening.screening_apply_ownership_rule(merchant_id=merchant.pk)

    assert match is not None and match.subject == ScreeningSubject.OWNERSHIP
    assert match.status == Disposition.OPEN and match.screened_name == merchant.legal_name
    assert match.entry.primary_name == "OWNER ZERO"  # the larger holding
    assert "55%" in match.explanation
    assert "Owner 0 30%" in match.explanation and "Owner 1 25%" in match.explanation
    assert "50% rule" in match.explanation
    event = AuditEvent.objects.get(action="screening.ownership_rule_matched")
    assert event.after["ownership_total"] == "55" and len(event.after["owners"]) == 2
    # Idempotent: nothing new the second time.
    assert screening.screening_apply_ownership_rule(merchant_id=merchant.pk) is None
    assert ScreeningMatch.objects.filter(subject=ScreeningSubject.OWNERSHIP).count() == 1
    assert AuditEvent.objects.filter(action="screening.ownership_rule_matched").count() == 1


def test_owners_with_hits_holding_less_than_50_percent_do_not(reference, sdn):
    merchant = MerchantFactory()
    a, b = _owners(merchant, 30, 10)
    make_match(merchant, make_entry(sdn, "OWNER ZERO"), person=a)
    make_match(merchant, make_entry(sdn, "OWNER ONE"), person=b)
    assert screening.screening_apply_ownership_rule(merchant_id=merchant.pk) is None
    assert not ScreeningMatch.objects.filter(subject=ScreeningSubject.OWNERSHIP).exists()


def test_a_hit_disposed_as_false_positive_does_not_count_towards_50_percent(reference, sdn):
    merchant = MerchantFactory()
    a, b = _owners(merchant, 30, 25)
    make_match(merchant, make_entry(sdn, "OWNER ZERO"), person=a, status=Disposition.CONFIRMED)
    make_match(merchant, make_entry(sdn, "OWNER ONE"), person=b, status="false_positive")
    assert screening.screening_apply_ownership_rule(merchant_id=merchant.pk) is None


def test_one_owner_with_two_hits_counts_once(reference, sdn):
    merchant = MerchantFactory()
    (a,) = _owners(merchant, 30)
    make_match(merchant, make_entry(sdn, "OWNER ZERO"), person=a)
    make_match(merchant, make_entry(sdn, "OWNER ZERO TWIN"), person=a)
    assert screening.screening_apply_ownership_rule(merchant_id=merchant.pk) is None


def test_the_task_applies_the_50_percent_rule(submitted_case, screener, hits, sdn):
    a, b = _owners(submitted_case.merchant, 30, 25)
    hits[a.full_name] = make_entry(sdn, "LISTED A", entry_type="individual")
    hits[b.full_name] = make_entry(sdn, "LISTED B", entry_type="individual")
    case = screening.case_screen_and_score(case_id=submitted_case.pk)
    assert case is not None and case.state == CaseState.EDD
    subjects = sorted(
        ScreeningMatch.objects.filter(merchant=case.merchant).values_list("subject", flat=True)
    )
    assert subjects == ["ownership", "person", "person"]
    recorded = AuditEvent.objects.get(case_id=case.pk, action="screening.hits_recorded")
    assert len(recorded.after["matches"]) == 3


# --------------------------------------------------------------------------- dispositions


@pytest.fixture
def hit(claimed_case, golden_harbor) -> ScreeningMatch:
    return make_match(claimed_case.merchant, golden_harbor, screened_name="Lumen Trading")


def test_an_open_hit_blocks_approval_until_it_is_disposed(claimed_case, reviewer, hit):
    with pytest.raises(Conflict) as exc:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert exc.value.code == "screening_hits_open"
    assert exc.value.details["screening_matches"][0]["id"] == hit.pk
    assert "GOLDEN HARBOR TRADING LIMITED" in exc.value.message
    assert refresh(claimed_case).state == CaseState.IN_REVIEW
    assert "case.approved" not in actions(claimed_case)

    screening.screening_dispose(
        actor=reviewer,
        case_id=claimed_case.pk,
        match_id=hit.pk,
        status=Disposition.FALSE_POSITIVE,
        comment="Different registration number and address; no link to the listed entity.",
    )
    accept_documents(claimed_case, reviewer)
    case = services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert case.state == CaseState.APPROVED


def test_a_disposition_is_recorded_and_audited_with_before_and_after(
    claimed_case, reviewer, hit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        match = screening.screening_dispose(
            actor=reviewer,
            case_id=claimed_case.pk,
            match_id=hit.pk,
            status=Disposition.FALSE_POSITIVE,
            comment="Different date of incorporation.",
        )
    assert (match.status, match.disposed_by, match.disposition_comment) == (
        "false_positive",
        reviewer,
        "Different date of incorporation.",
    )
    assert match.disposed_at is not None
    event = AuditEvent.objects.get(action="screening.disposed")
    assert (event.case_id, event.object_id, event.actor_id) == (
        claimed_case.pk,
        str(hit.pk),
        reviewer.pk,
    )
    assert event.before["status"] == "open" and event.after["status"] == "false_positive"
    assert event.text == "Different date of incorporation."
    assert len(callbacks) == 1  # the re-score, after commit


def test_disposing_again_the_same_way_writes_nothing(claimed_case, reviewer, hit):
    for _ in range(2):
        screening.screening_dispose(
            actor=reviewer,
            case_id=claimed_case.pk,
            match_id=hit.pk,
            status="false_positive",
            comment="Different person.",
        )
    assert AuditEvent.objects.filter(action="screening.disposed").count() == 1


@pytest.mark.parametrize("comment", ["", "   "])
def test_a_disposition_needs_a_comment(claimed_case, reviewer, hit, comment):
    with pytest.raises(InvalidInput) as exc:
        screening.screening_dispose(
            actor=reviewer,
            case_id=claimed_case.pk,
            match_id=hit.pk,
            status="false_positive",
            comment=comment,
        )
    assert exc.value.fields == {"comment": ["Required."]}
    hit.refresh_from_db()
    assert hit.status == Disposition.OPEN
    assert not AuditEvent.objects.filter(action="screening.disposed").exists()


@pytest.mark.parametrize("status", ["open", "maybe", ""])
def test_a_disposition_must_be_one_of_the_three(claimed_case, reviewer, hit, status):
    with pytest.raises(InvalidInput) as exc:
        screening.screening_dispose(
            actor=reviewer, case_id=claimed_case.pk, match_id=hit.pk, status=status, comment="x"
        )
    assert "status" in exc.value.fields


def test_confirmed_match_is_accepted_as_a_spelling_of_confirmed(claimed_case, reviewer, hit):
    match = screening.screening_dispose(
        actor=reviewer,
        case_id=claimed_case.pk,
        match_id=hit.pk,
        status="confirmed_match",
        comment="Same registration number as the listing.",
    )
    assert match.status == Disposition.CONFIRMED


def test_only_the_holder_disposes(claimed_case, other_reviewer, senior, hit):
    for actor in (other_reviewer, senior):
        with pytest.raises(NotAllowed) as exc:
            screening.screening_dispose(
                actor=actor,
                case_id=claimed_case.pk,
                match_id=hit.pk,
                status="false_positive",
                comment="x",
            )
        assert exc.value.code == "not_case_holder"
    hit.refresh_from_db()
    assert hit.status == Disposition.OPEN


def test_sellers_cannot_dispose(claimed_case, seller, other_seller, hit):
    with pytest.raises(NotAllowed):
        screening.screening_dispose(
            actor=seller, case_id=claimed_case.pk, match_id=hit.pk, status="x", comment="x"
        )
    with pytest.raises(NotFound):
        screening.screening_dispose(
            actor=other_seller, case_id=claimed_case.pk, match_id=hit.pk, status="x", comment="x"
        )


def test_hits_are_disposed_of_while_the_case_is_in_review(submitted_case, reviewer, golden_harbor):
    match = make_match(submitted_case.merchant, golden_harbor)
    with pytest.raises(Conflict):
        screening.screening_dispose(
            actor=reviewer,
            case_id=submitted_case.pk,
            match_id=match.pk,
            status="false_positive",
            comment="x",
        )


def test_another_merchants_hit_is_not_found(claimed_case, reviewer, golden_harbor, reference):
    other = make_match(MerchantFactory(), golden_harbor)
    with pytest.raises(NotFound):
        screening.screening_dispose(
            actor=reviewer,
            case_id=claimed_case.pk,
            match_id=other.pk,
            status="false_positive",
            comment="x",
        )


def test_in_edd_only_a_senior_holder_disposes(claimed_case, reviewer, senior, hit):
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="hit")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    match = screening.screening_dispose(
        actor=senior,
        case_id=claimed_case.pk,
        match_id=hit.pk,
        status="false_positive",
        comment="Listed entity is a vessel operator in another country.",
    )
    assert match.disposed_by == senior


def test_a_confirmed_match_makes_the_merchant_prohibited_and_unapprovable(
    claimed_case, reviewer, hit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        screening.screening_dispose(
            actor=reviewer,
            case_id=claimed_case.pk,
            match_id=hit.pk,
            status="confirmed",
            comment="Same registration number as the OFAC listing.",
        )
    case = refresh(claimed_case)
    assert (case.risk_tier, case.state, case.requires_four_eyes) == ("prohibited", "edd", True)
    assert case.risk_assessment.factors[0]["code"] == "screening_confirmed"
    assert actions(case)[-2:] == ["screening.disposed", "case.routed_to_edd"]


def test_approval_is_refused_while_a_match_is_confirmed(claimed_case, reviewer, golden_harbor):
    make_match(claimed_case.merchant, golden_harbor, status=Disposition.CONFIRMED)
    with pytest.raises(NotAllowed) as exc:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert exc.value.code == "sanctions_match_confirmed"


def test_an_inconclusive_hit_does_not_block_but_forces_four_eyes(
    claimed_case, reviewer, senior, hit
):
    screening.screening_dispose(
        actor=reviewer,
        case_id=claimed_case.pk,
        match_id=hit.pk,
        status="inconclusive",
        comment="Registry unreachable; cannot exclude the match.",
    )
    assert refresh(claimed_case).requires_four_eyes
    event = AuditEvent.objects.get(action="screening.disposed")
    assert (event.before["case_requires_four_eyes"], event.after["case_requires_four_eyes"]) == (
        False,
        True,
    )
    accept_documents(claimed_case, reviewer)
    case = services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL
    case = services.case_second_approve(actor=senior, case_id=claimed_case.pk)
    assert case.state == CaseState.APPROVED


def test_an_inconclusive_hit_from_an_earlier_case_still_forces_four_eyes(
    claimed_case, reviewer, golden_harbor
):
    make_match(claimed_case.merchant, golden_harbor, status=Disposition.INCONCLUSIVE)
    accept_documents(claimed_case, reviewer)
    case = services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL


def test_a_hit_found_during_second_approval_is_disposed_by_the_checker_first(
    claimed_case, reviewer, senior, other_senior, golden_harbor
):
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="PEP")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    complete_edd_checklist(claimed_case.pk, senior)
    record_screening_run(claimed_case.merchant)  # the list reload's re-screening: no hit yet
    accept_documents(claimed_case, senior)
    services.case_approve(actor=senior, case_id=claimed_case.pk)
    match = make_match(claimed_case.merchant, golden_harbor)  # a re-screening found it
    with pytest.raises(Conflict) as exc:
        services.case_second_approve(actor=other_senior, case_id=claimed_case.pk)
    assert exc.value.code == "screening_hits_open"
    with pytest.raises(NotAllowed):  # not the maker
        screening.screening_dispose(
            actor=senior,
            case_id=claimed_case.pk,
            match_id=match.pk,
            status="false_positive",
            comment="x",
        )
    screening.screening_dispose(
        actor=other_senior,
        case_id=claimed_case.pk,
        match_id=match.pk,
        status="false_positive",
        comment="Different entity.",
    )
    case = services.case_second_approve(actor=other_senior, case_id=claimed_case.pk)
    assert case.state == CaseState.APPROVED


# --------------------------------------------------------------------------- override


def _scored(case: ReviewCase) -> ReviewCase:
    screening.case_score(case_id=case.pk)
    return refresh(case)


def test_an_override_needs_a_comment_and_is_audited(claimed_case, reviewer):
    _scored(claimed_case)
    with pytest.raises(InvalidInput) as exc:
        screening.risk_override(actor=reviewer, case_id=claimed_case.pk, tier="medium", comment="")
    assert exc.value.fields == {"comment": ["Required."]}
    assert not AuditEvent.objects.filter(action="case.risk_overridden").exists()

    case = screening.risk_override(
        actor=reviewer,
        case_id=claimed_case.pk,
        tier="medium",
        comment="Adverse media about the owner's previous company.",
    )
    assert (case.risk_tier, case.state) == ("medium", CaseState.IN_REVIEW)
    assessment = refresh(case).risk_assessment
    assert (assessment.tier, assessment.override_tier, assessment.effective_tier) == (
        "low",
        "medium",
        "medium",
    )
    assert assessment.overridden_by == reviewer and assessment.overridden_at is not None
    event = AuditEvent.objects.get(action="case.risk_overridden")
    assert (event.before["risk_tier"], event.after["risk_tier"]) == ("low", "medium")
    assert event.text == "Adverse media about the owner's previous company."
    assert event.actor_id == reviewer.pk


def test_raising_the_tier_to_high_forces_edd_and_four_eyes(claimed_case, reviewer):
    _scored(claimed_case)
    case = screening.risk_override(
        actor=reviewer, case_id=claimed_case.pk, tier="high", comment="Shell-company pattern."
    )
    assert (case.state, case.requires_four_eyes, case.assignee) == ("edd", True, None)
    event = AuditEvent.objects.get(action="case.risk_overridden")
    assert event.after["routed_to_edd"] is True and event.after["state"] == "edd"


def test_lowering_a_high_tier_needs_a_senior_reviewer(
    ready_case, seller, reviewer, senior, screener
):
    Person.objects.filter(merchant=ready_case.merchant).update(is_pep=True)
    services.case_submit(actor=seller, case_id=ready_case.pk)  # provisional: high
    services.case_claim(actor=reviewer, case_id=ready_case.pk)  # before the task ran
    with pytest.raises(NotAllowed) as exc:
        screening.risk_override(
            actor=reviewer, case_id=ready_case.pk, tier="medium", comment="PEP role ended."
        )
    assert exc.value.code == "senior_required"
    services.case_release(actor=reviewer, case_id=ready_case.pk)
    screening.case_screen_and_score(case_id=ready_case.pk)  # now routed to EDD
    services.case_claim(actor=senior, case_id=ready_case.pk)
    case = screening.risk_override(
        actor=senior, case_id=ready_case.pk, tier="medium", comment="PEP role ended in 2012."
    )
    # Lowering does not undo EDD or four-eyes already applied to this case.
    assert (case.risk_tier, case.state, case.requires_four_eyes) == ("medium", "edd", True)


def test_nothing_lowers_a_confirmed_sanctions_match(claimed_case, reviewer, senior, golden_harbor):
    make_match(claimed_case.merchant, golden_harbor, status=Disposition.CONFIRMED)
    _scored(claimed_case)  # prohibited → EDD, handed to the senior queue
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    with pytest.raises(NotAllowed) as exc:
        screening.risk_override(actor=senior, case_id=claimed_case.pk, tier="high", comment="x")
    assert exc.value.code == "sanctions_match_confirmed"


def test_an_override_is_refused_to_anyone_but_the_holder(claimed_case, other_reviewer, seller):
    with pytest.raises(NotAllowed):
        screening.risk_override(
            actor=other_reviewer, case_id=claimed_case.pk, tier="high", comment="x"
        )
    with pytest.raises(NotAllowed):
        screening.risk_override(actor=seller, case_id=claimed_case.pk, tier="low", comment="x")


def test_an_override_to_the_current_tier_or_an_unknown_one_is_invalid(claimed_case, reviewer):
    _scored(claimed_case)
    with pytest.raises(InvalidInput) as exc:
        screening.risk_override(actor=reviewer, case_id=claimed_case.pk, tier="low", comment="x")
    assert exc.value.code == "tier_unchanged"
    with pytest.raises(InvalidInput):
        screening.risk_override(
            actor=reviewer, case_id=claimed_case.pk, tier="extreme", comment="x"
        )


def test_an_override_survives_a_rescore_unless_new_facts_raise_the_computed_tier(
    claimed_case, reviewer, golden_harbor
):
    _scored(claimed_case)
    screening.risk_override(
        actor=reviewer, case_id=claimed_case.pk, tier="medium", comment="Adverse media."
    )
    merchant = claimed_case.merchant
    merchant.business_model = "cross_border_b2b"  # +10: still low when computed
    merchant.save()
    case = _scored(claimed_case)
    assert case.risk_assessment.override_tier == "medium" and case.risk_tier == "medium"
    make_match(merchant, golden_harbor)  # computed tier rises to high: the override lapses
    case = _scored(claimed_case)
    assert case.risk_assessment.override_tier == "" and case.risk_tier == "high"


def test_scoring_twice_writes_one_assessment_and_one_event(claimed_case):
    _scored(claimed_case)
    _scored(claimed_case)
    score_case_task.delay(claimed_case.pk)
    assert RiskAssessment.objects.count() == 1
    assert actions(claimed_case).count("case.risk_scored") == 1


# --------------------------------------------------------------------------- re-screening


@pytest.fixture
def live_merchants(reference) -> list[Any]:
    """Three active merchants (the first two will hit) and an offboarded one."""
    merchants = [
        MerchantFactory(legal_name=name, status=MerchantStatus.ACTIVE)
        for name in ("Hit One Trading Ltd", "Hit Two Trading Ltd", "Clean Trading Ltd")
    ]
    MerchantFactory(legal_name="Gone Trading Ltd", status=MerchantStatus.OFFBOARDED)
    return merchants


def test_rescreening_opens_exactly_one_case_per_merchant_with_new_hits(
    live_merchants, sdn, hits, screener, django_capture_on_commit_callbacks
):
    one, two, clean = live_merchants
    hits[one.legal_name] = make_entry(sdn, "HIT ONE TRADING LIMITED")
    hits[two.legal_name] = make_entry(sdn, "HIT TWO TRADING LIMITED")
    hits["Gone Trading Ltd"] = make_entry(sdn, "GONE TRADING LIMITED")

    with django_capture_on_commit_callbacks(execute=True):  # the scoring of the new cases
        rescreen_active_merchants_task.delay(sdn.pk)

    assert sorted(screener.calls) == sorted(m.pk for m in live_merchants)  # not the offboarded
    opened = ReviewCase.objects.filter(kind=CaseKind.REVERIFICATION)
    assert sorted(c.merchant_id for c in opened) == sorted([one.pk, two.pk])
    for case in opened:
        assert case.state == CaseState.EDD  # open hits → high → EDD, four-eyes
        assert case.created_by is None and case.requires_four_eyes
        assert actions(case)[:2] == ["case.opened_by_screening", "case.routed_to_edd"]
        event = AuditEvent.objects.get(case_id=case.pk, action="case.opened_by_screening")
        assert event.actor_type == "system" and event.after["state"] == "submitted"
        assert len(event.after["matches"]) == 1

    # Idempotent: a second run opens nothing and writes nothing on the cases.
    before = list(AuditEvent.objects.values_list("seq", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        rescreen_active_merchants_task.delay(sdn.pk)
    assert ReviewCase.objects.filter(kind=CaseKind.REVERIFICATION).count() == 2
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == before
    assert verify_chain().ok


def test_new_hits_for_a_merchant_with_an_open_case_are_recorded_on_it(
    claimed_case, sdn, hits, screener, django_capture_on_commit_callbacks
):
    hits[claimed_case.merchant.legal_name] = make_entry(sdn, "SHENZHEN LUMEN TRADING")
    with django_capture_on_commit_callbacks(execute=True):
        rescreen_active_merchants_task.delay(sdn.pk)
    assert ReviewCase.objects.filter(merchant=claimed_case.merchant).count() == 1
    recorded = AuditEvent.objects.get(case_id=claimed_case.pk, action="screening.hits_recorded")
    assert recorded.after["matches"][0]["matched_name"] == "SHENZHEN LUMEN TRADING"
    assert refresh(claimed_case).state == CaseState.EDD  # re-scored: open hit → high


def test_an_open_hit_left_without_a_case_gets_one_on_the_next_run(
    live_merchants, sdn, hits, screener
):
    # A crash after screening but before the case was opened: the hit is already on file.
    one = live_merchants[0]
    make_match(one, make_entry(sdn, "HIT ONE TRADING LIMITED"))
    rescreen_active_merchants_task.delay(sdn.pk)
    assert ReviewCase.objects.filter(merchant=one, kind=CaseKind.REVERIFICATION).count() == 1


def test_rescreening_runs_in_batches(live_merchants, sdn, hits, screener, monkeypatch):
    monkeypatch.setattr(screening, "RESCREEN_BATCH_SIZE", 2)
    batches: list[list[int]] = []
    original = screening.merchants_rescreen

    def spy(*, merchant_ids: list[int], list_id: int | None = None) -> int:
        batches.append(list(merchant_ids))
        return original(merchant_ids=merchant_ids, list_id=list_id)

    monkeypatch.setattr("cases.tasks.merchants_rescreen", spy)
    monkeypatch.setattr("cases.tasks.batches", lambda ids: screening.batches(ids, 2))
    assert rescreen_active_merchants_task.delay(sdn.pk).get() == 3
    assert [len(b) for b in batches] == [2, 1]


def test_a_list_replaced_meanwhile_is_not_screened_against(live_merchants, sdn, screener):
    make_list()  # a newer import: sdn is no longer active
    rescreen_active_merchants_task.delay(sdn.pk)
    assert screener.calls == []


def test_the_seller_cannot_withdraw_a_case_opened_by_screening(
    live_merchants, sdn, hits, screener, seller
):
    one = live_merchants[0]
    hits[one.legal_name] = make_entry(sdn, "HIT ONE TRADING LIMITED")
    from tests.factories import add_member

    add_member(one, seller)
    case = screening.merchant_rescreen(merchant_id=one.pk, list_id=sdn.pk)
    assert case is not None
    with pytest.raises(NotAllowed) as exc:
        services.case_withdraw(actor=seller, case_id=case.pk)
    assert exc.value.code == "opened_by_platform"


# --------------------------------------------------------------------------- the transition


@pytest.mark.parametrize(
    ("state", "allowed"),
    [(s, s in ("submitted", "in_review")) for s in CaseState.values],
)
def test_route_to_edd_leaves_only_from_submitted_or_in_review(state, allowed):
    case = ReviewCase(state=state)
    assert can_proceed(case.route_to_edd) is allowed


def test_ownership_percent_type_is_decimal_in_the_rule(reference, sdn):
    # Guard against float arithmetic: 33.33 + 16.67 is exactly 50.
    merchant = MerchantFactory()
    a, b = _owners(merchant, 0, 0)
    Person.objects.filter(pk=a.pk).update(ownership_percent=Decimal("33.33"))
    Person.objects.filter(pk=b.pk).update(ownership_percent=Decimal("16.67"))
    make_match(merchant, make_entry(sdn, "A"), person=a)
    make_match(merchant, make_entry(sdn, "B"), person=b)
    assert screening.screening_apply_ownership_rule(merchant_id=merchant.pk) is not None
