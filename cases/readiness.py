"""Every precondition of an approval, in one place: what must be true of a case before a
maker approves it, a checker gives the second approval, or a capability is approved.

`approval_blockers(case)` lists what is missing (each a Blocker with a machine code, a message
in the current language and details); the case page shows that list next to the approve
button, and `refuse_if_not_ready(case)` — called by case_approve, case_second_approve and
capability_decide, inside their transaction with the case row locked — raises the first one
with all of them in `details["blockers"]`.

The rule behind the new checks: a decision is about the data as it stands, and that data
was screened and checked. So approval waits while the names on file were not screened
against the active list (`screening_stale`), while a current document's checks have not run
on it (`checks_pending`), while a change made during the review is unacknowledged by the
case holder (`changes_unacknowledged`) and while a screening hit awaits disposition
(`screening_hits_open`); and, so that an approval proves a look, while a document is
undecided or was accepted over a warning without a note (`documents_undecided`,
`document_note_required`, from cases.document_review).

To add a precondition, append a function `(case) -> list[Blocker]` to CHECKS (order = the
order shown and the one whose code the refusal carries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.errors import Conflict, DomainError, InvalidInput, NotAllowed
from kyc.models import Disposition, DocumentStatus, QualificationDocument, ScreeningMatch
from kyc.requirements import merchant_requirements
from merchants.models import Capability

from .document_review import DOCUMENT_NOTE_REQUIRED, DOCUMENTS_UNDECIDED, document_review_blockers
from .models import CaseState, ReviewCase

# The states an approval (maker's, checker's or a capability's) is given in.
APPROVABLE_STATES = (CaseState.IN_REVIEW, CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL)


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str  # in the active language
    details: dict[str, Any] = field(default_factory=dict)
    # The refusal's error class: the older preconditions keep the status clients know.
    error: type[DomainError] = Conflict

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


def blocking_requirements(case: ReviewCase) -> list[dict[str, Any]]:
    """The requirements of the case's capabilities with something currently due."""
    capabilities = list(case.capabilities.select_related("category", "brand"))
    reqs = merchant_requirements(case.merchant, capabilities=capabilities)
    return [r for r in reqs if r["currently_due"]]


def _requirements(case: ReviewCase) -> list[Blocker]:
    blocking = blocking_requirements(case)
    if not blocking:
        return []
    items = [f"{r['label']}: {i['label']}" for r in blocking for i in r["currently_due"]]
    return [
        Blocker(
            "requirements_due",
            _("Some requirements are still due: %(items)s") % {"items": "; ".join(items)},
            {"requirements": blocking},
            InvalidInput,
        )
    ]


def match_ref(match: ScreeningMatch) -> dict[str, Any]:
    """What an error or an audit event says about a screening match."""
    return {
        "id": match.pk,
        "subject": match.subject,
        "screened_name": match.screened_name,
        "matched_name": match.matched_name,
        "list_id": match.entry.list_id,
        "score": match.score,
        "status": match.status,
    }


def _screening_hits(case: ReviewCase) -> list[Blocker]:
    """No approval while a hit awaits disposition, nor ever with a confirmed one (no dealings
    with a listed party)."""
    matches = list(
        ScreeningMatch.objects.filter(
            merchant_id=case.merchant_id, status__in=[Disposition.OPEN, Disposition.CONFIRMED]
        )
        .select_related("entry")
        .order_by("-score", "id")
    )
    out: list[Blocker] = []
    confirmed = [m for m in matches if m.status == Disposition.CONFIRMED]
    if confirmed:
        out.append(
            Blocker(
                "sanctions_match_confirmed",
                _("A sanctions screening match is confirmed: the merchant cannot be approved."),
                {"screening_matches": [match_ref(m) for m in confirmed]},
                NotAllowed,
            )
        )
    open_hits = [m for m in matches if m.status == Disposition.OPEN]
    if open_hits:
        names = "; ".join(f"{m.screened_name} ~ {m.matched_name}" for m in open_hits[:5])
        if len(open_hits) > 5:
            names += " …"
        out.append(
            Blocker(
                "screening_hits_open",
                ngettext(
                    "%(count)d sanctions screening hit awaits disposition: %(names)s.",
                    "%(count)d sanctions screening hits await disposition: %(names)s.",
                    len(open_hits),
                )
                % {"count": len(open_hits), "names": names},
                {"screening_matches": [match_ref(m) for m in open_hits]},
            )
        )
    return out


def _changes(case: ReviewCase) -> list[Blocker]:
    pending = list(
        case.data_changes.filter(acknowledged_at__isnull=True).values_list("id", "field")
    )
    if not pending:
        return []
    return [
        Blocker(
            "changes_unacknowledged",
            ngettext(
                "%(count)d change since submission is not acknowledged yet: review it at the "
                "top of the case page.",
                "%(count)d changes since submission are not acknowledged yet: review them at "
                "the top of the case page.",
                len(pending),
            )
            % {"count": len(pending)},
            {"changes": [{"id": pk, "field": f} for pk, f in pending]},
        )
    ]


