"""Reviewer workbench: the queue, the case page (everything needed to decide a clean case on
one page) and one POST endpoint per decision.

A failed decision renders the case page again, from fresh data, with the HTTP status of the
refusal: 409 when the case moved on (stale page or a concurrent reviewer), 403 when the
user may not do it, 400 with the errors next to the fields when the input is invalid.
A successful one redirects back to the case page with a success message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.forms import apply_domain_error, service_text
from accounts.roles import REVIEWING_ROLES, Role, has_role, is_staff_member
from audit.models import AuditEvent
from cases import decisions as capability_decisions
from cases import document_review, labels, screening, selectors, services
from cases.forms import (
    ApproveForm,
    CaseActionForm,
    CommentForm,
    DocumentDecisionForm,
    EscalateForm,
    RationaleForm,
    RejectForm,
    ReopenForm,
    RequestInfoForm,
    RiskOverrideForm,
    ScreeningAgreementForm,
    ScreeningDispositionForm,
    reason_choices,
)
from cases.models import (
    CapabilityDecision,
    CaseState,
    CommentVisibility,
    ReasonKind,
    ReviewCase,
)
from config.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from kyc.models import DocumentFamily, DocumentStatus, QualificationDocument, ScreeningMatch
from kyc.selectors import document_list
from merchants.models import BrandAuthorization, Merchant, Person, RiskTier
from merchants.selectors import person_list

from ..details import case_acknowledge_changes, unacknowledged_changes
from ..readiness import approval_blockers
from ..reports.services import report_can_rebuild
from .changes import change_rows
from .presenters import RequirementsPresenter, label_rfi_items

PAGE_SIZE = 50

# The one list of event names is cases.labels; kept importable from here.
EVENT_LABELS = labels.EVENT_LABELS

# The fixed messages of cases.screening and the approval refusals, in the page's language
# (accounts.forms.service_text knows the older ones).
SCREENING_MESSAGES: dict[str, Promise] = {
    "Only reviewers dispose of screening hits.": gettext_lazy(
        "Only reviewers dispose of screening hits."
    ),
    "Only reviewers override the risk tier.": gettext_lazy(
        "Only reviewers override the risk tier."
    ),
    "Only a senior reviewer decides a case awaiting second approval.": gettext_lazy(
        "Only a senior reviewer decides a case awaiting second approval."
    ),
    "Only a senior reviewer lowers a high or prohibited risk tier.": gettext_lazy(
        "Only a senior reviewer lowers a high or prohibited risk tier."
    ),
    "A confirmed sanctions match keeps the merchant prohibited.": gettext_lazy(
        "A confirmed sanctions match keeps the merchant prohibited."
    ),
    "A sanctions screening match is confirmed: the merchant cannot be approved.": gettext_lazy(
        "A sanctions screening match is confirmed: the merchant cannot be approved."
    ),
    "A disposition needs a decision and a comment.": gettext_lazy(
        "A disposition needs a decision and a comment."
    ),
    "An override needs a tier and a comment.": gettext_lazy(
        "An override needs a tier and a comment."
    ),
    "Choose confirmed match, false positive or inconclusive.": gettext_lazy(
        "Choose confirmed match, false positive or inconclusive."
    ),
    "Choose low, medium, high or prohibited.": gettext_lazy(
        "Choose low, medium, high or prohibited."
    ),
    "Already the tier of this case.": gettext_lazy("Already the tier of this case."),
    "Only reviewers decide capabilities.": gettext_lazy("Only reviewers decide capabilities."),
    capability_decisions.ALL_REJECTED_MESSAGE: gettext_lazy(
        "Every capability of this case would be rejected: reject the case instead."
    ),
    "Give at least one reason code.": gettext_lazy("Give at least one reason code."),
    "Four-eyes: the person who proposed clearing this hit cannot also agree to it.": (
        gettext_lazy(
            "Four-eyes: the person who proposed clearing this hit cannot also agree to it."
        )
    ),
    document_review.NOTE_REQUIRED_MESSAGE: gettext_lazy(
        "This document's checks warned or failed: say in a note why you accept it anyway."
    ),
    "Explain the decision.": gettext_lazy("Explain the decision."),
}


class CapabilityDecisionForm(CaseActionForm):
    """Approve or reject one capability of the case; the page's script and the service both
    insist on reason codes and a rationale for a rejection."""

    service_required = ("reason_codes", "rationale")
    capability = django_forms.IntegerField(widget=django_forms.HiddenInput)
    decision = django_forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=django_forms.RadioSelect,
        choices=CapabilityDecision.Decision.choices,
    )
    reason_codes = django_forms.MultipleChoiceField(
        label=gettext_lazy("Rejection reasons"),
        required=False,
        widget=django_forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Needed for a rejection; any final reason makes it final."),
    )
    rationale = django_forms.CharField(
        label=gettext_lazy("Rationale"),
        required=False,
        widget=django_forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed for a rejection. Internal: kept in the case file."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_codes"].choices = reason_choices(  # type: ignore[attr-defined]
            self.reasons, ReasonKind.REJECTION
        )


def _text(message: str) -> str:
    known = SCREENING_MESSAGES.get(message)
    return str(known) if known is not None else service_text(message)


def _translated(exc: DomainError) -> DomainError:
    """The refusal with its fixed field messages in the page's language."""
    exc.fields = {name: [_text(m) for m in errors] for name, errors in exc.fields.items()}
    return exc


