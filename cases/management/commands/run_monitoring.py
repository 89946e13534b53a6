"""Runs the ongoing-monitoring jobs once, now or as of a given day (the embedded demo has no
beat; operators use it to catch up after an outage — every job is idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases.monitoring import (
    expiry_watch,
    periodic_review_open,
    rfi_expire_overdue,
    sla_breaches_notify,
)

JOBS = ("expiry", "periodic", "rfi", "sla")


class Command(BaseCommand):
    help = "Runs the monitoring jobs (expiry watch, periodic reviews, RFI expiry, SLA e-mails)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--job", choices=[*JOBS, "all"], default="all")
        parser.add_argument(
            "--date", help="Run as of this day (YYYY-MM-DD, noon UTC) instead of now."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["date"]:
            try:
                day = datetime.strptime(options["date"], "%Y-%m-%d").date()
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
            now = datetime.combine(day, time(12), tzinfo=UTC)
        jobs = JOBS if options["job"] == "all" else (options["job"],)
        if "expiry" in jobs:
            self.stdout.write(f"expiry watch: {expiry_watch(now=now)}")
        if "periodic" in jobs:
            self.stdout.write(f"periodic reviews opened: {periodic_review_open(now=now)}")
        if "rfi" in jobs:
            self.stdout.write(f"RFIs expired: {rfi_expire_overdue(now=now)}")
        if "sla" in jobs:
            self.stdout.write(f"SLA breaches notified: {sla_breaches_notify(now=now)}")
