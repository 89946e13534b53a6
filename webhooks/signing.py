"""The signed body of an event and the headers of each delivery attempt.

The body is rebuilt from the stored event on every attempt, deterministically (keys of
`data` sorted, no whitespace, ASCII only), so every attempt of every delivery of an event
sends the same bytes and the same signature for the same secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from typing import Any

from .models import WebhookEvent

USER_AGENT = "MerchantKYC-Webhooks/1"
SIGNATURE_HEADER = "X-KYC-Signature"


def format_created(event: WebhookEvent) -> str:
    """ISO 8601 in UTC with microseconds and a Z, e.g. 2026-05-01T08:30:00.123456Z."""
    return event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def event_body(event: WebhookEvent) -> bytes:
    """`{"id","type","created","data"}` as compact JSON bytes, in that order."""
    return (
        "{"
        f'"id":{_dumps(str(event.event_id))},'
        f'"type":{_dumps(event.event_type)},'
        f'"created":{_dumps(format_created(event))},'
        f'"data":{_dumps(event.payload)}'
        "}"
    ).encode("ascii")


def sign(secret: str, body: bytes) -> str:
    """The X-KYC-Signature value: `sha256=` + hex HMAC-SHA256 of the body with the secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a consumer does (documented in docs/api.md): constant-time comparison."""
    return hmac.compare_digest(sign(secret, body), signature)


def delivery_headers(
    *, event: WebhookEvent, secret: str, body: bytes, attempt: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-KYC-Event-Id": str(event.event_id),
        "X-KYC-Event-Type": event.event_type,
        "X-KYC-Delivery-Attempt": str(attempt),
        SIGNATURE_HEADER: sign(secret, body),
    }
