"""List endpoints run a constant number of queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import ReviewCase
from kyc.models import DocumentCheckResult, DocumentType, QualificationDocument
from tests.factories import MerchantFactory, add_member


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _budget_holds(
    client, url: str, add_rows: Callable[[int], None], django_assert_max_num_queries
) -> None:
    add_rows(5)
    baseline = _queries(client, url)
    add_rows(50)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert response.json()["count"] >= 55
    assert len(response.json()["results"]) >= 55


@pytest.fixture
def make_merchants(seller, reviewer) -> Callable[[int], None]:
    def add(n: int) -> None:
        for _ in range(n):
            merchant = MerchantFactory()
            add_member(merchant, seller)
            ReviewCase.objects.create(
                merchant=merchant,
                state="in_review",
                assignee=reviewer,
                maker=reviewer,
                risk_tier="low",
            )

    return add


def test_merchant_list_query_count_is_constant(
    seller_api, make_merchants, django_assert_max_num_queries
):
    _budget_holds(
        seller_api,
        "/api/v1/merchants/?page_size=100",
        make_merchants,
        django_assert_max_num_queries,
    )


def test_case_list_query_count_is_constant(
    reviewer_api, make_merchants, django_assert_max_num_queries
):
    _budget_holds(
        reviewer_api, "/api/v1/cases/?page_size=100", make_merchants, django_assert_max_num_queries
    )


def test_case_list_for_a_seller_query_count_is_constant(
    seller_api, make_merchants, django_assert_max_num_queries
):
    _budget_holds(
        seller_api, "/api/v1/cases/?page_size=100", make_merchants, django_assert_max_num_queries
    )


def test_document_list_query_count_is_constant(
    seller_api, draft_case, seller, django_assert_max_num_queries
):
    license_type = DocumentType.objects.get(code="business_license")
    person = draft_case.merchant.people.get()

    def add(n: int) -> None:
        for i in range(n):
            doc = QualificationDocument.objects.create(
                merchant=draft_case.merchant,
                document_type=license_type,
                person=person,
                file=f"documents/test-{i}.pdf",
                sha256=f"{i:064d}",
                size=100,
                content_type="application/pdf",
                uploaded_by=seller,
            )
            DocumentCheckResult.objects.create(
                document=doc, check_name="file_type", outcome="passed", code="ok"
            )

    url = f"/api/v1/merchants/{draft_case.merchant_id}/documents/?page_size=100"
    _budget_holds(seller_api, url, add, django_assert_max_num_queries)
