"""Reviewer workbench benchmark.

    .venv/bin/python bench/bench_workbench.py [--requests 60] [--cases 100000] [--merchants 20000]
                                              [--smoke]

Builds (once; reused when already filled) a PostgreSQL database of its own — the server of
DATABASE_URL, database `kyc_bench_workbench` — holding --merchants merchants and --cases open
review cases spread over the default queues (bulk_create), then times server-side, through
Django's test Client, at least 50 requests each of: the queue page (all queues, and one queue
filtered), the queue API (GET /api/v1/queues/{code}/cases/) and the case page. Prints p50/p95
against the targets (150 / 150 / 200 ms), the query count per request and the machine; exits 1
when a target is missed.

The reviewer signs in as staff do: a session, then the 6-digit code of their confirmed TOTP
device posted to the second-factor page (staff pages answer nothing else since hardening).

--smoke (what CI runs, seconds): a fresh database of its own (bench/smoke_support.py, dropped
afterwards), 300 cases over 60 merchants, 5 requests each; fails only when a request does not
answer 200, never on a target (the figures of a smoke run are not the benchmark's).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
BENCH_DB = "kyc_bench_workbench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--merchants", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true", help="seconds, own database, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.cases, args.merchants = 5, 300, 60
    return args


def _bench_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_workbench needs DATABASE_URL=postgres://… (a PostgreSQL server).")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


ARGS = parse_args()
SMOKE_URL = None
if ARGS.smoke:
    from smoke_support import exit_on_sigterm, smoke_database

    exit_on_sigterm()

    SMOKE_URL = os.environ["DATABASE_URL"] = smoke_database("workbench")
else:
    os.environ["DATABASE_URL"] = _bench_url()
    _create_database(os.environ["DATABASE_URL"])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.otp import current_code  # noqa: E402
from accounts.roles import Role  # noqa: E402
from cases.models import CaseKind, CaseState, Queue, ReviewCase  # noqa: E402
from cases.reference_data import load_reference_data  # noqa: E402
from merchants.models import Merchant  # noqa: E402

TARGETS_MS = {"queue page": 150, "queue API": 150, "case page": 200}
BATCH = 5000


def _reviewers(n: int = 40) -> list[User]:
    group, _ = Group.objects.get_or_create(name=Role.REVIEWER)
    senior, _ = Group.objects.get_or_create(name=Role.SENIOR_REVIEWER)
    users = []
    for i in range(n):
        user, created = User.objects.get_or_create(
            username=f"bench-reviewer-{i}", defaults={"email": f"bench-reviewer-{i}@example.com"}
        )
        if created:
            user.groups.add(senior if i % 4 == 0 else group)
        users.append(user)
    return users


def populate(*, cases: int, merchants: int, migrate: bool = True) -> None:
    if migrate:  # a smoke database is a copy of a migrated template
        call_command("migrate", verbosity=0)
    load_reference_data()
    have = ReviewCase.objects.count()
    if have >= cases:
        print(f"reusing {have} cases in {BENCH_DB}")
        return
    started = time.perf_counter()
    reviewers = _reviewers()
    queues = {q.code: q for q in Queue.objects.all()}
    existing = Merchant.objects.count()
    Merchant.objects.bulk_create(
        (
            Merchant(
                legal_name=f"Bench Trading {i} Co., Ltd.",
                local_name=f"基准贸易{i}有限公司",
                country="CN",
                registration_number=f"9135{i:014d}",
                contact_email=f"m{i}@example.com",
            )
            for i in range(existing, merchants)
        ),
        batch_size=BATCH,
    )
    merchant_ids = list(Merchant.objects.values_list("pk", flat=True))
    now = timezone.now()
    plan = [
        ("onboarding-standard", CaseKind.ONBOARDING, "low", CaseState.SUBMITTED, 50),
        ("onboarding-standard", CaseKind.ONBOARDING, "medium", CaseState.IN_REVIEW, 15),
        ("onboarding-high-risk", CaseKind.ONBOARDING, "high", CaseState.SUBMITTED, 8),
        ("edd", CaseKind.ONBOARDING, "high", CaseState.EDD, 7),
        ("second-approval", CaseKind.ONBOARDING, "high", CaseState.PENDING_SECOND_APPROVAL, 5),
        ("reverification", CaseKind.REVERIFICATION, "low", CaseState.SUBMITTED, 6),
        ("change-of-details", CaseKind.CHANGE_OF_DETAILS, "low", CaseState.SUBMITTED, 5),
        ("periodic-review", CaseKind.PERIODIC_REVIEW, "medium", CaseState.SUBMITTED, 4),
    ]
    slots = [row for row in plan for _ in range(row[4])]
    rows = []
    for i in range(have, cases):
        code, kind, tier, state, _weight = slots[i % len(slots)]
        held = state in (CaseState.IN_REVIEW,) or (state == CaseState.EDD and i % 2 == 0)
        rows.append(
            ReviewCase(
                merchant_id=merchant_ids[i % len(merchant_ids)],
                kind=kind,
                state=state,
                risk_tier=tier,
                queue=queues[code],
                priority=10 if tier == "high" else 50,
                requires_four_eyes=tier == "high",
                sla_due_at=now + timedelta(minutes=(i * 37) % (96 * 60) - 12 * 60),
                submitted_at=now - timedelta(hours=i % 72),
                assignee=reviewers[i % len(reviewers)] if held else None,
            )
        )
        if len(rows) == BATCH:
            ReviewCase.objects.bulk_create(rows)
            rows = []
    ReviewCase.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"populated {cases} cases and {merchants} merchants in "
        f"{time.perf_counter() - started:.1f} s"
    )


def sign_in(user: User) -> Client:
    """A client signed in as `user` the way staff sign in: the session, then the code of the
    user's confirmed TOTP device on the second-factor page. Checks the queue page answers."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/two-factor/", {"otp_token": current_code(device)})
    assert response.status_code == 302, f"second factor refused ({response.status_code})"
    response = client.get("/review/")
    assert response.status_code == 200, f"the queue page answers {response.status_code}"
    return client


