"""What the benches share for their `--smoke` runs (the sizes CI runs, in seconds, so a bench
that breaks fails `make test`; the figures still come from full runs).

- `smoke_database(bench)`: a fresh PostgreSQL database `<base>_smoke_<bench>` on the server of
  DATABASE_URL (`<base>` is DATABASE_URL's own database name, so two checkouts on one server
  never share one), copied from a migrated template `<base>_smoke_template`. The template is
  built once per state of the migrations (their digest is the template's comment) and reused,
  so a smoke run does not pay for `migrate` again. `drop_database(url)` removes the copy.
- `sdn_path()`: the real OFAC SDN list, `../shared/data/sanctions/ofac_sdn_2024-05-03.csv`
  beside the project (SHARED_DATA_DIR names another folder holding `sanctions/`). It is only
  read, never copied into the project.
- `skip(reason)`: a smoke run that cannot run here (no PostgreSQL, no Redis, no list) exits
  with SKIPPED (75) outside CI; under CI=true every one of them is required, so it fails.

Imports nothing of Django: a bench calls it before `django.setup()`.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kyc"
SDN_FILE = "ofac_sdn_2024-05-03.csv"
SKIPPED = 75  # EX_TEMPFAIL: "not run here", told apart from a failure by bench/smoke.py


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip(reason: str) -> NoReturn:
    """Ends a smoke run that cannot run on this machine: SKIPPED outside CI, a failure in CI."""
    if in_ci():
        print(f"FAILED: {reason} (required under CI=true)", file=sys.stderr, flush=True)
        raise SystemExit(1)
    print(f"SKIPPED: {reason}", flush=True)
    raise SystemExit(SKIPPED)


def exit_on_sigterm() -> None:
    """SIGTERM (bench/smoke.py's timeout) raises SystemExit, so the bench's `finally` blocks
    stop the processes it started and drop its database."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


# ------------------------------------------------------------------------------ databases


def server_url() -> str:
    """DATABASE_URL (a PostgreSQL server), or the default one; skips on anything else."""
    url = os.environ.get("DATABASE_URL", "") or DEFAULT_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://")):
        skip(f"the smoke run needs PostgreSQL, and DATABASE_URL is {url}")
    return url


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _base_name(url: str) -> str:
    return (urlsplit(url).path.lstrip("/") or "kyc")[:40]


def _admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        skip(f"PostgreSQL does not answer at {with_database(url, 'postgres')}: {exc}")


def migrations_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return "migrations:" + digest.hexdigest()[:32]


def _template(url: str, conn) -> str:  # type: ignore[no-untyped-def]
    """The migrated template database, (re)built when the migrations changed."""
    name = f"{_base_name(url)}_smoke_template"
    wanted = migrations_digest()
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    if row is not None and row[0] == wanted:
        return name
    print(f"smoke: building the migrated template database {name} (once per migration state)")
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": with_database(url, name),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    return name


def smoke_database(bench: str) -> str:
    """The URL of a fresh, migrated database of this bench's own (see the module's doc)."""
    url = server_url()
    name = f"{_base_name(url)}_smoke_{bench}"
    with _admin(url) as conn:
        # One builder at a time per server and base name; the others wait for the template.
        lock = int.from_bytes(hashlib.sha256(_base_name(url).encode()).digest()[:7], "big")
        conn.execute("SELECT pg_advisory_lock(%s)", [lock])
        try:
            template = _template(url, conn)
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [lock])
    return with_database(url, name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------------------------ other services


def redis_url(default: str) -> str:
    """The Redis database a smoke run may empty: BENCH_REDIS_URL, else the tests' own broker
    (TEST_CELERY_BROKER_URL), else `default`. Skips when it does not answer."""
    url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_CELERY_BROKER_URL") or default
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        skip(f"Redis does not answer at {url}: {exc}")
    return url


def sdn_path() -> Path:
    """Where the real SDN list is (it may be missing: see `require_sdn`)."""
    folder = os.environ.get("SHARED_DATA_DIR") or str(ROOT / ".." / "shared" / "data")
    return (Path(folder) / "sanctions" / SDN_FILE).resolve()


def require_sdn(smoke: bool) -> Path:
    path = sdn_path()
    if path.exists():
        return path
    reason = (
        f"the SDN list is not at {path}: put the shared data folder beside the project "
        "(../shared/data/sanctions/) or set SHARED_DATA_DIR"
    )
    if smoke:
        skip(reason)
    raise SystemExit(reason)
