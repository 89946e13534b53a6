"""Change of details: an active merchant's owners, legal name, registration number or bank
details change → one change-of-details case, the change recorded on it (before/after), the
merchant re-screened (every party, so a new owner is screened) and the seller told.

The seller edits through merchants.services (profile form and PATCH /api/v1/merchants/{id}/,
the people pages and /api/v1/merchants/{id}/people/); each service announces the change
through merchants.hooks inside its own transaction, and `details_change_record` below — the
handler cases registers in CasesConfig.ready() — reviews it in that same transaction. Edits
of a merchant still onboarding change nothing here: its onboarding case covers them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from audit.services import audit_record
from merchants.hooks import (
    MERCHANT_UPDATED,
    PERSON_ADDED,
    PERSON_REMOVED,
    PERSON_UPDATED,
    DetailsChange,
)
from merchants.models import Merchant, MerchantStatus
from merchants.services import BANK_FIELDS

from .models import CaseKind, CaseState, ReviewCase
from .notifications import notify_seller
from .services import _case_state_snapshot, case_open_by_platform

# What re-opens the review of a live merchant (the rest of the profile does not).
MERCHANT_REVIEW_FIELDS = ("legal_name", "registration_number", *BANK_FIELDS)
# A person's fields that change who owns or controls the merchant, or whom we screen.
PERSON_REVIEW_FIELDS = (
    "full_name",
    "local_name",
    "ownership_percent",
    "is_beneficial_owner",
    "control_type",
)
# Open change-of-details cases a new change joins. A draft is the seller's own (a capability
# application waiting for its documents) and would wait for the seller: not joined.
JOINABLE_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.INFO_REQUESTED,
    CaseState.EDD,
    CaseState.PENDING_SECOND_APPROVAL,
)


def _is_owner(snapshot: dict[str, Any]) -> bool:
    threshold = settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD
    return bool(
        snapshot.get("is_beneficial_owner")
        or snapshot.get("control_type")
        or float(snapshot.get("ownership_percent") or 0) >= threshold
    )


def reviewable_changes(change: DetailsChange) -> list[dict[str, Any]]:
    """The changes that need a review, each {field, before, after[, person, person_id]}."""
    if change.event == MERCHANT_UPDATED:
        return [
            {"field": f, "before": change.before.get(f), "after": change.after.get(f)}
            for f in MERCHANT_REVIEW_FIELDS
            if f in change.after and str(change.before.get(f)) != str(change.after.get(f))
        ]
    person = {"person": change.person_name, "person_id": change.person_id}
    if change.event == PERSON_ADDED:
        return [{"field": "person.added", "before": None, "after": change.after, **person}]
    if change.event == PERSON_REMOVED:
        return [{"field": "person.removed", "before": change.before, "after": None, **person}]
    if change.event == PERSON_UPDATED:
        if not (_is_owner(change.before) or _is_owner(change.after)):
            # Only an owner's (or a newly made owner's) ownership and control matter; a name
            # change of anyone is a new party to screen.
            fields: tuple[str, ...] = ("full_name", "local_name")
        else:
            fields = PERSON_REVIEW_FIELDS
        return [
            {"field": f, "before": change.before.get(f), "after": change.after.get(f), **person}
            for f in fields
            if str(change.before.get(f)) != str(change.after.get(f))
        ]
    return []


def details_change_record(change: DetailsChange) -> ReviewCase | None:
    """Reviews one announced change (the merchants.hooks handler), in the caller's
    transaction. Guarantees: nothing for a merchant that is not active or a change that does
    not matter; otherwise exactly one open change-of-details case per merchant (the merchant
    row is locked by the merchants service that announced it), one "case.details_changed"
    event with the before/after, a re-screening of the whole merchant after commit, and one
    e-mail to the seller when the case is opened."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("details_change_record runs inside the merchants service transaction")
    merchant = Merchant.objects.get(pk=change.merchant_id)
    if merchant.status != MerchantStatus.ACTIVE:
        return None
    changes = reviewable_changes(change)
    if not changes:
        return None
    case = (
        ReviewCase.objects.select_for_update(of=("self",))
        .filter(merchant=merchant, kind=CaseKind.CHANGE_OF_DETAILS, state__in=JOINABLE_STATES)
        .order_by("-created_at", "-id")
        .first()
    )
    opened = case is None
    if case is None:
        case = _case_open_submitted(merchant)
    audit_record(
        action="case.details_changed",
        actor=change.actor,
        obj=case,
        case_id=case.pk,
        merchant_id=merchant.pk,
        before={c["field"]: c["before"] for c in changes},
        after={
            **_case_state_snapshot(case),
            "event": change.event,
            "case_opened": opened,
            "changes": changes,
        },
        text=f"{change.event}: " + ", ".join(c["field"] for c in changes),
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    from .tasks import screen_and_score_case_task

    # Every party, the new ones included, against the active list; hits land on this case
    # and a high tier routes it to EDD (the onboarding path's own task).
    screen_and_score_case_task.delay_on_commit(case.pk)
    if opened:
        notify_seller(
            case=case,
            event="change_of_details.opened",
            details={
                "changes": [{"field": c["field"], "person": c.get("person", "")} for c in changes]
            },
        )
    return case


def _case_open_submitted(merchant: Merchant) -> ReviewCase:
    """A change-of-details case opened by the platform, straight in the review queue: the
    change is already in effect (new payout account, new owner), so it is not left waiting
    for the seller."""
    case = case_open_by_platform(merchant=merchant, kind=CaseKind.CHANGE_OF_DETAILS)
    audit_record(
        action="case.opened",
        obj=case,
        case_id=case.pk,
        merchant_id=merchant.pk,
        before={},
        after={
            **_case_state_snapshot(case),
            "kind": case.kind,
            "capabilities": [c.code for c in case.capabilities.all()],
            "risk_tier": case.risk_tier,
        },
        text="Opened by a change of details on an active merchant.",
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    return case
