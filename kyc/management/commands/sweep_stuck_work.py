"""manage.py sweep_stuck_work [--older-than-minutes N] [--dry-run]

Enqueues again the document checks, report builds, notifications and case screenings whose
task was lost (the
broker was down when their transaction committed). Beat runs the same job every 5 minutes
(`sweep-stuck-work`); run it by hand after a broker outage to recover at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kyc.sweepers import stuck_work, sweep_stuck_work


class Command(BaseCommand):
    help = "Enqueues again the checks, report builds and notifications whose task was lost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=None,
            help="Only work waiting longer than this (default KYC_SWEEP_STUCK_AFTER_MINUTES).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List, enqueue nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["older_than_minutes"]
        older_than = timedelta(minutes=minutes) if minutes is not None else None
        if options["dry_run"]:
            work = stuck_work(older_than=older_than)
            verb = "would enqueue"
        else:
            work = sweep_stuck_work(older_than=older_than)
            verb = "enqueued"
        self.stdout.write(
            f"{verb}: checks of {len(work.documents)} documents {work.documents}, "
            f"builds of {len(work.reports)} reports {work.reports}, "
            f"{len(work.notifications)} notifications {work.notifications}, "
            f"screening of {len(work.screenings)} cases {work.screenings}"
        )
