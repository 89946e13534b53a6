"""manage.py sweep_storage [--grace-minutes N] [--dry-run]

Deletes the stored objects (documents/, previews/, edd/, reports/) that no database row
references and that are older than the grace period, audited as one
`storage.orphans_removed` event. Beat runs it daily at 04:00 UTC (`sweep-storage`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kyc.sweepers import storage_orphans, sweep_storage


class Command(BaseCommand):
    help = "Deletes stored objects that no database row references."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=None,
            help="Leave objects younger than this (default KYC_SWEEP_STORAGE_GRACE_MINUTES).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List, delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = options["grace_minutes"]
        grace = timedelta(minutes=minutes) if minutes is not None else None
        if options["dry_run"]:
            keys = storage_orphans(grace=grace)
            verb = "would remove"
        else:
            keys = sweep_storage(grace=grace)
            verb = "removed"
        self.stdout.write(f"{verb} {len(keys)} orphaned objects")
        for key in keys:
            self.stdout.write(f"  {key}")
