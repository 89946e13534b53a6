"""Write use-cases for review cases: every transition of the case state machine.

Each transition service: locks the case row, checks visibility (404), role (403), state
(409) and holder/maker rules (403), applies the django-fsm transition, saves, writes exactly
one audit event in the same transaction and enqueues its side effects after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django_fsm import ConcurrentTransition, can_proceed

from accounts.roles import REVIEWING_ROLES, Role, has_role, is_staff_member
from audit.services import audit_record
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kyc.models import (
    Disposition,
    DocumentStatus,
    PolicyVersion,
    QualificationDocument,
    ScreeningMatch,
)
from kyc.requirements import active_policy, merchant_requirements
from kyc.risk import merchant_risk
from kyc.services import document_set_status
from merchants.models import (
    Brand,
    Capability,
    CapabilityKind,
    CapabilityStatus,
    Category,
    Merchant,
    MerchantStatus,
    RiskTier,
)
from merchants.services import capability_request, capability_set_status, merchant_create
from webhooks.services import webhook_emit, webhook_event_refresh

from . import queues
from .digest import data_digest
from .document_review import NOTE_REQUIRED_MESSAGE, needs_note
from .models import (
    CaseKind,
    CaseState,
    Comment,
    CommentVisibility,
    DocumentDecision,
    InformationRequest,
    InformationRequestItem,
    Notification,
    ReasonCode,
    ReasonKind,
    ReportTrigger,
    ReviewCase,
    Severity,
)
from .notifications import notify_seller
from .readiness import blocking_requirements, match_ref, refuse_if_not_ready
from .reports.services import report_request
from .seller_status import seller_state, seller_status, seller_status_explained

PRIORITY_BY_TIER: dict[str, int] = {
    RiskTier.PROHIBITED: 5,
    RiskTier.HIGH: 10,
    RiskTier.MEDIUM: 30,
    RiskTier.LOW: 50,
}


# --------------------------------------------------------------------------- helpers


def _is_member(actor: Any, merchant_id: int) -> bool:
    return Merchant.objects.filter(pk=merchant_id, memberships__user=actor).exists()


def _lock_case(*, actor: Any, case_id: int) -> ReviewCase:
    """Locks the row (PostgreSQL: SELECT … FOR UPDATE) and enforces visibility: 404 for a
    case the actor may not see, so its existence is not revealed."""
    case = (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("Case not found.")
    if actor is not None and not is_staff_member(actor) and not _is_member(actor, case.merchant_id):
        raise NotFound("Case not found.")
    return case


def _require_role(actor: Any, roles: Iterable[str], message: str) -> None:
    if not has_role(actor, *roles):
        raise NotAllowed(message)


def _require_state(
    case: ReviewCase, method: Callable[..., Any], action: str, *, actor: Any = None
) -> None:
    """Refuses a transition the case's state does not allow (409). Told to a seller (`actor`
    not staff), the state is the seller-facing one: a refusal never reveals EDD."""
    if not can_proceed(method, check_conditions=False):
        if actor is not None and not is_staff_member(actor):
            label, state = str(seller_status(case.state).label), seller_state(case.state)
        else:
            label, state = case.get_state_display(), case.state
        raise Conflict(
            f"Case {case.pk} is {label.lower()}; it cannot be {action} now.",
            code="invalid_state",
            details={"state": state},
        )


def _require_holder(actor: Any, case: ReviewCase) -> None:
    if case.assignee_id != getattr(actor, "pk", None):
        holder = case.assignee.get_username() if case.assignee is not None else "nobody"
        raise NotAllowed(
            f"You do not hold case {case.pk} (held by {holder}); claim it first.",
            code="not_case_holder",
        )


def _save(case: ReviewCase) -> None:
    # The state as loaded (django-fsm's ConcurrentTransitionMixin keeps it for its
    # conditional UPDATE); None for a case being created.
    previous = (
        None
        if case._state.adding
        else getattr(case, "_ConcurrentTransitionMixin__initial_states", {}).get("state")
    )
    try:
        case.save()
    except ConcurrentTransition:
        # Only reachable where row locks are not available (SQLite): the conditional UPDATE
        # found the state already changed by someone else.
        raise Conflict(
            f"Case {case.pk} was changed by someone else at the same time; reload it.",
            code="concurrent_transition",
        ) from None
    if previous != case.state:
        _emit_case_webhook(case, previous)


# Webhook choke points: every case state change is saved by `_save` (here, and in
# cases/queues.py and cases/screening.py), which emits `case.<new state>`; `_audit`, which
# each transition here calls after its side effects, refreshes that event's capabilities
# (an approval activates them after the case is saved). Capability changes are emitted by
# merchants.services.capability_set_status.


def _case_webhook_data(case: ReviewCase, previous: str | None) -> dict[str, Any]:
    """A case event's payload. Webhooks go to the platform (a subscription is set up by a
    compliance admin), which is the obligated party and routes its own work on `state` and
    the event type (`case.edd` included), so those stay internal and exact. What the platform
    may show its sellers is `seller_status` and `seller_message` alone: the seller-facing
    status (cases/seller_status.py), in English and Chinese, which reads "under review" for
    EDD and second approval, so a platform that relays it cannot tip the seller off. The
    documented rule for consumers (docs/api.md): never show `state` or the event type to a
    seller."""
    status = seller_status(case.state)
    with translation.override("en"):
        message_en = seller_status_explained(case.state, rejection_severity=case.rejection_severity)
        label_en = str(status.label)
    with translation.override("zh-hans"):
        message_zh = seller_status_explained(case.state, rejection_severity=case.rejection_severity)
        label_zh = str(status.label)
    return {
        "case_id": case.pk,
        "merchant_id": case.merchant_id,
        "kind": case.kind,
        "state": case.state,
        "previous_state": previous,
        "seller_status": status.value,
        "seller_message": {
            "label_en": label_en,
            "label_zh": label_zh,
            "text_en": message_en,
            "text_zh": message_zh,
        },
        "capabilities": [
            {"id": c.pk, "kind": c.kind, "code": c.code, "status": c.status}
            for c in case.capabilities.select_related("category").order_by("pk")
        ],
        "decided_at": case.decided_at,
    }


def _emit_case_webhook(case: ReviewCase, previous: str | None) -> None:
    event = webhook_emit(
        event_type=f"case.{case.state}",
        data=_case_webhook_data(case, previous),
        merchant_id=case.merchant_id,
        case_id=case.pk,
    )
    case._webhook_event = event  # type: ignore[attr-defined]


def case_open_by_platform(*, merchant: Merchant, kind: str) -> ReviewCase:
    """Opens a case the platform starts itself (a re-screening hit, a change of details),
    straight in review: scored, submitted, routed to its queue with the SLA of its tier, and
    covering the merchant's active capabilities; emits its `case.submitted` webhook.

    The caller, inside its transaction, writes the audit event (it knows why the case was
    opened) and enqueues what follows."""
    score = merchant_risk(merchant)
    case = ReviewCase(
        merchant=merchant,
        kind=kind,
        policy_version=active_policy(),
        risk_tier=score.tier,
        requires_four_eyes=score.requires_edd,
        priority=PRIORITY_BY_TIER.get(score.tier, 50),
    )
    case.submit()
    case.sla_due_at = timezone.now() + timedelta(hours=settings.KYC_SLA_HOURS.get(score.tier, 48))
    queues.case_route(case)
    case.save()
    case.capabilities.set(
        Capability.objects.filter(merchant=merchant, status=CapabilityStatus.ACTIVE)
    )
    # After the capabilities are set, so the event lists them.
    _emit_case_webhook(case, None)
    return case


def _reason_codes(codes: Iterable[str], *, kinds: Iterable[str]) -> list[ReasonCode]:
    codes = [c for c in dict.fromkeys(codes) if c]
    found = {
        rc.code: rc
        for rc in ReasonCode.objects.filter(code__in=codes, is_active=True, kind__in=list(kinds))
    }
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            f"Unknown reason code(s): {', '.join(missing)}.",
            fields={"reason_codes": [f"Unknown: {c}" for c in missing]},
        )
    return [found[c] for c in codes]


def _case_state_snapshot(case: ReviewCase) -> dict[str, Any]:
    return {"state": case.state, "assignee": case.assignee_id}


def _refuse_if_due(case: ReviewCase) -> None:
    """A seller's submission (or RFI answer) waits for every currently due requirement."""
    blocking = blocking_requirements(case)
    if blocking:
        items = [f"{r['label']}: {i['label']}" for r in blocking for i in r["currently_due"]]
        raise InvalidInput(
            "Some requirements are still due: " + "; ".join(items),
            code="requirements_due",
            details={"requirements": blocking},
        )