# --------------------------------------------------------------------------- queue


# The queue page lives in cases/views/queue.py.


# --------------------------------------------------------------------------- what may be done


def available_actions(user: Any, case: ReviewCase) -> set[str]:
    """The decision forms the page offers; the services enforce the same rules again."""
    state = case.state
    holds = case.assignee_id == user.pk
    senior = has_role(user, Role.SENIOR_REVIEWER)
    actions = {"comment"}
    if has_role(user, *REVIEWING_ROLES):
        claimable = state in (CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.EDD)
        if claimable and case.assignee_id is None and (state != CaseState.EDD or senior):
            actions.add("claim")
        if state in (CaseState.IN_REVIEW, CaseState.EDD) and holds:
            actions |= {
                "release",
                "request-info",
                "decide-document",
                "accept-clean",
                "acknowledge-changes",
            }
            if state == CaseState.IN_REVIEW:
                actions.add("escalate")
            if state == CaseState.IN_REVIEW or senior:
                actions |= {"approve", "reject", "dispose-screening", "decide-capability"}
            actions.add("override-risk")
        if state == CaseState.PENDING_SECOND_APPROVAL and senior and case.maker_id != user.pk:
            actions |= {"second-approve", "reject", "dispose-screening"}
        # Four-eyes on clearing a strong hit: any reviewer (a senior once past L1 review) but
        # the proposer, who is told to wait (the template checks who proposed).
        if state == CaseState.IN_REVIEW or (
            senior and state in (CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL)
        ):
            actions.add("agree-screening")
    if state in (CaseState.APPROVED, CaseState.REJECTED) and has_role(
        user, Role.QC_LEAD, Role.COMPLIANCE_ADMIN
    ):
        actions.add("reopen")
    return actions


# --------------------------------------------------------------------------- the case page


# Actions with one form per row (document, screening hit) rather than one per page.
PER_ROW_ACTIONS = (
    "decide-document",
    "dispose-screening",
    "agree-screening",
    "decide-capability",
    "accept-clean",
)
# Linked merchants shown per signal: enough to see a ring, bounded so the page stays fast.
LINKED_LIMIT = 20
# How deep the ownership tree follows owners that are themselves merchants on file.
OWNERSHIP_DEPTH = 3


