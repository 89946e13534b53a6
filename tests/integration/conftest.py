"""Real services for the integration tests, started per test and stopped in teardown.

- `s3_server`: moto's S3-compatible HTTP server as a subprocess on a free port, one bucket,
  and Django's default storage pointed at it (django-storages' S3Storage through boto3).
- `celery_worker`: a real `celery worker` subprocess consuming both queues from Redis
  (database 14, or TEST_CELERY_BROKER_URL; flushed before and after), connected to the
  pytest test database and to the same bucket; the test process is switched from
  in-process tasks to that broker.
- `celery_workers`: starts workers on demand (`start(app=..., env=...)`), for the fault
  tests that SIGKILL one (`Worker.kill`) and start another.

Both need the pytest-django test database to exist first, and the worker must be gone before
the database is flushed or dropped, which the fixture dependencies guarantee.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.services import need

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv running pytest has celery and moto_server
# Flushed before and after each test: a machine running two suites at once gives each its
# own database (TEST_CELERY_BROKER_URL=redis://127.0.0.1:6379/11).
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
BUCKET = "merchant-kyc-integration"
S3_KEY_ID = "testing"
S3_SECRET = "testing"  # moto accepts any credentials
REGION = "us-east-1"


def onboard_ningbo(seller: Any) -> tuple[Any, Any, Any]:
    """The merchant the end-to-end tests onboard, through the services: a Chinese company
    (with its local name) and its legal representative holding 60 %; its draft case is open.
    Returns (merchant, case, person)."""
    from cases.services import onboarding_start
    from kyc.models import SanctionsList
    from kyc.screening.services import active_list
    from merchants.services import person_add

    if active_list() is None:
        # Approval needs a screening against an active list (cases.readiness): an empty one.
        SanctionsList.objects.create(
            source="ofac_sdn", label="empty-test-list.csv", sha256="0" * 64, is_active=True
        )

    merchant, case = onboarding_start(
        actor=seller,
        data={
            "legal_name": "Ningbo Harbour Textiles Co., Ltd.",
            "local_name": "宁波港湾纺织有限公司",
            "entity_type": "company",
            "country": "CN",
            "registration_number": "91350100M000100Y43",
        },
    )
    person = person_add(
        actor=seller,
        merchant=merchant,
        data={"full_name": "Li Wei", "is_legal_representative": True, "ownership_percent": "60"},
    )
    return merchant, case, person


def wait_screened(case: Any, timeout: float = 60) -> None:
    """Waits for the worker's screening and document checks after a submission: approval
    needs both to cover the data on file (cases.readiness)."""
    from cases.models import ReviewCase
    from cases.readiness import approval_blockers

    def ready() -> bool:
        fresh = ReviewCase.objects.select_related("merchant").get(pk=case.pk)
        codes = {b.code for b in approval_blockers(fresh)}
        return not codes & {"screening_stale", "checks_pending"}

    wait_until(ready, timeout=timeout, what="the worker to screen and check the merchant")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition"
) -> Any:
    """Polls until `predicate()` is truthy and returns its value; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)
        time.sleep(interval)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM (a Celery worker finishes its current task: warm shutdown), then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


@dataclass
class S3Server:
    endpoint_url: str
    bucket: str
    client: Any  # boto3 S3 client
    log: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_ACCESS_KEY_ID": S3_KEY_ID,
            "S3_SECRET_ACCESS_KEY": S3_SECRET,
            "S3_REGION": REGION,
        }


