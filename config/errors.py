"""Domain errors raised by services; the API and the pages map them to responses.

Each carries a machine code, a human message and, for invalid input, the fields at fault.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}
        self.details = details or {}


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The case moved on: stale state or a concurrent transition won."""

    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "file_too_large"


class UnsupportedFileType(DomainError):
    status = 415
    code = "unsupported_file_type"


class StorageUnavailable(DomainError):
    """The object store refused or could not be reached: nothing was kept, try again."""

    status = 503
    code = "storage_unavailable"


# Services speak English; accounts.forms.SERVICE_MESSAGES translates it for the pages.
STORAGE_UNAVAILABLE_MESSAGE = (
    "The document store is unavailable, so the file was not kept. Try again in a few minutes."
)


@functools.cache
def storage_errors() -> tuple[type[BaseException], ...]:
    """What a storage backend raises when the store is down, full or refuses the write:
    OSError for files on disk, botocore's and boto3's errors for S3 (when installed)."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        errors += [BotoCoreError, ClientError, Boto3Error]
    except ImportError:  # no S3 backend installed
        pass
    return tuple(errors)


@contextlib.contextmanager
def storage_write(what: str) -> Iterator[None]:
    """Turns the storage backend's failure in the block into StorageUnavailable (503, on the
    `file` field), so every upload answers an unreachable store the same way."""
    try:
        yield
    except storage_errors() as exc:
        logger.error("%s: the storage refused the file: %r", what, exc)
        raise StorageUnavailable(
            STORAGE_UNAVAILABLE_MESSAGE, fields={"file": [STORAGE_UNAVAILABLE_MESSAGE]}
        ) from exc
