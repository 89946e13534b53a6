from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify_chain


class Command(BaseCommand):
    help = "Verifies the audit trail's hash chain; exits non-zero naming the first bad event."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = verify_chain()
        elapsed = time.monotonic() - started
        if not result.ok:
            assert result.problem is not None
            raise CommandError(
                f"Audit chain BROKEN at {result.problem.describe()} "
                f"({result.checked} events verified before it)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain OK: {result.checked} events verified in {elapsed:.2f}s."
            )
        )
