"""QC sampling: which final decisions a QC lead checks, drawn reproducibly.

The sampling unit is a case's final decision (approved or rejected, `decided_at` inside the
window, a maker recorded). Each decision is drawn on its own, from a hash of the seed and
the decision, so the same seed and window give the same sample whatever the order of the
rows, and decisions added later never change whether an earlier one was drawn:

    u = int(sha256(f"{seed}:{case_id}:{decided_at.isoformat()}")[:16], 16) / 2**64
    sampled  ⇔  u < the highest rate among the active rules matching decision and risk tier

Then each maker gets at least the rules' `min_per_reviewer_per_week` QC reviews per ISO
week: decisions already reviewed (by any draw) count, and when short, more of the maker's
decisions in that week are picked in the order of a second hash (salted "minimum").
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.services import audit_record
from config.errors import InvalidInput, NotAllowed

from ..models import (
    CaseState,
    QcDraw,
    QcDrawTrigger,
    QcReview,
    QcSamplingRule,
    ReviewCase,
)

SEED_MAX = 2**63 - 1  # the draw's seed is stored in a signed 64-bit column
DEFAULT_WINDOW_DAYS = 7
DRAWING_ROLES = (Role.QC_LEAD, Role.COMPLIANCE_ADMIN)
DecisionKey = tuple[int, datetime]  # (case id, decided_at): one decision of one case


def draw_value(seed: int, case_id: int, decided_at: datetime, salt: str = "") -> float:
    """A uniform number in [0, 1) fixed by the seed and the decision alone."""
    prefix = f"{seed}:{salt}:" if salt else f"{seed}:"
    digest = hashlib.sha256(f"{prefix}{case_id}:{decided_at.isoformat()}".encode()).hexdigest()
    return int(digest[:16], 16) / 2**64


def iso_week(moment: datetime) -> tuple[int, int]:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return year, week


def iso_week_bounds(year: int, week: int) -> tuple[datetime, datetime]:
    monday = date.fromisocalendar(year, week, 1)
    start = datetime.combine(monday, time.min, tzinfo=UTC)
    return start, start + timedelta(days=7)


def start_of_utc_day(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).date()
    return datetime.combine(day, time.min, tzinfo=UTC)


def default_on_demand_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last seven calendar days (UTC), today included. Whole days, so two draws run one
    after the other on the same day cover the same window and give the same sample."""
    end = start_of_utc_day(now or timezone.now()) + timedelta(days=1)
    return end - timedelta(days=DEFAULT_WINDOW_DAYS), end


