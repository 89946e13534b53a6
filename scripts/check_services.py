"""Checks, with a real connection, that one service the tests use is here.

    check_services.py postgres URL   connects (creating the database if it is missing)
    check_services.py redis URL      PING
    check_services.py moto           starts moto_server on a free port and waits for an answer
    check_services.py chromium PATH  runs `PATH --version` and imports Playwright

Exit 0 and one line on stdout when the service is usable; exit 1 and the reason on stderr
when it is not. Used by scripts/test.sh; run with the project's virtualenv Python.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def check_postgres(url: str) -> int:
    import psycopg

    parts = urlsplit(url)
    dbname = parts.path.lstrip("/") or "postgres"
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError as exc:
        if f'database "{dbname}" does not exist' not in str(exc):
            return fail(f"cannot connect to {url}: {str(exc).strip()}")
        # The server is there but the database is not: create it (pytest creates its own
        # test_<name> databases beside it; migrate and makemigrations use this one).
        maintenance = urlunsplit(parts._replace(path="/postgres"))
        try:
            with psycopg.connect(maintenance, connect_timeout=3, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
                version = conn.execute("SHOW server_version").fetchone()
        except psycopg.Error as exc2:
            return fail(f"cannot create database {dbname!r} at {maintenance}: {exc2}")
        print(f"PostgreSQL {version[0] if version else '?'} (created database {dbname})")
        return 0
    print(f"PostgreSQL {version[0] if version else '?'}")
    return 0


def check_redis(url: str) -> int:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except redis.RedisError as exc:
        return fail(f"cannot PING {url}: {exc}")
    print(f"Redis {version}")
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_moto() -> int:
    exe = ROOT / ".venv" / "bin" / "moto_server"
    if not exe.exists():
        return fail(f"{exe} is missing (it comes with the moto[server] dev dependency)")
    port = _free_port()
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                return fail(f"moto_server exited with {proc.returncode}: {err[-500:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            except urllib.error.HTTPError:
                pass  # any HTTP answer means it is serving
            except OSError:
                time.sleep(0.2)
                continue
            print(f"moto_server answered on 127.0.0.1:{port}")
            return 0
        return fail("moto_server did not answer within 20 s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_chromium(path: str) -> int:
    if not os.access(path, os.X_OK):
        return fail(f"{path} not found (Debian package: chromium)")
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return fail(f"{path} --version failed: {exc}")
    if out.returncode != 0:
        return fail(f"{path} --version exited {out.returncode}: {out.stderr.strip()[-300:]}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return fail("the playwright Python package is not installed (dev dependency)")
    print(out.stdout.strip() + " with Playwright")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        return fail(__doc__ or "usage")
    name, args = argv[0], argv[1:]
    if name == "postgres" and len(args) == 1:
        return check_postgres(args[0])
    if name == "redis" and len(args) == 1:
        return check_redis(args[0])
    if name == "moto" and not args:
        return check_moto()
    if name == "chromium" and len(args) == 1:
        return check_chromium(args[0])
    return fail(__doc__ or "usage")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