def _screening_freshness(case: ReviewCase) -> list[Blocker]:
    from kyc.screening.services import screening_coverage

    coverage = screening_coverage(case.merchant)
    if coverage.is_current:
        return []
    if not coverage.list_loaded:
        message = _("No sanctions list is loaded, so the merchant has not been screened.")
    elif coverage.last_run is None:
        message = _("The merchant has not been screened against the current sanctions list.")
    else:
        message = _(
            "Screening is older than the data: not screened yet: %(names)s. It runs in the "
            "background; reload the page in a moment."
        ) % {"names": "; ".join(coverage.unscreened)}
    return [
        Blocker(
            "screening_stale",
            message,
            {
                "unscreened_names": coverage.unscreened,
                "last_screened_at": coverage.last_run.completed_at if coverage.last_run else None,
            },
        )
    ]


def unchecked_documents(case: ReviewCase) -> list[QualificationDocument]:
    """The merchant's current documents whose automated checks have not run (or ran before
    the document was stored)."""
    return list(
        QualificationDocument.objects.filter(merchant_id=case.merchant_id)
        .exclude(status__in=[DocumentStatus.SUPERSEDED, DocumentStatus.REJECTED])
        .filter(
            Q(checks_completed_at__isnull=True)
            | Q(status=DocumentStatus.UPLOADED)
            | Q(checks_completed_at__lt=F("created_at"))
        )
        .select_related("document_type")
        .order_by("id")
    )


def _checks(case: ReviewCase) -> list[Blocker]:
    docs = unchecked_documents(case)
    if not docs:
        return []
    return [
        Blocker(
            "checks_pending",
            _("Document checks have not finished for: %(documents)s.")
            % {"documents": "; ".join(f"{d.document_type.name} #{d.pk}" for d in docs)},
            {"documents": [d.pk for d in docs]},
        )
    ]


def _edd(case: ReviewCase) -> list[Blocker]:
    if case.state != CaseState.EDD:
        return []
    from .models import EddChecklistItem, EddItem

    # One query, no write: a case that entered EDD before checklists existed has no rows, and
    # then every item is open.
    statuses = dict(EddChecklistItem.objects.filter(case=case).values_list("item", "status"))
    open_items = [
        code
        for code in EddItem.values
        if statuses.get(code, EddChecklistItem.Status.OPEN) == EddChecklistItem.Status.OPEN
    ]
    if not open_items:
        return []
    labels = dict(EddItem.choices)
    return [
        Blocker(
            "edd_checklist_incomplete",
            _("The EDD checklist is not complete; still open: %(items)s.")
            % {"items": "; ".join(str(labels[code]) for code in open_items)},
            {"open_items": open_items},
            InvalidInput,
        )
    ]


Check = Callable[[ReviewCase], list[Blocker]]
CHECKS: list[Check] = [
    _requirements,
    _screening_hits,
    _changes,
    _screening_freshness,
    _checks,
    _edd,
]


def _documents(case: ReviewCase, capability: Capability | None) -> list[Blocker]:
    """Every current document the approval rests on decided in this case, and a note on
    each one accepted although its checks warned or failed (cases.document_review): the
    approval proves a look. For a capability, the entity documents and its own."""
    found = document_review_blockers(case, capability=capability)
    undecided = [b for b in found if b.code == DOCUMENTS_UNDECIDED]
    unnoted = [b for b in found if b.code == DOCUMENT_NOTE_REQUIRED]
    out: list[Blocker] = []
    if undecided:
        out.append(
            Blocker(
                DOCUMENTS_UNDECIDED,
                _("Decide every document first (accept or reject): %(documents)s.")
                % {
                    "documents": "; ".join(f"{b.document_type} #{b.document_id}" for b in undecided)
                },
                {"blockers": [b.as_dict() for b in undecided]},
            )
        )
    if unnoted:
        out.append(
            Blocker(
                DOCUMENT_NOTE_REQUIRED,
                _(
                    "Accepted although their checks warned or failed, without a note: "
                    "%(documents)s. Decide them again with a note."
                )
                % {"documents": "; ".join(f"{b.document_type} #{b.document_id}" for b in unnoted)},
                {"blockers": [b.as_dict() for b in unnoted]},
            )
        )
    return out


def approval_blockers(case: ReviewCase, *, capability: Capability | None = None) -> list[Blocker]:
    """Everything that stands between the case (or one of its capabilities) and an approval
    now (empty: ready)."""
    blockers = [blocker for check in CHECKS for blocker in check(case)]
    return blockers + _documents(case, capability)


def refuse_if_not_ready(case: ReviewCase, *, capability: Capability | None = None) -> None:
    """Raises the first blocker (its own error class: 409 for the data-currency checks), its
    details extended with every blocker."""
    blockers = approval_blockers(case, capability=capability)
    if not blockers:
        return
    first = blockers[0]
    message = first.message
    if len(blockers) > 1:
        message += " " + _("Also: %(others)s") % {
            "others": " ".join(b.message for b in blockers[1:])
        }
    raise first.error(
        message,
        code=first.code,
        details={**first.details, "blockers": [b.as_dict() for b in blockers]},
    )
