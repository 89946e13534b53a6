"""Load test: the mixed seller/reviewer scenario against gunicorn + PostgreSQL + Redis + Celery.

    .venv/bin/python bench/run_load.py [--users 60|20,40,60] [--spawn-rate 10] [--duration 120]
        [--configs 3x4,2x8] [--merchants 300] [--port 8765] [--keep-data]

One command, everything on this machine (issue 7, item 5; target >= 200 requests/s sustained,
p95 <= 300 ms, zero errors):

1. drops and re-creates the PostgreSQL database `kyc_load` (on the server of DATABASE_URL,
   default postgres://postgres@127.0.0.1:5432), migrates it and fills it through the services
   (bench/load/setup_data.py: reference data, --merchants merchants with a legal
   representative, two documents each and a submitted case, 8 internal comments per case, about
   4,000 audit events; API tokens for 60 sellers and 40 reviewers);
2. starts three Celery workers (queues checks, default, reports; concurrency 1 each; broker
   Redis db 12) and, for each gunicorn configuration WORKERSxTHREADS in --configs, gunicorn
   (`config.wsgi`, production settings, DEBUG off, gthread) on 127.0.0.1:--port;
3. runs locust headless (bench/load/locustfile.py; statistics reset once every user is
   spawned, so the figures are the steady state), samples the CPU used by each process group
   from /proc over the steady phase, and prints requests/s, p50/p95/p99, errors, the slowest
   endpoints, where the CPU went and the machine;
4. stops everything it started. Files (media, tokens, locust CSVs, logs) go to var/load/.

--smoke (what CI runs, seconds; not the figures): the same chain, tiny and on 127.0.0.1 only:
a fresh database of its own (bench/smoke_support.py: a copy of a migrated template, dropped
afterwards), 2 merchants, 2 sellers and 2 reviewers; one Celery worker for the three queues
(broker: BENCH_REDIS_URL, else the tests' broker, else Redis db 12); gunicorn 1x2 on a free
port; locust with 4 users for 6 s; then bench/load/profile_endpoints.py once. Files go to
var/load-smoke/ (removed after a run that passed). It fails on any error or when no request
was made, never on a target. SIGTERM stops everything it started, as the end of a run does.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
VENV_BIN = Path(sys.executable).parent
DB_NAME = "kyc_load"
VAR = ROOT / "var" / "load"
TARGET_RPS, TARGET_P95_MS = 200.0, 300.0


SMOKE_DATABASE_URL = ""  # set by --smoke: the run's own copy of the migrated template


def free_port() -> int:
    """A port nothing listens on now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    if SMOKE_DATABASE_URL:
        return SMOKE_DATABASE_URL
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("run_load needs a PostgreSQL server: DATABASE_URL=postgres://…")
    return urlunsplit(urlsplit(url)._replace(path=f"/{DB_NAME}"))


