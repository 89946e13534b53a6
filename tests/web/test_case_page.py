"""The case page: one page for a decision — capability decisions, ownership, linked
merchants, notes apart from seller comments, shortcuts — in a constant number of queries;
and the seller's page saying which capability was rejected and why, in English and Chinese."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.decisions import capability_decide
from cases.models import CapabilityDecision, CaseState, ReviewCase
from kyc.models import QualificationDocument
from merchants.models import CapabilityStatus, Category
from tests.conftest import accept_documents, screen_and_check
from tests.factories import MerchantFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_category_case(ready_case: Any, seller: Any, reviewer: Any) -> ReviewCase:
    merchant = ready_case.merchant
    for code in ("apparel", "electronics"):
        services.capability_apply(
            actor=seller,
            merchant=merchant,
            kind="category",
            category=Category.objects.get(code=code),
        )
    screen_and_check(services.case_submit(actor=seller, case_id=ready_case.pk))
    return services.case_claim(actor=reviewer, case_id=ready_case.pk)


def url(case: ReviewCase) -> str:
    return reverse("cases:case_detail", kwargs={"case_id": case.pk})


def _queries(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(case: ReviewCase, n: int) -> None:
    """n more documents, owners, earlier cases and linked merchants."""
    merchant = case.merchant
    template = QualificationDocument.objects.filter(merchant=merchant).first()
    assert template is not None
    for index in range(n):
        doc = QualificationDocument.objects.get(pk=template.pk)
        doc.pk = None
        doc.uuid = uuid.uuid4()
        doc.number = f"N{index}"
        doc.save()
        PersonFactory(
            merchant=merchant,
            full_name=f"Owner {index}",
            is_beneficial_owner=True,
            ownership_percent=1,
        )
        ReviewCase.objects.create(merchant=merchant, state=CaseState.WITHDRAWN)
        other = MerchantFactory(registration_number=merchant.registration_number)
        PersonFactory(merchant=other, full_name=f"Owner {index}", ownership_percent=30)


def test_case_page_query_count_is_constant(
    reviewer_client: Any, two_category_case: ReviewCase, django_assert_max_num_queries: Any
) -> None:
    path = url(two_category_case)
    few = _queries(reviewer_client, path)
    _grow(two_category_case, 15)
    with django_assert_max_num_queries(few):
        response = reviewer_client.get(path)
    assert len(response.context["documents"]) >= 17
    assert len(response.context["linked_merchants"]) >= 15


def test_case_page_shows_capability_controls_ownership_links_and_shortcuts(
    reviewer_client: Any, two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    merchant = case.merchant
    PersonFactory(
        merchant=merchant,
        full_name="Harbor Holdings Ltd",
        ownership_percent=30,
        is_beneficial_owner=True,
        control_type="voting_rights",
    )
    holding = MerchantFactory(legal_name="Harbor Holdings Ltd")
    PersonFactory(
        merchant=holding, full_name="Zhang San", ownership_percent=80, is_beneficial_owner=True
    )
    twin = MerchantFactory(
        legal_name="Twin Trading", registration_number=merchant.registration_number
    )
    services.comment_add(
        actor=reviewer, case_id=case.pk, body="Looks clean.", visibility="internal"
    )
    html = reviewer_client.get(url(case)).content.decode()
    assert 'id="capabilities"' in html
    assert html.count('class="cap-decide"') == 3  # sell, apparel, electronics
    assert "owner-major" in html and "control-person" in html
    assert 'id="ownership-tree"' in html and "Zhang San" in html  # nested owner of an owner
    assert "Twin Trading" in html and f"#{twin.pk}" in html
    assert 'id="internal-notes"' in html and "Looks clean." in html
    assert 'id="seller-comments"' in html
    assert "js/shortcuts.js" in html and "<kbd>j</kbd>" in html
    assert 'data-validate="reject"' in html
    assert "<script>" not in html  # no inline scripts


def test_capability_rejection_without_reasons_is_refused_by_the_page(
    reviewer_client: Any, two_category_case: ReviewCase
) -> None:
    case = two_category_case
    electronics = case.capabilities.get(category__code="electronics")
    action = reverse("cases:case_decide_capability", kwargs={"case_id": case.pk})
    response = reviewer_client.post(
        action, {"seen_state": case.state, "capability": electronics.pk, "decision": "reject"}
    )
    assert response.status_code == 400
    assert not CapabilityDecision.objects.exists()
    response = reviewer_client.post(
        action,
        {
            "seen_state": case.state,
            "capability": electronics.pk,
            "decision": "reject",
            "reason_codes": ["unauthorized_brand"],
            "rationale": "No authorization.",
        },
    )
    assert response.status_code == 302
    assert CapabilityDecision.objects.get().severity == "retry"


def test_another_reviewer_cannot_decide_a_capability_on_the_page(
    other_reviewer_client: Any, two_category_case: ReviewCase
) -> None:
    case = two_category_case
    apparel = case.capabilities.get(category__code="apparel")
    response = other_reviewer_client.post(
        reverse("cases:case_decide_capability", kwargs={"case_id": case.pk}),
        {"seen_state": case.state, "capability": apparel.pk, "decision": "approve"},
    )
    assert response.status_code == 403
    assert not CapabilityDecision.objects.exists()


@pytest.mark.parametrize(
    ("language", "reason", "verdict"),
    [
        ("en", "The brand authorization does not cover this seller.", "you may fix and apply"),
        ("zh-hans", "品牌授权未覆盖该商家。", "可以修改后重新申请"),
    ],
)
def test_seller_sees_which_capability_was_rejected_and_why(
    seller_client: Any,
    two_category_case: ReviewCase,
    reviewer: Any,
    language: str,
    reason: str,
    verdict: str,
) -> None:
    case = two_category_case
    electronics = case.capabilities.get(category__code="electronics")
    capability_decide(
        actor=reviewer,
        case_id=case.pk,
        capability_id=electronics.pk,
        decision="reject",
        reason_codes=["unauthorized_brand"],
        rationale="Internal: distributor letter missing.",
    )
    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk)
    assert case.capabilities.get(category__code="apparel").status == CapabilityStatus.ACTIVE
    page = reverse("cases:merchant_detail", kwargs={"merchant_id": case.merchant_id})
    seller_client.post("/i18n/setlang/", {"language": language, "next": page})
    html = seller_client.get(page).content.decode()
    card = html.split('data-capability="category.electronics"')[1].split("</article>")[0]
    assert reason in card
    assert verdict in card
    assert "distributor letter missing" not in html  # the rationale stays internal
    apparel_card = html.split('data-capability="category.apparel"')[1].split("</article>")[0]
    assert "cap-rejection" not in apparel_card
