"""Queues and assignment: routing a case to its queue (and SLA), the queue selectors and counts,
"next case", auto-assignment, reassignment, reviewer availability and SLA breach escalation.

Writes follow cases.services: lock the row, check, change, save, one audit event, all in one
transaction. "Next case" and auto-assignment lock candidate rows with SKIP LOCKED on PostgreSQL,
so concurrent reviewers never wait on (nor receive) the same case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.roles import REVIEWING_ROLES, Role, has_role
from audit.services import audit_record
from config.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from merchants.models import Merchant

from .models import REVIEW_QUEUE_STATES, CaseState, Queue, ReviewCase
from .selectors import case_list

# Queues reached by a case's stage or by an SLA breach, never by its kind and risk tier.
EDD_QUEUE = "edd"
SECOND_APPROVAL_QUEUE = "second-approval"
ESCALATION_QUEUE = "sla-escalations"
STAGE_QUEUES = frozenset({EDD_QUEUE, SECOND_APPROVAL_QUEUE, ESCALATION_QUEUE})
STAGE_BY_STATE = {
    CaseState.EDD: EDD_QUEUE,
    CaseState.PENDING_SECOND_APPROVAL: SECOND_APPROVAL_QUEUE,
}
# States a reviewer works while holding the case: what counts against max_open_cases.
HELD_STATES = (CaseState.IN_REVIEW, CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL)
# Unassigned cases "next case" may hand out.
TAKEABLE_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.EDD,
    CaseState.PENDING_SECOND_APPROVAL,
)
NEXT_CASE_ATTEMPTS = 20
SLA_BATCH = 500
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError)


# --------------------------------------------------------------------------- routing


def _accepts(queue: Queue, case: ReviewCase) -> bool:
    return (not queue.case_kinds or case.kind in queue.case_kinds) and (
        not queue.risk_tiers or (case.risk_tier or "") in queue.risk_tiers
    )


def queue_for(case: ReviewCase) -> Queue | None:
    """The queue a case belongs in now: its stage's queue (EDD, second approval), else the
    first active queue by position whose kinds and risk tiers accept it."""
    queues = list(Queue.objects.filter(is_active=True).order_by("position", "code"))
    stage = STAGE_BY_STATE.get(CaseState(case.state)) if case.state in STAGE_BY_STATE else None
    if stage is not None:
        for queue in queues:
            if queue.code == stage:
                return queue
    for queue in queues:
        if queue.code not in STAGE_QUEUES and _accepts(queue, case):
            return queue
    return None


def case_route(case: ReviewCase, *, now: datetime | None = None) -> Queue | None:
    """Puts the (locked, in-memory) case in its queue with a fresh SLA due time; the caller
    saves it. A case re-entering the platform's hands starts a new SLA clock, so an earlier
    breach flag no longer applies. Without a matching queue the case keeps its SLA."""
    now = now or timezone.now()
    queue = queue_for(case)
    if queue is None:
        return None
    case.queue = queue
    case.sla_due_at = now + timedelta(hours=queue.sla_hours)
    case.sla_breached_at = None
    case.escalated_at = None
    return queue


@transaction.atomic
def cases_reroute_stages() -> int:
    """Routes cases whose stage moved on (escalated to EDD, maker-approved) while their queue
    did not; the periodic sweep's safety net. Idempotent."""
    moved = 0
    for state, code in STAGE_BY_STATE.items():
        ids = list(
            ReviewCase.objects.filter(state=state)
            .exclude(queue__code__in=[code, ESCALATION_QUEUE])
            .values_list("pk", flat=True)[:SLA_BATCH]
        )
        for case in ReviewCase.objects.select_for_update(skip_locked=_skip_locked()).filter(
            pk__in=ids, state=state
        ):
            before = _snapshot(case)
            if case_route(case) is None or case.queue_id == before["queue"]:
                continue
            case.save(update_fields=["queue", "sla_due_at", "sla_breached_at", "escalated_at"])
            _audit(case, None, "case.routed", before)
            moved += 1
    return moved


