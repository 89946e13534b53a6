"""Hashing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

GENESIS_HASH = "0" * 64

# The columns the hash covers, in a fixed order; changing this list is a chain format change.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_repr",
    "actor_type",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "merchant_id",
    "before",
    "after",
    "reason_codes",
    "text",
    "policy_version",
    "ip",
    "user_agent",
    "prev_hash",
)


def _utc_iso(value: datetime) -> str:
    # Microsecond UTC form: identical whether read back from SQLite or PostgreSQL.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The canonical encoding (sorted keys, no spaces, UTF-8 kept as is). One shared encoder:
# json.dumps builds a new JSONEncoder on every call with these options, which is measurable
# over a million events; the output is byte-for-byte the same.
_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_canonical = _encoder.encode
# The C encoder behind _encoder.encode, built once (encode builds one per call) and without
# the circular-reference check (rows decoded from JSON text cannot be circular): the same
# chunks, a little faster. Falls back to the pure-Python iterator where the C one is missing.
_canonical_chunks: Any = (
    c_make_encoder(None, _encoder.default, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else lambda obj, _level: _encoder.iterencode(obj)
)


def event_hash(row: dict[str, Any]) -> str:
    payload = {field: row[field] for field in HASHED_FIELDS}
    payload["occurred_at"] = _utc_iso(row["occurred_at"])
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    event_id: int | None
    problem: str

    def describe(self) -> str:
        where = f"event #{self.seq} (id {self.event_id})" if self.seq is not None else "chain"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_rows(
    rows: Iterable[dict[str, Any]], *, head_seq: int | None, head_hash: str | None
) -> VerifyResult:
    """Walks events in `seq` order and returns the first break, if any."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for row in rows:
        seq, event_id = row["seq"], row["id"]
        if seq != expected_seq:
            if seq > expected_seq:
                msg = f"events #{expected_seq}..#{seq - 1} are missing (deleted)"
            else:
                msg = f"sequence number repeats or goes back (expected #{expected_seq})"
            return VerifyResult(checked, ChainProblem(seq, event_id, msg))
        if row["prev_hash"] != expected_prev:
            return VerifyResult(
                checked,
                ChainProblem(
                    seq,
                    event_id,
                    "does not follow the previous event (reordered or a predecessor was replaced)",
                ),
            )
        recomputed = event_hash(row)
        if recomputed != row["hash"]:
            return VerifyResult(
                checked, ChainProblem(seq, event_id, "content does not match its hash (edited)")
            )
        expected_prev = row["hash"]
        expected_seq += 1
        checked += 1
    if head_seq is not None and head_seq != expected_seq - 1:
        return VerifyResult(
            checked,
            ChainProblem(
                None,
                None,
                f"the chain head records {head_seq} events but {expected_seq - 1} were found "
                "(events deleted from the end)",
            ),
        )
    if head_hash is not None and checked and head_hash != expected_prev:
        return VerifyResult(
            checked, ChainProblem(None, None, "the last event's hash differs from the chain head")
        )
    return VerifyResult(checked, None)


def iter_event_rows(chunk_size: int = 5000) -> Iterator[dict[str, Any]]:
    """Every event as a dict through the ORM: the plain, slow reference walk (tests, bench)."""
    from .models import AuditEvent

    fields = ("id", "hash", *HASHED_FIELDS)
    yield from AuditEvent.objects.order_by("seq").values(*fields).iterator(chunk_size=chunk_size)


# --------------------------------------------------------------------------- fast path
# verify_rows over ORM dicts manages ~25,000 events/s; examiners need a million-event chain
# checked in well under a minute. The fast walk reads plain tuples in HASHED_FIELDS order
# straight from the database cursor (no model, no values() dicts, no per-field converters),
# has PostgreSQL format the timestamp in the hash's own form, and rebuilds exactly the payload
# event_hash builds. Its results (count, first problem and message) are those of verify_rows.

_JSON_FIELDS = ("before", "after", "reason_codes")
_PREV = len(HASHED_FIELDS) + 1  # index of prev_hash in a fast row (id, hash, *HASHED_FIELDS)
PG_UTC_ISO = "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
PARALLEL_MIN_EVENTS = 200_000
CHUNK = 20_000


def fast_columns(vendor: str) -> str:
    """The SELECT list of a fast row: id, hash, then HASHED_FIELDS in order."""
    columns = ["id", "hash"]
    for field in HASHED_FIELDS:
        if field == "occurred_at":
            # SQLite: the stored text, not a datetime (the raw cursor's converter is slow).
            columns.append(PG_UTC_ISO if vendor == "postgresql" else "CAST(occurred_at AS TEXT)")
        elif field in _JSON_FIELDS and vendor == "postgresql":
            columns.append(f'"{field}"::text')
        else:
            columns.append(f'"{field}"')
    return ", ".join(columns)