# What an error or an audit event says about a match (cases.screening uses it too).
_match_ref = match_ref


def _has_inconclusive_hits(case: ReviewCase) -> bool:
    return ScreeningMatch.objects.filter(
        merchant_id=case.merchant_id, status=Disposition.INCONCLUSIVE
    ).exists()


def _audit(
    *,
    case: ReviewCase,
    actor: Any,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any] | None = None,
    reason_codes: Iterable[str] = (),
    text: str = "",
) -> None:
    policy = case.policy_version.label if case.policy_version is not None else ""
    event = case.__dict__.pop("_webhook_event", None)
    if event is not None:
        webhook_event_refresh(
            event=event, data=_case_webhook_data(case, event.payload["previous_state"])
        )
    payload = _case_state_snapshot(case)
    payload.update(after or {})
    audit_record(
        action=action,
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after=payload,
        reason_codes=reason_codes,
        text=text,
        policy_version=policy,
    )


# --------------------------------------------------------------------------- case creation


def case_open(
    *,
    actor: Any,
    merchant: Merchant,
    kind: str = CaseKind.ONBOARDING,
    capabilities: Iterable[Capability] = (),
) -> ReviewCase:
    """Opens a draft case for a merchant (inside the caller's transaction)."""
    case = ReviewCase.objects.create(merchant=merchant, kind=kind, created_by=actor)
    case.capabilities.set(list(capabilities))
    _audit(
        case=case,
        actor=actor,
        action="case.opened",
        before={},
        after={"kind": kind, "capabilities": [c.code for c in capabilities]},
    )
    return case


