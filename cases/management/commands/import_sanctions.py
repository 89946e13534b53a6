"""`manage.py import_sanctions PATH_OR_URL`: loads the OFAC SDN list (legacy CSV, as
published) as the new active version, then re-screens every active merchant in the
background. A malformed file changes nothing and exits non-zero with the line at fault."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kyc.screening.importer import SanctionsImportError, import_sanctions_list


class Command(BaseCommand):
    help = "Import a sanctions list (OFAC SDN CSV) from a path or an http(s) URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("location", help="path or http(s) URL of the SDN CSV (sdn.csv)")
        parser.add_argument(
            "--no-rescreen",
            action="store_true",
            help="do not re-screen active merchants after a changed list",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        location = options["location"]
        try:
            with transaction.atomic():
                result = import_sanctions_list(location=location)
                rescreen = result.changed and not options["no_rescreen"]
                queued = self._enqueue_rescreen(result.sanctions_list.pk) if rescreen else None
        except SanctionsImportError as exc:
            raise CommandError(
                f"{location} was not imported: {exc.message}. The active list is unchanged."
            ) from exc
        self.stdout.write(result.summary)
        if queued is not None:
            self.stdout.write(queued)

    @staticmethod
    def _enqueue_rescreen(list_pk: int) -> str:
        try:
            from cases.tasks import rescreen_active_merchants_task
        except ImportError:
            return "Re-screening of active merchants is unavailable in this deployment."
        # Enqueued on commit: a worker must never see a list version that could roll back.
        rescreen_active_merchants_task.delay_on_commit(list_pk)
        return "Re-screening of all active merchants against the new list has been queued."
