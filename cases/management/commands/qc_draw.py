"""manage.py qc_draw [--seed N] [--since D] [--until D]: an on-demand QC draw.

Without --since/--until the window is the last 7 calendar days (UTC), today included, so
running the same command twice in a row gives the same sample (and queues nothing new the
second time)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import QcDrawTrigger
from cases.qc.sampling import parse_seed, qc_draw, window_from
from config.errors import DomainError


class Command(BaseCommand):
    help = (
        "Draws a reproducible QC sample of final decisions and queues a QC review for each "
        "(as the system). The seed is printed and recorded: the same seed and window give "
        "the same sample."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", help="Whole number 0..2^63-1 (default: random).")
        parser.add_argument(
            "--since", help="Window start: YYYY-MM-DD (00:00 UTC) or an ISO date-time."
        )
        parser.add_argument(
            "--until",
            help="Window end: YYYY-MM-DD (that day included) or an ISO date-time (excluded). "
            "Default window: the last 7 days, today included.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            seed = parse_seed(options["seed"]) if options.get("seed") is not None else None
            start, end = window_from(options.get("since"), options.get("until"))
            draw = qc_draw(
                actor=None,
                seed=seed,
                window_start=start,
                window_end=end,
                trigger=QcDrawTrigger.ON_DEMAND,
            )
        except DomainError as exc:
            detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        ids = ", ".join(str(i) for i in draw.sampled_case_ids) or "none"
        self.stdout.write(f"QC draw {draw.pk}")
        self.stdout.write(f"seed: {draw.seed}")
        self.stdout.write(
            f"window: {draw.window_start.isoformat()} .. {draw.window_end.isoformat()} (UTC)"
        )
        self.stdout.write(f"population: {draw.population_size} decisions")
        self.stdout.write(f"sampled ({len(draw.sampled_case_ids)}): {ids}")
        self.stdout.write(f"new reviews: {draw.new_review_count}")
