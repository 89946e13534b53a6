from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import verify_chain


class Command(BaseCommand):
    help = (
        "Verifies the audit trail's hash chain (every event's hash recomputed, every link, "
        "the chain head); exits non-zero naming the first bad event. On PostgreSQL the chain "
        "is read in one snapshot; --workers N splits a large chain over N processes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes for a large chain on PostgreSQL (default: the CPU count, at most 4; "
            "1 verifies in this process).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1.", returncode=2)
        started = time.monotonic()
        result = verify_chain(workers=options["workers"])
        elapsed = time.monotonic() - started
        rate = f"{result.checked / elapsed:,.0f} events/s" if elapsed > 0 else "n/a"
        if not result.ok:
            assert result.problem is not None
            raise CommandError(
                f"Audit chain BROKEN at {result.problem.describe()} "
                f"({result.checked} events verified before it, in {elapsed:.2f}s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain OK: {result.checked} events verified in {elapsed:.2f}s ({rate})."
            )
        )
