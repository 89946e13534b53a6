"""Changes of a merchant's verifiable data, recorded on the case that decides on it.

Names (legal, local-script, trading), registration number and country, addresses, bank
details, people (added, removed, name, date of birth, nationality, share, control, PEP),
capabilities requested and documents (uploaded, replaced) change through merchants.services
and kyc.services; each announces the change through its typed hook (merchants.hooks,
kyc.hooks) inside its own transaction, and the handlers below — registered in
CasesConfig.ready() — review it in that same transaction:

- on every open case of the merchant past its draft (onboarding, re-verification, periodic
  review, change of details): one CaseDataChange per changed field (shown on the case page
  until the holder acknowledges it; approval waits for that) and one "case.details_changed"
  event on the case with the before/after;
- with no such case, an active merchant's change of its own data opens a change-of-details
  case (straight in review) and the seller is told;
- a case waiting for its second approval goes back to its maker's review
  ("case.returned_to_maker"): a checker never approves what the maker did not see;
- after commit the merchant is re-screened and the case re-scored (every party against the
  active list, so a rename or a new owner is screened), the hits recorded on the case — its
  trail reads change → re-screen → hit. A document change re-scores only: its checks are
  queued by kyc itself, and approval waits for them (cases.readiness).

A draft is the seller's own, still being filled in; nothing is recorded on it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.roles import REVIEWING_ROLES, Role, has_role
from audit.services import audit_record
from config.errors import Conflict, NotAllowed
from kyc.hooks import DOCUMENT_REPLACED, DocumentChange
from merchants.hooks import (
    CAPABILITY_REQUESTED,
    MERCHANT_UPDATED,
    PERSON_ADDED,
    PERSON_REMOVED,
    PERSON_UPDATED,
    DetailsChange,
)
from merchants.models import Merchant, MerchantStatus
from merchants.services import VERIFIABLE_MERCHANT_FIELDS, VERIFIABLE_PERSON_FIELDS

from . import queues
from .models import CaseDataChange, CaseKind, CaseState, ReviewCase
from .notifications import notify_seller
from .services import (
    _case_state_snapshot,
    _lock_case,
    _require_holder,
    _require_role,
    _save,
    case_open_by_platform,
)

# The merchant's and a person's verifiable data: one list, in merchants.services.
MERCHANT_REVIEW_FIELDS = VERIFIABLE_MERCHANT_FIELDS
PERSON_REVIEW_FIELDS = VERIFIABLE_PERSON_FIELDS
# The document fields a reviewer relies on (the file itself is its sha256).
DOCUMENT_REVIEW_FIELDS = (
    "document_type",
    "sha256",
    "number",
    "issuer",
    "holder_name",
    "issue_date",
    "expiry_date",
    "person",
)
# Open cases a change is recorded on. A draft is the seller's own (still being filled in, or
# a capability application waiting for its documents): not joined.
JOINABLE_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.INFO_REQUESTED,
    CaseState.EDD,
    CaseState.PENDING_SECOND_APPROVAL,
)


def _differs(before: Any, after: Any) -> bool:
    return str(before) != str(after)


def reviewable_changes(change: DetailsChange) -> list[dict[str, Any]]:
    """The changes that need a review, each {field, before, after[, person, person_id]}."""
    if change.event == MERCHANT_UPDATED:
        return [
            {"field": f, "before": change.before.get(f), "after": change.after.get(f)}
            for f in MERCHANT_REVIEW_FIELDS
            if f in change.after and _differs(change.before.get(f), change.after.get(f))
        ]
    if change.event == CAPABILITY_REQUESTED:
        return [
            {
                "field": "capability.requested",
                "before": change.before.get("status"),
                "after": change.after.get("capability"),
            }
        ]
    person = {"person": change.person_name, "person_id": change.person_id}
    if change.event == PERSON_ADDED:
        return [{"field": "person.added", "before": None, "after": change.after, **person}]
    if change.event == PERSON_REMOVED:
        return [{"field": "person.removed", "before": change.before, "after": None, **person}]
    if change.event == PERSON_UPDATED:
        return [
            {"field": f, "before": change.before.get(f), "after": change.after.get(f), **person}
            for f in PERSON_REVIEW_FIELDS
            if _differs(change.before.get(f), change.after.get(f))
        ]
    return []


def _open_cases(merchant: Merchant) -> list[ReviewCase]:
    return list(
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("maker", "policy_version")
        .filter(merchant=merchant, state__in=JOINABLE_STATES)
        .order_by("-created_at", "-id")
    )


def details_change_record(change: DetailsChange) -> ReviewCase | None:
    """Reviews one announced change of the merchant's data (the merchants.hooks handler), in
    the caller's transaction. Guarantees: nothing for a change that does not matter or a
    merchant whose only case is a draft; otherwise the change on every open case of the
    merchant (see the module docstring), or — for an active merchant with none — exactly one
    new change-of-details case (the merchant row is locked by the merchants service that
    announced it). Returns the most recent case the change is recorded on."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("details_change_record runs inside the merchants service transaction")
    changes = reviewable_changes(change)
    if not changes:
        return None
    merchant = Merchant.objects.get(pk=change.merchant_id)
    cases = _open_cases(merchant)
    opened = False
    if not cases:
        # A capability application finds or opens its own case (cases.services
        # .capability_apply); a merchant still onboarding has its draft.
        if merchant.status != MerchantStatus.ACTIVE or change.event == CAPABILITY_REQUESTED:
            return None
        cases = [_case_open_submitted(merchant)]
        opened = True
    for case in cases:
        _record_on_case(case, actor=change.actor, event=change.event, changes=changes)
        _enqueue_rescreen(case, screen=True)
        if opened:
            notify_seller(
                case=case,
                event="change_of_details.opened",
                details={
                    "changes": [
                        {"field": c["field"], "person": c.get("person", "")} for c in changes
                    ]
                },
            )
    return cases[0]


