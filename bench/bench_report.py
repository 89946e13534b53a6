"""PDF review report benchmark.

    .venv/bin/python bench/bench_report.py [--runs 30]              # render + store, one core
    .venv/bin/python bench/bench_report.py --workers 2 --reports 1000  # real Celery workers

Uses a PostgreSQL database of its own (the server of DATABASE_URL, database
`kyc_bench_report`, rebuilt each run) holding one typical decided case: 3 owners, 8 documents
with 3 check results each, 2 disposed screening matches, about 30 audit events of the case.

Single mode pins the process to one CPU and times `report_build` (render with WeasyPrint,
store in a local FileSystemStorage, record the audit event) for --runs new versions; prints
median / p95 against the 1 s target. Worker mode starts --workers `celery worker` processes
(solo pool, Redis broker redis://127.0.0.1:6379/13), enqueues --reports builds and counts
built, failed and the throughput.

--smoke (what CI runs, seconds): a fresh database of its own (bench/smoke_support.py, a copy
of a migrated template, dropped afterwards) instead of `kyc_bench_report`; one build in process,
then (when Redis answers: BENCH_REDIS_URL, else the tests' broker) one by a real Celery
worker; fails when a build does not end built. Its figures are not the benchmark's.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
BENCH_DB = "kyc_bench_report"
BROKER = "redis://127.0.0.1:6379/13"
CASES = 50
MEDIA = Path(tempfile.gettempdir()) / "kyc_bench_report_media"


def _bench_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_report needs DATABASE_URL=postgres://… (a PostgreSQL server).")
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))


def _recreate_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [BENCH_DB],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
for name in ("S3_BUCKET", "CELERY_BROKER_URL"):
    os.environ.pop(name, None)


def setup_django(fresh: bool) -> None:
    if fresh:
        _recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def make_case() -> int:
    """One typical decided case, written directly (the services have their own tests)."""
    import hashlib
    from datetime import date, timedelta

    from django.db import transaction
    from django.utils import timezone

    from accounts.roles import Role
    from audit.services import audit_record
    from cases.models import CaseState, ReasonCode, ReviewCase
    from cases.reference_data import load_reference_data
    from kyc.models import (
        CheckOutcome,
        Disposition,
        DocumentCheckResult,
        DocumentType,
        PolicyVersion,
        QualificationDocument,
        SanctionsEntry,
        SanctionsList,
        ScreeningMatch,
    )
    from merchants.models import Merchant, Person
    from tests.factories import make_user

    load_reference_data()
    maker, checker = make_user(Role.REVIEWER), make_user(Role.SENIOR_REVIEWER)
    merchant = Merchant.objects.create(
        legal_name="Ningbo Harbour Textiles Co., Ltd.",
        local_name="宁波港湾纺织有限公司",
        entity_type="company",
        country="CN",
        registration_number="91350100M000100Y43",
        registered_address="88 Harbour Road, Beilun District, Ningbo, Zhejiang",
        website="https://harbour-textiles.example",
    )
    people = [
        Person.objects.create(
            merchant=merchant,
            full_name=name,
            local_name=local,
            is_beneficial_owner=True,
            is_legal_representative=i == 0,
            ownership_percent=pct,
        )
        for i, (name, local, pct) in enumerate(
            [("Li Wei", "李伟", 50), ("Zhang Min", "张敏", 30), ("Chen Jie", "陈杰", 20)]
        )
    ]
    types = list(DocumentType.objects.all()[:8])
    for i in range(8):
        doc = QualificationDocument.objects.create(
            merchant=merchant,
            document_type=types[i % len(types)],
            person=people[i % 3] if i >= 5 else None,
            file=f"documents/bench/{i}.pdf",
            original_filename=f"document-{i}.pdf",
            sha256=hashlib.sha256(str(i).encode()).hexdigest(),
            size=120_000 + i,
            content_type="application/pdf",
            page_count=2,
            number=f"NO-{i:06d}",
            issuer="Ningbo Administration for Market Regulation",
            holder_name=merchant.legal_name,
            issue_date=date(2022, 1, 1),
            expiry_date=date(2030, 1, 1),
            status="accepted",
        )
        for check, outcome in (("file_type", "passed"), ("expiry", "passed"), ("name", "warning")):
            DocumentCheckResult.objects.create(
                document=doc,
                check_name=check,
                outcome=CheckOutcome(outcome),
                code=f"{check}_{outcome}",
                message_en=f"The {check} check {outcome}.",
                message_zh="检查完成。",
            )
    sdn = SanctionsList.objects.filter(is_active=True).first() or SanctionsList.objects.create(
        label="sdn.csv", sha256="0" * 64, is_active=True
    )
    for i, name in enumerate(("Harbour Trading Front LLC", "Li Wei Shipping")):
        entry = SanctionsEntry.objects.create(
            sanctions_list=sdn,
            list_id=f"{merchant.pk}-{36000 + i}",
            entry_type="entity",
            primary_name=name,
            names=[{"name": name, "kind": "primary"}],
            programs=["SDGT"],
        )
        ScreeningMatch.objects.create(
            merchant=merchant,
            subject="legal_name",
            screened_name=merchant.legal_name,
            sanctions_list=sdn,
            entry=entry,
            matched_name=name,
            score=81,
            explanation="token overlap",
            status=Disposition.FALSE_POSITIVE,
            disposition_comment="Different registration number and address.",
            disposed_by=maker,
            disposed_at=timezone.now(),
        )
    case = ReviewCase.objects.create(
        merchant=merchant,
        risk_tier="medium",
        maker=maker,
        checker=checker,
        policy_version=PolicyVersion.objects.order_by("-version").first(),
        decision_rationale="All documents verified; hits are false positives.",
        decided_at=timezone.now() - timedelta(minutes=1),
    )
    ReviewCase.objects.filter(pk=case.pk).update(state=CaseState.APPROVED)
    case.decision_reason_codes.set(ReasonCode.objects.filter(code="approved_clean"))
    with transaction.atomic():
        for i in range(30):
            audit_record(
                action=("case.claimed", "document.accepted", "comment.added.internal")[i % 3],
                actor=maker,
                obj=case,
                case_id=case.pk,
                merchant_id=merchant.pk,
                text=f"Step {i}: looked at the file and the registry extract.",
            )
    return case.pk


def new_reports(case_id: int, n: int) -> list[int]:
    from django.db.models import Max

    from cases.models import ReportTrigger, ReviewReport

    last = ReviewReport.objects.filter(case_id=case_id).aggregate(v=Max("version"))["v"] or 0
    rows = ReviewReport.objects.bulk_create(
        ReviewReport(case_id=case_id, version=last + i + 1, trigger=ReportTrigger.REBUILD)
        for i in range(n)
    )
    return [r.pk for r in rows]


def machine() -> str:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Model name" in ln), ""
        )
    except OSError:
        pass
    return (
        f"{model or platform.processor()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def run_single(runs: int, warm: int = 2) -> None:
    from cases.models import ReviewReport
    from cases.reports.build import report_build

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    # One fresh case per build: each build's own `report.built` event joins its case's
    # timeline, so rebuilding one case over and over would time ever longer reports.
    ids = [new_reports(make_case(), 1)[0] for _ in range(runs + warm)]
    for report_id in ids[:warm]:  # imports, fonts, the first template load
        assert report_build(report_id=report_id).built
    times = []
    for report_id in ids[warm:]:
        started = time.perf_counter()
        result = report_build(report_id=report_id)
        times.append(time.perf_counter() - started)
        assert result.built
    sample = ReviewReport.objects.get(pk=ids[-1])
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"machine: {machine()}")
    print(
        f"report: {sample.page_count} pages, {sample.size} bytes "
        f"(3 owners, 8 documents, 2 screening matches, 30+ timeline events)"
    )
    print(
        f"render+store, one core, {len(times)} runs: median {statistics.median(times):.3f} s, "
        f"p95 {p95:.3f} s, max {times[-1]:.3f} s (target <= 1 s)"
    )


def run_workers(workers: int, n: int, *, smoke: bool = False) -> None:
    import redis
    from django.db.models import Count

    from cases.models import ReportStatus, ReviewReport
    from config import celery_app

    broker = redis.Redis.from_url(BROKER)
    broker.flushdb()
    # Builds spread over CASES cases, so each case's timeline grows by n / CASES events only.
    case_count = min(CASES, n) if smoke else CASES
    case_ids = [make_case() for _ in range(case_count)]
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    logs = Path(tempfile.mkdtemp(prefix="bench_report_"))
    procs = []
    for i in range(workers):
        log = (logs / f"worker{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "reports",
                    "--pool",
                    "solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"bench-report-{i}-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        if not smoke:  # the workers import Django and WeasyPrint before the clock starts
            time.sleep(8)
        ids = [
            report_id
            for i, case_id in enumerate(case_ids)
            for report_id in new_reports(case_id, n // case_count + (i < n % case_count))
        ]
        celery_app.conf.update(task_always_eager=False, broker_url=BROKER)
        from cases.tasks import build_report_task

        started = time.perf_counter()
        for report_id in ids:
            build_report_task.delay(report_id)
        deadline = time.monotonic() + (120 if smoke else max(600, n * 3))
        while True:
            counts = dict(
                ReviewReport.objects.filter(pk__in=ids)
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
            done = counts.get(ReportStatus.BUILT, 0) + counts.get(ReportStatus.FAILED, 0)
            if done >= n or time.monotonic() > deadline:
                break
            time.sleep(1)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        broker.flushdb()
    from audit.models import AuditEvent

    events = AuditEvent.objects.filter(action="report.built", case_id__in=case_ids).count()
    print(f"machine: {machine()}")
    print(
        f"{n} builds by {workers} workers: built {counts.get(ReportStatus.BUILT, 0)}, "
        f"failed {counts.get(ReportStatus.FAILED, 0)}, "
        f"pending {counts.get(ReportStatus.PENDING, 0)}, report.built events {events}; "
        f"{elapsed:.1f} s, {n / elapsed:.2f} reports/s (logs: {logs})"
    )
    if smoke:
        assert counts.get(ReportStatus.BUILT, 0) == n == events, f"{counts}, {events} events"
        shutil.rmtree(logs, ignore_errors=True)


def main() -> None:
    global BROKER, MEDIA
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true", help="seconds, own database, for CI")
    args = parser.parse_args()
    smoke_url = None
    if args.smoke:
        from smoke_support import exit_on_sigterm, redis_url, smoke_database

        exit_on_sigterm()

        smoke_url = os.environ["DATABASE_URL"] = smoke_database("report")
        MEDIA = Path(tempfile.mkdtemp(prefix="kyc_bench_report_smoke_"))
    else:
        os.environ["DATABASE_URL"] = _bench_url()
    os.environ["MEDIA_ROOT"] = str(MEDIA)
    shutil.rmtree(MEDIA, ignore_errors=True)
    try:
        setup_django(fresh=not args.smoke)
        if args.smoke:
            run_single(1, warm=0)
            print("SMOKE run: one cold build timed, not the figures")
            BROKER = redis_url(BROKER)  # skips (outside CI) when Redis does not answer
            run_workers(1, 1, smoke=True)
        elif args.workers:
            run_workers(args.workers, args.reports)
        else:
            run_single(args.runs)
    finally:
        if smoke_url:
            from django.db import connections

            connections.close_all()
            from smoke_support import drop_database

            drop_database(smoke_url)
            shutil.rmtree(MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
