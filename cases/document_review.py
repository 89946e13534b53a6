"""Decisions prove a look: what the documents of a case must show before an approval.

An approval (the maker's, the checker's, a capability's) rests on the case's documents. Each
current document (every upload that is not superseded by a newer one) must have been decided
explicitly *in this case* (accepted or rejected by a reviewer), and a document whose automated
checks warned or failed may be accepted only with a note saying why the reviewer is satisfied.
Nothing is accepted on anyone's behalf: the approval no longer accepts undecided documents.

`document_review_blockers` lists what is missing (one small function, so the approval
preconditions can be gathered in one list); `document_review_refuse_if_blocked` is the one
call each approve service makes. "Accept all clean documents" (`documents_accept_clean`) keeps
approving fast without weakening this: it accepts only documents whose checks all passed,
names each one, and writes one audit event per document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet

from accounts.roles import REVIEWING_ROLES, has_role
from audit.services import audit_record
from config.errors import Conflict, NotAllowed
from kyc.models import CheckOutcome, DocumentCheckResult, DocumentStatus, QualificationDocument
from kyc.services import document_set_status
from merchants.models import Capability, CapabilityKind

from .models import CaseState, DocumentDecision, ReviewCase

DOCUMENTS_UNDECIDED = "documents_undecided"
DOCUMENT_NOTE_REQUIRED = "document_note_required"
# The outcomes a reviewer must explain when accepting anyway.
ATTENTION_OUTCOMES = (CheckOutcome.WARNING, CheckOutcome.FAILED)
NOTE_REQUIRED_MESSAGE = (
    "This document's checks warned or failed: say in a note why you accept it anyway."
)


@dataclass(frozen=True)
class Blocker:
    """One reason the case cannot be approved yet, about one document."""

    code: str
    message: str
    document_id: int
    document_type: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "document_id": self.document_id,
            "document_type": self.document_type,
            **self.details,
        }


def needs_note(document: QualificationDocument) -> bool:
    """Whether accepting the document needs a note: one of its checks warned or failed.
    Uses prefetched check results when the caller has them."""
    results: Iterable[DocumentCheckResult] = document.check_results.all()
    return any(r.outcome in ATTENTION_OUTCOMES for r in results)


def case_documents(
    case: ReviewCase, *, capability: Capability | None = None
) -> QuerySet[QualificationDocument]:
    """The documents an approval of the case rests on: the merchant's current uploads
    (superseded ones are history). For one capability: the entity documents and the
    documents of its category or brand."""
    documents = (
        QualificationDocument.objects.filter(merchant_id=case.merchant_id)
        .exclude(status=DocumentStatus.SUPERSEDED)
        .select_related("document_type")
        .prefetch_related(
            Prefetch(
                "check_results",
                queryset=DocumentCheckResult.objects.filter(outcome__in=ATTENTION_OUTCOMES),
            )
        )
        .order_by("pk")
    )
    if capability is not None:
        scope = Q(category__isnull=True, brand__isnull=True)
        if capability.kind == CapabilityKind.CATEGORY and capability.category_id:
            scope |= Q(category_id=capability.category_id)
        if capability.kind == CapabilityKind.BRAND and capability.brand_id:
            scope |= Q(brand_id=capability.brand_id)
        documents = documents.filter(scope)
    return documents


def latest_decisions(case: ReviewCase) -> dict[int, DocumentDecision]:
    """The latest decision per document made in this case (a later one replaces it)."""
    decisions = DocumentDecision.objects.filter(case=case).order_by("decided_at", "id")
    return {d.document_id: d for d in decisions}


def document_review_blockers(
    case: ReviewCase, *, capability: Capability | None = None
) -> list[Blocker]:
    """What the case's documents still lack before an approval: `documents_undecided` for
    each current document not decided in this case, `document_note_required` for each one
    accepted without a note although its checks warned or failed. Empty when approvable.
    Three queries whatever the number of documents."""
    decisions = latest_decisions(case)
    blockers: list[Blocker] = []
    for document in case_documents(case, capability=capability):
        label = str(document.document_type.name)
        decision = decisions.get(document.pk)
        if decision is None:
            blockers.append(
                Blocker(
                    DOCUMENTS_UNDECIDED,
                    f"{label} #{document.pk} is not decided: accept or reject it.",
                    document.pk,
                    label,
                )
            )
        elif (
            decision.decision == DocumentDecision.Decision.ACCEPT
            and needs_note(document)
            and not decision.note.strip()
        ):
            blockers.append(
                Blocker(
                    DOCUMENT_NOTE_REQUIRED,
                    f"{label} #{document.pk} was accepted although its checks warned or "
                    "failed: decide it again with a note.",
                    document.pk,
                    label,
                    {"checks": sorted({r.code for r in document.check_results.all()})},
                )
            )
    return blockers


def document_review_refuse_if_blocked(
    case: ReviewCase, *, capability: Capability | None = None
) -> None:
    """Refuses the approval with 409 while any document blocks it; the code is the first
    kind of blocker (undecided before note-required) and every blocker is in the details."""
    blockers = document_review_blockers(case, capability=capability)
    if not blockers:
        return
    codes = [b.code for b in blockers]
    code = DOCUMENTS_UNDECIDED if DOCUMENTS_UNDECIDED in codes else DOCUMENT_NOTE_REQUIRED
    undecided = codes.count(DOCUMENTS_UNDECIDED)
    notes = codes.count(DOCUMENT_NOTE_REQUIRED)
    parts = []
    if undecided:
        parts.append(f"{undecided} document(s) not decided")
    if notes:
        parts.append(f"{notes} accepted document(s) whose checks warned or failed need a note")
    raise Conflict(
        "Every document must be decided before approval: " + "; ".join(parts) + ".",
        code=code,
        details={"blockers": [b.as_dict() for b in blockers]},
    )


# --------------------------------------------------------------------------- accept all clean


@dataclass
class CleanAcceptance:
    """What "accept all clean documents" did: the documents it accepted and those it left
    for the reviewer, each with why."""

    accepted: list[QualificationDocument]
    skipped: list[tuple[QualificationDocument, str]]


SKIP_WARNED = "checks_warned_or_failed"
SKIP_CHECKS_PENDING = "checks_pending"


@transaction.atomic
def documents_accept_clean(*, actor: Any, case_id: int) -> CleanAcceptance:
    """Accepts, in one action, every current document of the case not yet decided in it
    whose automated checks all ran and passed; skips (and names) those whose checks warned,
    failed or have not finished. One DocumentDecision and one `document.accepted` audit event
    per accepted document, in one transaction with the case row locked; nothing is written
    when nothing is clean. Same rules as deciding one document: the reviewer holding a case in
    review."""
    from .services import _lock_case, _require_holder  # cases.services builds on this module

    case = _lock_case(actor=actor, case_id=case_id)
    if not has_role(actor, *REVIEWING_ROLES):
        raise NotAllowed("Only reviewers decide documents.")
    if case.state not in (CaseState.IN_REVIEW, CaseState.EDD):
        raise Conflict(f"Case {case.pk} is not in review.", code="invalid_state")
    _require_holder(actor, case)
    decided = latest_decisions(case)
    result = CleanAcceptance(accepted=[], skipped=[])
    policy = case.policy_version.label if case.policy_version is not None else ""
    for document in case_documents(case):
        if document.pk in decided:
            continue
        if needs_note(document):
            result.skipped.append((document, SKIP_WARNED))
            continue
        if document.checks_completed_at is None:
            result.skipped.append((document, SKIP_CHECKS_PENDING))
            continue
        DocumentDecision.objects.create(
            case=case,
            document=document,
            decision=DocumentDecision.Decision.ACCEPT,
            decided_by=actor,
        )
        change = document_set_status(document=document, status=DocumentStatus.ACCEPTED)
        audit_record(
            action="document.accepted",
            actor=actor,
            obj=document,
            case_id=case.pk,
            merchant_id=case.merchant_id,
            before={"status": change["before"]},
            after={"status": change["after"], "via": "accept_all_clean"},
            policy_version=policy,
        )
        result.accepted.append(document)
    return result