def measure(client: Client, url: str, n: int) -> tuple[list[float], list[float], int]:
    """Wall times and this process's CPU times (ms) of n requests, and the query count. On a
    shared machine the CPU time (Django's side; PostgreSQL's is not in it) says more than the
    wall time, which includes waiting for a core."""
    for _ in range(3):  # warm caches and connections
        assert client.get(url).status_code == 200, url
    times, cpu = [], []
    for _ in range(n):
        start, cpu_start = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return times, cpu, len(ctx.captured_queries)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]  # type: ignore[index]
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {django.get_version()}, PostgreSQL {pg}"
    )


def main(args: argparse.Namespace) -> int:
    n = args.requests if args.smoke else max(args.requests, 50)
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    populate(cases=args.cases, merchants=args.merchants, migrate=not args.smoke)
    open_cases = ReviewCase.objects.filter(state__in=[s for s in CaseState.values]).count()
    reviewer = User.objects.get(username="bench-reviewer-1")
    client = sign_in(reviewer)
    case = ReviewCase.objects.filter(state=CaseState.IN_REVIEW).order_by("sla_due_at").first()
    assert case is not None
    checks: list[tuple[str, str, str]] = [
        ("queue page", "all queues", "/review/"),
        ("queue page", "one queue, filtered", "/review/?code=onboarding-standard&risk_tier=low"),
        ("queue page", "search", f"/review/?q={case.merchant.legal_name}"),
        ("queue API", "one queue", "/api/v1/queues/onboarding-standard/cases/"),
        ("queue API", "counts", "/api/v1/queues/"),
        ("case page", f"case {case.pk}", f"/review/cases/{case.pk}/"),
    ]
    note = " (SMOKE run: not the figures)" if args.smoke else ""
    print(f"{open_cases} cases, {Merchant.objects.count()} merchants; {n} requests each{note}")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"machine: {machine()}; load average {load}")
    failed = False
    report: Callable[[str], None] = print
    for name, label, url in checks:
        times, cpu, queries = measure(client, url, n)
        value = p95(times)
        ok = value <= TARGETS_MS[name]
        failed |= not ok
        report(
            f"{name:<10} {label:<22} p50 {statistics.median(times):6.1f} ms  p95 {value:6.1f} ms"
            f"  (target <= {TARGETS_MS[name]} ms: {'ok' if ok else 'MISSED'})  {queries} queries"
            f"  CPU p50 {statistics.median(cpu):5.1f} ms"
        )
    return 0 if args.smoke else (1 if failed else 0)


if __name__ == "__main__":
    try:
        status = main(ARGS)
    finally:
        if SMOKE_URL:
            connection.close()
            from smoke_support import drop_database

            drop_database(SMOKE_URL)
    sys.exit(status)

__all__: list[Any] = []
