"""Per-capability decisions within a case: approve category X, reject brand Y.

A reviewer holding the case records one decision per capability; it can be changed until the
case itself is decided. The case approval then applies them (cases.services
._final_approval_effects calls `capability_outcomes`): approved or undecided capabilities
become active, rejected ones inactive with `rejected.retry` / `rejected.final`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.roles import REVIEWING_ROLES, Role, has_role
from audit.services import audit_record
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from merchants.models import Capability, Merchant

from .digest import data_digest
from .models import (
    CapabilityDecision,
    CaseState,
    ReasonKind,
    ReportTrigger,
    ReviewCase,
    Severity,
)
from .readiness import refuse_if_not_ready
from .reports.services import report_request

APPROVE = CapabilityDecision.Decision.APPROVE
REJECT = CapabilityDecision.Decision.REJECT

# The message a reviewer sees when no capability would remain approved.
ALL_REJECTED_MESSAGE = "Every capability of this case would be rejected: reject the case instead."


def capability_outcomes(
    case: ReviewCase, capabilities: Iterable[Capability]
) -> tuple[list[Capability], list[tuple[Capability, CapabilityDecision]]]:
    """Splits the case's capabilities into those to activate (approved or undecided) and
    those rejected with their decision. Refuses when none would end approved."""
    decisions = {d.capability_id: d for d in case.capability_decisions.all()}
    approved: list[Capability] = []
    rejected: list[tuple[Capability, CapabilityDecision]] = []
    for capability in capabilities:
        decision = decisions.get(capability.pk)
        if decision is not None and decision.decision == REJECT:
            rejected.append((capability, decision))
        else:
            approved.append(capability)
    if not approved:
        raise InvalidInput(ALL_REJECTED_MESSAGE, code="all_capabilities_rejected")
    return approved, rejected


def _severity(codes: list[Any]) -> str:
    return Severity.FINAL if any(c.severity == Severity.FINAL for c in codes) else Severity.RETRY


@transaction.atomic
def capability_decide(
    *,
    actor: Any,
    case_id: int,
    capability_id: int,
    decision: str,
    reason_codes: Iterable[str] = (),
    rationale: str = "",
) -> CapabilityDecision:
    """Records (or changes) the holder's decision on one capability of the case.

    Guarantees: only the reviewer holding an open case in review decides (senior for EDD); a
    rejection carries at least one rejection reason code and a rationale and is `final` when
    any code is; at least one capability stays approvable; one `capability.decided` audit
    event in the same transaction. The capability's status changes only when the case is
    approved."""
    # Imported here: services imports this module's capability_outcomes.
    from .services import _lock_case, _reason_codes, _require_holder

    case = _lock_case(actor=actor, case_id=case_id)
    if not has_role(actor, *REVIEWING_ROLES):
        raise NotAllowed("Only reviewers decide capabilities.")
    if case.state not in (CaseState.IN_REVIEW, CaseState.EDD):
        raise Conflict(
            f"Case {case.pk} is {case.get_state_display().lower()}; its capabilities cannot "
            "be decided now.",
            code="invalid_state",
            details={"state": case.state},
        )
    _require_holder(actor, case)
    if case.state == CaseState.EDD and not has_role(actor, Role.SENIOR_REVIEWER):
        raise NotAllowed("Only senior reviewers decide EDD cases.")
    capabilities = list(case.capabilities.select_related("category", "brand"))
    capability = next((c for c in capabilities if c.pk == capability_id), None)
    if capability is None:
        raise NotFound("This capability is not part of the case.")
    if decision not in CapabilityDecision.Decision.values:
        raise InvalidInput("Decide approve or reject.", fields={"decision": ["approve or reject"]})
    rationale = (rationale or "").strip()
    if decision == REJECT:
        codes = _reason_codes(reason_codes, kinds=[ReasonKind.REJECTION])
        errors: dict[str, list[str]] = {}
        if not codes:
            errors["reason_codes"] = ["Give at least one reason code."]
        if not rationale:
            errors["rationale"] = ["Explain the decision."]
        if errors:
            raise InvalidInput("A rejection needs reason codes and a rationale.", fields=errors)
        severity = _severity(codes)
    else:
        codes = _reason_codes(reason_codes, kinds=[ReasonKind.APPROVAL])
        severity = ""
        # Approving a capability is an approval: the case's preconditions, with the documents
        # this capability rests on each decided in this case.
        refuse_if_not_ready(case, capability=capability)
    digest = data_digest(case)

    existing = {d.capability_id: d for d in case.capability_decisions.all()}
    if decision == REJECT:
        # The merchant must end up allowed to do something, or the case is a rejection.
        remaining = [
            c
            for c in capabilities
            if c.pk != capability.pk and getattr(existing.get(c.pk), "decision", APPROVE) == APPROVE
        ]
        if not remaining:
            raise InvalidInput(ALL_REJECTED_MESSAGE, code="all_capabilities_rejected")

    previous = existing.get(capability.pk)
    before = {"decision": previous.decision, "severity": previous.severity} if previous else {}
    # One decision per capability and case (the case row lock serialises writers); a change
    # overwrites it and the audit trail keeps the history.
    if previous is None:
        result = CapabilityDecision.objects.create(
            case=case,
            capability=capability,
            decision=decision,
            severity=severity,
            rationale=rationale,
            decided_by=actor,
            data_digest=digest,
        )
    else:
        result = previous
        result.decision = decision
        result.severity = severity
        result.rationale = rationale
        result.decided_by = actor
        result.decided_at = timezone.now()
        result.data_digest = digest
        result.save(
            update_fields=[
                "decision",
                "severity",
                "rationale",
                "decided_by",
                "decided_at",
                "data_digest",
            ]
        )
    result.reason_codes.set(codes)
    audit_record(
        action="capability.decided",
        actor=actor,
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        before=before,
        after={
            "capability": capability.code,
            "decision": decision,
            "severity": severity,
            "data_digest": digest,
        },
        reason_codes=[c.code for c in codes],
        text=rationale,
        policy_version=case.policy_version.label if case.policy_version is not None else "",
    )
    report_request(
        case=case, trigger=ReportTrigger.CAPABILITY_DECIDED, actor=actor, capability=capability
    )
    return result


def capability_decision_list(*, case: ReviewCase) -> list[CapabilityDecision]:
    """The case's capability decisions with their reason codes and deciders (two queries)."""
    return list(
        CapabilityDecision.objects.filter(case=case)
        .select_related("decided_by")
        .prefetch_related("reason_codes")
    )


def rejected_capability_decisions(*, merchant: Merchant) -> dict[int, CapabilityDecision]:
    """Per capability, the rejection the seller is living with: the latest rejection recorded
    in an approved case (a wholly rejected case gives its reasons at case level)."""
    decisions = (
        CapabilityDecision.objects.filter(
            case__merchant=merchant, case__state=CaseState.APPROVED, decision=REJECT
        )
        .prefetch_related("reason_codes")
        .order_by("decided_at", "id")
    )
    return {d.capability_id: d for d in decisions}
