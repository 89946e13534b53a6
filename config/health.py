"""GET /health/: whether this process can reach what it needs — the database, the Celery
broker and object storage — for load balancers and monitoring.

200 when every check passes, 503 otherwise. Unauthenticated by design, so it names each
check, its outcome and its latency, and the class of a failure, but never a host, a bucket
or a credential."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_S = 2.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (no broker configured)"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)
    return str(conn.transport_cls)


def check_storage() -> str:
    storage = storages["default"]
    backend = type(storage).__name__
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # S3: one HEAD on the bucket proves credentials, endpoint and bucket in one request.
        bucket.meta.client.head_bucket(Bucket=bucket.name)
    else:
        # Local files: the folder is made on the first upload; it must be creatable and
        # writable by this process.
        location = Path(storage.location)  # type: ignore[attr-defined]
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise PermissionError("storage folder not writable")
    return backend


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


def run_checks() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            result: dict[str, Any] = {"ok": True, "detail": detail}
        except Exception as exc:  # any failure is the answer, not an error of this view
            result = {"ok": False, "error": type(exc).__name__}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    return results


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "time": timezone.now(), "checks": checks},
        status=200 if ok else 503,
    )