# --------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class QueueCounts:
    queue: Queue
    open: int
    unassigned: int
    breached: int


def _breached(prefix: str = "", now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(**{f"{prefix}sla_breached_at__isnull": False}) | Q(**{f"{prefix}sla_due_at__lt": now})


def queue_counts(*, actor: Any) -> list[QueueCounts]:
    """Every active queue with its open, unassigned and breached counts: the queues, then one
    aggregate query over the open cases grouped by queue (no join, so it stays a single scan
    of the case table at 100,000 open cases)."""
    if not has_role(actor, *REVIEWING_ROLES, Role.QC_LEAD, Role.COMPLIANCE_ADMIN):
        return []
    active = list(
        Queue.objects.filter(is_active=True)
        .select_related("escalation_queue")
        .order_by("position", "code")
    )
    rows = (
        ReviewCase.objects.filter(state__in=REVIEW_QUEUE_STATES, queue__isnull=False)
        .order_by()
        .values("queue_id")
        .annotate(
            n_open=Count("pk"),
            n_unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            n_breached=Count("pk", filter=_breached()),
        )
    )
    by_queue = {r["queue_id"]: r for r in rows}
    empty = {"n_open": 0, "n_unassigned": 0, "n_breached": 0}
    return [
        QueueCounts(
            q,
            by_queue.get(q.pk, empty)["n_open"],
            by_queue.get(q.pk, empty)["n_unassigned"],
            by_queue.get(q.pk, empty)["n_breached"],
        )
        for q in active
    ]


def queue_get(*, actor: Any, code: str) -> Queue:
    if not has_role(actor, *REVIEWING_ROLES, Role.QC_LEAD, Role.COMPLIANCE_ADMIN):
        raise NotFound("Queue not found.")
    queue = Queue.objects.filter(code=code, is_active=True).first()
    if queue is None:
        raise NotFound("Queue not found.")
    return queue


def queue_case_list(
    *, actor: Any, queue: Queue | None = None, filters: dict[str, Any] | None = None
) -> QuerySet[ReviewCase]:
    """The cases of one queue (or of all queues) the actor may see, by SLA due time.

    Filters: `view` (open — the default —, mine, unassigned, breached, all), `state`, `kind`,
    `risk_tier`, `reviewer` (a user id), `q` (merchant name, registration number, case id).
    """
    filters = dict(filters or {})
    view = filters.pop("view", "") or "open"
    search = str(filters.pop("q", "") or "").strip()
    if filters.get("reviewer"):
        filters["assignee"] = filters.pop("reviewer")
    filters["queue"] = {"mine": "mine", "unassigned": "unassigned", "all": ""}.get(view, "open")
    qs = case_list(actor=actor, filters=filters).select_related("queue")
    if view == "breached":
        qs = qs.filter(_breached())
    if queue is not None:
        qs = qs.filter(queue=queue)
    if search:
        qs = qs.filter(_search(search))
    return qs


SEARCH_MAX_MERCHANTS = 500


def _search(text: str) -> Q:
    """Merchant name (any script), registration number or case id. The merchants are matched
    first, in a subquery, so the case table is never joined row by row for the ILIKE."""
    merchants = Merchant.objects.filter(
        Q(legal_name__icontains=text)
        | Q(local_name__icontains=text)
        | Q(trading_name__icontains=text)
        | Q(registration_number__iexact=text)
    ).values_list("pk", flat=True)
    # Resolved to ids first: given the subquery, PostgreSQL misjudges how few merchants
    # match and walks every open case in SLA order (130 ms at 100,000 cases); with a short
    # id list it uses the merchant index (docs/performance.md). Bounded: a search that broad
    # is narrowed by the reviewer, not paged through.
    condition = Q(merchant_id__in=list(merchants[:SEARCH_MAX_MERCHANTS]))
    digits = text.lstrip("#")
    if digits.isdigit() and len(digits) < 19:
        condition |= Q(pk=int(digits))
    return condition


def eligible_reviewers(*, queue: Queue | None, senior_only: bool = False) -> QuerySet[Any]:
    """Active, available users who may work cases of the queue (seniors where required),
    annotated with how many cases they hold."""
    roles = [Role.SENIOR_REVIEWER] if senior_only or (queue and queue.requires_senior) else []
    qs = get_user_model().objects.filter(
        is_active=True,
        is_available=True,
        groups__name__in=roles or list(REVIEWING_ROLES),
    )
    if queue is not None and queue.team:
        qs = qs.filter(Q(team=queue.team) | Q(team=""))
    return (
        qs.distinct()
        .annotate(load=Count("assigned_cases", filter=Q(assigned_cases__state__in=HELD_STATES)))
        .order_by("load", "pk")
    )


# --------------------------------------------------------------------------- writes


def _skip_locked() -> bool:
    # SQLite has no row locks: it serialises writers, and the conditional UPDATE of
    # ConcurrentTransitionMixin still refuses a second claim of the same case.
    return bool(connection.features.has_select_for_update_skip_locked)


def _snapshot(case: ReviewCase) -> dict[str, Any]:
    return {"state": case.state, "assignee": case.assignee_id, "queue": case.queue_id}


def _audit(case: ReviewCase, actor: Any, action: str, before: dict[str, Any], **after: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after={**_snapshot(case), **after},
        policy_version=case.policy_version.label if case.policy_version is not None else "",
    )


def _held_count(user: Any) -> int:
    return ReviewCase.objects.filter(assignee=user, state__in=HELD_STATES).count()


def _may_take(user: Any, case: ReviewCase) -> bool:
    senior = has_role(user, Role.SENIOR_REVIEWER)
    if not has_role(user, *REVIEWING_ROLES):
        return False
    if case.state in (CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL) and not senior:
        return False
    if case.queue is not None and case.queue.requires_senior and not senior:
        return False
    # Four-eyes: the maker never takes their own case for the second approval.
    return not (case.state == CaseState.PENDING_SECOND_APPROVAL and case.maker_id == user.pk)


def _takeable_for(actor: Any) -> QuerySet[ReviewCase]:
    qs = ReviewCase.objects.filter(state__in=TAKEABLE_STATES, assignee__isnull=True)
    if not has_role(actor, Role.SENIOR_REVIEWER):
        qs = qs.exclude(state__in=[CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL]).exclude(
            queue__requires_senior=True
        )
    else:
        qs = qs.exclude(state=CaseState.PENDING_SECOND_APPROVAL, maker=actor)
    return qs


def _take(*, case: ReviewCase, user: Any, actor: Any) -> ReviewCase:
    """Gives the locked, unassigned case to `user`. A case awaiting its second approval has
    no claim transition: the checker is recorded as its holder only."""
    from . import services

    if case.state == CaseState.PENDING_SECOND_APPROVAL:
        before = _snapshot(case)
        case.assignee = user
        case.assigned_at = timezone.now()
        case.save(update_fields=["assignee", "assigned_at", "updated_at"])
        _audit(case, actor, "case.claimed" if actor is user else "case.assigned", before)
        return case
    if actor is user:
        return services.case_claim(actor=user, case_id=case.pk)
    before = _snapshot(case)
    case.claim(user)
    case.assigned_at = timezone.now()
    services._save(case)
    _audit(case, None, "case.assigned", before, auto=True)
    return case


def held_case_list(*, actor: Any) -> QuerySet[ReviewCase]:
    """The cases the reviewer holds and can work now, most urgent first (soonest SLA due,
    then priority): in review, in EDD, or awaiting a second approval they did not make."""
    return (
        ReviewCase.objects.filter(assignee=actor, state__in=HELD_STATES)
        .exclude(state=CaseState.PENDING_SECOND_APPROVAL, maker=actor)
        .order_by(F("sla_due_at").asc(nulls_last=True), "priority", "id")
    )


@dataclass(frozen=True)
class NextCase:
    case: ReviewCase
    is_new: bool  # pulled from the queue now, not one the reviewer already held
    is_current: bool = False  # the case the reviewer came from is the only one they hold


def case_next(*, actor: Any, current: int | None = None) -> NextCase | None:
    """Next case: the most urgent case the reviewer already holds (nothing written), else a
    newly pulled one (case_pull), else None. A reviewer holding work is sent back to it
    rather than told nothing waits, and never pulls more while holding some.

    `current`: the case the reviewer is looking at; another held case comes first, and when
    it is the only one held the answer is that case again (is_current), not a new pull."""
    if not has_role(actor, *REVIEWING_ROLES):
        raise NotAllowed("Only reviewers take cases from the queue.")
    held = list(held_case_list(actor=actor)[:2])
    others = [c for c in held if c.pk != current]
    if others:
        return NextCase(others[0], is_new=False)
    if held:
        return NextCase(held[0], is_new=False, is_current=True)
    pulled = case_pull(actor=actor)
    return NextCase(pulled, is_new=True) if pulled is not None else None


def case_pull(*, actor: Any) -> ReviewCase | None:
    """Claims the highest-priority unassigned case the reviewer may take (soonest SLA due,
    then priority) and returns it, or None when there is none. Two reviewers calling at once
    never get the same case: candidates are locked with SKIP LOCKED, and the claim itself is
    the claim service's (one "case.claimed" event). Refused at the reviewer's cap."""
    if not has_role(actor, *REVIEWING_ROLES):
        raise NotAllowed("Only reviewers take cases from the queue.")
    tried: list[int] = []
    for _attempt in range(NEXT_CASE_ATTEMPTS):
        with transaction.atomic():
            # One reviewer's own concurrent calls queue up here, so the cap holds.
            user = get_user_model().objects.select_for_update().get(pk=actor.pk)
            if _held_count(user) >= user.max_open_cases:
                raise Conflict(
                    f"You already hold {user.max_open_cases} open cases; finish or release one.",
                    code="max_open_cases",
                )
            candidate = (
                _takeable_for(actor)
                .exclude(pk__in=tried)
                .order_by("sla_due_at", "priority", "id")
                .select_for_update(skip_locked=_skip_locked(), of=("self",))
                .first()
            )
            if candidate is None:
                return None
            try:
                with transaction.atomic():
                    return _take(case=candidate, user=actor, actor=actor)
            except (Conflict, NotAllowed):
                # SQLite only, in practice: someone else took it between read and write.
                tried.append(candidate.pk)
    return None


def cases_auto_assign(*, limit: int = SLA_BATCH) -> int:
    """Assigns unassigned cases, soonest SLA first, each to the least-loaded available reviewer
    of its queue's team under their cap. Returns how many were assigned; idempotent (an
    assigned case is never touched again)."""
    assigned = 0
    queues = list(Queue.objects.filter(is_active=True).order_by("position", "code"))
    for queue in queues:
        reviewers = list(eligible_reviewers(queue=queue))
        loads = {r.pk: r.load for r in reviewers}
        while assigned < limit:
            free = [r for r in reviewers if loads[r.pk] < r.max_open_cases]
            if not free:
                break
            with transaction.atomic():
                case = (
                    ReviewCase.objects.filter(
                        queue=queue, state__in=TAKEABLE_STATES, assignee__isnull=True
                    )
                    .select_related("queue")
                    .order_by("sla_due_at", "priority", "id")
                    .select_for_update(skip_locked=_skip_locked(), of=("self",))
                    .first()
                )
                if case is None:
                    break
                choices = sorted(
                    (r for r in free if _may_take(r, case)), key=lambda r: (loads[r.pk], r.pk)
                )
                if not choices:
                    break
                user = choices[0]
                try:
                    with transaction.atomic():
                        _take(case=case, user=user, actor=None)
                except DomainError:
                    break
                loads[user.pk] += 1
                assigned += 1
    return assigned


@transaction.atomic
def case_reassign(*, actor: Any, case_id: int, assignee_id: int, reason: str = "") -> ReviewCase:
    """A senior reviewer hands a case to another eligible reviewer (active, available, senior
    where the case needs one, never the maker for its second approval). One "case.reassigned"
    event."""
    from .services import _lock_case, _save

    case = _lock_case(actor=actor, case_id=case_id)
    if not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("Only senior reviewers reassign cases.")
    if case.state not in TAKEABLE_STATES:
        raise Conflict(
            f"Case {case.pk} is {case.get_state_display().lower()}; it cannot be reassigned.",
            code="invalid_state",
            details={"state": case.state},
        )
    target = (
        get_user_model().objects.filter(pk=assignee_id, is_active=True, is_available=True).first()
    )
    if target is None or not _may_take(target, case):
        raise InvalidInput(
            "Choose an available reviewer who may work this case.",
            fields={"assignee": ["Not an eligible reviewer for this case."]},
        )
    if case.assignee_id == target.pk:
        raise Conflict(f"Case {case.pk} is already held by that reviewer.", code="no_change")
    before = _snapshot(case)
    if case.state == CaseState.SUBMITTED:
        case.claim(target)
    else:
        case.assignee = target
    case.assigned_at = timezone.now()
    _save(case)
    audit_record(
        action="case.reassigned",
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after=_snapshot(case),
        text=reason,
        policy_version=case.policy_version.label if case.policy_version is not None else "",
    )
    return case


@transaction.atomic
def reviewer_set_availability(*, actor: Any, is_available: bool) -> Any:
    """Turns a reviewer's availability on or off (auto-assignment and RFI hand-backs skip an
    unavailable reviewer). Audited; setting the current value writes nothing."""
    if not has_role(actor, *REVIEWING_ROLES):
        raise NotAllowed("Only reviewers set their availability.")
    user = get_user_model().objects.select_for_update().get(pk=actor.pk)
    if user.is_available == is_available:
        return user
    user.is_available = is_available
    user.save(update_fields=["is_available"])
    actor.is_available = is_available
    audit_record(
        action="reviewer.availability_changed",
        actor=actor,
        obj=user,
        before={"is_available": not is_available},
        after={"is_available": is_available},
    )
    return user


@transaction.atomic
def case_sla_escalate(*, case_id: int, now: datetime | None = None) -> bool:
    """Flags a case whose SLA passed (sla_breached_at) and moves it to its queue's escalation
    queue (escalated_at, a new SLA there). One "case.sla_escalated" event; running it again
    changes nothing. Returns whether anything changed."""
    now = now or timezone.now()
    case = (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("queue__escalation_queue", "policy_version")
        .filter(pk=case_id)
        .first()
    )
    if (
        case is None
        or case.state not in REVIEW_QUEUE_STATES
        or case.sla_breached_at is not None
        or case.sla_due_at is None
        or case.sla_due_at >= now
    ):
        return False
    before = {**_snapshot(case), "sla_due_at": case.sla_due_at}
    case.sla_breached_at = now
    target = case.queue.escalation_queue if case.queue is not None else None
    if target is not None and target.is_active and target.pk != case.queue_id:
        case.queue = target
        case.escalated_at = now
        case.sla_due_at = now + timedelta(hours=target.sla_hours)
    case.save(
        update_fields=["sla_breached_at", "queue", "escalated_at", "sla_due_at", "updated_at"]
    )
    _audit(
        case,
        None,
        "case.sla_escalated",
        before,
        sla_breached_at=now,
        sla_due_at=case.sla_due_at,
        escalated=case.escalated_at is not None,
    )
    return True


def cases_flag_sla_breaches(*, now: datetime | None = None, limit: int = SLA_BATCH) -> int:
    """Escalates every open case past its SLA not yet flagged; each in its own transaction."""
    now = now or timezone.now()
    ids = list(
        ReviewCase.objects.filter(
            state__in=REVIEW_QUEUE_STATES, sla_due_at__lt=now, sla_breached_at__isnull=True
        )
        .order_by("sla_due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(case_sla_escalate(case_id=pk, now=now) for pk in ids)


# --------------------------------------------------------------------------- tasks
# Kept beside their services; registered with Celery when cases.services imports this module.


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def flag_sla_breaches_task() -> int:
    cases_reroute_stages()
    return cases_flag_sla_breaches()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def auto_assign_cases_task() -> int:
    return cases_auto_assign()