def _sqlite_utc_iso(value: Any) -> str:
    """Django stores aware datetimes on SQLite as naive UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        if len(value) == 19 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}.000000Z"
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _utc_iso(value)


NOT_FOLLOWING = "does not follow the previous event (reordered or a predecessor was replaced)"
EDITED = "content does not match its hash (edited)"


def _seq_message(seq: int, expected_seq: int) -> str:
    if seq > expected_seq:
        return f"events #{expected_seq}..#{seq - 1} are missing (deleted)"
    return f"sequence number repeats or goes back (expected #{expected_seq})"


@dataclass(frozen=True)
class Segment:
    """What a walk over a contiguous run of rows found, for stitching runs together."""

    checked: int
    problem: ChainProblem | None
    first: tuple[int, int, str] | None  # (seq, id, prev_hash) of the first row
    next_seq: int
    last_hash: str


def walk_rows(
    rows: Iterable[Sequence[Any]],
    *,
    expected_seq: int | None,
    expected_prev: str | None,
    vendor: str,
) -> Segment:
    """verify_rows' loop over fast rows. With expected_seq/expected_prev None the first row
    is taken as it comes (one part of a parallel walk: `stitch` checks how parts join)."""
    loads, sha256, encode = json.loads, hashlib.sha256, _canonical_chunks
    fields = HASHED_FIELDS
    convert_ts = None if vendor == "postgresql" else _sqlite_utc_iso
    checked = 0
    first: tuple[int, int, str] | None = None
    exp_seq = expected_seq if expected_seq is not None else -1
    exp_prev = expected_prev if expected_prev is not None else ""
    problem: ChainProblem | None = None
    for row in rows:
        event_id, stored, seq, prev = row[0], row[1], row[2], row[_PREV]
        if first is None:
            first = (seq, event_id, prev)
            if expected_seq is None:
                exp_seq = seq
            if expected_prev is None:
                exp_prev = prev
        if seq != exp_seq:
            problem = ChainProblem(seq, event_id, _seq_message(seq, exp_seq))
            break
        if prev != exp_prev:
            problem = ChainProblem(seq, event_id, NOT_FOLLOWING)
            break
        payload = dict(zip(fields, row[2:], strict=True))
        try:
            if convert_ts is not None:
                payload["occurred_at"] = convert_ts(payload["occurred_at"])
            for field in _JSON_FIELDS:
                value = payload[field]
                if value is not None:
                    payload[field] = loads(value)
            encoded = "".join(encode(payload, 0))
        except (ValueError, TypeError, RecursionError):
            encoded = ""  # undecodable content (written around the application): not ours
        if sha256(encoded.encode("utf-8")).hexdigest() != stored:
            problem = ChainProblem(seq, event_id, EDITED)
            break
        exp_prev = stored
        exp_seq += 1
        checked += 1
    return Segment(checked, problem, first, exp_seq, exp_prev)


def stitch(parts: Iterable[Segment], *, expected_seq: int, expected_prev: str) -> Segment:
    """Joins the parts of a parallel walk in seq order as one sequential walk would see them:
    a part's first row must continue the previous part (seq, then prev_hash) before the
    part's own findings count."""
    checked = 0
    first: tuple[int, int, str] | None = None
    for part in parts:
        if part.first is None:
            continue  # an empty range
        first = first or part.first
        seq, event_id, prev = part.first
        if seq != expected_seq:
            problem = ChainProblem(seq, event_id, _seq_message(seq, expected_seq))
            return Segment(checked, problem, first, expected_seq, expected_prev)
        if prev != expected_prev:
            problem = ChainProblem(seq, event_id, NOT_FOLLOWING)
            return Segment(checked, problem, first, expected_seq, expected_prev)
        checked += part.checked
        expected_seq, expected_prev = part.next_seq, part.last_hash
        if part.problem is not None:
            return Segment(checked, part.problem, first, expected_seq, expected_prev)
    return Segment(checked, None, first, expected_seq, expected_prev)


def head_problem(
    checked: int, next_seq: int, last_hash: str, *, head_seq: int | None, head_hash: str | None
) -> ChainProblem | None:
    """verify_rows' end-of-chain checks against the chain head."""
    if head_seq is not None and head_seq != next_seq - 1:
        return ChainProblem(
            None,
            None,
            f"the chain head records {head_seq} events but {next_seq - 1} were found "
            "(events deleted from the end)",
        )
    if head_hash is not None and checked and head_hash != last_hash:
        return ChainProblem(None, None, "the last event's hash differs from the chain head")
    return None