@transaction.atomic
def onboarding_start(*, actor: Any, data: dict[str, Any]) -> tuple[Merchant, ReviewCase]:
    """A seller's new merchant and its draft onboarding case."""
    merchant = merchant_create(actor=actor, data=data)
    case = case_open(
        actor=actor,
        merchant=merchant,
        kind=CaseKind.ONBOARDING,
        capabilities=merchant.capabilities.all(),
    )
    return merchant, case


@transaction.atomic
def capability_apply(
    *,
    actor: Any,
    merchant: Merchant,
    kind: str,
    category: Category | None = None,
    brand: Brand | None = None,
) -> tuple[Capability, ReviewCase]:
    """Requests a capability and puts it on the merchant's open seller-side case (draft or
    waiting on an RFI), or on a new change-of-details draft."""
    capability = capability_request(
        actor=actor, merchant=merchant, kind=kind, category=category, brand=brand
    )
    case = (
        ReviewCase.objects.select_for_update()
        .filter(merchant=merchant, state__in=[CaseState.DRAFT, CaseState.INFO_REQUESTED])
        .order_by("-created_at")
        .first()
    )
    if case is None:
        kind_ = (
            CaseKind.ONBOARDING
            if merchant.status == MerchantStatus.ONBOARDING
            else CaseKind.CHANGE_OF_DETAILS
        )
        case = case_open(actor=actor, merchant=merchant, kind=kind_, capabilities=[capability])
    else:
        case.capabilities.add(capability)
    return capability, case


# --------------------------------------------------------------------------- seller transitions


@transaction.atomic
def case_submit(*, actor: Any, case_id: int) -> ReviewCase:
    """Submits a draft; refused with the list while anything is currently due."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, [Role.SELLER], "Only the merchant's seller submits its case.")
    _require_state(case, case.submit, "submitted", actor=actor)
    _refuse_if_due(case)
    before = _case_state_snapshot(case)
    score = merchant_risk(case.merchant)
    case.risk_tier = score.tier
    case.requires_four_eyes = score.tier in (RiskTier.HIGH, RiskTier.PROHIBITED)
    case.priority = PRIORITY_BY_TIER.get(score.tier, 50)
    case.policy_version = active_policy()
    case.submit()
    case.sla_due_at = timezone.now() + timedelta(hours=settings.KYC_SLA_HOURS.get(score.tier, 48))
    queues.case_route(case)  # its queue's SLA, when a queue takes it
    _save(case)
    # One by one through capability_set_status (a handful per case), so each change is a
    # `capability.pending` webhook like every other capability status change.
    for capability in case.capabilities.filter(status=CapabilityStatus.UNREQUESTED):
        capability_set_status(capability=capability, status=CapabilityStatus.PENDING)
    _audit(
        case=case,
        actor=actor,
        action="case.submitted",
        before=before,
        after={
            "risk_tier": case.risk_tier,
            "risk_points": score.points,
            "risk_factors": score.factors,
            "sla_due_at": case.sla_due_at,
        },
    )
    notify_seller(case=case, event="case.submitted")
    _enqueue_screening(case)
    return case


def _enqueue_screening(case: ReviewCase) -> None:
    from .tasks import screen_and_score_case_task

    # The tier computed at submission is provisional: the task screens the merchant, applies
    # the 50% rule and routes a high tier to EDD, after this transaction commits.
    screen_and_score_case_task.delay_on_commit(case.pk)


@transaction.atomic
def case_resubmit(*, actor: Any, case_id: int, answer: str = "") -> ReviewCase:
    """The seller answers an RFI; the case goes back to the same reviewer when available."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, [Role.SELLER], "Only the merchant's seller answers its RFI.")
    _require_state(case, case.resubmit, "resubmitted", actor=actor)
    _refuse_if_due(case)
    before = _case_state_snapshot(case)
    reviewer = case.last_reviewer
    available = (
        reviewer is not None
        and reviewer.is_active
        and reviewer.is_available
        and (has_role(reviewer, *REVIEWING_ROLES))
    )
    # An RFI sent during EDD returns to EDD (its checklist exists), and only to a senior.
    in_edd = case.edd_items.exists()
    if in_edd and not (reviewer is not None and has_role(reviewer, Role.SENIOR_REVIEWER)):
        available = False
    # Same reviewer, straight back into review when available: they already know the file.
    case.resubmit(reviewer if available else None, in_edd=in_edd)
    queues.case_route(case)  # back in the platform's hands: a new SLA clock
    _save(case)
    rfi = case.information_requests.filter(answered_at__isnull=True).first()
    if rfi is not None:
        rfi.answered_at = timezone.now()
        rfi.answer = answer
        rfi.save(update_fields=["answered_at", "answer"])
    _audit(case=case, actor=actor, action="case.resubmitted", before=before, text=answer)
    _enqueue_screening(case)
    return case


