"""List pages run a constant number of queries whatever the number of rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import ReviewCase
from merchants.models import Capability, CapabilityKind, Merchant
from tests.factories import MerchantFactory, add_member, make_user

pytestmark = pytest.mark.django_db


def _cases(count: int, assignee: Any) -> None:
    for index in range(count):
        merchant = MerchantFactory()
        Capability.objects.create(merchant=merchant, kind=CapabilityKind.SELL, status="pending")
        ReviewCase.objects.create(
            merchant=merchant,
            state="submitted" if index % 2 else "in_review",
            assignee=assignee if index % 2 == 0 else None,
            risk_tier="low",
            sla_due_at=timezone.now() + timedelta(hours=index - 3, minutes=30),
        )


def _merchants(count: int, seller: Any) -> None:
    for _ in range(count):
        merchant = MerchantFactory()
        add_member(merchant, seller)
        Capability.objects.create(merchant=merchant, kind=CapabilityKind.SELL, status="pending")
        ReviewCase.objects.create(merchant=merchant)


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_rows(
    reviewer_client: Any, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    url = reverse("cases:queue") + "?queue=open"
    _cases(5, reviewer)
    few = _queries(reviewer_client, url)
    _cases(50, make_user("reviewer"))
    with django_assert_max_num_queries(few):
        response = reviewer_client.get(url)
    assert len(response.context["page"].object_list) == 50  # a full page of 55


def test_queue_marks_sla_breaches(reviewer_client: Any, reviewer: Any) -> None:
    _cases(5, reviewer)
    html = reviewer_client.get(reverse("cases:queue")).content.decode()
    assert html.count('class="is-breached"') == 3  # due 2.5, 1.5 and 0.5 hours ago
    assert "SLA breached" in html


def test_seller_merchant_list_query_count_does_not_grow_with_rows(
    seller_client: Any, seller: Any, django_assert_max_num_queries: Any
) -> None:
    url = reverse("merchants:list")
    _merchants(5, seller)
    few = _queries(seller_client, url)
    _merchants(50, seller)
    with django_assert_max_num_queries(few):
        response = seller_client.get(url)
    assert len(response.context["rows"]) == 50
    assert Merchant.objects.count() == 55
