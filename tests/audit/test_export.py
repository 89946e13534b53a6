"""Audit export: contents, formats, period boundaries, verification of the segment, the
export's own audit event and the command."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from audit.chain import event_hash
from audit.export import COLUMNS, audit_export, export_filter_parse
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import InvalidInput, NotFound
from tests.audit.test_chain import _raw

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def write(case_id: int | None, when: datetime, text: str = "t") -> AuditEvent:
    with mock.patch("django.utils.timezone.now", return_value=when), transaction.atomic():
        return audit_record(
            action="case.note",
            object_type="cases.reviewcase",
            object_id=str(case_id or 0),
            case_id=case_id,
            before={"state": "submitted"},
            after={"state": "in_review", "名": '深圳, "quoted"\nline'},
            reason_codes=["B", "A"],
            text=text,
        )


def read_csv(text: str) -> list[dict[str, str]]:
    """The CSV as a spreadsheet or csv.DictReader reads it: from its first line, which is the
    header row (no comment or metadata lines)."""
    assert text.splitlines()[0] == ",".join(COLUMNS), text[:200]
    assert not any(line.startswith("#") for line in text.splitlines())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def read_jsonl(text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    records = [json.loads(line) for line in text.splitlines()]
    assert records[0]["record"] == "export"
    assert all(r["record"] == "event" for r in records[1:])
    return records[0], records[1:]


def run(fmt: str = "csv", **kwargs: Any) -> tuple[Any, str]:
    export = audit_export(actor=None, fmt=fmt, **kwargs)
    return export, "".join(export)


@pytest.fixture
def mixed(db: Any) -> list[AuditEvent]:
    """Case 12's events interleaved with case 13's and case-less ones, one hour apart."""
    cases = [12, 13, 12, None, 13, 12]
    return [write(c, T0.replace(hour=i)) for i, c in enumerate(cases)]


def test_csv_case_export_has_exactly_the_cases_events_in_seq_order(mixed):
    export, text = run("csv", case_id=12)
    rows, meta = read_csv(text), export.meta
    assert [int(r["seq"]) for r in rows] == [1, 3, 6]
    assert {r["case_id"] for r in rows} == {"12"}
    assert meta["events"] == 3 and meta["filter"] == {"case": 12}
    assert meta["verification"]["ok"] is True
    assert meta["verification"]["seq_range"] == [1, 6]  # 1..6 plus the join to the head
    first = rows[0]
    assert first["occurred_at"] == "2026-03-01T00:00:00.000000Z"
    assert json.loads(first["after"]) == {"state": "in_review", "名": '深圳, "quoted"\nline'}
    assert first["reason_codes"] == '["A","B"]'
    assert first["actor_id"] == "" and first["hash"] == mixed[0].hash


def test_csv_is_a_plain_table_that_dictreader_reads_from_its_first_line(mixed):
    _, text = run("csv", since=T0)
    first_line = text.splitlines()[0]
    assert first_line == ",".join(COLUMNS)  # the header row, no '# ' metadata lines
    assert not [line for line in text.splitlines() if line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0]["hash"] == mixed[0].hash and rows[-1]["hash"] == mixed[-1].hash


def test_the_verification_header_sums_up_the_segment_in_one_line(mixed):
    export, _ = run("csv", case_id=12)
    head_hash = mixed[-1].hash
    assert export.verification_header() == (
        f"ok; events=3; checked=6; segment=1-6; head-seq=6; head-hash={head_hash}; export-event=7"
    )


def test_the_verification_header_says_broken_and_where(mixed):
    _raw("UPDATE audit_auditevent SET text = %s WHERE id = %s", ["forged", mixed[2].pk])
    export, _ = run("csv", case_id=12)
    header = export.verification_header()
    assert header.startswith("broken; events=3; checked=2; segment=1-6; problem-seq=3; ")
    assert header.endswith("; export-event=7")
    assert header.isascii()


def test_the_verification_part_is_the_exports_metadata_as_one_json_document(mixed):
    export, text = run("csv", case_id=12, part="verification")
    document = json.loads(text)
    assert document == export.meta
    assert document["record"] == "export" and document["format"] == "csv"
    assert document["part"] == "verification" and document["events"] == 3
    assert document["verification"]["ok"] is True
    assert document["verification"]["seq_range"] == [1, 6]
    assert export.content_type == "application/json; charset=utf-8"
    assert export.filename.endswith("Z.csv.verification.json")
    recorded = AuditEvent.objects.get(action="audit.exported")
    assert recorded.after["part"] == "verification" and recorded.seq == document["export_event_seq"]


def test_an_unknown_part_is_refused_and_nothing_is_recorded(mixed):
    with pytest.raises(InvalidInput) as exc:
        audit_export(actor=None, case_id=12, fmt="csv", part="everything")
    assert set(exc.value.fields) == {"part"}
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_jsonl_case_export_lines_parse_and_hashes_can_be_recomputed(mixed):
    export, text = run("jsonl", case_id=13)
    meta, events = read_jsonl(text)
    assert [e["seq"] for e in events] == [2, 5]
    assert meta["events"] == 2 and meta["verification"]["ok"] is True
    for event in events:
        row = dict(event)
        row["occurred_at"] = datetime.strptime(event["occurred_at"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert event_hash(row) == event["hash"]
    assert meta["hashed_fields"][0] == "seq" and meta["columns"][-1] == "hash"


def test_period_export_includes_since_and_excludes_until(mixed):
    export, text = run("jsonl", since=T0.replace(hour=1), until=T0.replace(hour=4))
    meta, events = read_jsonl(text)
    assert [e["seq"] for e in events] == [2, 3, 4]
    assert meta["filter"] == {
        "since": "2026-03-01T01:00:00.000000Z",
        "until": "2026-03-01T04:00:00.000000Z",
    }


def test_period_dates_mean_utc_midnight_and_until_is_exclusive(db):
    write(1, datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC))
    write(1, datetime(2026, 3, 1, tzinfo=UTC))
    write(1, datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    write(1, datetime(2026, 4, 1, tzinfo=UTC))
    flt, fmt = export_filter_parse(since="2026-03-01", until="2026-04-01", fmt="jsonl")
    _, text = run(fmt, since=flt.since, until=flt.until)
    assert [e["seq"] for e in read_jsonl(text)[1]] == [2, 3]


def test_period_without_until_runs_to_the_head_read_at_the_start(mixed):
    export, text = run("csv", since=T0.replace(hour=5))
    rows, meta = read_csv(text), export.meta
    # Event 6 only: the export's own event (7) comes after the head it read.
    assert [r["seq"] for r in rows] == ["6"]
    assert meta["chain_head"]["seq"] == 6 and meta["export_event_seq"] == 7


def test_empty_period_is_a_valid_empty_export(mixed):
    export, text = run("csv", since=datetime(2030, 1, 1, tzinfo=UTC))
    rows, meta = read_csv(text), export.meta
    assert rows == [] and meta["events"] == 0
    assert meta["verification"] == {
        "ok": True,
        "scope": "segment",
        "checked": 0,
        "seq_range": None,
        "problem": None,
    }


def test_the_export_is_recorded_before_streaming(mixed, admin_user):
    export = audit_export(actor=admin_user, case_id=12, fmt="jsonl")
    event = AuditEvent.objects.get(action="audit.exported")  # before iterating the export
    assert event.actor_id == admin_user.pk and event.case_id == 12
    assert event.after["filter"] == {"case": 12}
    assert event.after["format"] == "jsonl" and event.after["events"] == 3
    assert event.after["verification"]["ok"] is True
    assert export.meta["export_event_seq"] == event.seq == 7
    assert export.meta["exported_by"] == f"{admin_user.username} (compliance_admin)"


def test_an_edited_event_makes_the_export_say_broken_naming_it(mixed):
    _raw("UPDATE audit_auditevent SET text = %s WHERE id = %s", ["forged", mixed[2].pk])
    export, text = run("jsonl", case_id=12)
    meta, events = read_jsonl(text)
    assert not export.ok
    problem = meta["verification"]["problem"]
    assert problem["seq"] == 3 and problem["event_id"] == mixed[2].pk
    assert "edited" in problem["message"]
    assert [e["seq"] for e in events] == [1, 3, 6]  # still exported, and says so
    assert AuditEvent.objects.get(action="audit.exported").after["verification"]["ok"] is False


def test_a_deleted_event_between_two_of_the_cases_events_is_detected(mixed):
    # Event 4 is not case 12's, but it lies between case 12's events 3 and 6.
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [mixed[3].pk])
    export, text = run("csv", case_id=12)
    assert len(read_csv(text)) == 3
    meta = export.meta
    assert meta["verification"]["ok"] is False
    assert meta["verification"]["problem"]["seq"] == 5
    assert "#4..#4 are missing" in meta["verification"]["problem"]["message"]


def test_a_deleted_event_right_after_the_segment_is_detected(mixed):
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [mixed[3].pk])
    export, _ = run("csv", since=T0, until=T0.replace(hour=3))  # events 1..3, then #4 gone
    assert not export.ok
    assert "#4..#4 are missing" in export.verification.problem.problem


def test_a_replaced_predecessor_of_the_segment_is_detected(mixed):
    # The segment starts at #2; its link to #1 is checked against #1's stored hash.
    _raw("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, mixed[0].pk])
    export, _ = run("csv", case_id=13)
    assert not export.ok and export.verification.problem.seq == 2
    assert "does not follow" in export.verification.problem.problem


def test_a_deleted_last_event_is_detected_through_the_chain_head(mixed):
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [mixed[5].pk])
    export, _ = run("csv", case_id=13)  # case 13: #2..#5, then the head says 6
    assert not export.ok and "deleted from the end" in export.verification.problem.problem


def test_export_of_a_case_without_events_is_not_found(mixed):
    with pytest.raises(NotFound):
        audit_export(actor=None, case_id=999, fmt="csv")
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"case": "12", "since": "2026-03-01"}, "case"),
        ({}, "case"),
        ({"case": "abc"}, "case"),
        ({"since": "2026-03-05", "until": "2026-03-01"}, "until"),
        ({"since": "2026-03-01", "until": "2026-03-01"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-02-30"}, "since"),
        ({"until": "2026-03-01"}, "since"),
        ({"case": "12", "fmt": "xml"}, "format"),
    ],
)
def test_bad_export_parameters_name_the_field(params, field):
    with pytest.raises(InvalidInput) as exc:
        export_filter_parse(**params)
    assert field in exc.value.fields


def test_datetimes_with_offsets_are_taken_in_utc():
    flt, _ = export_filter_parse(since="2026-03-01T08:00:00+08:00")
    assert flt.since == datetime(2026, 3, 1, tzinfo=UTC)


# ------------------------------------------------------------------------- the command


def test_export_audit_command_writes_the_file_and_a_summary(mixed, tmp_path, capsys):
    out = tmp_path / "case12.jsonl"
    call_command("export_audit", "--case", "12", "--format", "jsonl", "--output", str(out))
    meta, events = read_jsonl(out.read_text(encoding="utf-8"))
    assert [e["seq"] for e in events] == [1, 3, 6]
    err = capsys.readouterr().err
    assert "Audit export OK" in err and "3 events exported" in err
    assert AuditEvent.objects.get(action="audit.exported").actor_type == "system"


def test_export_audit_command_period_to_stdout(mixed, capsys):
    call_command("export_audit", "--since", "2026-03-01", "--until", "2026-03-02")
    captured = capsys.readouterr()
    assert len(read_csv(captured.out)) == 6
    assert "Audit export OK: 6 events exported" in captured.err
    assert "2026-03-02T00:00:00.000000Z" in captured.err


def test_export_audit_command_writes_a_csv_and_its_verification_sidecar(mixed, tmp_path, capsys):
    out = tmp_path / "case12.csv"
    call_command("export_audit", "--case", "12", "--output", str(out))
    assert [r["seq"] for r in read_csv(out.read_text(encoding="utf-8"))] == ["1", "3", "6"]
    sidecar_path = tmp_path / "case12.csv.verification.json"
    sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    assert sidecar["verification"]["ok"] is True and sidecar["events"] == 3
    assert sidecar["export_event_seq"] == AuditEvent.objects.get(action="audit.exported").seq
    assert f"verification written to {sidecar_path}" in capsys.readouterr().err


def test_export_audit_command_writes_the_sidecar_where_asked(mixed, tmp_path, capsys):
    target = tmp_path / "v.json"
    call_command("export_audit", "--case", "13", "--verification", str(target))
    assert [r["seq"] for r in read_csv(capsys.readouterr().out)] == ["2", "5"]
    assert json.loads(target.read_text(encoding="utf-8"))["filter"] == {"case": 13}


def test_export_audit_command_writes_no_sidecar_for_json_lines(mixed, tmp_path):
    call_command(
        "export_audit", "--case", "12", "--format", "jsonl", "--output", str(tmp_path / "a.jsonl")
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]


def test_export_audit_command_exits_1_on_a_broken_segment_but_writes_the_file(mixed, tmp_path):
    _raw("UPDATE audit_auditevent SET text = %s WHERE id = %s", ["forged", mixed[5].pk])
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError) as exc:
        call_command("export_audit", "--case", "12", "--output", str(out))
    assert exc.value.returncode == 1
    assert "BROKEN at event #6" in str(exc.value)
    assert len(read_csv(out.read_text(encoding="utf-8"))) == 3
    sidecar = json.loads((tmp_path / "x.csv.verification.json").read_text(encoding="utf-8"))
    assert sidecar["verification"]["problem"]["seq"] == 6
    assert sidecar["verification"]["ok"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["--case", "12", "--since", "2026-03-01"],
        [],
        ["--since", "2026-03-05", "--until", "2026-03-01"],
        ["--since", "2026-13-01"],
    ],
)
def test_export_audit_command_refuses_bad_arguments(mixed, args):
    with pytest.raises(CommandError) as exc:
        call_command("export_audit", *args)
    assert exc.value.returncode == 2
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