def recreate_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def server_env(url: str, broker: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="load-test-only-secret-key-0123456789-abcdefghijklmnop",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; TLS ends at the proxy in prod
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=url,
        VAR_DIR=str(VAR),
        MEDIA_ROOT=str(VAR / "media"),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("S3_BUCKET", None)
    if broker:
        env["CELERY_BROKER_URL"] = os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:6379/12")
    else:
        env.pop("CELERY_BROKER_URL", None)  # setup runs the checks in-process
    return env


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def start(cmd: list[str], env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    out = open(VAR / "logs" / log, "wb")  # noqa: SIM115 - closed with the process
    # A process group of its own, so stopping it stops its children (prefork, gunicorn workers).
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"gunicorn did not answer /health/ within {timeout:.0f} s (see {VAR}/logs)")


# ------------------------------------------------------------------ CPU per process group


def _cpu_ticks() -> dict[int, tuple[str, int]]:
    """pid -> (group, utime + stime in clock ticks) for every process we can read."""
    seen: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        seen[int(entry.name)] = (_group(cmdline), ticks)
    return seen


def _group(cmdline: str) -> str:
    if "gunicorn" in cmdline and "config.wsgi" in cmdline:
        return "gunicorn (web)"
    if "celery" in cmdline and "-Q checks" in cmdline:
        return "celery checks"
    if "celery" in cmdline and "-Q reports" in cmdline:
        return "celery reports"
    if "celery" in cmdline and "-Q default" in cmdline:
        return "celery default"
    db_name = urlsplit(database_url()).path.lstrip("/")
    if cmdline.startswith("postgres:") and f" {db_name} " in cmdline:
        return f"postgres backends ({db_name})"
    if cmdline.startswith("postgres") or "/postgres" in cmdline.split(" ")[0]:
        return "postgres (other: other databases, wal, checkpointer)"
    if "redis-server" in cmdline:
        return "redis"
    if "locust" in cmdline:
        return "locust (load generator)"
    return "everything else on the machine"


def cpu_by_group(
    before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]], seconds: float
) -> dict[str, float]:
    hz = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for pid, (group, ticks) in after.items():
        start = before.get(pid, (group, 0))[1] if pid in before else 0
        out[group] = out.get(group, 0.0) + (ticks - start) / hz / seconds * 100
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def machine() -> str:
    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    admin = urlunsplit(urlsplit(database_url())._replace(path="/postgres"))
    try:
        pg = subprocess.run(
            ["psql", admin, "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pg = "?"
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{cpu}, {os.cpu_count()} logical cores, {mem_kb / 1024 / 1024:.1f} GB RAM; "
        f"Python {platform.python_version()}; PostgreSQL {pg}; Linux {platform.release()}"
    )


# ------------------------------------------------------------------ one configuration


def run_config(
    args: argparse.Namespace, env: dict[str, str], workers: int, threads: int, users: int
) -> tuple[bool, str]:
    label = f"{workers}x{threads}-u{users}"
    locust: subprocess.Popen[bytes] | None = None
    web = start(
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            # Longer than the clients' pauses, so an idle keep-alive connection is never
            # closed by the server just as the client reuses it (a reset, counted as an error).
            "--keep-alive",
            "10",
            "--max-requests",
            "0",
        ],
        env,
        f"gunicorn-{label}.log",
    )
    try:
        wait_healthy(args.port)
        csv_prefix = VAR / "results" / label
        ramp = users / args.spawn_rate
        locust = start(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "load" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{int(args.duration + ramp)}s",
                "--host",
                f"http://127.0.0.1:{args.port}",
                "--csv",
                str(csv_prefix),
                # A smoke run counts every request, the ramp's too (it is too short to wait).
                *([] if args.smoke else ["--reset-stats"]),
                "--only-summary",
                "--stop-timeout",
                "2" if args.smoke else "10",
            ],
            {**env, "LOAD_TOKENS": str(VAR / "tokens.json")},
            f"locust-{label}.log",
        )
        # CPU over the middle of the steady phase (after the ramp and 5 s of settling).
        time.sleep(ramp + (0 if args.smoke else 5))
        window = max(args.duration - 1, 1) if args.smoke else max(args.duration - 15, 10)
        before, t0 = _cpu_ticks(), time.monotonic()
        time.sleep(window)
        after, t1 = _cpu_ticks(), time.monotonic()
        locust.wait(timeout=args.duration + ramp + (30 if args.smoke else 120))
    finally:
        if locust is not None:
            stop(locust)
        stop(web)
    return report(
        label, csv_prefix, cpu_by_group(before, after, t1 - t0), t1 - t0, smoke=args.smoke
    )


