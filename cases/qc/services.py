"""Write use-cases for QC reviews and disputes.

Each one locks its row, checks visibility (404), role (403), state (409), the separation of
duties (403 `maker_checker`: nobody QCs their own decision) and the input (400), writes one
audit event in the same transaction, and leaves side effects (the report rebuild, the
seller's notice of a reopened case) to run after commit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.services import audit_record
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound

from ..models import (
    CaseState,
    QcDispute,
    QcDisputeStatus,
    QcErrorCategory,
    QcOutcome,
    QcReview,
    QcReviewStatus,
    QcSeverity,
    ReportTrigger,
    ReviewCase,
)
from .selectors import can_see_all_qc

REQUIRED = "Required."


def _lock_review(*, actor: Any, review_id: Any) -> QcReview:
    try:
        pk = int(review_id)
    except (TypeError, ValueError):
        raise NotFound("QC review not found.") from None
    review = (
        QcReview.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise NotFound("QC review not found.")
    # A reviewer sees the verdicts on their own decisions, once they are given; nothing else.
    own = review.maker_id == getattr(actor, "pk", None) and review.status == "completed"
    if not can_see_all_qc(actor) and not own:
        raise NotFound("QC review not found.")
    return review


def is_party(actor: Any, review: QcReview) -> bool:
    """The actor made or checked the decision under review (as recorded when it was drawn,
    or on the case now)."""
    pk = getattr(actor, "pk", None)
    return pk is not None and pk in {
        review.maker_id,
        review.checker_id,
        review.case.maker_id,
        review.case.checker_id,
    }


def dispute_deciders(review: QcReview) -> QuerySet[Any]:
    """The QC leads who may decide a dispute on the review's finding: active, neither the QC
    reviewer who made the finding nor the maker or checker of the decision."""
    excluded = {
        pk
        for pk in (
            review.qc_reviewer_id,
            review.maker_id,
            review.checker_id,
            review.case.maker_id,
            review.case.checker_id,
        )
        if pk is not None
    }
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.QC_LEAD)
        .exclude(pk__in=excluded)
        .distinct()
        .order_by("username")
    )


def dispute_decide_refusal(actor: Any, review: QcReview) -> NotAllowed | None:
    """Why the actor may not decide a dispute on the review's finding, or None when they may.

    A QC lead other than the finding's author decides. With a single QC lead (who made the
    finding) a dispute could never be decided, so a compliance admin may decide it then, and
    only then: never the finding's author, never the maker or checker of the decision."""
    if review.qc_reviewer_id == getattr(actor, "pk", None):
        return NotAllowed(
            "You made this finding: another QC lead decides the dispute.", code="own_finding"
        )
    if not has_role(actor, Role.QC_LEAD, Role.COMPLIANCE_ADMIN):
        return NotAllowed("Only QC leads decide disputes.")
    if is_party(actor, review):
        return NotAllowed("You made or checked the decision under review.", code="maker_checker")
    if not has_role(actor, Role.QC_LEAD) and dispute_deciders(review).exists():
        return NotAllowed(
            "Another QC lead decides this dispute; a compliance admin decides only when no "
            "other QC lead can.",
            code="qc_lead_available",
        )
    return None


def _review_snapshot(review: QcReview) -> dict[str, Any]:
    return {
        "review": review.pk,
        "status": review.status,
        "outcome": review.outcome,
        "error_category": review.error_category,
        "severity": review.severity,
        "case_reopened": review.case_reopened,
    }


def _clean_verdict(outcome: str, error_category: str, severity: str, comment: str) -> None:
    fields: dict[str, list[str]] = {}
    if outcome not in QcOutcome.values:
        fields["outcome"] = ["Choose agree or disagree."]
    elif outcome == QcOutcome.DISAGREE:
        if error_category not in QcErrorCategory.values:
            fields["error_category"] = [REQUIRED if not error_category else "Unknown category."]
        if severity not in QcSeverity.values:
            fields["severity"] = [REQUIRED if not severity else "Unknown severity."]
        if not comment:
            fields["comment"] = ["Explain the finding."]
    else:
        if error_category:
            fields["error_category"] = ["Only a disagreement has an error category."]
        if severity:
            fields["severity"] = ["Only a disagreement has a severity."]
    if fields:
        raise InvalidInput(
            "A disagreement needs an error category, a severity and a comment."
            if outcome == QcOutcome.DISAGREE
            else "Please correct the highlighted fields.",
            fields=fields,
        )


def _reopen_for_critical(*, actor: Any, review: QcReview, case: ReviewCase) -> str:
    """Reopens the decided case; returns why it was not reopened ("" when it was)."""
    from ..services import case_reopen

    if case.state not in (CaseState.APPROVED, CaseState.REJECTED):
        return f"case is {case.state}"
    if case.decided_at != review.case_decided_at:
        return "case was decided again after the reviewed decision"
    case_reopen(
        actor=actor,
        case_id=case.pk,
        rationale=f"QC review {review.pk}: critical finding "
        f"({review.get_error_category_display()}). {review.comment}",
    )
    return ""


