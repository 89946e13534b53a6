"""QC metrics: what a sample proves, accuracy with withdrawn findings, the CSV rows."""

from __future__ import annotations

import math
from typing import Any

import pytest

from accounts.roles import Role
from cases.qc.metrics import (
    clean_sample_size,
    csv_rows,
    error_rate_upper_bound,
    qc_metrics,
    sample_size_needed,
)
from cases.qc.services import qc_dispute_decide, qc_dispute_raise, qc_review_complete
from tests.cases.qc_helpers import decided_case, queued_review
from tests.factories import make_user


def test_59_clean_files_prove_an_error_rate_under_5_percent_at_95_percent() -> None:
    assert clean_sample_size(0.95, 0.05) == 59
    assert math.ceil(math.log(1 - 0.95) / math.log(1 - 0.05)) == 59
    assert error_rate_upper_bound(0, 59, 0.95) < 0.05 < error_rate_upper_bound(0, 58, 0.95)
    assert clean_sample_size(0.99, 0.01) == 459
    assert clean_sample_size(0.9, 0.1) == 22


def test_the_bound_with_errors_is_the_one_sided_clopper_pearson_bound() -> None:
    # Reference values (scipy.stats.beta.ppf(0.95, e + 1, n - e)).
    assert error_rate_upper_bound(1, 100, 0.95) == pytest.approx(0.04656, abs=1e-4)
    assert error_rate_upper_bound(5, 200, 0.95) == pytest.approx(0.05203, abs=2e-4)
    assert error_rate_upper_bound(3, 3, 0.95) == 1.0
    assert error_rate_upper_bound(0, 0, 0.95) == 1.0


def test_the_sample_needed_grows_with_each_error() -> None:
    assert sample_size_needed(0, 0.95, 0.05) == 59
    n1 = sample_size_needed(1, 0.95, 0.05)
    assert error_rate_upper_bound(1, n1, 0.95) < 0.05 <= error_rate_upper_bound(1, n1 - 1, 0.95)
    assert n1 == 93


def _complete(lead: Any, maker: Any, verdict: dict[str, Any]) -> Any:
    review = queued_review(decided_case(maker=maker))
    return qc_review_complete(actor=lead, review_id=review.pk, **verdict)


AGREE = {"outcome": "agree"}
MAJOR = {
    "outcome": "disagree",
    "error_category": "wrong_reason_code",
    "severity": "major",
    "comment": "Wrong code.",
}
CRITICAL = {**MAJOR, "error_category": "wrong_decision", "severity": "critical"}


@pytest.mark.django_db
def test_accuracy_per_reviewer_counts_upheld_disputes_as_agreements(
    reviewer: Any, other_reviewer: Any, qc_lead: Any
) -> None:
    for _ in range(3):
        _complete(qc_lead, reviewer, AGREE)
    disputed = _complete(qc_lead, reviewer, MAJOR)
    _complete(qc_lead, other_reviewer, CRITICAL)
    _complete(qc_lead, other_reviewer, AGREE)

    m = qc_metrics()
    rows = {r["reviewer"]: r for r in m["reviewers"]}
    mine = rows[reviewer.username]
    assert (mine["reviewed"], mine["findings"], mine["errors"], mine["accuracy_pct"]) == (
        4,
        1,
        1,
        75.0,
    )
    assert rows[other_reviewer.username]["accuracy_pct"] == 50.0
    assert m["overall"]["reviewed"] == 6
    assert m["reopen"] == {"completed": 6, "reopened": 1, "rate_pct": 16.7}
    assert m["clean_sample_size"] == 59
    assert mine["proof"]["upper_bound_pct"] == pytest.approx(75.14, abs=0.01)
    assert sum(w["counts"]["wrong_reason_code"] for w in m["categories_per_week"]) == 1

    qc_dispute_raise(actor=reviewer, review_id=disputed.pk, reason="The code was right.")
    assert qc_metrics()["disputes"] == {"open": 1, "upheld": 0, "dismissed": 0}
    qc_dispute_decide(
        actor=make_user(Role.QC_LEAD), dispute_id=disputed.dispute.pk, status="upheld", comment="ok"
    )
    m = qc_metrics()
    mine = {r["reviewer"]: r for r in m["reviewers"]}[reviewer.username]
    assert (mine["findings"], mine["withdrawn"], mine["errors"], mine["accuracy_pct"]) == (
        1,
        1,
        0,
        100.0,
    )
    assert mine["proof"]["upper_bound_pct"] == pytest.approx(52.71, abs=0.01)  # 1-0.05^(1/4)
    assert mine["proof"]["more_needed"] == 55
    assert m["disputes"] == {"open": 0, "upheld": 1, "dismissed": 0}
    assert m["category_totals"]["wrong_reason_code"] == 0


@pytest.mark.django_db
def test_the_csv_rows_are_one_per_reviewer_and_week(reviewer: Any, qc_lead: Any) -> None:
    reviewer.username = "=cmd|calc"
    reviewer.save()
    _complete(qc_lead, reviewer, AGREE)
    _complete(qc_lead, reviewer, MAJOR)
    rows = csv_rows(qc_metrics())
    assert rows[0][:4] == ["week_start", "iso_week", "reviewer", "reviewed"]
    assert len(rows) == 2
    assert rows[1][2] == "'=cmd|calc"  # never a formula in a spreadsheet
    assert rows[1][3:9] == ["2", "1", "1", "0", "1", "50.0"]