def report(
    label: str, prefix: Path, cpu: dict[str, float], window: float, *, smoke: bool = False
) -> tuple[bool, str]:
    with open(f"{prefix}_stats.csv") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")

    def number(value: str) -> float:  # locust writes N/A when nothing was measured
        return 0.0 if value in ("", "N/A") else float(value)

    rps = number(total["Requests/s"])
    p50, p95, p99 = (number(total[k]) for k in ("50%", "95%", "99%"))
    errors = int(total["Failure Count"])
    ok = rps >= TARGET_RPS and p95 <= TARGET_P95_MS and errors == 0
    if smoke:  # the chain works end to end: requests made, every one answered as expected
        ok = errors == 0 and int(total["Request Count"]) > 0
    print(f"\n=== gunicorn gthread {label} (workers x threads, locust users) ===")
    print(
        f"sustained {rps:.1f} requests/s over {int(total['Request Count'])} requests; "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms; errors {errors} "
        + (
            f"-> SMOKE run (not the figures): {'passed' if ok else 'FAILED'}"
            if smoke
            else f"-> target (>= {TARGET_RPS:.0f}/s, p95 <= {TARGET_P95_MS:.0f} ms, 0 errors): "
            f"{'met' if ok else 'MISSED'}"
        )
    )
    print(f"{'endpoint':<42} {'reqs':>6} {'fail':>5} {'req/s':>6} {'p50':>5} {'p95':>5} {'p99':>5}")
    endpoints = (r for r in rows if r["Name"] != "Aggregated")
    for r in sorted(endpoints, key=lambda r: -number(r["95%"])):
        print(
            f"{r['Type'] + ' ' + r['Name']:<42} {r['Request Count']:>6} {r['Failure Count']:>5} "
            f"{number(r['Requests/s']):6.1f} {r['50%']:>5} {r['95%']:>5} {r['99%']:>5}"
        )
    failures = Path(f"{prefix}_failures.csv")
    if errors and failures.exists():
        print("failures (first 10):")
        with open(failures) as f:
            for row in list(csv.DictReader(f))[:10]:
                print(f"  {row['Occurrences']}x {row['Method']} {row['Name']}: {row['Error']}")
    print(f"CPU over {window:.0f} s of the steady phase (% of one core; 2 cores = 200%):")
    for group, pct in cpu.items():
        if pct >= 0.5:
            print(f"  {group:<56} {pct:6.1f}%")
    # CPU per request holds up better than requests/s on a shared machine: it says what the
    # stack could sustain if it had both cores to itself.
    web = cpu.get("gunicorn (web)", 0.0)
    stack = sum(
        pct
        for group, pct in cpu.items()
        if group.startswith(("gunicorn", "celery", "redis", "postgres backends ("))
    )
    if rps > 0 and web > 0:
        web_ms, stack_ms = web * 10 / rps, stack * 10 / rps
        cores = os.cpu_count() or 1
        print(
            f"CPU per request: web {web_ms:.1f} ms, whole stack (web, Celery, its PostgreSQL "
            f"backends, Redis) {stack_ms:.1f} ms -> ceiling on {cores} idle cores about "
            f"{cores * 1000 / stack_ms:.0f} requests/s (web alone: {cores * 1000 / web_ms:.0f})"
        )
    summary = (
        f"{label:<14} {rps:7.1f} {p50:6.0f} {p95:6.0f} {p99:6.0f} {errors:6d} "
        f"{web * 10 / rps if rps else 0:8.1f} {'met' if ok else 'missed'}"
    )
    return ok, summary


def queue_lengths(broker: str) -> str:
    try:
        import redis

        client = redis.Redis.from_url(broker)
        return ", ".join(f"{q} {client.llen(q)}" for q in ("checks", "default", "reports"))
    except Exception as exc:  # noqa: BLE001 - informative only
        return f"unknown ({exc.__class__.__name__})"


