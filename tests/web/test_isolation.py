"""A seller never sees another seller's merchant, document or case: 404, through the
selectors, with no side effect."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import ReviewCase
from kyc.models import QualificationDocument

pytestmark = pytest.mark.django_db


def test_other_seller_gets_404_for_the_merchant_pages(
    other_seller_client: Any, ready_case: ReviewCase
) -> None:
    merchant = ready_case.merchant
    person = merchant.people.get()
    for url in (
        reverse("cases:merchant_detail", args=[merchant.pk]),
        reverse("merchants:edit", args=[merchant.pk]),
        reverse("merchants:person_add", args=[merchant.pk]),
        reverse("merchants:person_edit", args=[merchant.pk, person.pk]),
        reverse("merchants:person_remove", args=[merchant.pk, person.pk]),
        reverse("cases:capability_apply", args=[merchant.pk]),
        reverse("cases:document_upload", args=[merchant.pk]),
    ):
        assert other_seller_client.get(url).status_code == 404, url


def test_other_seller_gets_404_for_the_document_file_and_no_view_is_recorded(
    other_seller_client: Any, ready_case: ReviewCase
) -> None:
    document = QualificationDocument.objects.filter(merchant=ready_case.merchant).first()
    events_before = AuditEvent.objects.count()
    response = other_seller_client.get(reverse("kyc:document_file", args=[document.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.count() == events_before


def test_other_seller_gets_404_for_the_case_pages(
    other_seller_client: Any, submitted_case: ReviewCase
) -> None:
    assert (
        other_seller_client.get(reverse("cases:case_detail", args=[submitted_case.pk])).status_code
        == 404
    )
    assert (
        other_seller_client.get(reverse("cases:seller_case", args=[submitted_case.pk])).status_code
        == 404
    )


def test_other_seller_cannot_act_on_the_case(
    other_seller_client: Any, ready_case: ReviewCase
) -> None:
    for name in ("seller_submit", "seller_withdraw", "seller_resubmit", "seller_comment"):
        response = other_seller_client.post(
            reverse(f"cases:{name}", args=[ready_case.pk]), {"body": "hello", "answer": "x"}
        )
        assert response.status_code == 404, name
    ready_case.refresh_from_db()
    assert ready_case.state == "draft"
    assert not ready_case.comments.exists()


def test_other_seller_cannot_change_the_merchant(
    other_seller_client: Any, ready_case: ReviewCase
) -> None:
    merchant = ready_case.merchant
    person = merchant.people.get()
    response = other_seller_client.post(
        reverse("merchants:person_remove", args=[merchant.pk, person.pk])
    )
    assert response.status_code == 404
    assert merchant.people.filter(pk=person.pk).exists()


def test_seller_cannot_post_reviewer_decisions_on_its_own_case(
    seller_client: Any, submitted_case: ReviewCase
) -> None:
    # The workbench is a staff area: 404 for sellers, even on their own case.
    response = seller_client.post(reverse("cases:case_claim", args=[submitted_case.pk]))
    assert response.status_code == 404
    submitted_case.refresh_from_db()
    assert submitted_case.state == "submitted"