@transaction.atomic
def qc_review_complete(
    *,
    actor: Any,
    review_id: Any,
    outcome: str,
    error_category: str = "",
    severity: str = "",
    comment: str = "",
) -> QcReview:
    """Records a QC lead's verdict on a sampled decision.

    Guarantees: only a QC lead who neither made nor checked the decision; once per review;
    a disagreement carries its category, severity and comment; a critical finding reopens
    the case (when it still stands on the reviewed decision); one `qc.completed` event; the
    case's next report version is requested (built after commit)."""
    from ..reports.services import report_request

    review = _lock_review(actor=actor, review_id=review_id)
    if not has_role(actor, Role.QC_LEAD):
        raise NotAllowed("Only QC leads record QC reviews.")
    if review.status != QcReviewStatus.PENDING:
        raise Conflict(f"QC review {review.pk} is already completed.", code="qc_review_completed")
    if is_party(actor, review):
        raise NotAllowed(
            "You made or checked this decision: another QC lead must review it.",
            code="maker_checker",
        )
    comment = (comment or "").strip()
    error_category = (error_category or "").strip()
    severity = (severity or "").strip()
    _clean_verdict(outcome, error_category, severity, comment)

    # The case row too: the reopen and the report's next version number need it.
    case = ReviewCase.objects.select_for_update(of=("self",)).get(pk=review.case_id)
    before = _review_snapshot(review)
    review.status = QcReviewStatus.COMPLETED
    review.qc_reviewer = actor
    review.outcome = outcome
    review.error_category = error_category
    review.severity = severity
    review.comment = comment
    review.completed_at = timezone.now()
    not_reopened = ""
    if outcome == QcOutcome.DISAGREE and severity == QcSeverity.CRITICAL:
        not_reopened = _reopen_for_critical(actor=actor, review=review, case=case)
        review.case_reopened = not not_reopened
    review.save()
    after = _review_snapshot(review)
    if not_reopened:
        after["not_reopened_because"] = not_reopened
    audit_record(
        action="qc.completed",
        actor=actor,
        obj=review,
        case_id=review.case_id,
        merchant_id=review.case.merchant_id,
        before=before,
        after=after,
        text=comment,
    )
    report_request(case=case, trigger=ReportTrigger.QC_COMPLETED, actor=actor)
    return review


@transaction.atomic
def qc_dispute_raise(*, actor: Any, review_id: Any, reason: str) -> QcDispute:
    """The maker disputes a finding on their decision, once.

    Guarantees: only the decision's maker, only a completed disagreement, one dispute per
    finding (409 the second time); one `qc.dispute_raised` event."""
    review = _lock_review(actor=actor, review_id=review_id)
    if review.maker_id != getattr(actor, "pk", None):
        raise NotAllowed("Only the reviewer whose decision was checked disputes a finding.")
    if review.status != QcReviewStatus.COMPLETED or review.outcome != QcOutcome.DISAGREE:
        raise Conflict("Only a finding (a disagreement) can be disputed.", code="not_a_finding")
    if QcDispute.objects.filter(review=review).exists():
        raise Conflict("This finding was already disputed.", code="already_disputed")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why you dispute the finding.", fields={"reason": [REQUIRED]})
    dispute = QcDispute.objects.create(review=review, raised_by=actor, reason=reason)
    audit_record(
        action="qc.dispute_raised",
        actor=actor,
        obj=dispute,
        case_id=review.case_id,
        merchant_id=review.case.merchant_id,
        after={"review": review.pk, "dispute": dispute.pk, "status": dispute.status},
        text=reason,
    )
    return dispute


@transaction.atomic
def qc_dispute_decide(*, actor: Any, dispute_id: Any, status: str, comment: str) -> QcDispute:
    """A QC lead other than the one who made the finding upholds (withdraws the finding) or
    dismisses a dispute; a compliance admin when no such QC lead exists.

    Guarantees: open disputes only (409 otherwise); never by the finding's QC reviewer nor
    by the decision's maker or checker, never by a compliance admin while another QC lead
    could decide (403, see dispute_decide_refusal); one `qc.dispute_decided` event."""
    try:
        pk = int(dispute_id)
    except (TypeError, ValueError):
        raise NotFound("Dispute not found.") from None
    dispute = (
        QcDispute.objects.select_for_update(of=("self",))
        .select_related("review", "review__case")
        .filter(pk=pk)
        .first()
    )
    if dispute is None or not (
        can_see_all_qc(actor) or dispute.raised_by_id == getattr(actor, "pk", None)
    ):
        raise NotFound("Dispute not found.")
    review = dispute.review
    refusal = dispute_decide_refusal(actor, review)
    if refusal is not None:
        raise refusal
    if dispute.status != QcDisputeStatus.OPEN:
        raise Conflict("This dispute is already decided.", code="dispute_decided")
    comment = (comment or "").strip()
    fields: dict[str, list[str]] = {}
    if status not in (QcDisputeStatus.UPHELD, QcDisputeStatus.DISMISSED):
        fields["status"] = ["Choose upheld or dismissed."]
    if not comment:
        fields["comment"] = ["Explain the decision."]
    if fields:
        raise InvalidInput("Please correct the highlighted fields.", fields=fields)
    before = {"dispute": dispute.pk, "status": dispute.status}
    decided_as = Role.QC_LEAD if has_role(actor, Role.QC_LEAD) else Role.COMPLIANCE_ADMIN
    dispute.status = status
    dispute.decided_by = actor
    dispute.decision_comment = comment
    dispute.decided_at = timezone.now()
    dispute.save()
    audit_record(
        action="qc.dispute_decided",
        actor=actor,
        obj=dispute,
        case_id=review.case_id,
        merchant_id=review.case.merchant_id,
        before=before,
        after={
            "dispute": dispute.pk,
            "review": review.pk,
            "status": status,
            "finding_withdrawn": status == QcDisputeStatus.UPHELD,
            # A compliance admin decides only when no other QC lead could (see above).
            "decided_as": str(decided_as),
        },
        text=comment,
    )
    return dispute
