"""QC reviews and disputes: separation of duties, verdicts, reopening, disputes once."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import (
    CaseState,
    QcDispute,
    QcDisputeStatus,
    QcReview,
    QcReviewStatus,
    ReportTrigger,
    ReviewReport,
)
from cases.qc.services import (
    dispute_deciders,
    qc_dispute_decide,
    qc_dispute_raise,
    qc_review_complete,
)
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.cases.qc_helpers import decided_case, queued_review
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def _disagree(**overrides: Any) -> dict[str, Any]:
    return {
        "outcome": "disagree",
        "error_category": "missed_document_issue",
        "severity": "major",
        "comment": "The license expired a week before approval.",
        **overrides,
    }


@pytest.fixture
def review(reviewer: Any) -> QcReview:
    return queued_review(decided_case(maker=reviewer))


def test_the_maker_cannot_qc_their_own_decision() -> None:
    lead = make_user(Role.QC_LEAD)
    lead.groups.add(*make_user(Role.SENIOR_REVIEWER).groups.all())
    review = queued_review(decided_case(maker=lead))
    with pytest.raises(NotAllowed) as exc:
        qc_review_complete(actor=lead, review_id=review.pk, outcome="agree")
    assert exc.value.code == "maker_checker"
    review.refresh_from_db()
    assert review.status == QcReviewStatus.PENDING and review.qc_reviewer is None
    assert _actions() == []


def test_the_checker_cannot_qc_the_decision_either(reviewer: Any) -> None:
    lead = make_user(Role.QC_LEAD)
    review = queued_review(decided_case(maker=reviewer, checker=lead, risk_tier="high"))
    with pytest.raises(NotAllowed) as exc:
        qc_review_complete(actor=lead, review_id=review.pk, **_disagree())
    assert exc.value.code == "maker_checker"
    assert _actions() == []


def test_an_agreement_is_recorded_with_one_event_and_a_report_version(
    review: QcReview, qc_lead: Any
) -> None:
    done = qc_review_complete(actor=qc_lead, review_id=review.pk, outcome="agree", comment="ok")
    assert (done.status, done.outcome, done.qc_reviewer) == ("completed", "agree", qc_lead)
    assert done.completed_at is not None and not done.case_reopened
    assert _actions() == ["qc.completed"]
    event = AuditEvent.objects.get(action="qc.completed")
    assert event.case_id == review.case_id and event.after["outcome"] == "agree"
    report = ReviewReport.objects.get(case=review.case)
    assert report.trigger == ReportTrigger.QC_COMPLETED


def test_a_critical_finding_reopens_the_case(review: QcReview, qc_lead: Any) -> None:
    done = qc_review_complete(actor=qc_lead, review_id=review.pk, **_disagree(severity="critical"))
    assert done.case_reopened
    review.case.refresh_from_db()
    assert review.case.state == CaseState.IN_REVIEW
    assert _actions() == ["case.reopened", "qc.completed"]
    reopened = AuditEvent.objects.get(action="case.reopened")
    assert f"QC review {review.pk}" in reopened.text
    assert reopened.actor_id == qc_lead.pk


def test_a_major_finding_does_not_reopen_the_case(review: QcReview, qc_lead: Any) -> None:
    done = qc_review_complete(actor=qc_lead, review_id=review.pk, **_disagree())
    assert not done.case_reopened
    review.case.refresh_from_db()
    assert review.case.state == CaseState.APPROVED
    assert _actions() == ["qc.completed"]


def test_a_critical_finding_on_a_case_no_longer_decided_is_recorded_without_reopening(
    review: QcReview, qc_lead: Any, admin_user: Any
) -> None:
    from cases.services import case_reopen

    case_reopen(actor=admin_user, case_id=review.case_id, rationale="Complaint received.")
    done = qc_review_complete(actor=qc_lead, review_id=review.pk, **_disagree(severity="critical"))
    assert done.status == "completed" and not done.case_reopened
    event = AuditEvent.objects.get(action="qc.completed")
    assert event.after["not_reopened_because"] == "case is in_review"
    assert _actions().count("case.reopened") == 1


def test_a_disagreement_needs_category_severity_and_comment(review: QcReview, qc_lead: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        qc_review_complete(actor=qc_lead, review_id=review.pk, outcome="disagree")
    assert set(exc.value.fields) == {"error_category", "severity", "comment"}
    with pytest.raises(InvalidInput) as exc:
        qc_review_complete(actor=qc_lead, review_id=review.pk, outcome="maybe")
    assert set(exc.value.fields) == {"outcome"}
    review.refresh_from_db()
    assert review.status == QcReviewStatus.PENDING
    assert _actions() == []


def test_a_review_is_completed_once(review: QcReview, qc_lead: Any) -> None:
    qc_review_complete(actor=qc_lead, review_id=review.pk, outcome="agree")
    other = make_user(Role.QC_LEAD)
    with pytest.raises(Conflict):
        qc_review_complete(actor=other, review_id=review.pk, **_disagree())
    assert _actions() == ["qc.completed"]


def test_only_qc_leads_complete_reviews(review: QcReview, admin_user: Any, senior: Any) -> None:
    with pytest.raises(NotAllowed):
        qc_review_complete(actor=admin_user, review_id=review.pk, outcome="agree")
    # A reviewer does not even see a pending QC review.
    with pytest.raises(NotFound):
        qc_review_complete(actor=senior, review_id=review.pk, outcome="agree")
    with pytest.raises(NotFound):
        qc_review_complete(actor=make_user(Role.SELLER), review_id=review.pk, outcome="agree")


# --------------------------------------------------------------------------- disputes


@pytest.fixture
def finding(review: QcReview, qc_lead: Any) -> QcReview:
    return qc_review_complete(actor=qc_lead, review_id=review.pk, **_disagree())


def test_the_maker_disputes_a_finding_once(finding: QcReview, reviewer: Any) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    assert (dispute.status, dispute.raised_by) == (QcDisputeStatus.OPEN, reviewer)
    with pytest.raises(Conflict) as exc:
        qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="Again.")
    assert exc.value.code == "already_disputed"
    assert QcDispute.objects.count() == 1
    assert _actions().count("qc.dispute_raised") == 1


def test_a_dispute_needs_a_reason(finding: QcReview, reviewer: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="  ")
    assert set(exc.value.fields) == {"reason"}
    assert not QcDispute.objects.exists()


def test_only_the_maker_disputes_and_only_a_finding(
    finding: QcReview, other_reviewer: Any, qc_lead: Any, reviewer: Any
) -> None:
    with pytest.raises(NotFound):
        qc_dispute_raise(actor=other_reviewer, review_id=finding.pk, reason="Not mine.")
    with pytest.raises(NotAllowed):
        qc_dispute_raise(actor=qc_lead, review_id=finding.pk, reason="Lead.")
    agreed = queued_review(decided_case(maker=reviewer))
    qc_review_complete(actor=qc_lead, review_id=agreed.pk, outcome="agree")
    with pytest.raises(Conflict) as exc:
        qc_dispute_raise(actor=reviewer, review_id=agreed.pk, reason="?")
    assert exc.value.code == "not_a_finding"
    assert not QcDispute.objects.exists()


def test_the_lead_who_made_the_finding_cannot_decide_its_dispute(
    finding: QcReview, reviewer: Any, qc_lead: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    with pytest.raises(NotAllowed) as exc:
        qc_dispute_decide(actor=qc_lead, dispute_id=dispute.pk, status="upheld", comment="Mine.")
    assert exc.value.code == "own_finding"
    dispute.refresh_from_db()
    assert dispute.status == QcDisputeStatus.OPEN
    assert "qc.dispute_decided" not in _actions()


def test_another_lead_decides_the_dispute_once(finding: QcReview, reviewer: Any) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    other_lead = make_user(Role.QC_LEAD)
    decided = qc_dispute_decide(
        actor=other_lead, dispute_id=dispute.pk, status="upheld", comment="Agreed, withdrawn."
    )
    assert (decided.status, decided.decided_by) == (QcDisputeStatus.UPHELD, other_lead)
    finding.refresh_from_db()
    assert finding.outcome == "disagree"  # the verdict stays; the dispute withdraws it
    with pytest.raises(Conflict):
        qc_dispute_decide(
            actor=make_user(Role.QC_LEAD), dispute_id=dispute.pk, status="dismissed", comment="x"
        )
    event = AuditEvent.objects.get(action="qc.dispute_decided")
    assert event.after["finding_withdrawn"] is True


def test_a_dispute_decision_needs_a_status_and_a_comment(finding: QcReview, reviewer: Any) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    with pytest.raises(InvalidInput) as exc:
        qc_dispute_decide(
            actor=make_user(Role.QC_LEAD), dispute_id=dispute.pk, status="open", comment=""
        )
    assert set(exc.value.fields) == {"status", "comment"}


def test_a_reviewer_cannot_decide_disputes(finding: QcReview, reviewer: Any) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    with pytest.raises(NotAllowed):
        qc_dispute_decide(actor=reviewer, dispute_id=dispute.pk, status="upheld", comment="me")
    with pytest.raises(NotFound):
        qc_dispute_decide(
            actor=make_user(Role.REVIEWER), dispute_id=dispute.pk, status="upheld", comment="x"
        )


def test_with_one_qc_lead_a_compliance_admin_decides_the_dispute(
    finding: QcReview, reviewer: Any, qc_lead: Any, admin_user: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    # The only QC lead made the finding: without the admin, nobody could ever decide it.
    assert list(dispute_deciders(finding)) == []
    decided = qc_dispute_decide(
        actor=admin_user, dispute_id=dispute.pk, status="dismissed", comment="The finding stands."
    )
    assert (decided.status, decided.decided_by) == (QcDisputeStatus.DISMISSED, admin_user)
    event = AuditEvent.objects.get(action="qc.dispute_decided")
    assert event.actor_id == admin_user.pk
    assert event.after["decided_as"] == "compliance_admin"
    assert event.after["finding_withdrawn"] is False


def test_a_compliance_admin_does_not_decide_while_another_qc_lead_can(
    finding: QcReview, reviewer: Any, admin_user: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    other_lead = make_user(Role.QC_LEAD)
    with pytest.raises(NotAllowed) as exc:
        qc_dispute_decide(actor=admin_user, dispute_id=dispute.pk, status="upheld", comment="x")
    assert exc.value.code == "qc_lead_available"
    dispute.refresh_from_db()
    assert dispute.status == QcDisputeStatus.OPEN and dispute.decided_by is None
    assert "qc.dispute_decided" not in _actions()
    assert list(dispute_deciders(finding)) == [other_lead]


def test_an_inactive_or_conflicted_lead_leaves_the_dispute_to_the_admin(
    finding: QcReview, reviewer: Any, admin_user: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    make_user(Role.QC_LEAD, is_active=False)
    finding.maker.groups.add(Group.objects.get_or_create(name=Role.QC_LEAD)[0])  # the maker
    assert list(dispute_deciders(finding)) == []
    decided = qc_dispute_decide(
        actor=admin_user, dispute_id=dispute.pk, status="upheld", comment="Withdrawn."
    )
    assert decided.status == QcDisputeStatus.UPHELD


def test_the_finding_author_never_decides_even_as_compliance_admin(
    review: QcReview, reviewer: Any
) -> None:
    lead_and_admin = make_user(Role.QC_LEAD)
    lead_and_admin.groups.add(Group.objects.get_or_create(name=Role.COMPLIANCE_ADMIN)[0])
    qc_review_complete(actor=lead_and_admin, review_id=review.pk, **_disagree())
    dispute = qc_dispute_raise(actor=reviewer, review_id=review.pk, reason="It was valid.")
    with pytest.raises(NotAllowed) as exc:
        qc_dispute_decide(
            actor=lead_and_admin, dispute_id=dispute.pk, status="upheld", comment="Mine."
        )
    assert exc.value.code == "own_finding"
    assert "qc.dispute_decided" not in _actions()


def test_a_compliance_admin_who_made_the_decision_never_decides_its_dispute(
    finding: QcReview, reviewer: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was valid.")
    reviewer.groups.add(Group.objects.get_or_create(name=Role.COMPLIANCE_ADMIN)[0])
    reviewer._role_cache = None
    with pytest.raises(NotAllowed) as exc:
        qc_dispute_decide(actor=reviewer, dispute_id=dispute.pk, status="upheld", comment="Me.")
    assert exc.value.code == "maker_checker"