def _sql_range(vendor: str, *, lower_exclusive: bool) -> str:
    op = ">" if lower_exclusive else ">="
    return (
        f"SELECT {fast_columns(vendor)} FROM audit_auditevent "
        f"WHERE seq {op} %s AND seq <= %s ORDER BY seq"
    )


def iter_fast_rows(first_seq: int, last_seq: int | None) -> Iterator[Sequence[Any]]:
    """Fast rows with first_seq <= seq <= last_seq (None: to the end), in seq order, in
    constant memory: keyset pages of CHUNK rows, which works the same on every database and
    holds no cursor open between pages (a streamed export may pause between them)."""
    from django.db import connection

    sql = _sql_range(connection.vendor, lower_exclusive=True) + f" LIMIT {CHUNK}"
    after = first_seq - 1
    upper = last_seq if last_seq is not None else 2**62
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [after, upper])
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1][2]


def _pg_part(conninfo: dict[str, Any], snapshot: str, low: int, high: int) -> Segment:
    """One worker's share of a parallel verification, in the parent's snapshot."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**conninfo) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        with conn.cursor(name="audit_verify_part") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(_sql_range("postgresql", lower_exclusive=False), [low, high])
            return walk_rows(cursor, expected_seq=None, expected_prev=None, vendor="postgresql")


def verify_fast(*, workers: int | None = None) -> VerifyResult:
    """The whole chain, as verify_rows would judge it, from a consistent snapshot.

    On PostgreSQL, outside any transaction, the chain head and the rows are read in one
    REPEATABLE READ snapshot (an append during the walk cannot look like a deletion), and a
    large chain is split by seq range over `workers` processes (default: the CPU count, at
    most 4) sharing that snapshot; the parent checks the joins between the ranges. 1M
    events on 2 cores with PostgreSQL on the same host: ~21-25 s in one process, ~15-17 s
    in two (bench/bench_audit.py).
    """
    from django.db import connection, transaction

    vendor = connection.vendor
    if vendor != "postgresql":
        head = _head()
        walk = walk_rows(
            iter_fast_rows(1, None), expected_seq=1, expected_prev=GENESIS_HASH, vendor=vendor
        )
        return _result(walk, head)

    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(
                "SELECT coalesce(min(seq), 1), coalesce(max(seq), 0) FROM audit_auditevent"
            )
            low, high = cursor.fetchone()
        head = _head()
        if workers is None:
            workers = min(os.cpu_count() or 1, 4)
        # Other processes cannot see the rows of an enclosing, uncommitted transaction.
        if outermost and workers > 1 and high - low + 1 >= PARALLEL_MIN_EVENTS:
            walk = _parallel_walk(connection, low, high, workers)
        else:
            raw = connection.connection
            with raw.cursor(name="audit_verify") as cursor:
                cursor.itersize = CHUNK
                cursor.execute(_sql_range(vendor, lower_exclusive=False), [low, high])
                walk = walk_rows(cursor, expected_seq=1, expected_prev=GENESIS_HASH, vendor=vendor)
    return _result(walk, head)


def _parallel_walk(connection: Any, low: int, high: int, workers: int) -> Segment:
    import multiprocessing

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
    conninfo = {
        key: value
        for key, value in connection.get_connection_params().items()
        if key not in ("cursor_factory", "context", "prepare_threshold", "server_side_binding")
    }
    step = (high - low + workers) // workers
    bounds = [(start, min(start + step - 1, high)) for start in range(low, high + 1, step)]
    # spawn, not fork: a forked child would share the parent's open database socket.
    with multiprocessing.get_context("spawn").Pool(len(bounds)) as pool:
        parts = pool.starmap(_pg_part, [(conninfo, snapshot, a, b) for a, b in bounds])
    return stitch(parts, expected_seq=1, expected_prev=GENESIS_HASH)


def _head() -> tuple[int, str | None]:
    from .models import AuditChainHead

    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    return (head[0], head[1]) if head else (0, None)


def _result(walk: Segment, head: tuple[int, str | None]) -> VerifyResult:
    if walk.problem is not None:
        return VerifyResult(walk.checked, walk.problem)
    problem = head_problem(
        walk.checked, walk.next_seq, walk.last_hash, head_seq=head[0], head_hash=head[1]
    )
    return VerifyResult(walk.checked, problem)


def verify_chain(*, workers: int | None = None) -> VerifyResult:
    """The whole chain: the fast walk (same results as verify_rows over iter_event_rows)."""
    return verify_fast(workers=workers)
