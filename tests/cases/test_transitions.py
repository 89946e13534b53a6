"""Every transition of the case state machine: allowed path, forbidden paths, wrong roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.models import CaseState, Notification, ReviewCase
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kyc.models import DocumentStatus
from merchants.models import CapabilityStatus, MerchantStatus
from tests.conftest import accept_documents, screen_and_check
from tests.factories import complete_edd_checklist


def events(case: ReviewCase, action: str | None = None) -> list[str]:
    qs = AuditEvent.objects.filter(case_id=case.pk)
    if action:
        qs = qs.filter(action=action)
    return list(qs.values_list("action", flat=True))


def refresh(case: ReviewCase) -> ReviewCase:
    return ReviewCase.objects.get(pk=case.pk)


# --- submit


def test_submit_moves_draft_to_submitted_with_risk_sla_and_one_event(ready_case, seller):
    case = services.case_submit(actor=seller, case_id=ready_case.pk)
    assert case.state == CaseState.SUBMITTED
    assert case.risk_tier == "low" and not case.requires_four_eyes
    assert case.sla_due_at > timezone.now()
    assert case.policy_version is not None
    assert events(case, "case.submitted") == ["case.submitted"]
    assert Notification.objects.filter(case=case, event="case.submitted").count() == 1


def test_submit_is_refused_while_documents_are_due_and_names_them(draft_case, seller):
    with pytest.raises(InvalidInput) as exc:
        services.case_submit(actor=seller, case_id=draft_case.pk)
    assert exc.value.code == "requirements_due"
    assert "Business license or certificate of incorporation" in exc.value.message
    assert "Identity document of the legal representative" in exc.value.message
    due = exc.value.details["requirements"][0]["currently_due"]
    assert {i["code"] for i in due} >= {"entity_registration"}
    assert refresh(draft_case).state == CaseState.DRAFT
    assert events(draft_case, "case.submitted") == []


def test_submit_by_another_seller_is_not_found(ready_case, other_seller):
    with pytest.raises(NotFound):
        services.case_submit(actor=other_seller, case_id=ready_case.pk)
    assert refresh(ready_case).state == CaseState.DRAFT


def test_submit_by_a_reviewer_is_forbidden(ready_case, reviewer):
    with pytest.raises(NotAllowed):
        services.case_submit(actor=reviewer, case_id=ready_case.pk)


def test_submitting_twice_is_a_conflict(submitted_case, seller):
    with pytest.raises(Conflict):
        services.case_submit(actor=seller, case_id=submitted_case.pk)
    assert len(events(submitted_case, "case.submitted")) == 1


def test_high_risk_merchant_needs_four_eyes(ready_case, seller):
    person = ready_case.merchant.people.get()
    person.is_pep = True
    person.save()
    case = services.case_submit(actor=seller, case_id=ready_case.pk)
    assert case.risk_tier == "high" and case.requires_four_eyes


# --- claim / release


def test_claim_assigns_the_reviewer(submitted_case, reviewer):
    case = services.case_claim(actor=reviewer, case_id=submitted_case.pk)
    assert (case.state, case.assignee) == (CaseState.IN_REVIEW, reviewer)
    assert events(case, "case.claimed") == ["case.claimed"]


def test_claiming_a_held_case_is_a_conflict(claimed_case, other_reviewer):
    with pytest.raises(Conflict):
        services.case_claim(actor=other_reviewer, case_id=claimed_case.pk)
    assert refresh(claimed_case).assignee_id != other_reviewer.pk


def test_seller_and_qc_cannot_claim(submitted_case, seller, qc_lead):
    for actor in (seller, qc_lead):
        with pytest.raises(NotAllowed):
            services.case_claim(actor=actor, case_id=submitted_case.pk)
    assert refresh(submitted_case).state == CaseState.SUBMITTED


def test_claiming_a_draft_is_a_conflict(ready_case, reviewer):
    with pytest.raises(Conflict):
        services.case_claim(actor=reviewer, case_id=ready_case.pk)


def test_release_returns_the_case_to_the_queue(claimed_case, reviewer):
    case = services.case_release(actor=reviewer, case_id=claimed_case.pk)
    assert (case.state, case.assignee) == (CaseState.SUBMITTED, None)


def test_only_the_holder_may_release(claimed_case, other_reviewer):
    with pytest.raises(NotAllowed):
        services.case_release(actor=other_reviewer, case_id=claimed_case.pk)
    assert refresh(claimed_case).state == CaseState.IN_REVIEW


# --- request info / resubmit


def test_request_info_rejects_named_documents_and_notifies(claimed_case, reviewer):
    doc = claimed_case.merchant.documents.get(document_type__code="business_license")
    case = services.case_request_info(
        actor=reviewer,
        case_id=claimed_case.pk,
        message="Please upload a clearer license.",
        items=[{"document_id": doc.pk, "reason_code": "doc_illegible", "note": "blurred"}],
    )
    assert case.state == CaseState.INFO_REQUESTED
    assert case.assignee is None and case.last_reviewer == reviewer
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.REJECTED
    (event,) = AuditEvent.objects.filter(case_id=case.pk, action="case.info_requested")
    assert event.reason_codes == ["doc_illegible"]
    assert Notification.objects.filter(case=case, event="case.info_requested").exists()
    reqs = services.case_requirements(case)
    sell = reqs[0]
    assert any(e["code"] == "document_rejected" for e in sell["errors"])
    assert sell["current_deadline"] is not None


def test_request_info_needs_a_message_and_a_future_deadline(claimed_case, reviewer):
    with pytest.raises(InvalidInput) as exc:
        services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="  ")
    assert "message" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        services.case_request_info(
            actor=reviewer,
            case_id=claimed_case.pk,
            message="x",
            deadline=timezone.now() - timedelta(days=1),
        )
    assert "deadline" in exc.value.fields
    assert refresh(claimed_case).state == CaseState.IN_REVIEW


def test_resubmit_goes_back_to_the_same_available_reviewer(claimed_case, reviewer, seller):
    services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="Explain owners")
    case = services.case_resubmit(actor=seller, case_id=claimed_case.pk, answer="Sole owner.")
    assert (case.state, case.assignee) == (CaseState.IN_REVIEW, reviewer)
    rfi = case.information_requests.get()
    assert rfi.answer == "Sole owner." and rfi.answered_at is not None


def test_resubmit_goes_to_the_queue_when_the_reviewer_is_away(claimed_case, reviewer, seller):
    services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="Explain")
    reviewer.is_available = False
    reviewer.save()
    case = services.case_resubmit(actor=seller, case_id=claimed_case.pk)
    assert (case.state, case.assignee) == (CaseState.SUBMITTED, None)


def test_resubmit_is_refused_while_a_rejected_document_is_not_replaced(
    claimed_case, reviewer, seller
):
    doc = claimed_case.merchant.documents.get(document_type__code="business_license")
    services.case_request_info(
        actor=reviewer,
        case_id=claimed_case.pk,
        message="Blurred",
        items=[{"document_id": doc.pk, "reason_code": "doc_illegible"}],
    )
    with pytest.raises(InvalidInput) as exc:
        services.case_resubmit(actor=seller, case_id=claimed_case.pk)
    assert exc.value.code == "requirements_due"


# --- escalate / approve / four-eyes


def test_escalate_by_l1_moves_to_edd_unassigned_and_requires_four_eyes(claimed_case, reviewer):
    case = services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="PEP owner")
    assert (case.state, case.assignee, case.requires_four_eyes) == (CaseState.EDD, None, True)


def test_l1_reviewer_cannot_claim_or_decide_edd(claimed_case, reviewer):
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="needs EDD")
    with pytest.raises(NotAllowed):
        services.case_claim(actor=reviewer, case_id=claimed_case.pk)


def test_escalate_needs_a_rationale(claimed_case, reviewer):
    with pytest.raises(InvalidInput):
        services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="")


def test_approve_activates_capabilities_accepts_documents_and_activates_merchant(
    claimed_case, reviewer
):
    accept_documents(claimed_case, reviewer)
    case = services.case_approve(
        actor=reviewer,
        case_id=claimed_case.pk,
        reason_codes=["approved_clean"],
        rationale="All good",
    )
    assert case.state == CaseState.APPROVED and case.maker == reviewer
    assert set(case.capabilities.values_list("status", flat=True)) == {CapabilityStatus.ACTIVE}
    assert set(case.merchant.documents.values_list("status", flat=True)) == {
        DocumentStatus.ACCEPTED
    }
    case.merchant.refresh_from_db()
    assert case.merchant.status == MerchantStatus.ACTIVE
    (event,) = AuditEvent.objects.filter(case_id=case.pk, action="case.approved")
    assert event.reason_codes == ["approved_clean"] and event.policy_version == "requirements-v1"
    assert event.text == "All good"


def test_approve_by_someone_not_holding_the_case_is_forbidden(claimed_case, other_reviewer):
    with pytest.raises(NotAllowed):
        services.case_approve(actor=other_reviewer, case_id=claimed_case.pk)
    assert refresh(claimed_case).state == CaseState.IN_REVIEW
    assert events(claimed_case, "case.approved") == []


def test_approve_with_a_rejection_code_is_invalid(claimed_case, reviewer):
    with pytest.raises(InvalidInput):
        services.case_approve(
            actor=reviewer, case_id=claimed_case.pk, reason_codes=["requirements_not_met"]
        )


def _four_eyes_case(claimed_case, reviewer, senior):
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="high risk")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    complete_edd_checklist(claimed_case.pk, senior)
    accept_documents(claimed_case, senior)
    return services.case_approve(actor=senior, case_id=claimed_case.pk, rationale="ok")


def test_four_eyes_approval_waits_for_a_second_senior(claimed_case, reviewer, senior, other_senior):
    case = _four_eyes_case(claimed_case, reviewer, senior)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL and case.maker == senior
    assert events(case, "case.maker_approved") == ["case.maker_approved"]
    assert set(case.capabilities.values_list("status", flat=True)) == {CapabilityStatus.PENDING}
    case = services.case_second_approve(actor=other_senior, case_id=case.pk)
    assert (case.state, case.maker, case.checker) == (CaseState.APPROVED, senior, other_senior)
    assert set(case.capabilities.values_list("status", flat=True)) == {CapabilityStatus.ACTIVE}


def test_the_maker_cannot_be_the_checker(claimed_case, reviewer, senior):
    case = _four_eyes_case(claimed_case, reviewer, senior)
    with pytest.raises(NotAllowed) as exc:
        services.case_second_approve(actor=senior, case_id=case.pk)
    assert exc.value.code == "maker_checker"
    with pytest.raises(NotAllowed):
        services.case_reject(
            actor=senior, case_id=case.pk, reason_codes=["requirements_not_met"], rationale="x"
        )
    assert refresh(case).state == CaseState.PENDING_SECOND_APPROVAL


def test_an_l1_reviewer_cannot_give_the_second_approval(
    claimed_case, reviewer, senior, other_reviewer
):
    case = _four_eyes_case(claimed_case, reviewer, senior)
    with pytest.raises(NotAllowed):
        services.case_second_approve(actor=other_reviewer, case_id=case.pk)


def test_l1_approval_of_a_high_risk_case_needs_a_senior_checker(
    ready_case, seller, reviewer, senior
):
    person = ready_case.merchant.people.get()
    person.is_pep = True
    person.save()
    # The submission's provisional tier (high: a PEP) without the background score, which
    # would route it to EDD and out of an L1 reviewer's hands.
    screen_and_check(services.case_submit(actor=seller, case_id=ready_case.pk), score=False)
    services.case_claim(actor=reviewer, case_id=ready_case.pk)
    accept_documents(ready_case, reviewer)
    case = services.case_approve(actor=reviewer, case_id=ready_case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL
    case = services.case_second_approve(actor=senior, case_id=case.pk)
    assert case.state == CaseState.APPROVED


def test_second_approve_outside_pending_is_a_conflict(claimed_case, senior):
    with pytest.raises(Conflict):
        services.case_second_approve(actor=senior, case_id=claimed_case.pk)


# --- reject


def test_reject_records_codes_severity_and_deactivates_capabilities(claimed_case, reviewer):
    case = services.case_reject(
        actor=reviewer,
        case_id=claimed_case.pk,
        reason_codes=["requirements_not_met"],
        rationale="Unreadable scans",
    )
    assert case.state == CaseState.REJECTED and case.rejection_severity == "retry"
    assert set(case.capabilities.values_list("disabled_reason", flat=True)) == {"rejected.retry"}
    (event,) = AuditEvent.objects.filter(case_id=case.pk, action="case.rejected")
    assert event.reason_codes == ["requirements_not_met"]


def test_a_final_reason_code_makes_the_rejection_final(claimed_case, reviewer):
    case = services.case_reject(
        actor=reviewer,
        case_id=claimed_case.pk,
        reason_codes=["requirements_not_met", "fraud_suspected"],
        rationale="x",
    )
    assert case.rejection_severity == "final"


def test_reject_needs_reason_codes_and_rationale(claimed_case, reviewer):
    with pytest.raises(InvalidInput) as exc:
        services.case_reject(actor=reviewer, case_id=claimed_case.pk, reason_codes=[], rationale="")
    assert set(exc.value.fields) == {"reason_codes", "rationale"}
    with pytest.raises(InvalidInput):
        services.case_reject(
            actor=reviewer, case_id=claimed_case.pk, reason_codes=["no_such_code"], rationale="x"
        )
    assert refresh(claimed_case).state == CaseState.IN_REVIEW


def test_checker_may_reject_a_pending_second_approval(claimed_case, reviewer, senior, other_senior):
    case = _four_eyes_case(claimed_case, reviewer, senior)
    case = services.case_reject(
        actor=other_senior,
        case_id=case.pk,
        reason_codes=["unauthorized_brand"],
        rationale="chain broken",
    )
    assert (case.state, case.checker) == (CaseState.REJECTED, other_senior)


def test_reject_after_approve_is_a_conflict_and_leaves_one_decision(claimed_case, reviewer):
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    with pytest.raises(Conflict):
        services.case_reject(
            actor=reviewer,
            case_id=claimed_case.pk,
            reason_codes=["requirements_not_met"],
            rationale="late",
        )
    assert events(claimed_case, "case.approved") == ["case.approved"]
    assert events(claimed_case, "case.rejected") == []


# --- withdraw / expire / reopen


@pytest.mark.parametrize("stage", ["draft", "submitted", "info_requested"])
def test_seller_may_withdraw_before_a_decision(stage, ready_case, seller, reviewer):
    if stage != "draft":
        services.case_submit(actor=seller, case_id=ready_case.pk)
    if stage == "info_requested":
        services.case_claim(actor=reviewer, case_id=ready_case.pk)
        services.case_request_info(actor=reviewer, case_id=ready_case.pk, message="x")
    case = services.case_withdraw(actor=seller, case_id=ready_case.pk)
    assert case.state == CaseState.WITHDRAWN
    assert set(case.capabilities.values_list("status", flat=True)) == {CapabilityStatus.UNREQUESTED}


def test_withdraw_while_in_review_is_a_conflict(claimed_case, seller):
    with pytest.raises(Conflict):
        services.case_withdraw(actor=seller, case_id=claimed_case.pk)


def test_expire_only_after_the_deadline(claimed_case, reviewer):
    services.case_request_info(actor=reviewer, case_id=claimed_case.pk, message="x")
    with pytest.raises(Conflict):
        services.case_expire(case_id=claimed_case.pk)
    ReviewCase.objects.filter(pk=claimed_case.pk).update(
        rfi_deadline=timezone.now() - timedelta(minutes=1)
    )
    case = services.case_expire(case_id=claimed_case.pk)
    assert case.state == CaseState.EXPIRED
    event = AuditEvent.objects.get(case_id=case.pk, action="case.expired")
    assert event.actor_type == "system" and event.actor_id is None


def test_reopen_by_qc_lead_returns_a_decided_case_to_review(claimed_case, reviewer, qc_lead):
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    case = services.case_reopen(actor=qc_lead, case_id=claimed_case.pk, rationale="QC finding")
    assert (case.state, case.assignee) == (CaseState.IN_REVIEW, None)
    case = services.case_claim(actor=reviewer, case_id=case.pk)
    assert case.state == CaseState.IN_REVIEW


def test_reviewers_and_sellers_cannot_reopen(claimed_case, reviewer, seller):
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    for actor in (reviewer, seller):
        with pytest.raises(NotAllowed):
            services.case_reopen(actor=actor, case_id=claimed_case.pk, rationale="x")


def test_reopen_of_an_open_case_is_a_conflict(claimed_case, admin_user):
    with pytest.raises(Conflict):
        services.case_reopen(actor=admin_user, case_id=claimed_case.pk, rationale="x")


# --- documents and comments within a case


def test_document_decisions_need_a_reason_to_reject(claimed_case, reviewer):
    doc = claimed_case.merchant.documents.first()
    with pytest.raises(InvalidInput):
        services.document_decide(
            actor=reviewer, case_id=claimed_case.pk, document_id=doc.pk, decision="reject"
        )
    services.document_decide(
        actor=reviewer,
        case_id=claimed_case.pk,
        document_id=doc.pk,
        decision="reject",
        reason_code="name_mismatch",
        note="typo",
    )
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.REJECTED
    assert AuditEvent.objects.filter(action="document.rejected", object_id=str(doc.pk)).count() == 1


def test_sellers_cannot_write_internal_notes_nor_read_them(claimed_case, seller, reviewer):
    from cases.selectors import comments_visible_to

    with pytest.raises(NotAllowed):
        services.comment_add(
            actor=seller, case_id=claimed_case.pk, body="hi", visibility="internal"
        )
    services.comment_add(
        actor=reviewer, case_id=claimed_case.pk, body="internal: odd", visibility="internal"
    )
    services.comment_add(
        actor=reviewer, case_id=claimed_case.pk, body="please check", visibility="seller"
    )
    assert [c.body for c in comments_visible_to(actor=seller, case=claimed_case)] == [
        "please check"
    ]
    assert len(comments_visible_to(actor=reviewer, case=claimed_case)) == 2


def test_every_transition_writes_exactly_one_audit_event(ready_case, seller, reviewer):
    screen_and_check(services.case_submit(actor=seller, case_id=ready_case.pk))
    services.case_claim(actor=reviewer, case_id=ready_case.pk)
    services.case_release(actor=reviewer, case_id=ready_case.pk)
    services.case_claim(actor=reviewer, case_id=ready_case.pk)
    accept_documents(ready_case, reviewer)
    services.case_approve(actor=reviewer, case_id=ready_case.pk)
    assert events(ready_case) == [
        "case.opened",
        "case.submitted",
        # The background work after the submission, on the case's own trail.
        "screening.completed",
        "case.risk_scored",
        "case.claimed",
        "case.released",
        "case.claimed",
        "document.accepted",
        "document.accepted",
        "case.approved",
    ]


def test_side_effects_are_enqueued_only_after_commit(
    claimed_case, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    accept_documents(claimed_case, reviewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    # The seller's notice and the PDF review report's build.
    assert len(callbacks) == 2 and mailoutbox == []
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1 and "Approved" in mailoutbox[0].subject


def test_rejection_notice_is_in_the_sellers_language_with_reasons(
    claimed_case, reviewer, django_capture_on_commit_callbacks, mailoutbox
):
    merchant = claimed_case.merchant
    merchant.preferred_language = "zh-hans"
    merchant.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_reject(
            actor=reviewer,
            case_id=claimed_case.pk,
            reason_codes=["requirements_not_met"],
            rationale="internal rationale",
        )
    (mail,) = mailoutbox
    assert "商户不符合所申请业务的要求。" in mail.body
    assert "internal rationale" not in mail.body


def test_an_rfi_sent_during_edd_comes_back_to_edd_and_its_senior(
    claimed_case, reviewer, senior, seller
):
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="PEP owner")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    services.case_request_info(actor=senior, case_id=claimed_case.pk, message="Source of funds?")
    case = services.case_resubmit(actor=seller, case_id=claimed_case.pk, answer="Statements.")
    assert (case.state, case.assignee) == (CaseState.EDD, senior)
    assert case.edd_items.count() == 5  # the checklist is kept, not duplicated
