"""Audit export: one case's events, or one period's, as CSV or JSON lines, with the
verification of the chain segment they come from.

The JSON lines file carries the verification in its first line. The CSV is a plain table (a
header row, then one row per event) that spreadsheets and csv.DictReader open as is; its
verification travels beside it: in the X-Audit-Verification response header (a compact
summary, `AuditExport.verification_header`), and as a sidecar JSON document (the `part`
"verification": the same metadata the JSON lines file starts with).

The export is planned and verified first (one pass over the segment), recorded as an
`audit.exported` event in its own transaction, and only then streamed (a second pass, in
keyset pages of seq, so memory stays constant for millions of events). It covers the events
up to the chain head read when it was planned; the export's own event comes after that.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from config.errors import InvalidInput, NotFound

from .chain import (
    CHUNK,
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainProblem,
    _seq_message,
    fast_columns,
    head_problem,
    iter_fast_rows,
    walk_rows,
)
from .models import AuditChainHead, AuditEvent
from .services import audit_record

FORMATS = ("csv", "jsonl")
# What to send: the events (in the chosen format), or the verification sidecar (JSON).
PARTS = ("events", "verification")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
VERIFICATION_CONTENT_TYPE = "application/json; charset=utf-8"
# Export columns: the row id, then the hashed fields in their hash order, then the hash.
COLUMNS = ("id", *HASHED_FIELDS, "hash")
_JSON_COLUMNS = frozenset({"before", "after", "reason_codes"})
_ROWS_PER_CHUNK = 500
_compact = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


# --------------------------------------------------------------------------- permissions


def export_kinds(actor: Any) -> frozenset[str]:
    """What `actor` may export: compliance admins everything, QC leads single cases.
    None (the command line, run by an operator with server access) may export everything."""
    if actor is None:
        return frozenset({"case", "period"})
    if has_role(actor, Role.COMPLIANCE_ADMIN):
        return frozenset({"case", "period"})
    if has_role(actor, Role.QC_LEAD):
        return frozenset({"case"})
    return frozenset()


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ExportFilter:
    case_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def kind(self) -> str:
        return "case" if self.case_id is not None else "period"

    def as_dict(self) -> dict[str, Any]:
        if self.case_id is not None:
            return {"case": self.case_id}
        return {
            "since": _iso(self.since) if self.since else None,
            "until": _iso(self.until) if self.until else None,
        }

    def q(self) -> Q:
        if self.case_id is not None:
            return Q(case_id=self.case_id)
        q = Q(occurred_at__gte=self.since)
        if self.until is not None:
            q &= Q(occurred_at__lt=self.until)
        return q


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_moment(raw: str) -> datetime | None:
    """A date (UTC midnight at its start) or an ISO 8601 date-time (UTC when it has no
    offset); None when it is neither."""
    raw = raw.strip()
    try:
        day = parse_date(raw)
        if day is not None:
            return datetime.combine(day, time.min, tzinfo=UTC)
        moment = parse_datetime(raw)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def export_filter_parse(
    *, case: Any = None, since: Any = None, until: Any = None, fmt: Any = "csv"
) -> tuple[ExportFilter, str]:
    """Checks the export parameters (strings as typed, or None). A period is [since, until):
    `since` inclusive, `until` exclusive, dates meaning UTC midnight, so `--since 2026-03-01
    --until 2026-04-01` is March; without `until` the period runs to the chain head.

    Raises InvalidInput naming the fields at fault."""
    errors: dict[str, list[str]] = {}
    case = None if case in (None, "") else str(case).strip()
    since = None if since in (None, "") else str(since)
    until = None if until in (None, "") else str(until)
    fmt = "csv" if fmt in (None, "") else str(fmt)
    if fmt not in FORMATS:
        errors["format"] = [_("Choose csv or jsonl.")]
    case_id: int | None = None
    if case is not None:
        if since is not None or until is not None:
            errors["case"] = [_("Give either a case or a period, not both.")]
        elif not case.isdigit() or int(case) < 1 or int(case) > 2**62:
            errors["case"] = [_("Enter a case number.")]
        else:
            case_id = int(case)
    elif since is None:
        if until is not None:
            errors["since"] = [_("Give the start of the period.")]
        else:
            errors["case"] = [_("Give a case number, or a period (since and until).")]
    start = end = None
    if case is None and since is not None:
        start = parse_moment(since)
        if start is None:
            errors["since"] = [_("Enter a date (YYYY-MM-DD) or an ISO 8601 date-time.")]
    if case is None and until is not None:
        end = parse_moment(until)
        if end is None:
            errors["until"] = [_("Enter a date (YYYY-MM-DD) or an ISO 8601 date-time.")]
        elif start is not None and end <= start:
            errors["until"] = [_("The end of the period must be after its start.")]
    if errors:
        raise InvalidInput(_("The export parameters are invalid; see fields."), fields=errors)
    return ExportFilter(case_id=case_id, since=start, until=end), fmt


def export_part_parse(part: Any) -> str:
    """`events` (the default) or `verification` (the sidecar); InvalidInput otherwise."""
    part = "events" if part in (None, "") else str(part)
    if part not in PARTS:
        message = _("Choose events or verification.")
        raise InvalidInput(message, fields={"part": [message]})
    return part


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class SegmentVerification:
    """The chain segment an export comes from, checked link by link."""

    checked: int
    first_seq: int | None
    last_seq: int | None
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        problem = None
        if self.problem is not None:
            problem = {
                "seq": self.problem.seq,
                "event_id": self.problem.event_id,
                "message": self.problem.problem,
                "description": self.problem.describe(),
            }
        return {
            "ok": self.ok,
            "scope": "segment",
            "checked": self.checked,
            "seq_range": [self.first_seq, self.last_seq] if self.first_seq is not None else None,
            "problem": problem,
        }


def verify_segment(
    first_seq: int, last_seq: int, *, head_seq: int, head_hash: str
) -> SegmentVerification:
    """Verifies events first_seq..last_seq as verify_rows would inside the whole chain: each
    hash recomputed, seq contiguous, each prev_hash the hash before it, starting from the
    stored hash of event first_seq - 1 (fetched). One event past last_seq is included, or
    the chain head compared when last_seq is the head, so a deletion right after the
    segment's last event is noticed too."""
    end = min(last_seq + 1, head_seq)
    anchor = GENESIS_HASH
    if first_seq > 1:
        found = AuditEvent.objects.filter(seq=first_seq - 1).values_list("hash", flat=True).first()
        if found is None:
            first_id = AuditEvent.objects.filter(seq=first_seq).values_list("id", flat=True)
            missing = ChainProblem(
                first_seq, first_id.first(), _seq_message(first_seq, first_seq - 1)
            )
            return SegmentVerification(0, first_seq, end, missing)
        anchor = found
    walk = walk_rows(
        iter_fast_rows(first_seq, end),
        expected_seq=first_seq,
        expected_prev=anchor,
        vendor=connection.vendor,
    )
    problem = walk.problem
    if problem is None and walk.next_seq - 1 != end:
        if end == head_seq:
            problem = head_problem(
                walk.checked, walk.next_seq, walk.last_hash, head_seq=head_seq, head_hash=None
            )
        else:
            problem = ChainProblem(
                None, None, f"events #{walk.next_seq}..#{end} are missing (deleted)"
            )
    if problem is None and end == head_seq:
        problem = head_problem(
            walk.checked, walk.next_seq, walk.last_hash, head_seq=None, head_hash=head_hash
        )
    return SegmentVerification(walk.checked, first_seq, end, problem)


