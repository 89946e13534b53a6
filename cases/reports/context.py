"""Everything a review report shows, gathered with a fixed number of queries.

The report is evidence read years later, so it records what the file said at build time:
the merchant and its people, every document's metadata and check results (never the file
contents), screening and dispositions, the risk breakdown, the EDD checklist, the decisions
with their reason codes, maker and checker, the QC outcome and the audit timeline.

Call `report_context` inside the report's language (`translation.override`): reason texts,
check messages and risk factor reasons are picked in that language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from kyc.models import DocumentView, QualificationDocument, RiskAssessment, ScreeningMatch

from .. import labels
from ..models import (
    CapabilityDecision,
    DocumentDecision,
    EddChecklistItem,
    EddEvidence,
    QcDispute,
    QcReview,
    QcReviewStatus,
    ReviewCase,
    ReviewReport,
)
from ..screening import factor_rows

# How long a timeline event's free text may be in the report (the audit export has it all).
EVENT_TEXT_MAX = 2000


@dataclass
class ReportContext:
    report: ReviewReport
    case: ReviewCase
    generated_at: Any
    people: list[Any] = field(default_factory=list)
    capabilities: list[Any] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list)
    screening_matches: list[Any] = field(default_factory=list)
    risk: RiskAssessment | None = None
    risk_factors: list[dict[str, Any]] = field(default_factory=list)
    risk_points: int = 0
    edd_items: list[Any] = field(default_factory=list)
    decision_reasons: list[Any] = field(default_factory=list)
    capability_decisions: list[Any] = field(default_factory=list)
    document_decisions: list[Any] = field(default_factory=list)
    document_views: list[Any] = field(default_factory=list)
    qc_reviews: list[Any] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)

    @property
    def seq_range(self) -> tuple[int, int] | None:
        """The audit chain positions the timeline covers (first, last)."""
        if not self.events:
            return None
        return self.events[0].seq, self.events[-1].seq

    @property
    def capability_rows(self) -> list[dict[str, Any]]:
        """Each capability of the case with its own decision (if one was recorded), then any
        decided capability no longer on the case."""
        decisions = {d.capability_id: d for d in self.capability_decisions}
        rows = [{"capability": c, "decision": decisions.pop(c.pk, None)} for c in self.capabilities]
        rows += [{"capability": d.capability, "decision": d} for d in decisions.values()]
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "case": self.case,
            "merchant": self.case.merchant,
            "generated_at": self.generated_at,
            "people": self.people,
            "capabilities": self.capabilities,
            "documents": self.documents,
            "screening_matches": self.screening_matches,
            "risk": self.risk,
            "risk_factors": self.risk_factors,
            "risk_points": self.risk_points,
            "edd_items": self.edd_items,
            "decision_reasons": self.decision_reasons,
            "capability_decisions": self.capability_decisions,
            "capability_rows": self.capability_rows,
            "document_decisions": self.document_decisions,
            "document_views": self.document_views,
            "qc_reviews": self.qc_reviews,
            "events": self.events,
            "seq_range": self.seq_range,
        }


def event_labels() -> dict[str, Any]:
    """The case page's names for audit actions (cases.labels), and the report's own."""
    return {
        **labels.EVENT_LABELS,
        "report.failed": _("Review report could not be built"),
    }


def report_context(report: ReviewReport) -> ReportContext:
    """Loads the report's case and everything about it: 16 queries whatever the sizes."""
    case = (
        ReviewCase.objects.select_related(
            "merchant", "maker", "checker", "policy_version", "assignee", "queue"
        )
        .prefetch_related("decision_reason_codes")
        .get(pk=report.case_id)
    )
    merchant = case.merchant
    people = list(merchant.people.all().order_by("id"))
    capabilities = list(case.capabilities.select_related("category", "brand").order_by("id"))
    documents = list(
        QualificationDocument.objects.filter(merchant_id=merchant.pk)
        .select_related("document_type", "person", "category", "brand", "uploaded_by")
        .prefetch_related("check_results")
        .order_by("created_at", "id")
    )
    matches = list(
        ScreeningMatch.objects.filter(merchant_id=merchant.pk)
        .select_related("entry", "person", "disposed_by", "sanctions_list")
        .order_by("-score", "id")
    )
    risk = None
    if case.risk_assessment_id is not None:
        risk = (
            RiskAssessment.objects.select_related("overridden_by")
            .filter(pk=case.risk_assessment_id)
            .first()
        )
    factors = factor_rows(risk.factors if risk is not None else [])
    edd_items = list(
        EddChecklistItem.objects.filter(case_id=case.pk)
        .select_related("completed_by")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=EddEvidence.objects.select_related("uploaded_by").order_by(
                    "created_at", "id"
                ),
            )
        )
        .order_by("id")
    )
    capability_decisions = list(
        CapabilityDecision.objects.filter(case_id=case.pk)
        .select_related("capability__category", "capability__brand", "decided_by")
        .prefetch_related("reason_codes")
        .order_by("decided_at", "id")
    )
    document_decisions = list(
        DocumentDecision.objects.filter(case_id=case.pk)
        .select_related("document__document_type", "reason_code", "decided_by")
        .order_by("decided_at", "id")
    )
    # Who looked at which document version from this case, first time each (kyc.DocumentView).
    document_views = list(
        DocumentView.objects.filter(case_id=case.pk)
        .select_related("document__document_type", "viewer")
        .order_by("viewed_at", "id")
    )
    qc_reviews = list(
        QcReview.objects.filter(case_id=case.pk, status=QcReviewStatus.COMPLETED)
        .select_related(
            "qc_reviewer", "maker", "checker", "dispute__raised_by", "dispute__decided_by"
        )
        .order_by("completed_at", "id")
    )
    for review in qc_reviews:
        # A reverse one-to-one that does not exist raises; the template wants None.
        try:
            review.dispute_row = review.dispute  # type: ignore[attr-defined]
        except QcDispute.DoesNotExist:
            review.dispute_row = None  # type: ignore[attr-defined]
    events = labels.label_events(list(AuditEvent.objects.filter(case_id=case.pk).order_by("seq")))
    names = event_labels()
    for event in events:
        event.label = names.get(event.action, labels.OTHER_EVENT)  # type: ignore[attr-defined]
        if len(event.text) > EVENT_TEXT_MAX:
            event.text = event.text[:EVENT_TEXT_MAX] + "…"
    return ReportContext(
        report=report,
        case=case,
        generated_at=timezone.now(),
        people=people,
        capabilities=capabilities,
        documents=documents,
        screening_matches=matches,
        risk=risk,
        risk_factors=factors,
        risk_points=sum(int(f.get("points", 0) or 0) for f in factors),
        edd_items=edd_items,
        decision_reasons=list(case.decision_reason_codes.all()),
        capability_decisions=capability_decisions,
        document_decisions=document_decisions,
        document_views=document_views,
        qc_reviews=qc_reviews,
        events=events,
    )
