"""The fast chain walk gives exactly the results of the reference walk (verify_rows over
ORM rows) on clean and tampered chains, sequentially and split into parallel parts."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from audit import chain
from audit.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    event_hash,
    iter_event_rows,
    stitch,
    verify_chain,
    verify_rows,
    walk_rows,
)
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_record
from tests.audit.test_chain import _raw
from tests.services import need


def _write(n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    action=f"test.event{i}",
                    object_type="x",
                    object_id=str(i),
                    case_id=i % 3 or None,
                    before=None if i % 2 else {"z": [1, 2, {"b": "深圳"}], "a": None, "n": -i},
                    after={"i": i, "name": '深圳\u2028"\\\t', "ok": i % 2 == 0, "big": 2**70},
                    reason_codes=["Z", "A"] if i % 2 else [],
                    text="营业执照 " * (i % 4),
                )
            )
    return events


def _reference() -> chain.VerifyResult:
    head = AuditChainHead.objects.filter(pk=1).first()
    return verify_rows(
        iter_event_rows(),
        head_seq=head.last_seq if head else 0,
        head_hash=head.last_hash if head else None,
    )


def _tamper(kind: str, events: list[AuditEvent]) -> None:
    sql = "UPDATE audit_auditevent SET {} WHERE id = %s"
    if kind == "edited_text":
        _raw(sql.format("text = %s"), ["forged", events[3].pk])
    elif kind == "edited_json":
        _raw(sql.format("after = %s"), ['{"i": 99}', events[4].pk])
    elif kind == "edited_time":
        _raw(
            sql.format("occurred_at = %s"),
            [events[2].occurred_at + timedelta(microseconds=1), events[2].pk],
        )
    elif kind == "deleted":
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    elif kind == "deleted_first":
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    elif kind == "reordered":
        _raw(sql.format("seq = %s"), [-1, events[1].pk])
        _raw(sql.format("seq = %s"), [2, events[2].pk])
        _raw(sql.format("seq = %s"), [3, events[1].pk])
    elif kind == "tail_deleted":
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    elif kind == "head_hash":
        AuditChainHead.objects.filter(pk=1).update(last_hash="e" * 64)


KINDS = [
    "clean",
    "edited_text",
    "edited_json",
    "edited_time",
    "deleted",
    "deleted_first",
    "reordered",
    "tail_deleted",
    "head_hash",
]


@pytest.mark.parametrize("kind", KINDS)
def test_fast_verify_matches_the_reference_walk(db, kind):
    events = _write(7)
    _tamper(kind, events)
    reference = _reference()
    fast = verify_chain()
    assert (fast.checked, fast.problem) == (reference.checked, reference.problem)
    assert fast.ok == (kind == "clean")


def test_fast_verify_of_an_empty_chain_is_ok(db):
    assert verify_chain() == chain.VerifyResult(0, None)


def test_verify_audit_prints_the_rate(db, capsys):
    _write(3)
    call_command("verify_audit", "--workers", "1")
    out = capsys.readouterr().out
    assert "3 events verified in" in out and "events/s" in out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["clean", "edited_text", "deleted", "reordered", "tail_deleted"])
def test_parallel_verify_on_postgres_matches_the_reference_walk(kind, monkeypatch):
    need("postgres")
    events = _write(9)
    _tamper(kind, events)
    reference = _reference()
    monkeypatch.setattr(chain, "PARALLEL_MIN_EVENTS", 1)
    fast = verify_chain(workers=3)
    assert (fast.checked, fast.problem) == (reference.checked, reference.problem)


# ----------------------------------------------------------- stitching parts (no database)


def _fast_rows(n: int) -> list[list[Any]]:
    """Fast rows as PostgreSQL returns them: timestamp text, JSON text."""
    rows, prev = [], GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        row: dict[str, Any] = dict.fromkeys(HASHED_FIELDS, "")
        row.update(
            seq=seq,
            occurred_at=start + timedelta(seconds=seq, microseconds=seq * 7),
            actor_id=None,
            case_id=seq % 4 or None,
            merchant_id=None,
            before=None,
            after={"n": seq, "名": "值"},
            reason_codes=["A"],
            prev_hash=prev,
        )
        row["hash"] = prev = event_hash(row)
        values = []
        for name in HASHED_FIELDS:
            value = row[name]
            if name == "occurred_at":
                value = chain._utc_iso(value)
            elif name in ("before", "after", "reason_codes") and value is not None:
                value = json.dumps(value)  # jsonb's spacing, not the canonical form
            values.append(value)
        rows.append([1000 + seq, row["hash"], *values])
    return rows


def _sequential(rows: list[list[Any]]) -> chain.Segment:
    return walk_rows(rows, expected_seq=1, expected_prev=GENESIS_HASH, vendor="postgresql")


@pytest.mark.parametrize("seed", range(40))
def test_stitched_parts_report_what_one_walk_reports(seed):
    rnd = random.Random(seed)
    rows = _fast_rows(30)
    action = rnd.choice(["none", "edit", "delete", "swap", "relink", "delete_run"])
    i = rnd.randrange(len(rows) - 1)
    if action == "edit":
        rows[i][HASHED_FIELDS.index("text") + 2] = "forged"
    elif action == "delete":
        del rows[i]
    elif action == "delete_run":
        del rows[i : i + rnd.randint(2, 6)]
    elif action == "swap":
        rows[i][2], rows[i + 1][2] = rows[i + 1][2], rows[i][2]
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
    elif action == "relink":
        rows[i][-1] = "f" * 64
    whole = _sequential(rows)
    cuts = sorted(rnd.sample(range(1, 31), rnd.randint(1, 5)))
    # Parts split by seq ranges, as the workers query them (some may be empty).
    bounds = list(zip([1, *cuts], [*cuts, 31], strict=True))
    parts = [
        walk_rows(
            [r for r in rows if a <= r[2] < b],
            expected_seq=None,
            expected_prev=None,
            vendor="postgresql",
        )
        for a, b in bounds
    ]
    joined = stitch(parts, expected_seq=1, expected_prev=GENESIS_HASH)
    assert (joined.checked, joined.problem) == (whole.checked, whole.problem)
    if whole.problem is None:
        assert (joined.next_seq, joined.last_hash) == (whole.next_seq, whole.last_hash)


def test_undecodable_json_is_reported_as_edited_not_a_crash():
    rows = _fast_rows(3)
    rows[1][HASHED_FIELDS.index("after") + 2] = "{not json"
    result = _sequential(rows)
    assert result.problem is not None and result.problem.seq == 2
    assert "edited" in result.problem.problem
