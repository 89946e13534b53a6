"""A reviewer can decide a clean case from one page; refusals say why, with the right status."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import CaseState, Comment, DocumentDecision, InformationRequest, ReviewCase
from kyc.models import DocumentStatus, QualificationDocument
from tests.conftest import accept_documents

pytestmark = pytest.mark.django_db


def _case_url(case: ReviewCase) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def _post(
    client: Any, case: ReviewCase, action: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    return client.post(reverse(f"cases:case_{action}", args=[case.pk]), data or {}, **kwargs)


def test_reviewer_claims_and_approves_through_the_page(
    reviewer_client: Any, submitted_case: ReviewCase
) -> None:
    response = _post(
        reviewer_client, submitted_case, "claim", {"claim-seen_state": "submitted"}, follow=True
    )
    assert response.status_code == 200
    assert "You hold this case now." in response.content.decode()
    submitted_case.refresh_from_db()
    assert submitted_case.state == CaseState.IN_REVIEW
    # Each document is looked at and accepted on the page before the approval.
    for doc in submitted_case.merchant.documents.all():
        decided = _post(
            reviewer_client,
            submitted_case,
            "decide_document",
            {"seen_state": "in_review", "document": doc.pk, "decision": "accept"},
        )
        assert decided.status_code == 302

    response = _post(
        reviewer_client,
        submitted_case,
        "approve",
        {
            "approve-seen_state": "in_review",
            "approve-reason_codes": ["approved_clean"],
            "approve-rationale": "All documents match the registry.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _case_url(submitted_case)
    submitted_case.refresh_from_db()
    assert submitted_case.state == CaseState.APPROVED
    assert list(submitted_case.decision_reason_codes.values_list("code", flat=True)) == [
        "approved_clean"
    ]
    html = reviewer_client.get(_case_url(submitted_case)).content.decode()
    assert "Your approval was recorded." in html
    assert 'id="case-state">Approved<' in html


def test_a_stale_page_gets_the_conflict_message_and_409(
    reviewer_client: Any, other_reviewer: Any, submitted_case: ReviewCase
) -> None:
    from cases.services import case_claim

    # The page was loaded while the case was submitted; someone else claims it first.
    case_claim(actor=other_reviewer, case_id=submitted_case.pk)
    response = _post(reviewer_client, submitted_case, "claim", {"claim-seen_state": "submitted"})
    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "This case was changed by someone else: it is now In review, held by "
        f"{other_reviewer.username}. Reload to see the latest."
    ) in html
    submitted_case.refresh_from_db()
    assert submitted_case.assignee == other_reviewer


def test_a_decision_on_a_case_decided_meanwhile_is_a_conflict(
    reviewer_client: Any, reviewer: Any, claimed_case: ReviewCase
) -> None:
    from cases.services import case_approve

    accept_documents(claimed_case, reviewer)
    case_approve(actor=reviewer, case_id=claimed_case.pk)  # e.g. in another tab
    events = AuditEvent.objects.count()
    response = _post(
        reviewer_client,
        claimed_case,
        "reject",
        {
            "reject-seen_state": "in_review",
            "reject-reason_codes": ["requirements_not_met"],
            "reject-rationale": "Blurred.",
        },
    )
    assert response.status_code == 409
    assert "it is now Approved. Reload to see the latest." in response.content.decode()
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.APPROVED
    assert AuditEvent.objects.count() == events


def test_the_service_conflict_is_shown_even_without_the_page_state(
    reviewer_client: Any, other_reviewer: Any, submitted_case: ReviewCase
) -> None:
    from cases.services import case_claim

    case_claim(actor=other_reviewer, case_id=submitted_case.pk)
    response = _post(reviewer_client, submitted_case, "claim")
    assert response.status_code == 409
    assert "This case was changed by someone else" in response.content.decode()


def test_rejection_without_reasons_shows_errors_next_to_the_fields(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    response = _post(reviewer_client, claimed_case, "reject", {"reject-seen_state": "in_review"})
    assert response.status_code == 400
    form = response.context["forms"]["reject"]
    assert form.errors["reason_codes"] == ["Give at least one reason code."]
    assert form.errors["rationale"] == ["Explain the decision."]
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.IN_REVIEW


def test_reject_with_reasons(reviewer_client: Any, claimed_case: ReviewCase) -> None:
    response = _post(
        reviewer_client,
        claimed_case,
        "reject",
        {
            "reject-seen_state": "in_review",
            "reject-reason_codes": ["requirements_not_met", "unauthorized_brand"],
            "reject-rationale": "The license scan is unreadable and out of date.",
        },
    )
    assert response.status_code == 302
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.REJECTED
    assert claimed_case.rejection_severity == "retry"


def test_a_reviewer_who_does_not_hold_the_case_is_refused_with_403(
    other_reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    response = _post(
        other_reviewer_client, claimed_case, "approve", {"approve-seen_state": "in_review"}
    )
    assert response.status_code == 403
    assert "claim it first" in response.content.decode()
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.IN_REVIEW


def test_request_information_with_document_items(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    document = QualificationDocument.objects.get(
        merchant=claimed_case.merchant, document_type__code="business_license"
    )
    response = _post(
        reviewer_client,
        claimed_case,
        "request_info",
        {
            "rfi-seen_state": "in_review",
            "rfi-message": "Please send a sharper scan.",
            "rfi-deadline": "2099-01-31",
            f"rfi-doc_{document.pk}": "on",
            f"rfi-doc_{document.pk}_reason": "doc_illegible",
            f"rfi-doc_{document.pk}_note": "The seal is unreadable.",
        },
    )
    assert response.status_code == 302
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.INFO_REQUESTED
    rfi = InformationRequest.objects.get(case=claimed_case)
    item = rfi.items.get()
    assert (item.document, item.reason_code.code, item.note) == (
        document,
        "doc_illegible",
        "The seal is unreadable.",
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.REJECTED


def test_request_information_needs_a_message(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    response = _post(reviewer_client, claimed_case, "request_info", {"rfi-seen_state": "in_review"})
    assert response.status_code == 400
    assert response.context["forms"]["request_info"].errors["message"] == ["Required."]
    assert "Write the message the seller will see." in response.content.decode()
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.IN_REVIEW


def test_document_decisions_from_the_case_page(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    document = QualificationDocument.objects.filter(merchant=claimed_case.merchant).first()
    response = _post(
        reviewer_client,
        claimed_case,
        "decide_document",
        {"seen_state": "in_review", "document": document.pk, "decision": "reject"},
    )
    assert response.status_code == 400
    assert "A rejected document needs a reason code." in response.content.decode()
    response = _post(
        reviewer_client,
        claimed_case,
        "decide_document",
        {"seen_state": "in_review", "document": document.pk, "decision": "accept"},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.ACCEPTED
    assert DocumentDecision.objects.filter(document=document, decision="accept").count() == 1


def test_escalate_then_release_is_for_seniors(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    response = _post(
        reviewer_client,
        claimed_case,
        "escalate",
        {"escalate-seen_state": "in_review", "escalate-rationale": "Owner is a PEP."},
    )
    assert response.status_code == 302
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.EDD and claimed_case.assignee is None
    html = reviewer_client.get(_case_url(claimed_case)).content.decode()
    assert reverse("cases:case_claim", args=[claimed_case.pk]) not in html


def test_internal_and_seller_comments_are_marked_and_filtered(
    reviewer_client: Any, seller_client: Any, claimed_case: ReviewCase
) -> None:
    _post(
        reviewer_client,
        claimed_case,
        "comment",
        {"comment-body": "Registry checked by phone.", "comment-visibility": "internal"},
    )
    _post(
        reviewer_client,
        claimed_case,
        "comment",
        {"comment-body": "We are checking your license.", "comment-visibility": "seller"},
    )
    assert Comment.objects.filter(case=claimed_case).count() == 2
    staff_html = reviewer_client.get(_case_url(claimed_case)).content.decode()
    assert 'class="comment comment-internal"' in staff_html
    assert 'class="comment comment-seller"' in staff_html
    seller_html = seller_client.get(
        reverse("cases:merchant_detail", args=[claimed_case.merchant_id])
    ).content.decode()
    assert "We are checking your license." in seller_html
    assert "Registry checked by phone." not in seller_html


def test_reopen_by_qc_lead(qc_client: Any, reviewer: Any, claimed_case: ReviewCase) -> None:
    from cases.services import case_approve

    accept_documents(claimed_case, reviewer)
    case_approve(actor=reviewer, case_id=claimed_case.pk)
    response = _post(
        qc_client,
        claimed_case,
        "reopen",
        {"reopen-seen_state": "approved", "reopen-rationale": "QC sample: name mismatch."},
    )
    assert response.status_code == 302
    claimed_case.refresh_from_db()
    assert claimed_case.state == CaseState.IN_REVIEW


def test_reason_code_labels_follow_the_language(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    reviewer_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = reviewer_client.get(_case_url(claimed_case)).content.decode()
    assert "文件无法辨认。" in html
    assert "The document is not readable." not in html


def test_an_rfi_can_ask_about_one_capability(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    capability = claimed_case.capabilities.get()
    fields = {
        "rfi-seen_state": "in_review",
        "rfi-message": "One question before we decide.",
        "rfi-deadline": "2099-01-31",
        "rfi-capability": str(capability.pk),
    }
    response = _post(reviewer_client, claimed_case, "request_info", fields)
    assert response.status_code == 400  # a capability without the question is refused
    assert "Say what you need to know about it." in response.content.decode()

    fields["rfi-capability_question"] = "Which marketplaces do you sell on today?"
    response = _post(reviewer_client, claimed_case, "request_info", fields)
    assert response.status_code == 302
    item = InformationRequest.objects.get(case=claimed_case).items.get()
    assert (item.capability, item.note) == (capability, "Which marketplaces do you sell on today?")
