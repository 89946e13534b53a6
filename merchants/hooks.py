"""The one explicit hook from the merchants app to the apps above it.

Dependencies point one way (`audit ← merchants ← kyc ← cases`), yet a change of a merchant's
verifiable data (names, registration, addresses, bank details, people, capabilities
requested) must be recorded on its open case, or open a change-of-details case for an active
merchant (cases.details). The seller edits those through pages and API views of
this app (the profile form, the people pages and the people endpoints), which cannot call
cases. So the merchants services announce each committed-to-be change here, inside their
transaction, and cases registers its handler in `CasesConfig.ready()`. A handler that raises
rolls the seller's edit back with it: the change and its review are one unit.

This is not a Django signal: it is typed, has exactly the call sites in merchants.services,
and the handlers are listed in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MERCHANT_UPDATED = "merchant.updated"
PERSON_ADDED = "person.added"
PERSON_UPDATED = "person.updated"
PERSON_REMOVED = "person.removed"
CAPABILITY_REQUESTED = "capability.requested"


@dataclass(frozen=True)
class DetailsChange:
    """What changed: `before` / `after` hold the changed merchant fields, or the person's
    snapshot (empty `before` for an added person, empty `after` for a removed one), or the
    requested capability ({"capability", "status"})."""

    actor: Any
    merchant_id: int
    event: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    person_name: str = ""


DetailsChangedHandler = Callable[[DetailsChange], object]
_handlers: list[DetailsChangedHandler] = []


def register_details_changed(handler: DetailsChangedHandler) -> DetailsChangedHandler:
    """Registers a handler once (ready() may run more than once in tests)."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def details_changed(change: DetailsChange) -> None:
    """Calls every registered handler in the caller's transaction."""
    for handler in list(_handlers):
        handler(change)
