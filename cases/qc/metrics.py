"""QC metrics: reviewer accuracy and error categories per ISO week, and what a sample proves.

A finding withdrawn by an upheld dispute is not an error: it counts as an agreement.
Weeks are those of the decision under review (the reviewer's work in that week), Monday
00:00 UTC. Every figure comes from a fixed number of aggregate queries, whatever the data.

What a sample proves: with e errors in n independent reviews, the error rate is below the
one-sided Clopper-Pearson bound p* at confidence c, where P(X ≤ e | n, p*) = 1 − c. With no
error this is p* = 1 − (1 − c)^(1/n), and proving p* ≤ p takes n = ln(1 − c) / ln(1 − p)
clean reviews (59 for 95% and 5%).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from ..models import (
    QcDispute,
    QcDisputeStatus,
    QcErrorCategory,
    QcOutcome,
    QcReview,
    QcReviewStatus,
    QcSeverity,
)
from .sampling import iso_week, iso_week_bounds

DEFAULT_WEEKS = 12
MAX_SAMPLE = 10_000_000


def clean_sample_size(confidence: float, tolerable: float) -> int:
    """Reviews without an error needed to show the error rate is below `tolerable` at
    `confidence`: ceil(ln(1 − c) / ln(1 − p))."""
    # round() first: 58.40… must stay 59, but float noise must not turn an exact 10 into 11.
    return math.ceil(round(math.log(1 - confidence) / math.log(1 - tolerable), 9))


def _log_binom_cdf(errors: int, n: int, p: float) -> float:
    """log P(X ≤ errors) for X ~ Binomial(n, p), in log space (n may be large)."""
    if p <= 0:
        return 0.0
    if p >= 1:
        return 0.0 if errors >= n else -math.inf
    terms = [
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
        for k in range(errors + 1)
    ]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def error_rate_upper_bound(errors: int, n: int, confidence: float) -> float:
    """The one-sided upper confidence bound of the error rate after `errors` in `n`."""
    if n <= 0 or errors >= n:
        return 1.0
    if errors == 0:
        return 1 - (1 - confidence) ** (1 / n)
    target = math.log(1 - confidence)
    low, high = errors / n, 1.0
    for _ in range(100):  # the CDF falls as p rises: bisect for CDF = 1 − c
        mid = (low + high) / 2
        if _log_binom_cdf(errors, n, mid) > target:
            low = mid
        else:
            high = mid
    return high


def sample_size_needed(errors: int, confidence: float, tolerable: float) -> int:
    """The smallest n for which `errors` errors still prove an error rate below
    `tolerable` at `confidence` (that is, if every further review is clean)."""
    if errors == 0:
        return clean_sample_size(confidence, tolerable)
    low, high = max(errors + 1, clean_sample_size(confidence, tolerable)), 2 * (errors + 1)
    while error_rate_upper_bound(errors, high, confidence) >= tolerable:
        high *= 2
        if high > MAX_SAMPLE:
            return MAX_SAMPLE
    while low < high:
        mid = (low + high) // 2
        if error_rate_upper_bound(errors, mid, confidence) < tolerable:
            high = mid
        else:
            low = mid + 1
    return low


def proof(reviewed: int, errors: int) -> dict[str, Any]:
    """What `reviewed` QC reviews with `errors` errors prove, at the configured confidence
    and tolerable error rate."""
    confidence = settings.KYC_QC_CONFIDENCE
    tolerable = settings.KYC_QC_TOLERABLE_ERROR_RATE
    bound = error_rate_upper_bound(errors, reviewed, confidence)
    needed = sample_size_needed(errors, confidence, tolerable)
    return {
        "reviewed": reviewed,
        "errors": errors,
        "confidence_pct": round(confidence * 100, 2),
        "tolerable_pct": round(tolerable * 100, 2),
        "upper_bound_pct": round(bound * 100, 2) if reviewed else None,
        "proves_tolerable": reviewed > 0 and bound < tolerable,
        "needed": needed,
        "more_needed": max(0, needed - reviewed),
    }


def _accuracy(reviewed: int, errors: int) -> float | None:
    return round(100 * (reviewed - errors) / reviewed, 1) if reviewed else None


def _week_key(value: datetime) -> datetime:
    """The Monday 00:00 UTC of a TruncWeek value (aware on PostgreSQL and SQLite alike)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return iso_week_bounds(*iso_week(value))[0]


