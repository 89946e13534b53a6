"""The one explicit hook from the kyc app to the apps above it (as merchants/hooks.py is for
the merchant's own data): a seller's document change while a case is open must be recorded
on that case and make its checks part of what approval waits for. kyc cannot import cases,
so kyc.services announces each change here, inside its transaction, and cases registers its
handler in `CasesConfig.ready()`. A handler that raises rolls the upload back with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DOCUMENT_UPLOADED = "document.uploaded"
DOCUMENT_REPLACED = "document.replaced"
DOCUMENT_REMOVED = "document.removed"


@dataclass(frozen=True)
class DocumentChange:
    """One document change: `before` is the replaced (or removed) document's snapshot, `after`
    the new one's (kyc.services.document_snapshot)."""

    actor: Any
    merchant_id: int
    event: str
    document_id: int
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    replaced_document_id: int | None = None


DocumentChangedHandler = Callable[[DocumentChange], object]
_handlers: list[DocumentChangedHandler] = []


def register_document_changed(handler: DocumentChangedHandler) -> DocumentChangedHandler:
    """Registers a handler once (ready() may run more than once in tests)."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def document_changed(change: DocumentChange) -> None:
    """Calls every registered handler in the caller's transaction."""
    for handler in list(_handlers):
        handler(change)
