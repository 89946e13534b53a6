"""Which real services this run has, and the CI rule: under CI=true each is required."""

from __future__ import annotations

import os
import shutil
import socket
from functools import cache

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@cache
def using_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@cache
def redis_available() -> bool:
    return _port_open("127.0.0.1", 6379)


@cache
def moto_available() -> bool:
    return shutil.which("moto_server") is not None or _importable("moto.server")


@cache
def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) and _importable("playwright.sync_api")


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def missing_services() -> list[str]:
    missing = []
    if not using_postgres():
        missing.append("PostgreSQL (DATABASE_URL is not a postgres:// URL)")
    if not redis_available():
        missing.append("Redis on 127.0.0.1:6379")
    if not moto_available():
        missing.append("moto_server (S3-compatible server)")
    if not chromium_available():
        missing.append(f"Chromium at {CHROMIUM} with Playwright")
    return missing


def require_ci_services() -> None:
    if IN_CI and missing_services():
        pytest.exit(
            "CI=true but these real services are missing: " + "; ".join(missing_services()),
            returncode=3,
        )


def need(*names: str) -> None:
    """Skips (outside CI only) when a service the test needs is not here."""
    checks = {
        "postgres": (using_postgres, "PostgreSQL"),
        "redis": (redis_available, "Redis"),
        "moto": (moto_available, "moto_server"),
        "chromium": (chromium_available, "Chromium/Playwright"),
    }
    for name in names:
        check, label = checks[name]
        if not check():
            if IN_CI:
                pytest.fail(f"{label} is required under CI=true", pytrace=False)
            pytest.skip(f"{label} not available on this machine")


def race(*calls: object) -> list[object]:
    """Runs each call in its own thread (own database connection), released together by a
    barrier; returns each call's result or the exception it raised, in order."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, fn: object) -> None:
        try:
            barrier.wait()
            results[index] = fn()  # type: ignore[operator]
        except Exception as exc:  # collected and asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