@pytest.fixture
def s3_server(settings: Any, tmp_path: Path) -> Iterator[S3Server]:
    need("moto")
    import boto3

    port = free_port()
    log = tmp_path / "moto_server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:

        def answers() -> bool:
            if proc.poll() is not None:
                pytest.fail(
                    f"moto_server exited ({proc.returncode}):\n{log_tail(log)}", pytrace=False
                )
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1).close()
            except urllib.error.HTTPError:
                return True  # any HTTP answer: it is serving
            except OSError:
                return False
            return True

        wait_until(answers, timeout=30, what="moto_server to answer")
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
            region_name=REGION,
        )
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": endpoint,
                    "access_key": S3_KEY_ID,
                    "secret_key": S3_SECRET,
                    "region_name": REGION,
                    "default_acl": None,
                    "file_overwrite": True,
                },
            },
        }
        yield S3Server(endpoint_url=endpoint, bucket=BUCKET, client=client, log=log)
    finally:
        stop_process(proc)


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and every process of its session (the pool's children): no
        warm shutdown, no acknowledgement, no restore of its unacknowledged message."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)


def _database_url() -> str:
    """The URL of the test database pytest-django created (test_<name>, or _gwN)."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'], safe='')}"


def _reset_producer_pool(app: Any) -> None:
    # The app caches its broker connection pool; after changing broker_url the next send
    # must open a connection to the new broker, not reuse the old one.
    pool = getattr(app, "_pool", None)
    if pool is not None:
        pool.force_close_all()
    app._pool = None
    # kombu keeps its pools in a process-wide registry keyed by the connection: without
    # clearing it, the next test with the same broker would be handed the closed pool.
    from kombu import pools

    pools.reset()
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def start_worker(
    s3_server: S3Server,
    log: Path,
    *,
    app: str = "config",
    pool: str = "solo",
    env: dict[str, str] | None = None,
) -> Worker:
    """Starts a `celery worker` subprocess (in a session of its own, so `Worker.kill` reaches
    its pool's children too) on the test database, the bucket and Redis database 14, and
    waits until it is ready. `env` adds variables (CELERY_* ones are passed only this way)."""
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("S3_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "DB_CONN_MAX_AGE": "0",
        **s3_server.env,
        **(env or {}),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                app,
                "worker",
                "-Q",
                "checks,default,reports",
                "--concurrency",
                "1",
                "--pool",
                pool,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"integration-{os.getpid()}-{log.stem}@%h",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=full_env,
            start_new_session=True,
        )
    worker = Worker(process=proc, log=log)
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(
                    f"celery worker exited ({proc.returncode}):\n{log_tail(log)}", pytrace=False
                )
            return " ready." in log.read_text(errors="replace")

        wait_until(ready, timeout=45, what="the Celery worker to be ready")
    except BaseException:
        stop_process(proc)
        raise
    return worker


def use_broker(broker_url: str) -> None:
    """Points this (the test) process's task publishing at `broker_url`, not in-process."""
    from config import celery_app

    celery_app.conf.update(task_always_eager=False, broker_url=broker_url)
    _reset_producer_pool(celery_app)


@contextmanager
def broker_session() -> Iterator[None]:
    """Redis database 14 flushed before and after; the test process publishes to it and is
    switched back to in-process tasks afterwards."""
    need("postgres", "redis")
    import redis

    from config import celery_app

    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()  # no task left over from an earlier, interrupted run
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    try:
        use_broker(BROKER_URL)
        yield
    finally:
        celery_app.conf.update(**saved)
        _reset_producer_pool(celery_app)
        broker.flushdb()
        broker.close()


@pytest.fixture
def celery_worker(transactional_db: None, s3_server: S3Server, tmp_path: Path) -> Iterator[Worker]:
    need("postgres", "redis")
    with broker_session():
        proc = None
        try:
            worker = start_worker(s3_server, tmp_path / "celery_worker.log")
            proc = worker.process
            yield worker
        finally:
            if proc is not None:
                stop_process(proc)
                if proc.returncode not in (0, None):
                    print(f"celery worker log:\n{log_tail(worker.log)}")


@dataclass
class Workers:
    """Starts workers on demand (each with its own log); all are stopped at teardown."""

    s3_server: S3Server
    directory: Path
    started: list[Worker]

    def start(self, *, app: str = "config", env: dict[str, str] | None = None) -> Worker:
        log = self.directory / f"celery_worker_{len(self.started) + 1}.log"
        worker = start_worker(self.s3_server, log, app=app, env=env)
        self.started.append(worker)
        return worker


@pytest.fixture
def celery_workers(
    transactional_db: None, s3_server: S3Server, tmp_path: Path
) -> Iterator[Workers]:
    """For tests that kill a worker and start another: Redis db 14, no worker yet."""
    need("postgres", "redis")
    with broker_session():
        workers = Workers(s3_server=s3_server, directory=tmp_path, started=[])
        try:
            yield workers
        finally:
            for worker in workers.started:
                stop_process(worker.process)
