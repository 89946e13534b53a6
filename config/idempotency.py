"""Idempotency-Key for POSTs: an integrator's retry never does the work twice.

A POST carrying `Idempotency-Key` is executed at most once per (user, key). The key row and
the work commit in one transaction:

1. the row is inserted first (in a savepoint). The unique constraint on (user, key) makes a
   concurrent duplicate wait for the first request's transaction (PostgreSQL blocks on the
   unique index; SQLite's IMMEDIATE transactions serialise writers) and then fail to insert;
2. the duplicate then reads the committed row and replays its status and body;
3. when the work fails (an exception or a non-2xx response) everything rolls back, the key
   included, so a retry with the same key executes again: failed requests change nothing.

The request hash covers the method, the full path and the body: parsed JSON in canonical form,
or for multipart every form value plus each file's name, size and SHA-256 (the boundary differs
on every retry, so the raw bytes cannot be compared).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import IdempotencyKey
from config.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IN_PROGRESS = 0  # response_status of a row whose request has not finished (never committed)


def _file_digest(upload: UploadedFile) -> dict[str, Any]:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {"name": upload.name, "size": upload.size, "sha256": digest.hexdigest()}


def _canonical_body(data: Any) -> Any:
    if isinstance(data, QueryDict):
        return {
            key: [_file_digest(v) if isinstance(v, UploadedFile) else v for v in data.getlist(key)]
            for key in sorted(data.keys())
        }
    return data


def request_hash(request: Request) -> str:
    payload = {
        "method": request.method,
        "path": request.get_full_path(),
        "body": _canonical_body(request.data),
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _replay(record: IdempotencyKey, request_digest: str) -> Response:
    if record.request_hash != request_digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different request; use a new key "
            "for a new operation.",
            code="idempotency_key_reused",
        )
    if record.response_status == IN_PROGRESS:  # not reachable while the row commits with the work
        raise Conflict(
            "A request with this Idempotency-Key is still being processed.",
            code="idempotency_key_in_use",
        )
    response = Response(record.response_body, status=record.response_status)
    response[REPLAY_HEADER] = "true"
    return response


def run_idempotent(request: Request, key: str, work: Callable[[], Response]) -> Response:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters.",
            fields={HEADER: ["Invalid key."]},
        )
    digest = request_hash(request)
    user = request.user
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method or "POST",
                    path=request.get_full_path()[:500],
                    request_hash=digest,
                    response_status=IN_PROGRESS,
                    response_body=None,
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user=user, key=key).first()
            if existing is None:  # deleted in between (not done by the application)
                raise Conflict(
                    "A request with this Idempotency-Key just failed; retry.",
                    code="idempotency_key_in_use",
                ) from None
            return _replay(existing, digest)
        response = work()
        if not 200 <= response.status_code < 300:
            # Nothing of a failed request is kept, so a retry executes it again.
            transaction.set_rollback(True)
            return response
        # Stored exactly as the client receives it (dates, decimals rendered to JSON).
        body = (
            json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
        )
        record.response_status = response.status_code
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
    return response


def idempotent(method: Callable[..., Response]) -> Callable[..., Response]:
    """Makes a view's `post` honour the Idempotency-Key header (see the module docstring)."""

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        return run_idempotent(request, key.strip(), lambda: method(view, request, *args, **kwargs))

    wrapper.is_idempotent = True  # type: ignore[attr-defined]
    return wrapper