@transaction.atomic
def case_withdraw(*, actor: Any, case_id: int, reason: str = "") -> ReviewCase:
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, [Role.SELLER], "Only the merchant's seller withdraws its case.")
    _require_state(case, case.withdraw, "withdrawn", actor=actor)
    if case.created_by_id is None and case.kind != CaseKind.ONBOARDING:
        # Opened by the platform (a sanctions re-screening, an expiring document, a periodic
        # review, a change of details): not the seller's to drop.
        raise NotAllowed(
            "This review was opened by the platform and cannot be withdrawn.",
            code="opened_by_platform",
        )
    before = _case_state_snapshot(case)
    case.withdraw()
    _save(case)
    changes = [
        capability_set_status(
            capability=c, status=CapabilityStatus.UNREQUESTED, disabled_reason="withdrawn"
        )
        for c in case.capabilities.filter(status=CapabilityStatus.PENDING)
    ]
    _audit(
        case=case,
        actor=actor,
        action="case.withdrawn",
        before=before,
        after={"capabilities": changes},
        text=reason,
    )
    notify_seller(case=case, event="case.withdrawn")
    return case


# --------------------------------------------------------------------------- reviewer transitions


@transaction.atomic
def case_claim(*, actor: Any, case_id: int) -> ReviewCase:
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers claim cases.")
    _require_state(case, case.claim, "claimed")
    if case.assignee is not None:
        raise Conflict(
            f"Case {case.pk} is already held by {case.assignee.get_username()}.",
            code="already_claimed",
        )
    if case.state == CaseState.EDD and not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("EDD cases are worked by senior reviewers.")
    before = _case_state_snapshot(case)
    case.claim(actor)
    case.assigned_at = timezone.now()
    _save(case)
    _audit(case=case, actor=actor, action="case.claimed", before=before)
    return case


@transaction.atomic
def case_release(*, actor: Any, case_id: int) -> ReviewCase:
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers release cases.")
    _require_state(case, case.release, "released")
    _require_holder(actor, case)
    before = _case_state_snapshot(case)
    case.release()
    case.assigned_at = None
    _save(case)
    _audit(case=case, actor=actor, action="case.released", before=before)
    return case