# --------------------------------------------------------------------------- the export


@dataclass
class AuditExport:
    """A planned, verified and recorded export; iterate it for the file's text chunks."""

    filter: ExportFilter
    fmt: str
    head_seq: int
    count: int
    verification: SegmentVerification
    meta: dict[str, Any] = field(default_factory=dict)
    part: str = "events"

    @property
    def ok(self) -> bool:
        return self.verification.ok

    @property
    def content_type(self) -> str:
        if self.part == "verification":
            return VERIFICATION_CONTENT_TYPE
        return CONTENT_TYPES[self.fmt]

    def verification_header(self) -> str:
        """The verification in one line of ASCII, for the X-Audit-Verification header:
        `ok` or `broken`, then `key=value` pairs separated by `; `, e.g.
        `ok; events=3; checked=6; segment=1-6; head-seq=6; head-hash=<hex>; export-event=7`
        (`problem-seq=N` after `segment` when broken at event N)."""
        verification = self.verification
        parts = ["ok" if verification.ok else "broken", f"events={self.count}"]
        parts.append(f"checked={verification.checked}")
        if verification.first_seq is not None:
            parts.append(f"segment={verification.first_seq}-{verification.last_seq}")
        if verification.problem is not None and verification.problem.seq is not None:
            parts.append(f"problem-seq={verification.problem.seq}")
        head = self.meta.get("chain_head", {})
        parts.append(f"head-seq={head.get('seq', self.head_seq)}")
        if head.get("hash"):
            parts.append(f"head-hash={head['hash']}")
        if "export_event_seq" in self.meta:
            parts.append(f"export-event={self.meta['export_event_seq']}")
        return "; ".join(parts)

    def verification_json(self) -> str:
        """The sidecar: the export's metadata with its verification, as one JSON document
        (the same object the JSON lines file starts with)."""
        return json.dumps(self.meta, ensure_ascii=False, indent=2) + "\n"

    @property
    def filename(self) -> str:
        stamp = self.meta.get("generated_at", "")[:19].replace("-", "").replace(":", "")
        if self.filter.case_id is not None:
            what = f"case-{self.filter.case_id}"
        else:
            assert self.filter.since is not None
            what = self.filter.since.strftime("%Y-%m-%d")
            if self.filter.until is not None:
                what += "-to-" + self.filter.until.strftime("%Y-%m-%d")
        if self.part == "verification":
            return f"audit-{what}-{stamp}Z.{self.fmt}.verification.json"
        return f"audit-{what}-{stamp}Z.{self.fmt}"

    def __iter__(self) -> Iterator[str]:
        if self.part == "verification":
            return iter([self.verification_json()])
        if self.fmt == "jsonl":
            return _jsonl(self)
        return _csv(self)


