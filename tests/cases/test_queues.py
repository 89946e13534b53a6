"""Queues as data, routing and SLAs, next case, auto-assignment, reassignment, availability and
SLA breach escalation (cases.queues)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.models import AuditEvent
from cases import queues
from cases.models import CaseKind, CaseState, Queue, ReviewCase
from cases.reference_data import load_queues
from config.errors import Conflict, InvalidInput, NotAllowed
from tests.factories import MerchantFactory, make_user


@pytest.fixture
def default_queues(db: Any) -> dict[str, Queue]:
    load_queues()
    return {q.code: q for q in Queue.objects.all()}


def open_case(
    *,
    queue: str = "onboarding-standard",
    state: str = CaseState.SUBMITTED,
    due_in_hours: float = 10,
    **fields: Any,
) -> ReviewCase:
    fields.setdefault("risk_tier", "low")
    return ReviewCase.objects.create(
        merchant=fields.pop("merchant", None) or MerchantFactory(),
        state=state,
        queue=Queue.objects.get(code=queue),
        sla_due_at=timezone.now() + timedelta(hours=due_in_hours),
        submitted_at=timezone.now(),
        **fields,
    )


def claims(case: ReviewCase) -> list[str]:
    return list(
        AuditEvent.objects.filter(case_id=case.pk, action__startswith="case.").values_list(
            "action", flat=True
        )
    )


# --------------------------------------------------------------------------- routing and SLA


@pytest.mark.parametrize(
    ("kind", "tier", "state", "expected"),
    [
        (CaseKind.ONBOARDING, "low", CaseState.SUBMITTED, "onboarding-standard"),
        (CaseKind.ONBOARDING, "medium", CaseState.SUBMITTED, "onboarding-standard"),
        (CaseKind.ONBOARDING, "high", CaseState.SUBMITTED, "onboarding-high-risk"),
        (CaseKind.ONBOARDING, "prohibited", CaseState.SUBMITTED, "onboarding-high-risk"),
        (CaseKind.ONBOARDING, "low", CaseState.EDD, "edd"),
        (CaseKind.ONBOARDING, "low", CaseState.PENDING_SECOND_APPROVAL, "second-approval"),
        (CaseKind.REVERIFICATION, "high", CaseState.SUBMITTED, "reverification"),
        (CaseKind.PERIODIC_REVIEW, "low", CaseState.SUBMITTED, "periodic-review"),
        (CaseKind.CHANGE_OF_DETAILS, "low", CaseState.SUBMITTED, "change-of-details"),
    ],
)
def test_a_case_is_routed_by_stage_then_kind_and_risk(default_queues, kind, tier, state, expected):
    case = ReviewCase(kind=kind, risk_tier=tier, state=state)
    now = timezone.now()
    queue = queues.case_route(case, now=now)
    assert queue is not None and queue.code == expected
    assert case.queue == queue
    assert case.sla_due_at == now + timedelta(hours=queue.sla_hours)


def test_routing_follows_the_queue_data_not_code(default_queues):
    standard = default_queues["onboarding-standard"]
    standard.is_active = False
    standard.save()
    case = ReviewCase(kind=CaseKind.ONBOARDING, risk_tier="low", state=CaseState.SUBMITTED)
    assert queues.case_route(case).code == "general"  # type: ignore[union-attr]


def test_submitting_puts_the_case_in_its_queue_with_the_queue_sla(submitted_case):
    case = ReviewCase.objects.select_related("queue").get(pk=submitted_case.pk)
    assert case.queue is not None
    assert case.queue.code in {"onboarding-standard", "onboarding-high-risk"}
    expected = timedelta(hours=case.queue.sla_hours)
    assert abs((case.sla_due_at - case.submitted_at) - expected) < timedelta(seconds=5)


def test_the_answer_to_an_rfi_restarts_the_sla_in_the_queue(claimed_case, reviewer, seller):
    from cases import services

    services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="Fix it")
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    ReviewCase.objects.filter(pk=case.pk).update(sla_breached_at=timezone.now())
    services.case_resubmit(actor=seller, case_id=case.pk, answer="Done")
    case.refresh_from_db()
    assert case.queue is not None and case.sla_breached_at is None
    assert case.sla_due_at > timezone.now() + timedelta(hours=case.queue.sla_hours - 1)


def test_the_sweep_routes_cases_whose_stage_moved_on(default_queues):
    case = open_case(state=CaseState.EDD)
    assert queues.cases_reroute_stages() == 1
    case.refresh_from_db()
    assert case.queue.code == "edd"  # type: ignore[union-attr]
    assert queues.cases_reroute_stages() == 0
    assert claims(case) == ["case.routed"]


# --------------------------------------------------------------------------- next case


def test_next_case_claims_the_soonest_due_case_with_one_claim_event(default_queues, reviewer):
    later = open_case(due_in_hours=20)
    sooner = open_case(due_in_hours=2)
    found = queues.case_next(actor=reviewer)
    assert found is not None and found.is_new
    case = found.case
    assert case.pk == sooner.pk
    assert case.state == CaseState.IN_REVIEW and case.assignee == reviewer
    assert case.assigned_at is not None
    assert claims(sooner) == ["case.claimed"]
    assert claims(later) == []


def test_next_case_skips_held_and_senior_only_cases(default_queues, reviewer, other_reviewer):
    open_case(due_in_hours=1, state=CaseState.IN_REVIEW, assignee=other_reviewer)
    open_case(due_in_hours=2, queue="onboarding-high-risk", risk_tier="high")
    open_case(due_in_hours=3, queue="edd", state=CaseState.EDD)
    free = open_case(due_in_hours=9)
    case = queues.case_pull(actor=reviewer)
    assert case is not None and case.pk == free.pk
    assert queues.case_pull(actor=reviewer) is None


def test_a_senior_takes_senior_only_cases_but_never_their_own_for_second_approval(
    default_queues, senior, other_senior
):
    own = open_case(
        due_in_hours=1,
        queue="second-approval",
        state=CaseState.PENDING_SECOND_APPROVAL,
        maker=senior,
    )
    edd = open_case(due_in_hours=2, queue="edd", state=CaseState.EDD)
    first = queues.case_pull(actor=senior)
    assert first is not None and first.pk == edd.pk and first.state == CaseState.EDD
    second = queues.case_pull(actor=other_senior)
    assert second is not None and second.pk == own.pk
    assert second.assignee == other_senior
    assert second.state == CaseState.PENDING_SECOND_APPROVAL
    assert claims(own) == ["case.claimed"]


def test_next_case_is_refused_at_the_reviewers_cap(default_queues):
    reviewer = make_user(Role.REVIEWER, max_open_cases=1)
    open_case(due_in_hours=1)
    waiting = open_case(due_in_hours=2)
    assert queues.case_pull(actor=reviewer) is not None
    with pytest.raises(Conflict) as exc:
        queues.case_pull(actor=reviewer)
    assert exc.value.code == "max_open_cases"
    waiting.refresh_from_db()
    assert waiting.assignee is None and claims(waiting) == []


def test_next_case_opens_the_most_urgent_held_case_before_pulling_a_new_one(
    default_queues, reviewer
):
    waiting = open_case(due_in_hours=1)  # unassigned, more urgent than anything held
    later = open_case(due_in_hours=30, state=CaseState.IN_REVIEW, assignee=reviewer)
    urgent = open_case(due_in_hours=5, state=CaseState.IN_REVIEW, assignee=reviewer)
    found = queues.case_next(actor=reviewer)
    assert found is not None and found.case.pk == urgent.pk and not found.is_new
    # Opening a held case writes nothing and pulls nothing.
    assert claims(urgent) == [] and claims(later) == [] and claims(waiting) == []
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_next_case_pulls_a_new_case_once_the_reviewer_holds_none(default_queues, reviewer):
    from cases import services

    waiting = open_case(due_in_hours=1)
    held = open_case(due_in_hours=5, state=CaseState.IN_REVIEW, assignee=reviewer)
    first = queues.case_next(actor=reviewer)
    assert first is not None and first.case.pk == held.pk and not first.is_new
    services.case_release(actor=reviewer, case_id=held.pk)
    second = queues.case_next(actor=reviewer)
    assert second is not None and second.case.pk == waiting.pk and second.is_new
    assert claims(waiting) == ["case.claimed"]
    third = queues.case_next(actor=reviewer)  # now held: opened again, not a new pull
    assert third is not None and third.case.pk == waiting.pk and not third.is_new
    assert claims(waiting) == ["case.claimed"]


def test_next_case_opens_held_edd_and_second_approval_cases_but_not_the_makers_own(
    default_queues, senior
):
    own = open_case(
        due_in_hours=1,
        queue="second-approval",
        state=CaseState.PENDING_SECOND_APPROVAL,
        maker=senior,
        assignee=senior,
    )
    edd = open_case(due_in_hours=2, queue="edd", state=CaseState.EDD, assignee=senior)
    waiting_on_seller = open_case(due_in_hours=0.5, state=CaseState.INFO_REQUESTED, assignee=senior)
    found = queues.case_next(actor=senior)
    assert found is not None and found.case.pk == edd.pk and not found.is_new
    assert own.pk != found.case.pk and waiting_on_seller.pk != found.case.pk


def test_next_case_from_a_held_case_opens_the_next_held_one_and_never_pulls(
    default_queues, reviewer
):
    waiting = open_case(due_in_hours=0.5)
    viewing = open_case(due_in_hours=1, state=CaseState.IN_REVIEW, assignee=reviewer)
    other = open_case(due_in_hours=8, state=CaseState.IN_REVIEW, assignee=reviewer)
    found = queues.case_next(actor=reviewer, current=viewing.pk)
    assert found is not None and found.case.pk == other.pk and not found.is_current
    alone = queues.case_next(actor=reviewer, current=other.pk)
    assert alone is not None and alone.case.pk == viewing.pk
    ReviewCase.objects.filter(pk=viewing.pk).update(state=CaseState.WITHDRAWN)
    only = queues.case_next(actor=reviewer, current=other.pk)
    assert only is not None and only.case.pk == other.pk and only.is_current
    waiting.refresh_from_db()
    assert waiting.assignee is None and claims(waiting) == []


def test_next_case_at_the_cap_opens_a_held_case_instead_of_refusing(default_queues):
    reviewer = make_user(Role.REVIEWER, max_open_cases=1)
    held = open_case(due_in_hours=3, state=CaseState.IN_REVIEW, assignee=reviewer)
    waiting = open_case(due_in_hours=1)
    found = queues.case_next(actor=reviewer)
    assert found is not None and found.case.pk == held.pk
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_only_reviewers_take_the_next_case(default_queues, qc_lead, seller):
    case = open_case()
    for user in (qc_lead, seller):
        with pytest.raises(NotAllowed):
            queues.case_next(actor=user)
        with pytest.raises(NotAllowed):
            queues.case_pull(actor=user)
    case.refresh_from_db()
    assert case.assignee is None


def test_a_released_case_goes_back_unassigned(default_queues, reviewer):
    from cases import services

    open_case()
    case = queues.case_pull(actor=reviewer)
    assert case is not None
    released = services.case_release(actor=reviewer, case_id=case.pk)
    assert released.assignee is None and released.assigned_at is None


# --------------------------------------------------------------------------- auto-assignment


def test_auto_assignment_gives_each_case_to_the_least_loaded_available_reviewer(default_queues):
    busy = make_user(Role.REVIEWER, team="onboarding")
    idle = make_user(Role.REVIEWER, team="onboarding")
    away = make_user(Role.REVIEWER, team="onboarding", is_available=False)
    other_team = make_user(Role.REVIEWER, team="maintenance")
    open_case(state=CaseState.IN_REVIEW, assignee=busy)
    open_case(state=CaseState.IN_REVIEW, assignee=busy)
    new = [open_case(due_in_hours=h) for h in (1, 2, 3)]
    assert queues.cases_auto_assign() == 3
    holders = [ReviewCase.objects.get(pk=c.pk).assignee for c in new]
    assert holders == [idle, idle, busy]  # idle 0 → 1 → 2 ties with busy (lower id wins)
    assert away not in holders and other_team not in holders
    assert all(claims(c) == ["case.assigned"] for c in new)
    assert queues.cases_auto_assign() == 0  # idempotent


def test_auto_assignment_respects_the_cap_and_senior_only_queues(default_queues):
    reviewer = make_user(Role.REVIEWER, max_open_cases=1)
    senior = make_user(Role.SENIOR_REVIEWER, team="senior")
    cases = [open_case(due_in_hours=h) for h in (1, 2)]
    high = open_case(queue="onboarding-high-risk", risk_tier="high")
    queues.cases_auto_assign()
    assert ReviewCase.objects.get(pk=high.pk).assignee == senior
    assigned = [ReviewCase.objects.get(pk=c.pk).assignee for c in cases]
    assert assigned.count(reviewer) <= 1


# --------------------------------------------------------------------------- reassignment


def test_a_senior_reassigns_a_held_case_with_one_event(default_queues, senior, reviewer):
    holder = make_user(Role.REVIEWER)
    case = open_case(state=CaseState.IN_REVIEW, assignee=holder)
    queues.case_reassign(actor=senior, case_id=case.pk, assignee_id=reviewer.pk, reason="leave")
    case.refresh_from_db()
    assert case.assignee == reviewer and case.state == CaseState.IN_REVIEW
    event = AuditEvent.objects.get(case_id=case.pk, action="case.reassigned")
    assert event.before["assignee"] == holder.pk and event.after["assignee"] == reviewer.pk


def test_reassigning_an_unassigned_case_claims_it_for_the_target(default_queues, senior, reviewer):
    case = open_case()
    queues.case_reassign(actor=senior, case_id=case.pk, assignee_id=reviewer.pk)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and case.assignee == reviewer


def test_a_reviewer_cannot_reassign(default_queues, reviewer, other_reviewer):
    case = open_case(state=CaseState.IN_REVIEW, assignee=reviewer)
    with pytest.raises(NotAllowed):
        queues.case_reassign(actor=reviewer, case_id=case.pk, assignee_id=other_reviewer.pk)
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


@pytest.mark.parametrize("target_kind", ["seller", "away", "junior_for_edd", "maker"])
def test_reassignment_only_to_an_eligible_reviewer(default_queues, senior, target_kind):
    maker = make_user(Role.SENIOR_REVIEWER)
    if target_kind == "maker":
        case = open_case(
            queue="second-approval", state=CaseState.PENDING_SECOND_APPROVAL, maker=maker
        )
        target = maker
    else:
        case = open_case(queue="edd", state=CaseState.EDD)
        target = {
            "seller": lambda: make_user(Role.SELLER),
            "away": lambda: make_user(Role.SENIOR_REVIEWER, is_available=False),
            "junior_for_edd": lambda: make_user(Role.REVIEWER),
        }[target_kind]()
    with pytest.raises(InvalidInput):
        queues.case_reassign(actor=senior, case_id=case.pk, assignee_id=target.pk)
    case.refresh_from_db()
    assert case.assignee is None
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


# --------------------------------------------------------------------------- availability


def test_availability_is_audited_once_per_change(reviewer):
    queues.reviewer_set_availability(actor=reviewer, is_available=False)
    queues.reviewer_set_availability(actor=reviewer, is_available=False)
    reviewer.refresh_from_db()
    assert reviewer.is_available is False
    events = AuditEvent.objects.filter(action="reviewer.availability_changed")
    assert events.count() == 1 and events.get().after == {"is_available": False}


def test_a_seller_has_no_availability(seller):
    with pytest.raises(NotAllowed):
        queues.reviewer_set_availability(actor=seller, is_available=False)


# --------------------------------------------------------------------------- SLA breach


def test_a_breached_case_is_flagged_and_escalated_once(default_queues):
    breached = open_case(due_in_hours=-1)
    on_time = open_case(due_in_hours=5)
    assert queues.cases_flag_sla_breaches() == 1
    breached.refresh_from_db()
    assert breached.sla_breached_at is not None and breached.escalated_at is not None
    assert breached.queue.code == "sla-escalations"  # type: ignore[union-attr]
    assert breached.sla_due_at > timezone.now()
    on_time.refresh_from_db()
    assert on_time.sla_breached_at is None
    # Idempotent: a second run (or a duplicate task delivery) changes nothing.
    assert queues.cases_flag_sla_breaches() == 0
    assert queues.case_sla_escalate(case_id=breached.pk) is False
    assert claims(breached) == ["case.sla_escalated"]


def test_the_sla_task_runs_twice_without_a_second_event(default_queues):
    case = open_case(due_in_hours=-1, queue="edd", state=CaseState.EDD)
    queues.flag_sla_breaches_task.apply()
    queues.flag_sla_breaches_task.apply()
    assert claims(case) == ["case.sla_escalated"]


def test_a_decided_case_never_breaches(default_queues):
    case = open_case(due_in_hours=-1, state=CaseState.APPROVED)
    assert queues.cases_flag_sla_breaches() == 0
    case.refresh_from_db()
    assert case.sla_breached_at is None


# --------------------------------------------------------------------------- counts


def test_queue_counts_come_from_one_aggregate_query(default_queues, reviewer):
    open_case(due_in_hours=-1)
    open_case(state=CaseState.IN_REVIEW, assignee=reviewer)
    open_case(queue="edd", state=CaseState.EDD)
    open_case(state=CaseState.APPROVED)
    has_role(reviewer, Role.REVIEWER)  # the roles are read once per request, not per queue
    with CaptureQueriesContext(connection) as ctx:
        rows = {r.queue.code: r for r in queues.queue_counts(actor=reviewer)}
    # The queue list, then a single aggregate over the cases, however many cases there are.
    assert len(ctx.captured_queries) == 2
    assert sum("COUNT(" in q["sql"].upper() for q in ctx.captured_queries) == 1
    standard = rows["onboarding-standard"]
    assert (standard.open, standard.unassigned, standard.breached) == (2, 1, 1)
    assert (rows["edd"].open, rows["edd"].unassigned) == (1, 1)


def test_queue_counts_are_for_staff_only(default_queues, seller):
    assert queues.queue_counts(actor=seller) == []