@transaction.atomic
def case_request_info(
    *,
    actor: Any,
    case_id: int,
    message: str,
    items: list[dict[str, Any]] | None = None,
    deadline: datetime | None = None,
) -> ReviewCase:
    """One consolidated RFI: every item to fix, a seller-visible message and a deadline.
    Documents named in the items with a reason are rejected in the same step."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers request information.")
    _require_state(case, case.request_info, "sent back to the seller")
    _require_holder(actor, case)
    message = (message or "").strip()
    if not message:
        raise InvalidInput(
            "Write the message the seller will see.", fields={"message": ["Required."]}
        )
    now = timezone.now()
    deadline = deadline or now + timedelta(days=settings.KYC_RFI_DEFAULT_DAYS)
    if deadline <= now:
        raise InvalidInput(
            "The deadline must be in the future.", fields={"deadline": ["Must be in the future."]}
        )
    cleaned_items = _clean_rfi_items(case, items or [])
    # "Ask about Z": an item may name one of the case's capabilities.
    case_capabilities = {c.pk: c for c in case.capabilities.all()}
    for index, (raw, item) in enumerate(zip(items or [], cleaned_items, strict=True)):
        capability_id = raw.get("capability_id")
        if capability_id in (None, ""):
            continue
        raw_id = str(capability_id)
        capability = case_capabilities.get(int(raw_id)) if raw_id.isdigit() else None
        if capability is None:
            raise InvalidInput(
                "Some RFI items are invalid.",
                fields={
                    "items": [f"item {index + 1}: capability {capability_id} is not in the case"]
                },
            )
        item["capability"] = capability
    before = _case_state_snapshot(case)
    case.request_info(deadline)
    _save(case)
    rfi = InformationRequest.objects.create(
        case=case, message=message, deadline=deadline, requested_by=actor
    )
    rejected = []
    for item in cleaned_items:
        InformationRequestItem.objects.create(request=rfi, **item)
        doc = item.get("document")
        if doc is not None and item.get("reason_code") is not None:
            DocumentDecision.objects.create(
                case=case,
                document=doc,
                decision=DocumentDecision.Decision.REJECT,
                reason_code=item["reason_code"],
                note=item.get("note", ""),
                decided_by=actor,
            )
            rejected.append(document_set_status(document=doc, status=DocumentStatus.REJECTED))
    _audit(
        case=case,
        actor=actor,
        action="case.info_requested",
        before=before,
        after={
            "deadline": deadline,
            "rfi": rfi.pk,
            "items": len(cleaned_items),
            "documents_rejected": rejected,
        },
        reason_codes=[i["reason_code"].code for i in cleaned_items if i.get("reason_code")],
        text=message,
    )
    notify_seller(case=case, event="case.info_requested", message=message)
    return case


def _clean_rfi_items(case: ReviewCase, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    errors: list[str] = []
    codes = {rc.code: rc for rc in ReasonCode.objects.filter(is_active=True)}
    for index, raw in enumerate(items):
        item: dict[str, Any] = {
            "requirement_code": str(raw.get("requirement_code") or "")[:120],
            "note": str(raw.get("note") or ""),
            "document": None,
            "reason_code": None,
        }
        if raw.get("document_id"):
            doc = QualificationDocument.objects.filter(
                pk=raw["document_id"], merchant_id=case.merchant_id
            ).first()
            if doc is None:
                errors.append(f"item {index + 1}: document {raw['document_id']} is not on file")
            item["document"] = doc
        if raw.get("reason_code"):
            rc = codes.get(str(raw["reason_code"]))
            if rc is None:
                errors.append(f"item {index + 1}: unknown reason code {raw['reason_code']}")
            item["reason_code"] = rc
        if not (item["document"] or item["requirement_code"] or item["note"]):
            errors.append(f"item {index + 1}: say what to fix")
        cleaned.append(item)
    if errors:
        raise InvalidInput("Some RFI items are invalid.", fields={"items": errors})
    return cleaned


@transaction.atomic
def case_escalate(*, actor: Any, case_id: int, rationale: str) -> ReviewCase:
    """Sends the case to EDD; it then needs a senior reviewer and four-eyes approval."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers escalate cases.")
    _require_state(case, case.escalate, "escalated")
    _require_holder(actor, case)
    if not (rationale or "").strip():
        raise InvalidInput("Say why the case needs EDD.", fields={"rationale": ["Required."]})
    before = _case_state_snapshot(case)
    case.escalate()
    if not has_role(actor, Role.SENIOR_REVIEWER):
        case.assignee = None  # a senior reviewer takes it from the EDD queue
    queues.case_route(case)  # the EDD queue and its SLA
    _save(case)
    from .edd import edd_checklist_ensure  # cases.edd builds on these services

    edd_checklist_ensure(case)
    _audit(case=case, actor=actor, action="case.escalated", before=before, text=rationale)
    return case