def main() -> None:
    global VAR, SMOKE_DATABASE_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users", default="60", help="locust users; a list (20,40,60) runs each in turn"
    )
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=120, help="steady-state seconds")
    parser.add_argument("--configs", default="3x4,2x8", help="gunicorn WORKERSxTHREADS, ...")
    parser.add_argument("--merchants", type=int, default=300)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep-data", action="store_true", help="reuse the last setup")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the Celery workers at this nice level (background work yields to requests)",
    )
    parser.add_argument("--smoke", action="store_true", help="seconds, own database, for CI")
    args = parser.parse_args()
    people: list[str] = []
    if args.smoke:
        from smoke_support import exit_on_sigterm, redis_url, smoke_database

        exit_on_sigterm()
        args.users, args.spawn_rate, args.duration, args.configs = "4", 4.0, 6, "1x2"
        args.merchants, args.port, args.keep_data = 2, free_port(), False
        people = ["--sellers", "2", "--reviewers", "2"]
        VAR = ROOT / "var" / "load-smoke"
        os.environ["LOAD_BROKER_URL"] = redis_url("redis://127.0.0.1:6379/12")
        SMOKE_DATABASE_URL = smoke_database("load")
    configs = [tuple(int(n) for n in c.split("x")) for c in args.configs.split(",")]
    user_counts = [int(n) for n in str(args.users).split(",")]
    try:
        passed = run_all(args, configs, user_counts, people)
    finally:
        if SMOKE_DATABASE_URL:
            from smoke_support import drop_database

            drop_database(SMOKE_DATABASE_URL)
    if args.smoke and passed:
        for leftover in ("media", "results", "logs", "tokens.json"):
            path = VAR / leftover
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(True)
    sys.exit(0 if passed else 1)


def run_all(
    args: argparse.Namespace,
    configs: list[tuple[int, ...]],
    user_counts: list[int],
    people: list[str],
) -> bool:
    url = database_url()
    (VAR / "logs").mkdir(parents=True, exist_ok=True)
    (VAR / "results").mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}", flush=True)
    python = str(VENV_BIN / "python")
    if not args.keep_data:
        started = time.perf_counter()
        shutil.rmtree(VAR / "media", ignore_errors=True)
        setup_env = {**server_env(url, broker=False), "LOG_LEVEL": "ERROR"}
        if not args.smoke:  # a smoke database is a copy of a migrated template
            recreate_database(url)
            run([python, "manage.py", "migrate", "--verbosity", "0"], setup_env)
            print(f"migrated in {time.perf_counter() - started:.0f} s", flush=True)
        if not args.smoke and not (VAR / "staticfiles" / "staticfiles.json").exists():
            # Only error pages render templates under load; the manifest must exist for them.
            # (A smoke run goes without: collecting and compressing takes minutes, and an
            # error page that cannot render is still an error.)
            run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], setup_env)
        run(
            [
                python,
                "bench/load/setup_data.py",
                "--merchants",
                str(args.merchants),
                *people,
                "--tokens",
                str(VAR / "tokens.json"),
            ],
            setup_env,
        )
        print(f"setup done in {time.perf_counter() - started:.0f} s", flush=True)

    env = server_env(url, broker=True)
    broker = env["CELERY_BROKER_URL"]
    import redis

    redis.Redis.from_url(broker).flushdb()  # the load test's own Redis database
    nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    # A smoke run has one worker for the three queues; a full run one per queue.
    queues = ["checks,default,reports"] if args.smoke else ["checks", "default", "reports"]
    celery = [
        start(
            [
                *nice,
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "-c",
                "1",
                "-n",
                f"load-{queue.replace(',', '-')}-{os.getpid()}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            env,
            f"celery-{queue.replace(',', '-')}.log",
        )
        for queue in queues
    ]
    results = []
    try:
        for workers, threads in configs:
            for users in user_counts:
                results.append(run_config(args, env, workers, threads, users))
                print(f"Celery queues right after the run: {queue_lengths(broker)}", flush=True)
        if args.smoke:  # the per-endpoint profile runs on the same data
            run(
                [python, "bench/load/profile_endpoints.py", "--runs", "1"],
                {**env, "LOAD_DATABASE_URL": url, "LOAD_VAR_DIR": str(VAR)},
            )
    finally:
        for proc in celery:
            stop(proc)
        if args.smoke:
            redis.Redis.from_url(broker).flushdb()
    print("\nsummary (ms; web CPU per request in ms):")
    print(f"{'run':<14} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>6} {'web cpu':>8}")
    for _, line in results:
        print(line)
    print(f"\nmachine: {machine()}")
    print(f"locust CSVs and logs: {VAR}/results, {VAR}/logs")
    return any(ok for ok, _ in results) if not args.smoke else all(ok for ok, _ in results)


if __name__ == "__main__":
    main()
