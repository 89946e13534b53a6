"""Webhook fixtures: a scripted receiver in place of the HTTP request (no traffic leaves the
test), a resolver answering a public address, and a subscription made by the service."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pytest

from webhooks import network
from webhooks.models import WebhookSubscription
from webhooks.services import subscription_create

PUBLIC_ADDRESS = ipaddress.ip_address("93.184.216.34")


@dataclass
class FakeReceiver:
    """Answers each request with the next scripted status (200 when the script is empty)."""

    answers: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __call__(
        self, destination: network.Destination, *, body: bytes, headers: dict[str, str]
    ) -> network.HttpResult:
        self.requests.append({"destination": destination, "body": body, "headers": headers})
        code = self.answers.pop(0) if self.answers else 200
        return network.HttpResult(
            status_code=code, duration_ms=7, response_excerpt=f"answer {code}", error=""
        )


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Every name resolves to a public address unless the test sets `answers[name]`."""
    answers: dict[str, list[Any]] = {}

    def resolve(hostname: str, port: int) -> list[Any]:
        return answers.get(hostname, [PUBLIC_ADDRESS])

    monkeypatch.setattr(network, "resolve", resolve)
    return answers


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch, public_dns: Any) -> FakeReceiver:
    fake = FakeReceiver()
    monkeypatch.setattr(network, "post", fake)
    return fake


@pytest.fixture
def subscription(admin_user: Any, public_dns: Any) -> WebhookSubscription:
    sub, _ = subscription_create(
        actor=admin_user,
        data={"name": "Platform", "url": "https://hooks.platform.test/kyc", "event_types": []},
    )
    return sub