def _final_approval_effects(case: ReviewCase) -> dict[str, Any]:
    """Applies the per-capability decisions: approved or undecided capabilities become
    active, rejected ones inactive (`rejected.retry` / `rejected.final`); refuses when none
    would end approved. Documents are not touched: each was decided explicitly before the
    approval (cases.document_review)."""
    from .decisions import capability_outcomes

    to_activate, rejected_caps = capability_outcomes(
        case, case.capabilities.select_related("category", "brand")
    )
    capability_changes = [
        capability_set_status(capability=c, status=CapabilityStatus.ACTIVE)
        for c in to_activate
        if c.status != CapabilityStatus.ACTIVE
    ] + [
        capability_set_status(
            capability=c,
            status=CapabilityStatus.INACTIVE,
            disabled_reason=f"rejected.{d.severity or Severity.RETRY}",
        )
        for c, d in rejected_caps
    ]
    merchant = case.merchant
    merchant_before: dict[str, Any] = {"status": merchant.status, "risk_tier": merchant.risk_tier}
    if merchant.capabilities.filter(
        kind=CapabilityKind.SELL, status=CapabilityStatus.ACTIVE
    ).exists():
        merchant.status = MerchantStatus.ACTIVE
    merchant.risk_tier = case.risk_tier or merchant.risk_tier
    review_before = merchant.next_review_date
    if merchant.status == MerchantStatus.ACTIVE:
        from .monitoring import next_review_date  # cases.monitoring builds on these services

        # Ongoing monitoring: the next periodic review, by the tier this decision set.
        merchant.next_review_date = next_review_date(
            risk_tier=merchant.risk_tier, decided_on=timezone.localdate(case.decided_at)
        )
    merchant.save(update_fields=["status", "risk_tier", "next_review_date", "updated_at"])
    merchant_before["next_review_date"] = review_before
    return {
        "capabilities": capability_changes,
        "merchant": {
            "before": merchant_before,
            "after": {
                "status": merchant.status,
                "risk_tier": merchant.risk_tier,
                "next_review_date": merchant.next_review_date,
            },
        },
    }


def _record_decision(case: ReviewCase, reason_codes: list[ReasonCode], rationale: str) -> None:
    case.decision_reason_codes.set(reason_codes)
    case.decision_rationale = rationale


@transaction.atomic
def case_approve(
    *,
    actor: Any,
    case_id: int,
    reason_codes: Iterable[str] = (),
    rationale: str = "",
) -> ReviewCase:
    """Approves, or — where four-eyes applies — records the maker's approval and waits for a
    second, different senior reviewer."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers approve cases.")
    _require_state(case, case.approve, "approved")
    _require_holder(actor, case)
    if case.state == CaseState.EDD and not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("Only senior reviewers decide EDD cases.")
    codes = _reason_codes(reason_codes, kinds=[ReasonKind.APPROVAL])
    refuse_if_not_ready(case)
    before = _case_state_snapshot(case)
    # What the maker decided on, before the decision changes any status.
    case.data_digest = data_digest(case)
    if case.state == CaseState.EDD:
        # An EDD case is always approved by two senior reviewers, whatever its flags say.
        case.requires_four_eyes = True
    if _has_inconclusive_hits(case):
        # An inconclusive hit does not block, but a second, senior reviewer must see it.
        case.requires_four_eyes = True
    case.approve(actor)
    _record_decision(case, codes, rationale)
    if case.state == CaseState.PENDING_SECOND_APPROVAL:
        queues.case_route(case)  # the second-approval queue and its SLA
    _save(case)
    effects: dict[str, Any] = {}
    if case.state == CaseState.APPROVED:
        effects = _final_approval_effects(case)
    _audit(
        case=case,
        actor=actor,
        action="case.approved" if case.state == CaseState.APPROVED else "case.maker_approved",
        before=before,
        after={"maker": actor.pk, "data_digest": case.data_digest, **effects},
        reason_codes=[c.code for c in codes],
        text=rationale,
    )
    if case.state == CaseState.APPROVED:
        notify_seller(case=case, event="case.approved")
        report_request(case=case, trigger=ReportTrigger.CASE_APPROVED, actor=actor)
    return case


@transaction.atomic
def case_second_approve(*, actor: Any, case_id: int, rationale: str = "") -> ReviewCase:
    """The checker's approval: a senior reviewer who is not the maker."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, [Role.SENIOR_REVIEWER], "Only senior reviewers give the second approval.")
    _require_state(case, case.second_approve, "approved")
    if case.maker_id == actor.pk:
        raise NotAllowed(
            "Four-eyes: the maker of an approval cannot also be its checker.", code="maker_checker"
        )
    # A re-screening may have found a hit while the case waited for its checker; a change
    # of the data itself sends the case back to its maker (cases.details); a document
    # replaced meanwhile is undecided, and the checker never approves what nobody looked at.
    refuse_if_not_ready(case)
    before = _case_state_snapshot(case)
    digest = data_digest(case)
    case.data_digest = digest
    case.second_approve(actor)
    _save(case)
    effects = _final_approval_effects(case)
    _audit(
        case=case,
        actor=actor,
        action="case.approved",
        before=before,
        after={"maker": case.maker_id, "checker": actor.pk, "data_digest": digest, **effects},
        text=rationale,
    )
    notify_seller(case=case, event="case.approved")
    report_request(case=case, trigger=ReportTrigger.CASE_APPROVED, actor=actor)
    return case


