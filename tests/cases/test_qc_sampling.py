"""QC sampling: reproducible draws, rates per decision and risk tier, the reviewer minimum."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import QcDraw, QcDrawTrigger, QcReview, QcSamplingRule
from cases.qc import sampling
from cases.qc.sampling import draw_value, qc_draw, qc_draw_scheduled, window_from
from config.errors import InvalidInput, NotAllowed
from tests.cases.qc_helpers import decided_case, rule
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # ISO week 2025-W10
WINDOW = {"window_start": MONDAY - timedelta(hours=9), "window_end": MONDAY + timedelta(days=7)}


def _cases(makers: list[Any], n: int, **kwargs: Any) -> list[Any]:
    return [
        decided_case(
            maker=makers[i % len(makers)], decided_at=MONDAY + timedelta(minutes=i), **kwargs
        )
        for i in range(n)
    ]


def test_the_draw_value_is_the_documented_hash() -> None:
    at = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    expected = int(hashlib.sha256(f"7:42:{at.isoformat()}".encode()).hexdigest()[:16], 16) / 2**64
    assert draw_value(7, 42, at) == expected
    assert 0 <= expected < 1


def test_the_same_seed_and_window_twice_give_the_same_sample_and_no_new_reviews(
    reviewer: Any, other_reviewer: Any, qc_lead: Any
) -> None:
    rule("approvals", decision="approved", rate="0.3", minimum=2)
    _cases([reviewer, other_reviewer], 30)
    first = qc_draw(actor=qc_lead, seed=7, **WINDOW)
    second = qc_draw(actor=qc_lead, seed=7, **WINDOW)
    assert first.sampled_case_ids == second.sampled_case_ids
    assert first.sampled_case_ids
    assert first.new_review_count == len(first.sampled_case_ids)
    assert second.new_review_count == 0
    assert QcReview.objects.count() == len(first.sampled_case_ids)
    assert (first.seed, second.seed) == (7, 7)
    assert first.population_size == 30


def test_a_different_seed_draws_a_different_sample(reviewer: Any, qc_lead: Any) -> None:
    rule("half", rate="0.5")
    _cases([reviewer], 40)
    a = qc_draw(actor=qc_lead, seed=1, **WINDOW)
    b = qc_draw(actor=qc_lead, seed=2, **WINDOW)
    assert a.sampled_case_ids != b.sampled_case_ids
    assert 8 <= len(a.sampled_case_ids) <= 32


def test_the_sample_does_not_depend_on_later_decisions(reviewer: Any, qc_lead: Any) -> None:
    rule("half", rate="0.5")
    early = _cases([reviewer], 20)
    before = set(
        sampling.draw_sample(
            seed=11, decisions=sampling.population(**_bounds()), rules=sampling.active_rules()
        ).picks
    )
    _cases([reviewer], 20)
    after = set(
        sampling.draw_sample(
            seed=11, decisions=sampling.population(**_bounds()), rules=sampling.active_rules()
        ).picks
    )
    early_ids = {c.pk for c in early}
    assert after & early_ids == before


def _bounds() -> dict[str, datetime]:
    return {"window_start": WINDOW["window_start"], "window_end": WINDOW["window_end"]}


def test_a_full_rate_rule_for_high_risk_samples_every_high_risk_approval(
    reviewer: Any, qc_lead: Any
) -> None:
    rule("approvals", decision="approved", rate="0")
    rule("high-risk-approvals", decision="approved", risk_tier="high", rate="1")
    high = _cases([reviewer], 6, risk_tier="high")
    _cases([reviewer], 6, risk_tier="low")
    high_rejected = _cases([reviewer], 3, risk_tier="high", state="rejected")
    draw = qc_draw(actor=qc_lead, seed=5, **WINDOW)
    assert draw.sampled_case_ids == sorted(c.pk for c in high)
    assert not set(draw.sampled_case_ids) & {c.pk for c in high_rejected}
    assert set(QcReview.objects.values_list("sampled_by_rule", flat=True)) == {
        "rate:high-risk-approvals"
    }


def test_the_highest_matching_rate_wins(reviewer: Any, qc_lead: Any) -> None:
    rule("any", rate="0")
    rule("prohibited", risk_tier="prohibited", rate="1")
    cases = _cases([reviewer], 4, risk_tier="prohibited", state="rejected")
    draw = qc_draw(actor=qc_lead, seed=5, **WINDOW)
    assert draw.sampled_case_ids == [c.pk for c in cases]


def test_the_reviewer_minimum_tops_up_a_reviewer_with_no_rate_sampled_decision(
    reviewer: Any, other_reviewer: Any, qc_lead: Any
) -> None:
    rule("approvals", decision="approved", rate="0", minimum=2)
    mine = _cases([reviewer], 5)
    theirs = _cases([other_reviewer], 1)
    draw = qc_draw(actor=qc_lead, seed=3, **WINDOW)
    sampled = set(draw.sampled_case_ids)
    assert len(sampled & {c.pk for c in mine}) == 2
    assert sampled & {c.pk for c in theirs} == {theirs[0].pk}  # all they had
    assert set(QcReview.objects.values_list("sampled_by_rule", flat=True)) == {"minimum:approvals"}
    # Repeating it tops up nobody again.
    again = qc_draw(actor=qc_lead, seed=3, **WINDOW)
    assert again.sampled_case_ids == draw.sampled_case_ids
    assert again.new_review_count == 0


def test_reviews_from_earlier_draws_count_towards_the_minimum(reviewer: Any, qc_lead: Any) -> None:
    rule("approvals", decision="approved", rate="0", minimum=2)
    _cases([reviewer], 10)
    qc_draw(actor=qc_lead, seed=1, **WINDOW)
    second = qc_draw(actor=qc_lead, seed=2, **WINDOW)
    assert second.new_review_count == 0
    assert QcReview.objects.count() == 2


def test_a_decision_without_a_maker_or_not_final_is_not_in_the_population(
    reviewer: Any, qc_lead: Any
) -> None:
    rule("all", rate="1")
    decided_case(maker=None, decided_at=MONDAY)
    decided_case(maker=reviewer, decided_at=MONDAY, state="withdrawn")
    decided_case(maker=reviewer, decided_at=MONDAY - timedelta(days=30))
    inside = decided_case(maker=reviewer, decided_at=MONDAY)
    draw = qc_draw(actor=qc_lead, seed=1, **WINDOW)
    assert draw.population_size == 1
    assert draw.sampled_case_ids == [inside.pk]


def test_a_draw_records_its_seed_rules_and_one_audit_event(reviewer: Any, qc_lead: Any) -> None:
    rule("approvals", decision="approved", rate="1")
    case = decided_case(maker=reviewer, decided_at=MONDAY)
    draw = qc_draw(actor=qc_lead, **WINDOW)
    assert 0 <= draw.seed < 2**63
    assert draw.drawn_by == qc_lead
    assert draw.trigger == QcDrawTrigger.ON_DEMAND
    assert draw.rules == [
        {
            "code": "approvals",
            "decision": "approved",
            "risk_tier": "",
            "rate": "1.0000",
            "min_per_reviewer_per_week": 0,
        }
    ]
    events = list(AuditEvent.objects.filter(action="qc.drawn"))
    assert len(events) == 1
    assert events[0].after["seed"] == str(draw.seed)
    assert events[0].after["sampled_case_ids"] == [case.pk]
    assert events[0].object_id == str(draw.pk)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SELLER])
def test_only_qc_leads_and_compliance_admins_draw(role: str) -> None:
    with pytest.raises(NotAllowed):
        qc_draw(actor=make_user(role), seed=1, **WINDOW)
    assert not QcDraw.objects.exists()
    assert not AuditEvent.objects.filter(action="qc.drawn").exists()


def test_a_compliance_admin_and_the_system_draw(admin_user: Any) -> None:
    assert qc_draw(actor=admin_user, seed=1, **WINDOW).drawn_by == admin_user
    assert qc_draw(actor=None, seed=1, **WINDOW).drawn_by is None


def test_a_bad_seed_or_window_is_refused(qc_lead: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        qc_draw(actor=qc_lead, seed=2**63, **WINDOW)
    assert "seed" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        qc_draw(
            actor=qc_lead,
            seed=1,
            window_start=WINDOW["window_end"],
            window_end=WINDOW["window_start"],
        )
    assert "until" in exc.value.fields


def test_the_scheduled_draw_takes_the_previous_utc_day_once(reviewer: Any) -> None:
    rule("all", rate="1")
    now = datetime(2025, 3, 5, 1, 0, tzinfo=UTC)
    yesterday = decided_case(maker=reviewer, decided_at=datetime(2025, 3, 4, 12, tzinfo=UTC))
    decided_case(maker=reviewer, decided_at=datetime(2025, 3, 5, 0, 30, tzinfo=UTC))
    draw = qc_draw_scheduled(now=now)
    assert (draw.window_start, draw.window_end) == (
        datetime(2025, 3, 4, tzinfo=UTC),
        datetime(2025, 3, 5, tzinfo=UTC),
    )
    assert draw.trigger == QcDrawTrigger.SCHEDULED and draw.drawn_by is None
    assert draw.sampled_case_ids == [yesterday.pk]
    # A retried task returns the same draw and queues nothing new.
    assert qc_draw_scheduled(now=now).pk == draw.pk
    assert QcDraw.objects.count() == 1
    assert QcReview.objects.count() == 1


def test_the_beat_task_runs_the_scheduled_draw(reviewer: Any) -> None:
    from cases.tasks import qc_draw_task

    rule("all", rate="1")
    decided_case(maker=reviewer, decided_at=timezone.now() - timedelta(days=1))
    assert qc_draw_task.apply().get() == 1
    assert qc_draw_task.apply().get() == 1  # the same draw again: its count, nothing new
    assert QcReview.objects.count() == 1


def test_window_bounds_from_dates_and_times() -> None:
    now = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
    assert window_from(now=now) == (
        datetime(2025, 2, 27, tzinfo=UTC),
        datetime(2025, 3, 6, tzinfo=UTC),
    )
    assert window_from("2025-03-01", "2025-03-02", now=now) == (
        datetime(2025, 3, 1, tzinfo=UTC),
        datetime(2025, 3, 3, tzinfo=UTC),
    )
    assert window_from("2025-03-01T06:00:00Z", "2025-03-01T18:00:00+00:00", now=now) == (
        datetime(2025, 3, 1, 6, tzinfo=UTC),
        datetime(2025, 3, 1, 18, tzinfo=UTC),
    )
    with pytest.raises(InvalidInput):
        window_from("yesterday", None, now=now)


def test_the_command_twice_with_a_seed_prints_the_same_sample(
    reviewer: Any, other_reviewer: Any
) -> None:
    QcSamplingRule.objects.all().delete()
    rule("approvals", decision="approved", rate="0.5", minimum=1)
    now = timezone.now()
    for i in range(12):
        decided_case(
            maker=[reviewer, other_reviewer][i % 2], decided_at=now - timedelta(minutes=i + 1)
        )

    def run() -> dict[str, str]:
        out = StringIO()
        call_command("qc_draw", "--seed", "7", stdout=out)
        lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines()[1:])
        return lines

    first, second = run(), run()
    assert first["seed"] == second["seed"] == "7"
    assert first["window"] == second["window"]
    assert first_key(first) == first_key(second)
    assert first[first_key(first)] == second[first_key(second)]
    assert first["new reviews"] != "0"
    assert second["new reviews"] == "0"
    assert first["population"] == "12 decisions"


def first_key(lines: dict[str, str]) -> str:
    return next(k for k in lines if k.startswith("sampled"))