def document_change_record(change: DocumentChange) -> ReviewCase | None:
    """Reviews one announced document change (the kyc.hooks handler): recorded on every open
    case of the merchant past its draft, like a change of details; the case re-scored after
    commit. Never opens a case (document expiry has its own monitoring)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("document_change_record runs inside the kyc service transaction")
    merchant = Merchant.objects.get(pk=change.merchant_id)
    cases = _open_cases(merchant)
    if not cases:
        return None
    label = change.after.get("document_type") or change.before.get("document_type") or ""
    if change.event == DOCUMENT_REPLACED:
        changes = [
            {
                "field": f"document.{f}",
                "before": change.before.get(f),
                "after": change.after.get(f),
                "document_id": change.document_id,
                "replaced_document_id": change.replaced_document_id,
                "document_type": label,
            }
            for f in DOCUMENT_REVIEW_FIELDS
            if _differs(change.before.get(f), change.after.get(f))
        ] or [
            {
                "field": "document.replaced",
                "before": change.replaced_document_id,
                "after": change.document_id,
                "document_type": label,
            }
        ]
    else:
        changes = [
            {
                "field": change.event,
                "before": change.before or None,
                "after": change.after or None,
                "document_id": change.document_id,
                "document_type": label,
            }
        ]
    for case in cases:
        _record_on_case(case, actor=change.actor, event=change.event, changes=changes)
        _enqueue_rescreen(case, screen=False)
    return cases[0]


def _record_on_case(
    case: ReviewCase, *, actor: Any, event: str, changes: list[dict[str, Any]]
) -> None:
    """The change on the case: its rows, its event, and — when the approval was waiting for
    its checker — the case back to its maker."""
    CaseDataChange.objects.bulk_create(
        [
            CaseDataChange(
                case=case,
                event=event,
                field=c["field"][:60],
                person_name=str(c.get("person") or "")[:255],
                before=_jsonable(c["before"]),
                after=_jsonable(c["after"]),
                actor=actor if getattr(actor, "pk", None) else None,
            )
            for c in changes
        ]
    )
    policy = case.policy_version.label if case.policy_version else ""
    audit_record(
        action="case.details_changed",
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before={c["field"]: c["before"] for c in changes},
        after={**_case_state_snapshot(case), "event": event, "changes": changes},
        text=f"{event}: " + ", ".join(c["field"] for c in changes),
        policy_version=policy,
    )
    if case.state == CaseState.PENDING_SECOND_APPROVAL and case.maker_id is not None:
        before = _case_state_snapshot(case)
        maker = case.maker
        case.return_to_maker(in_edd=case.edd_items.exists())
        queues.case_route(case)  # back to review: its review queue and a new SLA clock
        _save(case)
        audit_record(
            action="case.returned_to_maker",
            actor=actor,
            obj=case,
            case_id=case.pk,
            merchant_id=case.merchant_id,
            before={**before, "maker": maker.pk if maker else None},
            after=_case_state_snapshot(case),
            text="The data changed while the approval waited for its second approval.",
            policy_version=policy,
        )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _enqueue_rescreen(case: ReviewCase, *, screen: bool) -> None:
    from .tasks import score_case_task, screen_and_score_case_task

    # After commit, so the task reads the changed data; its own steps write the
    # re-screening and the hits on the case after this change's event.
    if screen:
        screen_and_score_case_task.delay_on_commit(case.pk)
    else:
        score_case_task.delay_on_commit(case.pk)


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


def unacknowledged_changes(case: ReviewCase) -> list[CaseDataChange]:
    """The changes since submission the holder has not acknowledged, oldest first."""
    return list(
        CaseDataChange.objects.filter(case=case, acknowledged_at__isnull=True)
        .select_related("actor")
        .order_by("created_at", "id")
    )


@transaction.atomic
def case_acknowledge_changes(*, actor: Any, case_id: int) -> list[CaseDataChange]:
    """The case holder has seen the changes since submission. Guarantees: only the reviewer
    holding a case in review (a senior one in EDD); the changes acknowledged are exactly those
    pending when the case row was locked; one "case.changes_acknowledged" event naming them;
    refused with 409 `no_changes` when there is nothing to acknowledge."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers acknowledge changes.")
    if case.state not in (CaseState.IN_REVIEW, CaseState.EDD):
        raise Conflict(
            f"Case {case.pk} is {case.get_state_display().lower()}; its holder acknowledges "
            "changes while reviewing it.",
            code="invalid_state",
            details={"state": case.state},
        )
    _require_holder(actor, case)
    if case.state == CaseState.EDD and not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("Only senior reviewers decide EDD cases.")
    pending = unacknowledged_changes(case)
    if not pending:
        raise Conflict("There are no changes to acknowledge.", code="no_changes")
    now = timezone.now()
    CaseDataChange.objects.filter(pk__in=[c.pk for c in pending]).update(
        acknowledged_at=now, acknowledged_by=actor
    )
    for change in pending:
        change.acknowledged_at = now
        change.acknowledged_by = actor
    audit_record(
        action="case.changes_acknowledged",
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before={"unacknowledged": len(pending)},
        after={
            **_case_state_snapshot(case),
            "changes": [
                {"id": c.pk, "field": c.field, "before": c.before, "after": c.after}
                for c in pending
            ],
        },
        text=", ".join(c.field for c in pending),
        policy_version=case.policy_version.label if case.policy_version else "",
    )
    return pending
