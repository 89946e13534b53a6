"""Seller e-mails: every event renders in the seller's language, requests for information and
decisions notify, and no internal note ever reaches a seller."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from cases import services
from cases.models import CommentVisibility, Notification, ReviewCase
from cases.notifications import SELLER_EVENTS, notify_seller
from merchants.models import Merchant
from tests.conftest import accept_documents

INTERNAL = "INTERNAL-NOTE-do-not-tell-the-seller"
RATIONALE = "RATIONALE-the-reviewers-own-reasoning"

DETAILS = {
    "documents": [
        {
            "type_en": "Business license",
            "type_zh": "营业执照",
            "expiry_date": "2031-01-01",
            "renewal_deadline": "2031-01-15",
            "person": "",
        }
    ],
    "capabilities": [{"label_en": "Sell on the platform", "label_zh": "在平台销售"}],
    "changes": [{"field": "bank_account_number"}, {"field": "person.added", "person": "Chen"}],
}


def render_all(case: ReviewCase) -> list[Notification]:
    return [notify_seller(case=case, event=e, details=DETAILS) for e in SELLER_EVENTS]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_event_renders_in_the_sellers_language_without_internal_notes(
    claimed_case: ReviewCase, reviewer: Any, language: str
) -> None:
    Merchant.objects.filter(pk=claimed_case.merchant_id).update(preferred_language=language)
    services.comment_add(
        actor=reviewer,
        case_id=claimed_case.pk,
        body=INTERNAL,
        visibility=CommentVisibility.INTERNAL,
    )
    case = ReviewCase.objects.select_related("merchant").get(pk=claimed_case.pk)

    notices = render_all(case)

    for notice in notices:
        assert notice.language == language
        assert notice.subject and notice.body
        assert INTERNAL not in notice.body and INTERNAL not in notice.subject
        assert "%(" not in notice.body + notice.subject  # every placeholder filled
    expiring = next(n for n in notices if n.event == "document.expiring")
    assert "2031-01-15" in expiring.body
    if language == "zh-hans":
        assert "营业执照" in expiring.body
    else:
        assert "Business license" in expiring.body


def test_rfis_and_decisions_notify_without_rationale_or_internal_comments(
    claimed_case: ReviewCase, reviewer: Any, seller: Any
) -> None:
    services.comment_add(
        actor=reviewer,
        case_id=claimed_case.pk,
        body=INTERNAL,
        visibility=CommentVisibility.INTERNAL,
    )
    services.case_request_info(
        actor=reviewer, case_id=claimed_case.pk, message="Please upload a clearer scan."
    )
    services.case_resubmit(actor=seller, case_id=claimed_case.pk, answer="Uploaded.")
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    if case.assignee_id is None:
        services.case_claim(actor=reviewer, case_id=case.pk)
    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk, rationale=RATIONALE)

    events = list(
        Notification.objects.filter(case=claimed_case)
        .order_by("created_at", "id")
        .values_list("event", flat=True)
    )
    assert "case.info_requested" in events and "case.approved" in events
    for notice in Notification.objects.filter(case=claimed_case):
        assert INTERNAL not in notice.body
        assert RATIONALE not in notice.body
    rfi = Notification.objects.get(case=claimed_case, event="case.info_requested")
    assert "Please upload a clearer scan." in rfi.body


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_a_notification_is_sent_through_djangos_mail_once(
    claimed_case: ReviewCase, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = notify_seller(case=claimed_case, event="periodic_review.opened")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == notice.subject
    services.notification_send(notification_id=notice.pk)
    assert len(mail.outbox) == 1


def test_a_notification_without_a_case_names_the_merchant(claimed_case: ReviewCase) -> None:
    notice = notify_seller(
        merchant=claimed_case.merchant, event="capabilities.disabled", details=DETAILS
    )

    assert notice.case is None
    assert claimed_case.merchant.legal_name in notice.subject
