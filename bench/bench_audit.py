"""Audit chain benchmark: verification of a 1,000,000-event chain on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyc_bench_audit \\
        .venv/bin/python bench/bench_audit.py [--events 1000000] [--rebuild] [--runs 2]
        [--workers N] [--skip-old]

1. Builds the chain if the database does not already hold exactly --events events (or with
   --rebuild): migrates, then COPYs realistic rows (before/after JSON dicts of ~5 keys, ~80
   characters of text, some Chinese, reason-code lists) whose hashes are computed with
   audit.chain.event_hash, so the chain is valid. The database must be a throwaway one: the
   build TRUNCATEs the audit tables.
2. Times the old reference walk (Django `values()` rows into `verify_rows`) once, and the fast
   verifier (`verify_chain`, what `manage.py verify_audit` runs) --runs times, and checks that
   both report the same result.
3. Times an audit export (JSONL) of one day of the chain.

Prints the figures and the machine (CPU model, cores, Python, PostgreSQL).

--smoke (what CI runs, seconds): a fresh database of its own (bench/smoke_support.py: a copy
of a migrated template, dropped afterwards) instead of DATABASE_URL's, 3,000 events, one run;
it fails when a verifier or an export does not say the chain is intact, or the CSV export
does not read as a plain CSV.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="verify_chain(workers=...)")
    parser.add_argument("--skip-old", action="store_true", help="skip the old reference walk")
    parser.add_argument("--smoke", action="store_true", help="seconds, own database, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.runs, args.rebuild = 3000, 1, True
    return args


ARGS = parse_args()
SMOKE_URL = None
if ARGS.smoke:
    from smoke_support import exit_on_sigterm, smoke_database

    exit_on_sigterm()

    SMOKE_URL = os.environ["DATABASE_URL"] = smoke_database("audit")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from audit.chain import (  # noqa: E402
    GENESIS_HASH,
    HASHED_FIELDS,
    event_hash,
    iter_event_rows,
    verify_chain,
    verify_rows,
)
from audit.models import AuditChainHead  # noqa: E402

TARGET_S = 60.0
COLUMNS = (*HASHED_FIELDS, "hash")  # the row as the bulk insert writes it
ACTIONS = (
    "case.claimed",
    "case.approved",
    "case.info_requested",
    "document.viewed",
    "document.accepted",
    "screening.disposed",
    "comment.added.internal",
    "capability.decided",
)
TEXTS = (
    "Business licence checked against the registry; the registered address matches the invoice.",
    "营业执照与国家企业信用信息公示系统一致，法定代表人身份证件有效，经营范围覆盖所申请的业务。",
    "Requested the shareholder register and a bank statement: ownership above 25% is unclear.",
    "Screening hit on a similar name discounted: different date of birth and nationality.",
)
REASONS = (["DOC_MATCH"], ["ADDRESS_MISMATCH", "UBO_UNCLEAR"], [], ["SANCTIONS_FP"])


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {pg}, {platform.system()} {platform.release()}"
    )


def make_row(seq: int, when: datetime, prev_hash: str, rnd: random.Random) -> dict[str, Any]:
    case_id = rnd.randint(1, 50_000)
    state = rnd.choice(("submitted", "in_review", "info_requested", "approved"))
    row: dict[str, Any] = {
        "seq": seq,
        "occurred_at": when,
        "actor_id": rnd.randint(1, 300),
        "actor_repr": f"reviewer{rnd.randint(1, 300)}",
        "actor_type": "user",
        "actor_role": "reviewer",
        "action": ACTIONS[seq % len(ACTIONS)],
        "object_type": "cases.reviewcase",
        "object_id": str(case_id),
        "case_id": case_id,
        "merchant_id": case_id + 7,
        "before": {"state": "submitted", "assignee": None, "tier": "low", "n": seq, "ok": True},
        "after": {
            "state": state,
            "assignee": "reviewer7",
            "tier": "medium",
            "note": "深圳市光明贸易",
            "n": seq + 1,
        },
        "reason_codes": REASONS[seq % len(REASONS)],
        "text": TEXTS[seq % len(TEXTS)],
        "policy_version": "2026.1",
        "ip": f"203.0.113.{seq % 250}",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        "prev_hash": prev_hash,
    }
    row["hash"] = event_hash(row)
    return row


def build(n: int) -> None:
    import json

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    rnd = random.Random(20261121)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent, audit_auditchainhead RESTART IDENTITY")
    raw = connection.connection  # the psycopg connection
    prev = GENESIS_HASH
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for seq in range(1, n + 1):
                # ~30 s apart on average, with some in the same microsecond-free second.
                when = start + timedelta(seconds=seq * 30, microseconds=rnd.randint(0, 999_999))
                row = make_row(seq, when, prev, rnd)
                prev = row["hash"]
                copy.write_row(
                    [
                        json.dumps(row[c], ensure_ascii=False)
                        if c in ("before", "after", "reason_codes")
                        else row[c]
                        for c in COLUMNS
                    ]
                )
        cursor.execute(
            "INSERT INTO audit_auditchainhead (id, last_seq, last_hash) VALUES (1, %s, %s)",
            [n, prev],
        )
    raw.commit() if not raw.autocommit else None
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
    print(f"built {n:,} events in {time.monotonic() - started:.1f}s")


def main(args: argparse.Namespace) -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a throwaway PostgreSQL database (e.g. kyc_bench_audit).")

    print(machine())
    try:
        present = AuditChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first()
        # Exports append their own events: a bigger chain is still the benchmark chain.
        count_ok = present is not None and present >= args.events
    except Exception:  # noqa: BLE001 - not migrated yet
        connection.close()
        count_ok = False
    if args.rebuild or not count_ok:
        build(args.events)
    else:
        print(f"reusing the {args.events:,}-event chain")

    reference = None
    if not args.skip_old:
        head = AuditChainHead.objects.get(pk=1)
        started = time.monotonic()
        reference = verify_rows(iter_event_rows(), head_seq=head.last_seq, head_hash=head.last_hash)
        elapsed = time.monotonic() - started
        print(
            f"old walk (values() + verify_rows): {reference.checked:,} events in {elapsed:.1f}s "
            f"({reference.checked / elapsed:,.0f} events/s), ok={reference.ok}"
        )

    times = []
    for run in range(args.runs):
        started = time.monotonic()
        result = verify_chain(workers=args.workers)
        elapsed = time.monotonic() - started
        times.append(elapsed)
        print(
            f"fast verify run {run + 1}: {result.checked:,} events in {elapsed:.1f}s "
            f"({result.checked / elapsed:,.0f} events/s), ok={result.ok}"
        )
        if reference is not None:
            assert (result.checked, result.problem) == (reference.checked, reference.problem)
        if args.smoke:
            assert result.ok and result.checked == args.events, result
    best = min(times)
    verdict = "PASS" if best <= TARGET_S else "FAIL"
    print(
        f"fast verify best {best:.1f}s for {args.events:,} events: {verdict} (target {TARGET_S}s)"
    )

    import csv
    import io

    from audit.export import COLUMNS, audit_export

    since = datetime(2026, 1, 2, tzinfo=UTC)
    for fmt in ("jsonl", "csv"):
        started = time.monotonic()
        export = audit_export(actor=None, since=since, until=since + timedelta(days=1), fmt=fmt)
        planned = time.monotonic() - started
        size = 0
        first: str | None = None
        for chunk in export:
            size += len(chunk.encode())
            first = first or chunk
        elapsed = time.monotonic() - started
        if args.smoke:
            assert export.ok and export.count > 0, export.verification
            if fmt == "csv":  # a plain CSV: the header row first, then the events
                reader = csv.DictReader(io.StringIO(first or "", newline=""))
                assert tuple(reader.fieldnames or ()) == COLUMNS, reader.fieldnames
                assert next(reader)["seq"].isdigit()
        print(
            f"export of one day as {fmt}: {export.count:,} events, {size / 1e6:.1f} MB, "
            f"segment of {export.verification.checked:,} verified (ok={export.ok}) in "
            f"{planned:.2f}s, total {elapsed:.2f}s"
        )


if __name__ == "__main__":
    try:
        main(ARGS)
    finally:
        if SMOKE_URL:
            connection.close()
            from smoke_support import drop_database

            drop_database(SMOKE_URL)