def _actor_repr(actor: Any) -> str:
    if actor is None:
        return "system (command line)"
    from accounts.roles import primary_role

    return f"{actor.get_username()} ({primary_role(actor) or 'no role'})"


def audit_export(
    *,
    actor: Any,
    case_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    fmt: str = "csv",
    part: str = "events",
) -> AuditExport:
    """Plans, verifies and records an export of one case's events or one period's
    ([since, until)); returns it, to be iterated for the file's text (`part` "events") or
    for its verification alone (`part` "verification", the CSV's sidecar).

    Guarantees: the chain segment the events come from is verified before anything is
    sent (the result travels in the JSON lines file's first line, in
    `verification_header()` and the sidecar, and in the export's own `audit.exported`
    event, committed before streaming starts); the events are those with
    seq up to the chain head read at the start, in seq order; memory does not grow with the
    number of events. 404 (NotFound) for a user who may not make this kind of export, and
    for a case without any event.
    """
    export_filter = ExportFilter(case_id=case_id, since=since, until=until)
    if export_filter.kind not in export_kinds(actor):
        raise NotFound(_("Not found."))
    if case_id is None and since is None:
        raise InvalidInput(_("Give a case or a period."), fields={"case": [_("Required.")]})
    if fmt not in FORMATS:
        raise InvalidInput(
            _("Choose csv or jsonl."), fields={"format": [_("Choose csv or jsonl.")]}
        )
    part = export_part_parse(part)

    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    head_seq, head_hash = head if head else (0, GENESIS_HASH)
    stats = AuditEvent.objects.filter(export_filter.q(), seq__lte=head_seq).aggregate(
        count=Count("id"), first=Min("seq"), last=Max("seq")
    )
    if case_id is not None and not stats["count"]:
        raise NotFound(_("No audit events for case %(case)s.") % {"case": case_id})
    if stats["count"]:
        verification = verify_segment(
            stats["first"], stats["last"], head_seq=head_seq, head_hash=head_hash
        )
    else:
        verification = SegmentVerification(0, None, None, None)

    generated_at = timezone.now()
    summary = {
        "filter": export_filter.as_dict(),
        "format": fmt,
        "events": stats["count"],
        "chain_head": {"seq": head_seq, "hash": head_hash},
        "verification": verification.as_dict(),
    }
    if part == "verification":
        summary["part"] = part
    with transaction.atomic():
        event = audit_record(
            action="audit.exported",
            actor=actor,
            object_type="audit.export",
            case_id=case_id,
            after=summary,
        )
    meta = {
        "record": "export",
        "format_version": 1,
        "generated_at": _iso(generated_at),
        "exported_by": _actor_repr(actor),
        "export_event_seq": event.seq,
        **summary,
        "columns": list(COLUMNS),
        "hashed_fields": list(HASHED_FIELDS),
    }
    return AuditExport(export_filter, fmt, head_seq, stats["count"], verification, meta, part)