def period(weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> list[datetime]:
    """The Mondays of the last `weeks` ISO weeks, the current one last."""
    current = iso_week_bounds(*iso_week(now or timezone.now()))[0]
    return [current - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def qc_metrics(*, weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard's numbers over the last `weeks` ISO weeks (4 queries)."""
    mondays = period(weeks, now)
    start, end = mondays[0], mondays[-1] + timedelta(weeks=1)
    in_period = Q(case_decided_at__gte=start, case_decided_at__lt=end)
    withdrawn = Q(outcome=QcOutcome.DISAGREE, dispute__status=QcDisputeStatus.UPHELD)
    rows = (
        QcReview.objects.filter(in_period, status=QcReviewStatus.COMPLETED)
        .annotate(week=TruncWeek("case_decided_at"))
        .values("week", "maker_id", "maker__username")
        .annotate(
            reviewed=Count("id"),
            findings=Count("id", filter=Q(outcome=QcOutcome.DISAGREE)),
            withdrawn=Count("id", filter=withdrawn),
            critical=Count(
                "id",
                filter=Q(outcome=QcOutcome.DISAGREE, severity=QcSeverity.CRITICAL)
                & ~Q(dispute__status=QcDisputeStatus.UPHELD),
            ),
            reopened=Count("id", filter=Q(case_reopened=True)),
        )
        .order_by()
    )
    category_rows = (
        QcReview.objects.filter(
            in_period, status=QcReviewStatus.COMPLETED, outcome=QcOutcome.DISAGREE
        )
        .exclude(dispute__status=QcDisputeStatus.UPHELD)
        .annotate(week=TruncWeek("case_decided_at"))
        .values("week", "error_category")
        .annotate(n=Count("id"))
        .order_by()
    )
    dispute_counts = dict(
        QcDispute.objects.filter(
            review__case_decided_at__gte=start, review__case_decided_at__lt=end
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    pending = QcReview.objects.filter(status=QcReviewStatus.PENDING).count()

    per_week: list[dict[str, Any]] = []
    by_reviewer: dict[int | None, dict[str, Any]] = {}
    for row in rows:
        errors = row["findings"] - row["withdrawn"]
        entry = {
            "week": _week_key(row["week"]),
            "reviewer_id": row["maker_id"],
            "reviewer": row["maker__username"] or "—",
            "reviewed": row["reviewed"],
            "agree": row["reviewed"] - row["findings"],
            "findings": row["findings"],
            "withdrawn": row["withdrawn"],
            "errors": errors,
            "accuracy_pct": _accuracy(row["reviewed"], errors),
            "critical": row["critical"],
            "reopened": row["reopened"],
        }
        per_week.append(entry)
        total = by_reviewer.setdefault(
            row["maker_id"],
            {
                "reviewer_id": row["maker_id"],
                "reviewer": entry["reviewer"],
                "reviewed": 0,
                "findings": 0,
                "withdrawn": 0,
                "errors": 0,
                "critical": 0,
                "reopened": 0,
            },
        )
        for key in ("reviewed", "findings", "withdrawn", "errors", "critical", "reopened"):
            total[key] += entry[key]
    per_week.sort(key=lambda e: (e["week"], e["reviewer"]))
    reviewers = sorted(by_reviewer.values(), key=lambda r: r["reviewer"])
    for r in reviewers:
        r["accuracy_pct"] = _accuracy(r["reviewed"], r["errors"])
        r["proof"] = proof(r["reviewed"], r["errors"])

    overall = {
        key: sum(r[key] for r in reviewers)
        for key in ("reviewed", "findings", "withdrawn", "errors", "critical", "reopened")
    }
    overall["accuracy_pct"] = _accuracy(overall["reviewed"], overall["errors"])
    overall["proof"] = proof(overall["reviewed"], overall["errors"])

    categories: dict[datetime, dict[str, int]] = defaultdict(dict)
    for cat_row in category_rows:
        categories[_week_key(cat_row["week"])][cat_row["error_category"]] = cat_row["n"]
    category_totals = {
        c: sum(week.get(c, 0) for week in categories.values()) for c in QcErrorCategory.values
    }
    confidence = settings.KYC_QC_CONFIDENCE
    tolerable = settings.KYC_QC_TOLERABLE_ERROR_RATE
    return {
        "weeks": mondays,
        "period_start": start,
        "period_end": end,
        "confidence_pct": round(confidence * 100, 2),
        "tolerable_pct": round(tolerable * 100, 2),
        "clean_sample_size": clean_sample_size(confidence, tolerable),
        "pending": pending,
        "per_week": per_week,
        "reviewers": reviewers,
        "overall": overall,
        "categories_per_week": [
            {"week": m, "counts": {c: categories[m].get(c, 0) for c in QcErrorCategory.values}}
            for m in mondays
        ],
        "category_totals": category_totals,
        "disputes": {
            "open": dispute_counts.get(QcDisputeStatus.OPEN, 0),
            "upheld": dispute_counts.get(QcDisputeStatus.UPHELD, 0),
            "dismissed": dispute_counts.get(QcDisputeStatus.DISMISSED, 0),
        },
        "reopen": {
            "completed": overall["reviewed"],
            "reopened": overall["reopened"],
            "rate_pct": round(100 * overall["reopened"] / overall["reviewed"], 1)
            if overall["reviewed"]
            else None,
        },
    }


CSV_HEADER = [
    "week_start",
    "iso_week",
    "reviewer",
    "reviewed",
    "agree",
    "findings",
    "withdrawn_by_dispute",
    "errors",
    "accuracy_pct",
    "critical",
    "reopened",
]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(metrics: dict[str, Any]) -> list[list[str]]:
    out = [CSV_HEADER]
    for e in metrics["per_week"]:
        year, week = iso_week(e["week"])
        out.append(
            [
                _cell(v)
                for v in (
                    e["week"].date().isoformat(),
                    f"{year}-W{week:02d}",
                    e["reviewer"],
                    e["reviewed"],
                    e["agree"],
                    e["findings"],
                    e["withdrawn"],
                    e["errors"],
                    "" if e["accuracy_pct"] is None else f"{e['accuracy_pct']:.1f}",
                    e["critical"],
                    e["reopened"],
                )
            ]
        )
    return out
