"""Hashing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
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


def event_hash(row: dict[str, Any]) -> str:
    payload = {field: row[field] for field in HASHED_FIELDS}
    payload["occurred_at"] = _utc_iso(row["occurred_at"])
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


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
    from .models import AuditEvent

    fields = ("id", "hash", *HASHED_FIELDS)
    yield from AuditEvent.objects.order_by("seq").values(*fields).iterator(chunk_size=chunk_size)


def verify_chain() -> VerifyResult:
    from .models import AuditChainHead

    head = AuditChainHead.objects.filter(pk=1).first()
    return verify_rows(
        iter_event_rows(),
        head_seq=head.last_seq if head else 0,
        head_hash=head.last_hash if head else None,
    )
