"""GET /health/: database, broker and storage, each named with its outcome."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from config import health

pytestmark = pytest.mark.django_db


def test_health_is_ok_on_the_embedded_default(client: Client) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["broker"]["detail"].startswith("in-process")
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_unreachable_broker_makes_it_unavailable_without_naming_the_host(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "127.0.0.1" not in response.content.decode()


def test_a_failing_storage_is_reported(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise PermissionError("bucket policy says no")

    monkeypatch.setitem(health.CHECKS, "storage", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {
        "ok": False,
        "error": "PermissionError",
        "ms": response.json()["checks"]["storage"]["ms"],
    }
    assert "bucket policy" not in response.content.decode()


def test_health_answers_only_get(client: Client) -> None:
    assert client.post("/health/").status_code == 405
