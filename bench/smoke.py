"""Runs every bench at its --smoke size (what `make test` and CI do), so a bench that breaks
fails the build. The figures of a smoke run are not the benchmark's: full runs give those
(docs/performance.md says how).

    .venv/bin/python bench/smoke.py [--jobs 2] [--timeout 300] [NAME ...]

Each bench runs as its own process (in a session of its own, two at a time by default), with
a time limit; past it the bench gets SIGTERM (its smoke mode then stops what it started and
drops its database), and SIGKILL for its process group 20 s later. Prints one line per bench
(passed / SKIPPED / FAILED, seconds) and the output of those that did not pass; exits 1 when
any failed. A bench skips (exit 75) only outside CI, when PostgreSQL, Redis or the SDN list is
missing here; under CI=true a skip is a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from smoke_support import SKIPPED, in_ci  # noqa: E402

PYTHON = sys.executable
# Every bench, by the script CI runs. run_load also covers bench/load/ (setup_data.py, the
# locustfile and profile_endpoints.py). tests/bench/test_smoke.py checks none is left out.
BENCHES: dict[str, list[str]] = {
    "bench_report": ["bench/bench_report.py", "--smoke"],
    "bench_checks": ["bench/bench_checks.py", "--smoke"],
    "screening_eval": ["bench/screening_eval.py", "--smoke"],
    "bench_audit": ["bench/bench_audit.py", "--smoke"],
    "bench_screening": ["bench/bench_screening.py", "--smoke"],
    "bench_workbench": ["bench/bench_workbench.py", "--smoke"],
    "run_load": ["bench/run_load.py", "--smoke"],
}
# Scripts that are run by another bench, or are not benches.
COVERED_BY = {
    "bench/load/setup_data.py": "run_load",
    "bench/load/locustfile.py": "run_load",
    "bench/load/profile_endpoints.py": "run_load",
}
NOT_BENCHES = {"bench/smoke.py", "bench/smoke_support.py"}
# Benches that start Celery workers on the one smoke Redis database (and empty it): never two
# at once, or one's worker would take the other's tasks.
ONE_AT_A_TIME = {"bench_report", "run_load"}
GRACE_SECONDS = 20


# How long the runner waits for a killed process group's members to be gone.
GONE_SECONDS = 10


def _group_running(pgid: int) -> bool:
    """Whether a process of the group still runs (a zombie waiting to be reaped does not)."""
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():  # no procfs: whether the group has any member at all
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat in proc_dir.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        # After the command's ")": state, ppid, pgrp, …
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def _wait_group_gone(pgid: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while _group_running(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass
class Outcome:
    name: str
    status: str  # passed, SKIPPED, FAILED
    seconds: float
    output: str


def run_one(name: str, command: Sequence[str], timeout: float) -> Outcome:
    """Runs one bench in a session of its own; stops it (SIGTERM, then SIGKILL of its whole
    process group) when it overruns `timeout`."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            list(command),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        finally:
            try:  # nothing of the bench's group outlives it
                os.killpg(proc.pid, signal.SIGKILL)
                group_left = True
            except ProcessLookupError:
                group_left = False
            proc.wait()
            if group_left:
                # SIGKILL is delivered asynchronously: wait until the group is really gone.
                _wait_group_gone(proc.pid, GONE_SECONDS)
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    seconds = time.monotonic() - started
    if timed_out:
        output += f"\n[smoke] stopped after {timeout:.0f} s (time limit)\n"
        status = "FAILED"
    elif proc.returncode == 0:
        status = "passed"
    elif proc.returncode == SKIPPED and not in_ci():
        status = "SKIPPED"
    else:
        output += f"\n[smoke] exit status {proc.returncode}\n"
        status = "FAILED"
    return Outcome(name, status, seconds, output)


def run_smoke(
    benches: dict[str, list[str]], *, jobs: int = 2, timeout: float = 300
) -> list[Outcome]:
    """Runs the benches, `jobs` at a time (those in ONE_AT_A_TIME never together)."""
    exclusive = threading.Lock()

    def run(name: str, command: list[str]) -> Outcome:
        guard = exclusive if name in ONE_AT_A_TIME else contextlib.nullcontext()
        with guard:
            return run_one(name, command, timeout)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run, name, command) for name, command in benches.items()]
        return [future.result() for future in futures]


def report(outcomes: Sequence[Outcome], wall: float) -> int:
    for outcome in outcomes:
        if outcome.status != "passed":
            print(f"---- {outcome.name}: {outcome.status} ----")
            print(outcome.output.rstrip())
    print("bench smoke runs:")
    for outcome in outcomes:
        reason = ""
        if outcome.status == "SKIPPED":
            reason = next(
                (ln for ln in outcome.output.splitlines() if ln.startswith("SKIPPED")), ""
            )
        print(f"  {outcome.name:<16} {outcome.status:<8} {outcome.seconds:6.1f} s  {reason}")
    failed = [o.name for o in outcomes if o.status == "FAILED"]
    print(f"  total {wall:.1f} s wall; " + (f"FAILED: {', '.join(failed)}" if failed else "ok"))
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(BENCHES)}")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_SMOKE_JOBS", 2)))
    parser.add_argument("--timeout", type=float, default=300, help="seconds per bench")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; the benches: {', '.join(BENCHES)}")
    chosen = {n: [PYTHON, *c] for n, c in BENCHES.items() if not args.names or n in args.names}
    started = time.monotonic()
    outcomes = run_smoke(chosen, jobs=args.jobs, timeout=args.timeout)
    return report(outcomes, time.monotonic() - started)


if __name__ == "__main__":
    raise SystemExit(main())
