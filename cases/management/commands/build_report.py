"""manage.py build_report CASE_ID [--language en|zh-hans] [--sync]

Requests a new version of a case's PDF review report (trigger `rebuild`, by the system) and,
with --sync or when tasks run in-process, builds it at once and prints where it went."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cases.models import ReportStatus, ReviewReport
from cases.reports.build import report_build
from cases.reports.services import REPORT_LANGUAGES, report_rebuild
from config.errors import NotFound


class Command(BaseCommand):
    help = "Builds a new version of a case's PDF review report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("case_id", type=int)
        parser.add_argument("--language", choices=REPORT_LANGUAGES, default=None)
        parser.add_argument(
            "--sync", action="store_true", help="Build it now in this process, not by a worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            with transaction.atomic():
                report = report_rebuild(
                    actor=None, case_id=options["case_id"], language=options["language"]
                )
        except NotFound:
            raise CommandError(f"Case {options['case_id']} does not exist.") from None
        if options["sync"] or settings.CELERY_TASK_ALWAYS_EAGER:
            # In-process tasks have built it on commit already; --sync builds it now (a
            # worker picking up the task later finds it built and does nothing).
            report_build(report_id=report.pk)
        report = ReviewReport.objects.get(pk=report.pk)
        if report.status != ReportStatus.BUILT:
            self.stdout.write(
                f"case {report.case_id}: report v{report.version} requested "
                f"({report.language}); status {report.status}. A worker builds it."
            )
            if report.status == ReportStatus.FAILED:
                raise CommandError(f"The build failed: {report.error}")
            return
        self.stdout.write(
            f"case {report.case_id}: report v{report.version} ({report.language})\n"
            f"key     {report.key}\n"
            f"sha256  {report.sha256}\n"
            f"size    {report.size} bytes, {report.page_count} page(s)\n"
            f"seconds {time.perf_counter() - started:.2f}"
        )