def scheduled_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The previous UTC day."""
    end = start_of_utc_day(now or timezone.now())
    return end - timedelta(days=1), end


@dataclass(frozen=True)
class Rule:
    code: str
    decision: str
    risk_tier: str
    rate: float
    minimum: int

    def matches(self, decision: str, risk_tier: str) -> bool:
        return self.decision in ("", decision) and self.risk_tier in ("", risk_tier)

    def snapshot(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "decision": self.decision,
            "risk_tier": self.risk_tier,
            "rate": f"{self.rate:.4f}",
            "min_per_reviewer_per_week": self.minimum,
        }


@dataclass(frozen=True)
class Decision:
    case_id: int
    decision: str
    risk_tier: str
    decided_at: datetime
    maker_id: int
    checker_id: int | None

    @property
    def key(self) -> DecisionKey:
        return (self.case_id, self.decided_at)


@dataclass
class Sample:
    """The result of a draw before anything is written."""

    population: list[Decision]
    picks: dict[int, str] = field(default_factory=dict)  # case id → "rate:x" / "minimum:x"

    @property
    def case_ids(self) -> list[int]:
        return sorted(self.picks)


def active_rules() -> list[Rule]:
    return [
        Rule(r.code, r.decision, r.risk_tier, float(r.rate), r.min_per_reviewer_per_week)
        for r in QcSamplingRule.objects.filter(is_active=True).order_by("code")
    ]


def population(window_start: datetime, window_end: datetime) -> list[Decision]:
    """Final decisions with a maker whose decision time is in [start, end), by case id."""
    rows = (
        ReviewCase.objects.filter(
            state__in=[CaseState.APPROVED, CaseState.REJECTED],
            decided_at__gte=window_start,
            decided_at__lt=window_end,
            maker__isnull=False,
        )
        .order_by("id")
        .values_list("id", "state", "risk_tier", "decided_at", "maker_id", "checker_id")
    )
    return [Decision(*row) for row in rows]


def _best(rules: Iterable[Rule], attribute: str) -> Rule | None:
    """The matching rule with the highest rate (or minimum); the first code on a tie."""
    best: Rule | None = None
    for rule in rules:
        if getattr(rule, attribute) > 0 and (
            best is None or getattr(rule, attribute) > getattr(best, attribute)
        ):
            best = rule
    return best


def draw_sample(
    *,
    seed: int,
    decisions: list[Decision],
    rules: list[Rule],
    reviewed: Iterable[tuple[int, datetime, int]] = (),
) -> Sample:
    """Pure: the sample for `seed` over `decisions` under `rules`, given the QC reviews that
    already exist as (case id, decided_at, maker id) for the weeks the decisions fall in."""
    sample = Sample(population=decisions)
    matching = {
        d.case_id: [r for r in rules if r.matches(d.decision, d.risk_tier)] for d in decisions
    }
    for d in decisions:
        rule = _best(matching[d.case_id], "rate")
        if rule is not None and draw_value(seed, d.case_id, d.decided_at) < rule.rate:
            sample.picks[d.case_id] = f"rate:{rule.code}"

    # The reviewer minimum, per maker and ISO week.
    existing: dict[tuple[int, tuple[int, int]], set[DecisionKey]] = defaultdict(set)
    for case_id, decided_at, maker_id in reviewed:
        existing[(maker_id, iso_week(decided_at))].add((case_id, decided_at))
    groups: dict[tuple[int, tuple[int, int]], list[Decision]] = defaultdict(list)
    for d in decisions:
        groups[(d.maker_id, iso_week(d.decided_at))].append(d)
    for group_key, members in sorted(groups.items()):
        minimum_rule = {d.case_id: _best(matching[d.case_id], "minimum") for d in members}
        needed = max((r.minimum for r in minimum_rule.values() if r is not None), default=0)
        if not needed:
            continue
        candidates = [
            d for d in members if d.case_id not in sample.picks and minimum_rule[d.case_id]
        ]
        candidate_keys = {d.key for d in candidates}
        drawn_keys = {d.key for d in members if d.case_id in sample.picks}
        # Reviews that exist outside this draw's reach count towards the minimum now; those
        # of candidates are met in the walk below (first, as they cost nothing), which keeps
        # a repeated draw from counting its own earlier picks twice.
        covered = len(drawn_keys | (existing[group_key] - candidate_keys))
        candidates.sort(
            key=lambda d: (
                d.key not in existing[group_key],
                draw_value(seed, d.case_id, d.decided_at, salt="minimum"),
                d.case_id,
            )
        )
        for d in candidates:
            if covered >= needed:
                break
            rule = minimum_rule[d.case_id]
            assert rule is not None
            sample.picks[d.case_id] = f"minimum:{rule.code}"
            covered += 1
    return sample


def _reviewed_in_weeks(decisions: list[Decision]) -> list[tuple[int, datetime, int]]:
    if not decisions:
        return []
    weeks = {iso_week(d.decided_at) for d in decisions}
    start = min(iso_week_bounds(*w)[0] for w in weeks)
    end = max(iso_week_bounds(*w)[1] for w in weeks)
    makers = {d.maker_id for d in decisions}
    return list(
        QcReview.objects.filter(
            maker_id__in=makers, case_decided_at__gte=start, case_decided_at__lt=end
        ).values_list("case_id", "case_decided_at", "maker_id")
    )


def parse_seed(value: Any) -> int:
    try:
        seed = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(
            "The seed must be a whole number.", fields={"seed": ["Enter a whole number."]}
        ) from None
    if not 0 <= seed <= SEED_MAX:
        raise InvalidInput(
            "The seed is out of range.", fields={"seed": [f"Between 0 and {SEED_MAX}."]}
        )
    return seed


@transaction.atomic
def qc_draw(
    *,
    actor: Any,
    seed: int | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    trigger: str = QcDrawTrigger.ON_DEMAND,
) -> QcDraw:
    """Draws a QC sample over [window_start, window_end) and queues a QC review per drawn
    decision.

    Guarantees: the seed (random when not given) and a snapshot of the rules are recorded,
    so the draw can be re-run; re-running it never duplicates a queue item (one review per
    decision, `new_review_count` counts only the new ones); one `qc.drawn` audit event.
    Only QC leads, compliance admins and the system (actor None) draw."""
    if actor is not None and not has_role(actor, *DRAWING_ROLES):
        raise NotAllowed("Only QC leads and compliance admins draw QC samples.")
    if trigger not in QcDrawTrigger.values:
        raise InvalidInput("Unknown trigger.", fields={"trigger": ["Unknown."]})
    seed = secrets.randbits(63) if seed is None else parse_seed(seed)
    if window_start is None or window_end is None:
        default = (
            scheduled_window() if trigger == QcDrawTrigger.SCHEDULED else default_on_demand_window()
        )
        window_start = window_start or default[0]
        window_end = window_end or default[1]
    if timezone.is_naive(window_start) or timezone.is_naive(window_end):
        raise InvalidInput("The window needs time zones.", fields={"window": ["Use UTC times."]})
    if window_start >= window_end:
        raise InvalidInput(
            "The window must end after it starts.",
            fields={"until": ["Must be after the start of the window."]},
        )
    rules = active_rules()
    decisions = population(window_start, window_end)
    sample = draw_sample(
        seed=seed, decisions=decisions, rules=rules, reviewed=_reviewed_in_weeks(decisions)
    )
    drawn_by = actor if getattr(actor, "is_authenticated", False) else None
    draw = QcDraw.objects.create(
        seed=seed,
        window_start=window_start,
        window_end=window_end,
        trigger=trigger,
        drawn_by=drawn_by,
        rules=[r.snapshot() for r in rules],
        population_size=len(decisions),
        sampled_case_ids=sample.case_ids,
    )
    by_id = {d.case_id: d for d in decisions}
    # ignore_conflicts: a decision already queued (by this seed before, or by another draw)
    # keeps its review; the unique constraint, not a prior read, decides under concurrency.
    QcReview.objects.bulk_create(
        [
            QcReview(
                case_id=case_id,
                draw=draw,
                sampled_by_rule=sample.picks[case_id],
                case_decision=by_id[case_id].decision,
                case_decided_at=by_id[case_id].decided_at,
                risk_tier=by_id[case_id].risk_tier,
                maker_id=by_id[case_id].maker_id,
                checker_id=by_id[case_id].checker_id,
            )
            for case_id in sample.case_ids
        ],
        ignore_conflicts=True,
    )
    draw.new_review_count = QcReview.objects.filter(draw=draw).count()
    draw.save(update_fields=["new_review_count"])
    audit_record(
        action="qc.drawn",
        actor=actor,
        obj=draw,
        after={
            "seed": str(seed),
            "trigger": trigger,
            "window_start": window_start.isoformat(),
            "window_end": window_end.isoformat(),
            "population": len(decisions),
            "sampled_case_ids": sample.case_ids,
            "sampled_by": {str(k): v for k, v in sorted(sample.picks.items())},
            "new_reviews": draw.new_review_count,
            "rules": draw.rules,
        },
    )
    return draw


def qc_draw_scheduled(now: datetime | None = None) -> QcDraw:
    """The daily draw over the previous UTC day, by the system. Idempotent: when that day
    was already drawn by the schedule (a retried or duplicated task), that draw is returned
    and nothing new is queued."""
    start, end = scheduled_window(now)
    with transaction.atomic():
        # Serialises concurrent runs of the task on the rules table's rows (PostgreSQL).
        list(QcSamplingRule.objects.select_for_update().values_list("pk", flat=True))
        existing = QcDraw.objects.filter(
            trigger=QcDrawTrigger.SCHEDULED, window_start=start, window_end=end
        ).first()
        if existing is not None:
            return existing
        return qc_draw(
            actor=None, window_start=start, window_end=end, trigger=QcDrawTrigger.SCHEDULED
        )


def _parse_moment(value: Any, name: str) -> tuple[datetime, bool]:
    """(the moment, whether it was a bare date) from a date, a datetime or ISO text;
    naive times are UTC."""
    if isinstance(value, datetime):
        moment, bare = value, False
    elif isinstance(value, date):
        moment, bare = datetime.combine(value, time.min), True
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                moment, bare = datetime.combine(date.fromisoformat(text), time.min), True
            else:
                moment, bare = datetime.fromisoformat(text.replace("Z", "+00:00")), False
        except ValueError:
            raise InvalidInput(
                f"Cannot read {name!r} as a date or time.",
                fields={name: ["Enter a date (YYYY-MM-DD) or an ISO date and time."]},
            ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment, bare


def window_from(
    since: Any = None, until: Any = None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The draw window from optional bounds: `since` starts it (a date: at 00:00 UTC);
    `until` ends it, a date including that whole day, a date and time exclusively. Missing
    bounds default to the last seven calendar days (UTC), today included."""
    default_start, default_end = default_on_demand_window(now)
    end = default_end
    if until not in (None, ""):
        end, bare = _parse_moment(until, "until")
        if bare:
            end += timedelta(days=1)
    if since not in (None, ""):
        start, _bare = _parse_moment(since, "since")
    else:
        start = end - timedelta(days=DEFAULT_WINDOW_DAYS) if until else default_start
    if start >= end:
        raise InvalidInput(
            "The window must end after it starts.",
            fields={"until": ["Must be after the start of the window."]},
        )
    return start, end