class CasePage:
    """Everything the case page shows, loaded on first use."""

    def __init__(self, request: HttpRequest, case: ReviewCase) -> None:
        self.request = request
        self.user = request.user
        self.case = case

    @cached_property
    def reasons(self) -> list[Any]:
        return list(selectors.reason_code_list())

    @cached_property
    def capabilities(self) -> list[Any]:
        return list(self.case.capabilities.select_related("category", "brand"))

    @cached_property
    def raw_requirements(self) -> list[dict[str, Any]]:
        return services.case_requirements(self.case)

    @cached_property
    def presenter(self) -> RequirementsPresenter:
        return RequirementsPresenter(self.case.merchant_id, self.capabilities)

    @cached_property
    def documents(self) -> list[QualificationDocument]:
        documents = list(
            document_list(actor=self.user, merchant_id=self.case.merchant_id)
            .select_related("uploaded_by")
            .prefetch_related("check_results", "decisions__reason_code", "decisions__decided_by")
        )
        # The authorization chain each brand document relies on, drawn beside it (one query).
        chains: dict[int, list[BrandAuthorization]] = {}
        for link in BrandAuthorization.objects.filter(merchant_id=self.case.merchant_id).order_by(
            "brand_id", "position"
        ):
            chains.setdefault(link.brand_id, []).append(link)
        for doc in documents:
            is_brand_doc = doc.brand_id and doc.document_type.family == DocumentFamily.BRAND
            doc.chain_links = (  # type: ignore[attr-defined]
                chains.get(doc.brand_id, []) if is_brand_doc and doc.brand_id else None
            )
        return documents

    @cached_property
    def current_documents(self) -> list[QualificationDocument]:
        return [d for d in self.documents if d.status != DocumentStatus.SUPERSEDED]

    @cached_property
    def requirement_items(self) -> list[tuple[str, str]]:
        """Items a reviewer can ask for: whatever is due, plus what is pending."""
        items: list[tuple[str, str]] = []
        for req in self.raw_requirements:
            for key in ("currently_due", "past_due", "pending_verification", "eventually_due"):
                for item in req[key]:
                    if item["code"] not in dict(items):
                        items.append((item["code"], item["label"]))
        return items

    def form(self, action: str, data: Any = None) -> CaseActionForm:
        """The form of one action, bound to `data` when given."""
        initial = {"seen_state": self.case.state}
        kwargs: dict[str, Any] = {"data": data, "initial": initial, "reasons": self.reasons}
        if action == "decide-document":
            raw = str((data or {}).get("document", ""))
            kwargs["auto_id"] = f"id_doc{raw if raw.isdigit() else 'x'}_%s"
            doc = next((d for d in self.documents if str(d.pk) == raw), None)
            needs_note = doc is not None and document_review.needs_note(doc)
            return DocumentDecisionForm(needs_note=needs_note, **kwargs)
        if action == "decide-capability":
            raw = str((data or {}).get("capability", ""))
            kwargs["auto_id"] = f"id_cap{raw if raw.isdigit() else 'x'}_%s"
            return CapabilityDecisionForm(**kwargs)
        if action == "dispose-screening":
            raw = str((data or {}).get("match", ""))
            kwargs["auto_id"] = f"id_match{raw if raw.isdigit() else 'x'}_%s"
            return ScreeningDispositionForm(**kwargs)
        if action == "agree-screening":
            raw = str((data or {}).get("match", ""))
            kwargs["auto_id"] = f"id_agree{raw if raw.isdigit() else 'x'}_%s"
            return ScreeningAgreementForm(**kwargs)
        if action == "request-info":
            return RequestInfoForm(
                prefix="rfi",
                documents=self.current_documents,
                requirement_items=self.requirement_items,
                capabilities=self.capabilities,
                **kwargs,
            )
        form_classes: dict[str, type[CaseActionForm]] = {
            "acknowledge-changes": CaseActionForm,
            "claim": CaseActionForm,
            "release": CaseActionForm,
            "accept-clean": CaseActionForm,
            "escalate": EscalateForm,
            "approve": ApproveForm,
            "second-approve": RationaleForm,
            "reject": RejectForm,
            "reopen": ReopenForm,
            "comment": CommentForm,
            "override-risk": RiskOverrideForm,
        }
        return form_classes[action](prefix=action, **kwargs)

    def document_forms(self, bound: DocumentDecisionForm | None) -> dict[int, Any]:
        forms: dict[int, Any] = {}
        for doc in self.current_documents:
            if bound is not None and str(bound.data.get("document")) == str(doc.pk):
                forms[doc.pk] = bound
                continue
            forms[doc.pk] = DocumentDecisionForm(
                initial={"seen_state": self.case.state, "document": doc.pk},
                reasons=self.reasons,
                auto_id=f"id_doc{doc.pk}_%s",
                needs_note=document_review.needs_note(doc),
            )
        return forms

    @cached_property
    def case_decisions(self) -> dict[int, Any]:
        """The latest decision per document made in this case."""
        return document_review.latest_decisions(self.case)

    def document_review(self) -> dict[str, Any]:
        """Per current document: decided in this case or not, and whether it is clean (every
        check ran and passed); the documents "accept all clean" would accept and skip; what
        still blocks an approval. From the page's prefetched documents (no extra query but
        the case's decisions)."""
        decided = self.case_decisions
        clean: list[QualificationDocument] = []
        skipped: list[QualificationDocument] = []
        blockers: list[dict[str, Any]] = []
        for doc in self.current_documents:
            warned = document_review.needs_note(doc)
            decision = decided.get(doc.pk)
            doc.case_decision = decision  # type: ignore[attr-defined]
            doc.needs_note = warned  # type: ignore[attr-defined]
            if decision is None:
                blockers.append({"document": doc, "code": document_review.DOCUMENTS_UNDECIDED})
                if warned or doc.checks_completed_at is None:
                    skipped.append(doc)
                else:
                    clean.append(doc)
            elif decision.decision == "accept" and warned and not decision.note.strip():
                blockers.append({"document": doc, "code": document_review.DOCUMENT_NOTE_REQUIRED})
        return {"clean_documents": clean, "skipped_documents": skipped, "doc_blockers": blockers}

    def _document(self, document_id: int) -> QualificationDocument:
        return next(d for d in self.documents if d.pk == document_id)

    @cached_property
    def screening_matches(self) -> list[ScreeningMatch]:
        return list(screening.screening_match_list(merchant_id=self.case.merchant_id))

    def attach_agreement_forms(self, bound: ScreeningAgreementForm | None) -> None:
        """An "agree" form on each hit whose clearing awaits a second person, for anyone but
        its proposer."""
        for match in self.screening_matches:
            if not match.awaits_agreement or match.proposed_by_id == self.user.pk:
                continue
            if bound is not None and str(bound.data.get("match")) == str(match.pk):
                match.agree_form = bound  # type: ignore[attr-defined]
                continue
            match.agree_form = ScreeningAgreementForm(  # type: ignore[attr-defined]
                initial={"seen_state": self.case.state, "match": match.pk},
                auto_id=f"id_agree{match.pk}_%s",
            )

    def attach_disposition_forms(self, bound: ScreeningDispositionForm | None) -> None:
        for match in self.screening_matches:
            if bound is not None and str(bound.data.get("match")) == str(match.pk):
                form = bound
            else:
                form = ScreeningDispositionForm(
                    initial={"seen_state": self.case.state, "match": match.pk},
                    auto_id=f"id_match{match.pk}_%s",
                )
            match.dispose_form = form  # type: ignore[attr-defined]

    def risk_context(self, events: list[AuditEvent]) -> dict[str, Any]:
        """The stored assessment (after the background scoring) or, until then, the
        provisional factors computed at submission."""
        assessment = screening.risk_assessment_get(self.case)
        if assessment is not None:
            factors = assessment.factors
        else:
            submitted = next((e for e in reversed(events) if e.action == "case.submitted"), None)
            factors = (submitted.after or {}).get("risk_factors", []) if submitted else []
        if assessment is not None:
            labels = dict(RiskTier.choices)
            assessment.tier_label = labels.get(assessment.tier, assessment.tier)  # type: ignore[attr-defined]
            assessment.override_label = labels.get(  # type: ignore[attr-defined]
                assessment.override_tier, assessment.override_tier
            )
        return {
            "risk_assessment": assessment,
            "risk_factors": screening.factor_rows(factors),
            "risk_points": sum(int(f.get("points", 0)) for f in factors),
        }

    @cached_property
    def capability_decisions(self) -> dict[int, CapabilityDecision]:
        return {
            d.capability_id: d
            for d in capability_decisions.capability_decision_list(case=self.case)
        }

    def capability_rows(
        self, presented: list[dict[str, Any]], bound: CapabilityDecisionForm | None, can: bool
    ) -> list[dict[str, Any]]:
        """Per capability of the case: its requirements, the decision so far and the form."""
        by_capability = {r["capability"].pk: r for r in presented if r.get("capability")}
        rows = []
        for capability in self.capabilities:
            decision = self.capability_decisions.get(capability.pk)
            form = None
            if can:
                if bound is not None and str(bound.data.get("capability")) == str(capability.pk):
                    form = bound
                else:
                    initial: dict[str, Any] = {
                        "seen_state": self.case.state,
                        "capability": capability.pk,
                    }
                    if decision is not None:
                        initial |= {
                            "decision": decision.decision,
                            "reason_codes": [rc.code for rc in decision.reason_codes.all()],
                            "rationale": decision.rationale,
                        }
                    form = CapabilityDecisionForm(
                        initial=initial, reasons=self.reasons, auto_id=f"id_cap{capability.pk}_%s"
                    )
            rows.append(
                {
                    "capability": capability,
                    "requirements": by_capability.get(capability.pk),
                    "decision": decision,
                    "form": form,
                }
            )
        return rows

    def ownership(self, people: list[Person]) -> dict[str, Any]:
        """Owners at or above the declaration threshold and control persons marked, and a
        tree merchant → owners, nested where an owner's name is a merchant on file (one
        query per level, bounded depth)."""
        threshold = settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD
        for person in people:
            person.is_major_owner = person.ownership_percent >= threshold  # type: ignore[attr-defined]
            person.is_control_person = bool(person.control_type)  # type: ignore[attr-defined]

        def node(person: Person) -> dict[str, Any]:
            return {"name": person.full_name, "percent": person.ownership_percent, "children": []}

        owners = [p for p in people if p.is_beneficial_owner or p.ownership_percent > 0]
        root = [node(p) for p in owners]
        level = root
        seen = {self.case.merchant.legal_name}
        for _depth in range(OWNERSHIP_DEPTH):
            names = {n["name"] for n in level} - seen
            if not names:
                break
            entities = {
                m.legal_name: m
                for m in Merchant.objects.filter(legal_name__in=names).prefetch_related("people")
            }
            seen |= names
            next_level: list[dict[str, Any]] = []
            for item in level:
                entity = entities.get(item["name"])
                if entity is None:
                    continue
                item["merchant_id"] = entity.pk
                item["children"] = [
                    node(p)
                    for p in entity.people.all()
                    if p.is_beneficial_owner or p.ownership_percent > 0
                ]
                next_level.extend(item["children"])
            level = next_level
        return {"threshold": threshold, "tree": root}

    def linked_merchants(self, people: list[Person]) -> list[dict[str, Any]]:
        """Other merchants sharing a document file, the registration number or an owner's
        name: one bounded query per signal."""
        merchant = self.case.merchant
        links: list[dict[str, Any]] = []
        shas = {d.sha256 for d in self.documents if d.sha256}
        if shas:
            for row in (
                QualificationDocument.objects.filter(sha256__in=shas)
                .exclude(merchant_id=merchant.pk)
                .values("merchant_id", "merchant__legal_name", "pk")
                .order_by("merchant_id", "pk")[:LINKED_LIMIT]
            ):
                links.append(
                    {
                        "merchant_id": row["merchant_id"],
                        "name": row["merchant__legal_name"],
                        "signal": _("Same document file (document #%(id)s)") % {"id": row["pk"]},
                    }
                )
        if merchant.registration_number:
            for other in (
                Merchant.objects.filter(registration_number=merchant.registration_number)
                .exclude(pk=merchant.pk)
                .only("pk", "legal_name")
                .order_by("pk")[:LINKED_LIMIT]
            ):
                links.append(
                    {
                        "merchant_id": other.pk,
                        "name": other.legal_name,
                        "signal": _("Same registration number"),
                    }
                )
        names = {p.full_name for p in people if p.is_beneficial_owner or p.ownership_percent}
        if names:
            for person in (
                Person.objects.filter(full_name__in=names)
                .exclude(merchant_id=merchant.pk)
                .select_related("merchant")
                .order_by("merchant_id", "pk")[:LINKED_LIMIT]
            ):
                links.append(
                    {
                        "merchant_id": person.merchant_id,
                        "name": person.merchant.legal_name,
                        "signal": _("Shares an owner: %(name)s") % {"name": person.full_name},
                    }
                )
        return links

    def events(self) -> list[AuditEvent]:
        # The audit trail has no selector: it is staff-only and this page is staff-only.
        events = list(AuditEvent.objects.filter(case_id=self.case.pk).order_by("seq"))
        return labels.label_events(events)

    def render(
        self, *, status: int = 200, bound: tuple[str, CaseActionForm] | None = None
    ) -> HttpResponse:
        case = self.case
        actions = available_actions(self.user, case)
        forms = {name: self.form(name) for name in actions if name not in PER_ROW_ACTIONS}
        bound_document_form: DocumentDecisionForm | None = None
        bound_disposition_form: ScreeningDispositionForm | None = None
        bound_agreement_form: ScreeningAgreementForm | None = None
        bound_capability_form: CapabilityDecisionForm | None = None
        if bound is not None:
            name, form = bound
            if isinstance(form, CapabilityDecisionForm):
                bound_capability_form = form
            elif isinstance(form, DocumentDecisionForm):
                bound_document_form = form
            elif isinstance(form, ScreeningDispositionForm):
                bound_disposition_form = form
            elif isinstance(form, ScreeningAgreementForm):
                bound_agreement_form = form
            elif name in forms:
                forms[name] = form
        review = self.document_review()
        if "decide-document" in actions:
            for doc_id, doc_form in self.document_forms(bound_document_form).items():
                self._document(doc_id).decide_form = doc_form  # type: ignore[attr-defined]
        if "dispose-screening" in actions:
            self.attach_disposition_forms(bound_disposition_form)
        if "agree-screening" in actions:
            self.attach_agreement_forms(bound_agreement_form)
        events = self.events()
        matches = self.screening_matches
        presented = self.presenter.present_all(self.raw_requirements)
        labels = self.presenter.item_labels(self.raw_requirements)
        rfis = list(
            case.information_requests.select_related("requested_by").prefetch_related(
                "items__reason_code", "items__document__document_type"
            )
        )
        for rfi in rfis:
            rfi.labelled_items = label_rfi_items(rfi, labels)  # type: ignore[attr-defined]
        people = list(person_list(merchant=case.merchant))
        comments = list(selectors.comments_visible_to(actor=self.user, case=case))
        approving = bool(actions & {"approve", "second-approve"})
        blockers = approval_blockers(case) if approving else []
        context = {
            "case": case,
            "merchant": case.merchant,
            # Changed since submission, until the holder acknowledges it (cases.details).
            "data_changes": change_rows(case, unacknowledged_changes(case)),
            # What approval waits for (cases.readiness); the requirements and the open hits
            # have their own lists, with links.
            "approval_blockers": blockers,
            "other_blockers": [
                b
                for b in blockers
                if b.code
                not in (
                    "requirements_due",
                    "screening_hits_open",
                    document_review.DOCUMENTS_UNDECIDED,
                    document_review.DOCUMENT_NOTE_REQUIRED,
                )
            ],
            "people": people,
            "ownership": self.ownership(people),
            "linked_merchants": self.linked_merchants(people),
            "capability_rows": self.capability_rows(
                presented, bound_capability_form, "decide-capability" in actions
            ),
            "requirements": presented,
            "blocking": [r for r in presented if not r["is_clear"]],
            "documents": self.documents,
            **review,
            "events": events,
            **self.risk_context(events),
            "screening_matches": matches,
            "last_screening": AuditEvent.objects.filter(
                merchant_id=case.merchant_id, action="screening.completed"
            )
            .order_by("-seq")
            .first(),
            "open_hits": [m for m in matches if m.is_open],
            "comments": comments,
            "internal_notes": [c for c in comments if c.visibility == CommentVisibility.INTERNAL],
            "seller_comments": [c for c in comments if c.visibility == CommentVisibility.SELLER],
            "next_case_url": _next_case_url(),
            "rfis": rfis,
            "decision_reasons": list(case.decision_reason_codes.all()),
            # Template lookups cannot contain "-": request-info → forms.request_info.
            "forms": {name.replace("-", "_"): form for name, form in forms.items()},
            "actions": actions,
            "other_cases": list(
                selectors.case_list(actor=self.user)
                .filter(merchant_id=case.merchant_id)
                .exclude(pk=case.pk)
            ),
            "now": timezone.now(),
            # The "Review reports" panel (cases/reports): one query, whatever the versions.
            "reports": list(
                case.reports.select_related("requested_by", "capability").order_by("-version")
            ),
            "can_rebuild_report": report_can_rebuild(self.user),
        }
        return render(self.request, "cases/review/case_detail.html", context, status=status)