# --------------------------------------------------------------------------- streaming


def _export_rows(export: AuditExport) -> Iterator[Sequence[Any]]:
    """Fast rows (id, hash, *HASHED_FIELDS) of the export's events, in keyset pages."""
    vendor = connection.vendor
    flt = export.filter
    where: list[str] = []
    params: list[Any] = []
    if flt.case_id is not None:
        where.append("case_id = %s")
        params.append(flt.case_id)
    else:
        adapt = connection.ops.adapt_datetimefield_value
        where.append("occurred_at >= %s")
        params.append(adapt(flt.since))
        if flt.until is not None:
            where.append("occurred_at < %s")
            params.append(adapt(flt.until))
    sql = (
        f"SELECT {fast_columns(vendor)} FROM audit_auditevent WHERE {' AND '.join(where)} "
        f"AND seq > %s AND seq <= %s ORDER BY seq LIMIT {CHUNK}"
    )
    after = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [*params, after, export.head_seq])
            rows = cursor.fetchall()
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1][2]


def _values(row: Sequence[Any], vendor: str) -> dict[str, Any]:
    """One event as exported: every column, timestamps in the hash's UTC form, JSON decoded."""
    from .chain import _sqlite_utc_iso

    values = dict(zip(("id", "hash", *HASHED_FIELDS), row, strict=True))
    if vendor != "postgresql":
        values["occurred_at"] = _sqlite_utc_iso(values["occurred_at"])
    for name in _JSON_COLUMNS:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    return {name: values[name] for name in COLUMNS}


def _jsonl(export: AuditExport) -> Iterator[str]:
    yield json.dumps(export.meta, ensure_ascii=False) + "\n"
    vendor = connection.vendor
    lines: list[str] = []
    for row in _export_rows(export):
        record = {"record": "event", **_values(row, vendor)}
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        if len(lines) >= _ROWS_PER_CHUNK:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def _csv(export: AuditExport) -> Iterator[str]:
    """A plain CSV: the header row first (no comment or metadata lines, which spreadsheets
    and CSV readers take for data), then one row per event."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    vendor = connection.vendor
    pending = 0
    for row in _export_rows(export):
        values = _values(row, vendor)
        writer.writerow(
            [
                ("" if values[name] is None else _compact(values[name]))
                if name in _JSON_COLUMNS
                else ("" if values[name] is None else values[name])
                for name in COLUMNS
            ]
        )
        pending += 1
        if pending >= _ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue()