@transaction.atomic
def case_reject(
    *,
    actor: Any,
    case_id: int,
    reason_codes: Iterable[str],
    rationale: str,
) -> ReviewCase:
    """Rejects with reason codes (at least one) and a rationale; `final` if any code is final,
    otherwise `retry` and the seller may fix and apply again."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers reject cases.")
    _require_state(case, case.reject, "rejected")
    if case.state == CaseState.PENDING_SECOND_APPROVAL:
        if not has_role(actor, Role.SENIOR_REVIEWER):
            raise NotAllowed("Only a senior reviewer decides a case awaiting second approval.")
        if case.maker_id == actor.pk:
            raise NotAllowed(
                "Four-eyes: the maker cannot also be the checker.", code="maker_checker"
            )
    else:
        _require_holder(actor, case)
        if case.state == CaseState.EDD and not has_role(actor, Role.SENIOR_REVIEWER):
            raise NotAllowed("Only senior reviewers decide EDD cases.")
    codes = _reason_codes(reason_codes, kinds=[ReasonKind.REJECTION])
    errors: dict[str, list[str]] = {}
    if not codes:
        errors["reason_codes"] = ["Give at least one reason code."]
    if not (rationale or "").strip():
        errors["rationale"] = ["Explain the decision."]
    if errors:
        raise InvalidInput("A rejection needs reason codes and a rationale.", fields=errors)
    severity = (
        Severity.FINAL if any(c.severity == Severity.FINAL for c in codes) else Severity.RETRY
    )
    before = _case_state_snapshot(case)
    case.data_digest = data_digest(case)
    case.reject(actor, severity)
    _record_decision(case, codes, rationale)
    _save(case)
    changes = [
        capability_set_status(
            capability=c, status=CapabilityStatus.INACTIVE, disabled_reason=f"rejected.{severity}"
        )
        for c in case.capabilities.select_related("category", "brand").filter(
            status=CapabilityStatus.PENDING
        )
    ]
    _audit(
        case=case,
        actor=actor,
        action="case.rejected",
        before=before,
        after={"severity": severity, "capabilities": changes, "data_digest": case.data_digest},
        reason_codes=[c.code for c in codes],
        text=rationale,
    )
    notify_seller(case=case, event="case.rejected", reason_codes=codes)
    report_request(case=case, trigger=ReportTrigger.CASE_REJECTED, actor=actor)
    return case


# --------------------------------------------------------------------------- QC / admin / system


@transaction.atomic
def case_reopen(*, actor: Any, case_id: int, rationale: str) -> ReviewCase:
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(
        actor,
        [Role.QC_LEAD, Role.COMPLIANCE_ADMIN],
        "Only QC leads and compliance admins reopen decided cases.",
    )
    _require_state(case, case.reopen, "reopened")
    if not (rationale or "").strip():
        raise InvalidInput("Say why the case is reopened.", fields={"rationale": ["Required."]})
    before = _case_state_snapshot(case)
    case.reopen()
    _save(case)
    _audit(case=case, actor=actor, action="case.reopened", before=before, text=rationale)
    notify_seller(case=case, event="case.reopened")
    return case


@transaction.atomic
def case_expire(*, case_id: int, now: datetime | None = None) -> ReviewCase:
    """The system expires a case whose RFI deadline passed without an answer (`now`: the
    scheduled job's clock)."""
    case = _lock_case(actor=None, case_id=case_id)
    _require_state(case, case.expire, "expired")
    if case.rfi_deadline and case.rfi_deadline > (now or timezone.now()):
        raise Conflict("The RFI deadline has not passed yet.", code="deadline_not_passed")
    before = _case_state_snapshot(case)
    case.expire()
    _save(case)
    changes = [
        capability_set_status(
            capability=c, status=CapabilityStatus.INACTIVE, disabled_reason="requirements.past_due"
        )
        for c in case.capabilities.filter(status=CapabilityStatus.PENDING)
    ]
    _audit(
        case=case, actor=None, action="case.expired", before=before, after={"capabilities": changes}
    )
    notify_seller(case=case, event="case.expired")
    return case


# --------------------------------------------------------------------------- within a case


@transaction.atomic
def document_decide(
    *,
    actor: Any,
    case_id: int,
    document_id: int,
    decision: str,
    reason_code: str = "",
    note: str = "",
) -> DocumentDecision:
    """Accepts or rejects one document of the case's merchant: a rejection needs a reason
    code; accepting a document whose checks warned or failed needs a note saying why."""
    case = _lock_case(actor=actor, case_id=case_id)
    _require_role(actor, REVIEWING_ROLES, "Only reviewers decide documents.")
    if case.state not in (CaseState.IN_REVIEW, CaseState.EDD):
        raise Conflict(f"Case {case.pk} is not in review.", code="invalid_state")
    _require_holder(actor, case)
    doc = QualificationDocument.objects.filter(pk=document_id, merchant_id=case.merchant_id).first()
    if doc is None:
        raise NotFound("Document not found.")
    if decision not in DocumentDecision.Decision.values:
        raise InvalidInput("Decide accept or reject.", fields={"decision": ["accept or reject"]})
    rc = None
    if decision == DocumentDecision.Decision.REJECT:
        if not reason_code:
            raise InvalidInput(
                "A rejected document needs a reason code.", fields={"reason_code": ["Required."]}
            )
        rc = _reason_codes([reason_code], kinds=[ReasonKind.DOCUMENT])[0]
    note = (note or "").strip()
    if decision == DocumentDecision.Decision.ACCEPT and not note and needs_note(doc):
        raise InvalidInput(
            NOTE_REQUIRED_MESSAGE, code="document_note_required", fields={"note": ["Required."]}
        )
    result = DocumentDecision.objects.create(
        case=case, document=doc, decision=decision, reason_code=rc, note=note, decided_by=actor
    )
    change = document_set_status(
        document=doc,
        status=DocumentStatus.ACCEPTED if decision == "accept" else DocumentStatus.REJECTED,
    )
    audit_record(
        action=f"document.{decision}ed",
        actor=actor,
        obj=doc,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before={"status": change["before"]},
        after={"status": change["after"]},
        reason_codes=[rc.code] if rc else [],
        text=note,
        policy_version=case.policy_version.label if case.policy_version is not None else "",
    )
    return result


@transaction.atomic
def comment_add(*, actor: Any, case_id: int, body: str, visibility: str) -> Comment:
    """Adds a comment; sellers only write seller-visible ones, and never see internal ones."""
    case = _lock_case(actor=actor, case_id=case_id)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("The comment is empty.", fields={"body": ["Required."]})
    if visibility not in CommentVisibility.values:
        raise InvalidInput("Choose who sees the comment.", fields={"visibility": ["Invalid."]})
    if not is_staff_member(actor) and visibility != CommentVisibility.SELLER:
        raise NotAllowed("Sellers cannot write internal notes.")
    comment = Comment.objects.create(case=case, author=actor, visibility=visibility, body=body)
    audit_record(
        action=f"comment.added.{visibility}",
        actor=actor,
        obj=comment,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        text=body,
    )
    return comment


def rejection_reasons_for(merchant: Merchant) -> dict[int, str]:
    """The latest rejection reason per document, in the current language, for the seller."""
    out: dict[int, str] = {}
    decisions = (
        DocumentDecision.objects.filter(
            document__merchant=merchant, decision=DocumentDecision.Decision.REJECT
        )
        .select_related("reason_code")
        .order_by("decided_at", "id")
    )
    for d in decisions:
        text = d.reason_code.text if d.reason_code else ""
        out[d.document_id] = f"{text} {d.note}".strip()
    return out


def case_requirements(
    case: ReviewCase,
    policy: PolicyVersion | None = None,
    documents: Iterable[QualificationDocument] | None = None,
) -> list[dict[str, Any]]:
    """The requirements objects of the case's capabilities, with rejection reasons and the
    open RFI deadline filled in. Uses the case's prefetched capabilities and the caller's
    documents (with check results) when it has them."""
    if policy is None and not case.is_open and case.policy_version_id is not None:
        # A closed case is read under the version it was decided under, not a newer one.
        policy = case.policy_version
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("capabilities")
    capabilities = (
        list(prefetched)
        if prefetched is not None
        else list(case.capabilities.select_related("category", "brand"))
    )
    return merchant_requirements(
        case.merchant,
        capabilities=capabilities,
        policy=policy,
        rejection_reasons=rejection_reasons_for(case.merchant),
        rfi_deadline=case.rfi_deadline,
        documents=documents,
    )


def notification_send(*, notification_id: int) -> None:
    """Sends one queued notification; idempotent (a sent one is not sent again)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return
        if notification.recipients:
            send_mail(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                notification.recipients,
            )
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
