"""bench/smoke.py, which `make test` runs: every bench is in it, and a bench that fails,
overruns its time or leaves a process behind fails the step (the benches themselves run in
the step, at their --smoke sizes, not here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_smoke", ROOT / "bench" / "smoke.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


smoke = _load()


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_every_script_in_bench_runs_in_the_smoke_step():
    scripts = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "bench").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    run = {command[0] for command in smoke.BENCHES.values()}
    accounted = run | set(smoke.COVERED_BY) | smoke.NOT_BENCHES
    assert scripts - accounted == set(), "a bench CI does not run"
    assert accounted - scripts == set(), "the smoke step names a script that is gone"
    assert set(smoke.COVERED_BY.values()) <= set(smoke.BENCHES)


@pytest.mark.parametrize("name", sorted(smoke.BENCHES))
def test_every_bench_has_a_smoke_size(name):
    script, *args = smoke.BENCHES[name]
    assert args == ["--smoke"]
    assert '"--smoke"' in (ROOT / script).read_text(encoding="utf-8")


def test_a_failing_bench_fails_the_step_and_its_output_is_shown(capsys):
    outcomes = smoke.run_smoke(
        {
            "fine": _py("print('figures')"),
            "broken": _py("import sys; print('boom'); sys.exit(3)"),
        },
        jobs=2,
        timeout=60,
    )
    assert [(o.name, o.status) for o in outcomes] == [("fine", "passed"), ("broken", "FAILED")]
    assert smoke.report(outcomes, 1.0) == 1
    out = capsys.readouterr().out
    assert "---- broken: FAILED ----" in out and "boom" in out and "exit status 3" in out
    assert "FAILED: broken" in out and "---- fine" not in out


def test_all_passing_benches_pass_the_step(capsys):
    outcomes = smoke.run_smoke({"a": _py("pass"), "b": _py("pass")}, jobs=1, timeout=60)
    assert smoke.report(outcomes, 1.0) == 0
    assert "total 1.0 s wall; ok" in capsys.readouterr().out


@pytest.mark.parametrize(("ci", "status"), [("", "SKIPPED"), ("true", "FAILED")])
def test_a_skip_is_allowed_outside_ci_only(monkeypatch: Any, ci: str, status: str):
    monkeypatch.setenv("CI", ci)
    code = "import sys; print('SKIPPED: no PostgreSQL here'); sys.exit(75)"
    (outcome,) = smoke.run_smoke({"needs_pg": _py(code)}, timeout=60)
    assert outcome.status == status
    assert smoke.report([outcome], 1.0) == (1 if status == "FAILED" else 0)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}  # a zombie waiting for init is not running


def test_a_bench_past_its_time_is_stopped_with_everything_it_started(monkeypatch: Any):
    monkeypatch.setattr(smoke, "GRACE_SECONDS", 2)
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    (outcome,) = smoke.run_smoke({"hangs": _py(code)}, timeout=10)
    assert outcome.status == "FAILED" and outcome.seconds < 40
    assert "stopped after 10 s (time limit)" in outcome.output
    pid = int(outcome.output.split("child ", 1)[1].split()[0])
    assert not _alive(pid)


def test_unknown_bench_names_are_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        smoke.main(["bench_nothing"])
    assert exc.value.code == 2
    assert "unknown bench bench_nothing" in capsys.readouterr().err


def test_benches_sharing_the_smoke_redis_never_run_together(tmp_path, monkeypatch: Any):
    # Each writes when it starts and ends; with two jobs, the two must not overlap.
    log = tmp_path / "log"
    code = (
        "import sys, time\n"
        "open(sys.argv[1], 'a').write(sys.argv[2] + ' start\\n')\n"
        "time.sleep(0.5)\n"
        "open(sys.argv[1], 'a').write(sys.argv[2] + ' end\\n')\n"
    )
    benches = {name: [*_py(code), str(log), name] for name in sorted(smoke.ONE_AT_A_TIME)}
    outcomes = smoke.run_smoke(benches, jobs=2, timeout=60)
    assert {o.status for o in outcomes} == {"passed"}
    lines = log.read_text().split("\n")[:-1]
    first = lines[0].split()[0]
    (second,) = smoke.ONE_AT_A_TIME - {first}
    assert lines == [f"{first} start", f"{first} end", f"{second} start", f"{second} end"]
