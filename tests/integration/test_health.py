"""/health/ against the real services: PostgreSQL, Redis as the broker, the S3 server."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.integration.conftest import BROKER_URL, S3Server
from tests.services import need

pytestmark = pytest.mark.integration


@pytest.fixture
def real_services() -> None:
    need("postgres", "redis", "moto")


def test_health_reports_database_broker_and_storage(
    real_services: None,
    db: None,
    s3_server: S3Server,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    client: Client,
) -> None:
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", BROKER_URL)
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["detail"] == "postgresql"
    assert "redis" in body["checks"]["broker"]["detail"].lower()
    assert body["checks"]["storage"]["detail"] == "S3Storage"

    # The bucket goes away: storage fails, the rest still answers.
    s3_server.client.delete_bucket(Bucket=s3_server.bucket)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True
