"""Geometry of the QC dashboard's charts, drawn by the template as inline SVG.

No JavaScript and no style attributes (the CSP forbids both): the template writes SVG
elements with presentation attributes from the numbers computed here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import QcErrorCategory
from .sampling import iso_week

# Colour-blind-safe palette (Okabe-Ito), cycled for more series.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


def _x_positions(count: int) -> list[float]:
    inner = WIDTH - LEFT - RIGHT
    step = inner / max(count, 1)
    return [round(LEFT + step * (i + 0.5), 1) for i in range(count)]


def _week_labels(weeks: list[datetime]) -> list[str]:
    return [f"W{iso_week(w)[1]:02d}" for w in weeks]


def _frame(weeks: list[datetime], ticks: list[tuple[float, str]]) -> dict[str, Any]:
    xs = _x_positions(len(weeks))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 18,
        "x_labels": [
            {"x": x, "text": text, "date": w}
            for x, text, w in zip(xs, _week_labels(weeks), weeks, strict=True)
        ],
        "y_ticks": [{"y": y, "text": text} for y, text in ticks],
    }


def accuracy_chart(metrics: dict[str, Any]) -> dict[str, Any]:
    """One line per reviewer: accuracy (%) per week, a point only where there were reviews."""
    weeks: list[datetime] = metrics["weeks"]
    xs = dict(zip(weeks, _x_positions(len(weeks)), strict=True))
    plot_height = HEIGHT - TOP - BOTTOM

    def y_of(pct: float) -> float:
        return round(TOP + (100 - pct) / 100 * plot_height, 1)

    series: dict[str, dict[str, Any]] = {}
    for row in metrics["per_week"]:
        if row["accuracy_pct"] is None or row["week"] not in xs:
            continue
        s = series.setdefault(row["reviewer"], {"name": row["reviewer"], "points": []})
        s["points"].append(
            {
                "x": xs[row["week"]],
                "y": y_of(row["accuracy_pct"]),
                "accuracy_pct": row["accuracy_pct"],
                "reviewed": row["reviewed"],
                "week": row["week"],
            }
        )
    ordered = [series[name] for name in sorted(series)]
    for i, s in enumerate(ordered):
        s["color"] = PALETTE[i % len(PALETTE)]
        s["polyline"] = " ".join(f"{p['x']},{p['y']}" for p in s["points"])
    chart = _frame(weeks, [(y_of(p), f"{p}%") for p in (0, 25, 50, 75, 100)])
    chart["series"] = ordered
    return chart


def category_chart(metrics: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars: errors per week by category (withdrawn findings excluded)."""
    weeks: list[datetime] = metrics["weeks"]
    xs = _x_positions(len(weeks))
    plot_height = HEIGHT - TOP - BOTTOM
    totals = [sum(w["counts"].values()) for w in metrics["categories_per_week"]]
    top = max(max(totals, default=0), 1)
    # Whole-number ticks: 0, top/2 (when whole) and top.
    tick_values = sorted({0, top, top // 2} if top > 1 else {0, 1})
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(QcErrorCategory.values)}
    bar_width = round((WIDTH - LEFT - RIGHT) / max(len(weeks), 1) * 0.6, 1)
    bars = []
    for x, week in zip(xs, metrics["categories_per_week"], strict=True):
        base = HEIGHT - BOTTOM
        segments = []
        for category, label in QcErrorCategory.choices:
            n = week["counts"].get(category, 0)
            if not n:
                continue
            h = round(n / top * plot_height, 1)
            base = round(base - h, 1)
            segments.append(
                {"y": base, "height": h, "n": n, "label": label, "color": colors[category]}
            )
        bars.append(
            {
                "x": round(x - bar_width / 2, 1),
                "width": bar_width,
                "segments": segments,
                "week": week["week"],
            }
        )
    chart = _frame(
        weeks, [(round(TOP + (1 - v / top) * plot_height, 1), str(v)) for v in tick_values]
    )
    chart["bars"] = bars
    chart["legend"] = [
        {"label": label, "color": colors[c], "total": metrics["category_totals"].get(c, 0)}
        for c, label in QcErrorCategory.choices
    ]
    return chart


def sample_chart(metrics: dict[str, Any]) -> dict[str, Any]:
    """Horizontal bars: QC reviews per reviewer against the clean sample size needed."""
    needed = metrics["clean_sample_size"]
    rows = metrics["reviewers"]
    top = max([needed, *(r["reviewed"] for r in rows)])
    row_height = 26
    label_width = 140
    inner = WIDTH - label_width - RIGHT - 60
    bars = []
    for i, r in enumerate(rows):
        bars.append(
            {
                "y": TOP + i * row_height,
                "text_y": TOP + i * row_height + 14,
                "width": round(r["reviewed"] / top * inner, 1),
                "value_x": round(label_width + r["reviewed"] / top * inner + 6, 1),
                "name": r["reviewer"],
                "reviewed": r["reviewed"],
                "enough": r["proof"]["proves_tolerable"],
            }
        )
    height = TOP + max(len(rows), 1) * row_height + 24
    return {
        "width": WIDTH,
        "height": height,
        "label_width": label_width,
        "bars": bars,
        "needed": needed,
        "needed_x": round(label_width + needed / top * inner, 1),
        "needed_label_y": height - 6,
        "bottom": height - 20,
    }