def _next_case_url() -> str:
    """The queue's "next case" endpoint (POST), when the queue feature provides it."""
    for name in ("review:next_case", "cases:next_case"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _case_for_staff(request: HttpRequest, case_id: int) -> ReviewCase:
    """404 for a case the user may not see (through the selector), and for anyone without a
    staff role even on their own case: the workbench is a staff area."""
    try:
        case = selectors.case_get(actor=request.user, case_id=case_id)
    except NotFound:
        raise Http404 from None
    if not is_staff_member(request.user):
        raise Http404
    return case


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponseBase:
    try:
        case = selectors.case_get(actor=request.user, case_id=case_id)
    except NotFound:
        raise Http404 from None
    if not is_staff_member(request.user):
        # A seller following a link to its own case lands on its merchant page.
        return redirect("cases:seller_case", case_id=case.pk)
    return CasePage(request, case).render()


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Action:
    run: Callable[[Any, ReviewCase, Any], object]
    success: Promise
    # Says what the action did, from its result, when a fixed message would not.
    describe: Callable[[Any], str] | None = None


def _document_names(documents: list[QualificationDocument]) -> str:
    return _(", ").join(f"{d.document_type.name} #{d.pk}" for d in documents)


def _describe_clean_acceptance(result: document_review.CleanAcceptance) -> str:
    """Names every document accepted and every one left for the reviewer."""
    if result.accepted:
        text = _("Accepted %(count)s clean document(s): %(names)s.") % {
            "count": len(result.accepted),
            "names": _document_names(result.accepted),
        }
    else:
        text = _("No clean undecided document to accept.")
    if result.skipped:
        text += " " + _(
            "Left for you to decide (checks warned, failed or still running): %(names)s."
        ) % {"names": _document_names([d for d, _why in result.skipped])}
    return text


def _document_decide(user: Any, case: ReviewCase, form: Any) -> object:
    data = form.cleaned_data
    return services.document_decide(
        actor=user,
        case_id=case.pk,
        document_id=data["document"],
        decision=data["decision"],
        reason_code=data["reason_code"],
        note=data["note"],
    )


ACTIONS: dict[str, Action] = {
    "acknowledge-changes": Action(
        lambda u, c, f: case_acknowledge_changes(actor=u, case_id=c.pk),
        gettext_lazy("The changes are acknowledged."),
    ),
    "claim": Action(
        lambda u, c, f: services.case_claim(actor=u, case_id=c.pk),
        gettext_lazy("You hold this case now."),
    ),
    "release": Action(
        lambda u, c, f: services.case_release(actor=u, case_id=c.pk),
        gettext_lazy("The case is back in the queue."),
    ),
    "request-info": Action(
        lambda u, c, f: services.case_request_info(
            actor=u,
            case_id=c.pk,
            message=f.cleaned_data["message"],
            items=f.items(),
            deadline=f.cleaned_data["deadline"],
        ),
        gettext_lazy("The request for information was sent to the seller."),
    ),
    "escalate": Action(
        lambda u, c, f: services.case_escalate(
            actor=u, case_id=c.pk, rationale=f.cleaned_data["rationale"]
        ),
        gettext_lazy("The case was escalated to EDD."),
    ),
    "approve": Action(
        lambda u, c, f: services.case_approve(
            actor=u,
            case_id=c.pk,
            reason_codes=f.cleaned_data["reason_codes"],
            rationale=f.cleaned_data["rationale"],
        ),
        gettext_lazy("Your approval was recorded."),
    ),
    "second-approve": Action(
        lambda u, c, f: services.case_second_approve(
            actor=u, case_id=c.pk, rationale=f.cleaned_data["rationale"]
        ),
        gettext_lazy("Second approval given: the case is approved."),
    ),
    "reject": Action(
        lambda u, c, f: services.case_reject(
            actor=u,
            case_id=c.pk,
            reason_codes=f.cleaned_data["reason_codes"],
            rationale=f.cleaned_data["rationale"],
        ),
        gettext_lazy("The case was rejected."),
    ),
    "reopen": Action(
        lambda u, c, f: services.case_reopen(
            actor=u, case_id=c.pk, rationale=f.cleaned_data["rationale"]
        ),
        gettext_lazy("The case was reopened."),
    ),
    "comment": Action(
        lambda u, c, f: services.comment_add(
            actor=u,
            case_id=c.pk,
            body=f.cleaned_data["body"],
            visibility=f.cleaned_data["visibility"],
        ),
        gettext_lazy("The comment was added."),
    ),
    "decide-document": Action(
        _document_decide, gettext_lazy("The document decision was recorded.")
    ),
    "accept-clean": Action(
        lambda u, c, f: document_review.documents_accept_clean(actor=u, case_id=c.pk),
        gettext_lazy("The clean documents were accepted."),
        describe=_describe_clean_acceptance,
    ),
    "decide-capability": Action(
        lambda u, c, f: capability_decisions.capability_decide(
            actor=u,
            case_id=c.pk,
            capability_id=f.cleaned_data["capability"],
            decision=f.cleaned_data["decision"],
            reason_codes=f.cleaned_data["reason_codes"],
            rationale=f.cleaned_data["rationale"],
        ),
        gettext_lazy("The capability decision was recorded."),
    ),
    "dispose-screening": Action(
        lambda u, c, f: screening.screening_dispose(
            actor=u,
            case_id=c.pk,
            match_id=f.cleaned_data["match"],
            status=f.cleaned_data["status"],
            comment=f.cleaned_data["comment"],
        ),
        gettext_lazy("The screening hit was disposed of."),
        describe=lambda match: str(
            _(
                "Proposed as a false positive. A strong hit stays open until a second staff "
                "member agrees."
            )
            if match.awaits_agreement
            else _("The screening hit was disposed of.")
        ),
    ),
    "agree-screening": Action(
        lambda u, c, f: screening.screening_agree(
            actor=u,
            case_id=c.pk,
            match_id=f.cleaned_data["match"],
            comment=f.cleaned_data["comment"],
        ),
        gettext_lazy("You agreed: the strong hit is cleared as a false positive."),
    ),
    "override-risk": Action(
        lambda u, c, f: screening.risk_override(
            actor=u, case_id=c.pk, tier=f.cleaned_data["tier"], comment=f.cleaned_data["comment"]
        ),
        gettext_lazy("The risk tier was overridden."),
    ),
}
ANCHORS = {
    "decide-document": "#documents",
    "accept-clean": "#documents",
    "decide-capability": "#capabilities",
    "dispose-screening": "#screening",
    "agree-screening": "#screening",
    "override-risk": "#risk",
}


DOCUMENT_CONFLICTS: dict[str, Promise] = {
    document_review.DOCUMENTS_UNDECIDED: gettext_lazy(
        "Not possible yet: every document must be accepted or rejected first. The ones "
        "still undecided are listed under Decision."
    ),
    document_review.DOCUMENT_NOTE_REQUIRED: gettext_lazy(
        "Not possible yet: a document whose checks warned or failed was accepted without a "
        "note. Decide it again with a note."
    ),
    "no_disposition_proposed": gettext_lazy(
        "Nothing awaits agreement on this hit any more: someone else decided it. Reload."
    ),
}


def conflict_message(case: ReviewCase) -> str:
    state = case.get_state_display()
    if case.assignee is not None and case.is_open:
        state = _("%(state)s, held by %(user)s") % {
            "state": state,
            "user": case.assignee.get_username(),
        }
    return _(
        "This case was changed by someone else: it is now %(state)s. Reload to see the latest."
    ) % {"state": state}


def _invalid_message(exc: InvalidInput) -> str:
    if exc.code == "requirements_due":
        return _(
            "Not possible yet: some requirements are still due. They are listed under Requirements."
        )
    if exc.code == "screening_hits_open":
        return _(
            "Not possible yet: sanctions screening hits await disposition. They are listed "
            "under Sanctions screening."
        )
    if exc.code == "all_capabilities_rejected":
        return _text(exc.message)
    if exc.code == "tier_unchanged":
        return _("The case already has this risk tier.")
    return _text(exc.message)


def _refresh(request: HttpRequest, case_id: int) -> CasePage:
    return CasePage(request, selectors.case_get(actor=request.user, case_id=case_id))


@require_POST
@login_required
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponseBase:
    case = _case_for_staff(request, case_id)
    spec = ACTIONS[action]
    page = CasePage(request, case)
    form = page.form(action, data=request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the highlighted fields."))
        return page.render(status=400, bound=(action, form))
    seen = form.cleaned_data.get("seen_state")
    try:
        if seen and seen != case.state:
            raise Conflict("stale page")
        result = spec.run(request.user, case, form)
    except Conflict as exc:
        page = _refresh(request, case_id)
        if exc.code in DOCUMENT_CONFLICTS:
            # Not a race: the page lists exactly which documents are missing a decision.
            messages.error(request, str(DOCUMENT_CONFLICTS[exc.code]))
        elif "blockers" in exc.details or exc.code == "no_changes":
            # Not approvable yet (cases.readiness): say exactly what is missing, not "changed
            # by someone else". Its message is already in the page's language.
            messages.error(request, _("Not possible yet: %(what)s") % {"what": exc.message})
        else:
            messages.error(request, conflict_message(page.case))
        return page.render(status=409)
    except NotAllowed as exc:
        messages.error(request, _text(exc.message))
        return _refresh(request, case_id).render(status=403)
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        apply_domain_error(form, _translated(exc), with_message=False)
        messages.error(request, _invalid_message(exc))
        page = _refresh(request, case_id)
        return page.render(status=400, bound=(action, form))
    messages.success(request, spec.describe(result) if spec.describe else str(spec.success))
    anchor = ANCHORS.get(action, "")
    return redirect(reverse("cases:case_detail", kwargs={"case_id": case_id}) + anchor)
