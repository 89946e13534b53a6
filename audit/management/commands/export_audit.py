"""manage.py export_audit: one case's audit events, or one period's, with the verification
of the chain segment they come from."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.export import audit_export, export_filter_parse
from config.errors import DomainError


class Command(BaseCommand):
    help = (
        "Exports the audit events of one case (--case ID) or of one period (--since DATE "
        "[--until DATE]) as CSV or JSON lines, with the verification of the chain segment "
        "they come from. A period is [since, until): since inclusive, until exclusive; a "
        "date means 00:00 UTC of that day, so --since 2026-03-01 --until 2026-04-01 is all "
        "of March; an ISO 8601 date-time is also accepted (UTC when it has no offset). "
        "Without --until the period runs to the chain head. Writes to stdout or --output, a "
        "summary to stderr; exits with status 1 when the chain segment is broken (the file "
        "is still written, and says so). The CSV is a plain table with a header row; its "
        "verification goes to a sidecar JSON file (--verification, by default "
        "<output>.verification.json beside a CSV --output); the JSON lines file carries it "
        "in its first line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", help="The case number.")
        parser.add_argument("--since", help="Start of the period (inclusive), e.g. 2026-03-01.")
        parser.add_argument("--until", help="End of the period (exclusive), e.g. 2026-04-01.")
        parser.add_argument("--format", default="csv", choices=("csv", "jsonl"))
        parser.add_argument("--output", help="File to write (default: stdout).")
        parser.add_argument(
            "--verification",
            help="Also write the export's metadata and verification to this JSON file "
            "(default for a CSV written to --output: <output>.verification.json).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            export_filter, fmt = export_filter_parse(
                case=options["case"],
                since=options["since"],
                until=options["until"],
                fmt=options["format"],
            )
            export = audit_export(
                actor=None,
                case_id=export_filter.case_id,
                since=export_filter.since,
                until=export_filter.until,
                fmt=fmt,
            )
        except DomainError as exc:
            details = "; ".join(f"--{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip(), returncode=2) from exc

        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                for chunk in export:
                    out.write(chunk)
        else:
            for chunk in export:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
        sidecar = options["verification"]
        if sidecar is None and fmt == "csv" and options["output"]:
            sidecar = f"{options['output']}.verification.json"
        if sidecar:
            with open(sidecar, "w", encoding="utf-8") as out:
                out.write(export.verification_json())

        verification = export.verification
        seq_range = (
            f"#{verification.first_seq}..#{verification.last_seq}"
            if verification.first_seq is not None
            else "none"
        )
        summary = (
            f"{export.count} events exported ({fmt}, filter {export.meta['filter']}); "
            f"chain segment {seq_range}: {verification.checked} events verified; "
            f"export recorded as event #{export.meta['export_event_seq']}"
            + (f"; verification written to {sidecar}." if sidecar else ".")
        )
        if verification.ok:
            self.stderr.write(self.style.SUCCESS(f"Audit export OK: {summary}"))
            return
        assert verification.problem is not None
        raise CommandError(
            f"Audit chain BROKEN at {verification.problem.describe()}: {summary}", returncode=1
        )
