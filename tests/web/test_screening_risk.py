"""The case page's sanctions screening and risk sections: hits with their dispositions, the
approval block, the risk breakdown and the reviewer's override, in a constant number of
queries."""

from __future__ import annotations

import html as htmllib
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cases import screening
from cases.models import CaseState, ReviewCase
from kyc.models import Disposition, SanctionsList, ScreeningMatch
from merchants.models import Person
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.conftest import accept_documents
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _case_url(case: ReviewCase) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def _post(client: Any, case: ReviewCase, action: str, data: dict[str, Any]) -> Any:
    return client.post(reverse(f"cases:case_{action}", args=[case.pk]), data)


def _page(client: Any, case: ReviewCase) -> str:
    response = client.get(_case_url(case))
    assert response.status_code == 200
    return htmllib.unescape(response.content.decode())


@pytest.fixture
def hit(claimed_case: ReviewCase) -> ScreeningMatch:
    entry = make_entry(
        make_list(),
        "GOLDEN HARBOR TRADING LIMITED",
        aliases=["GOLDEN HARBOUR CO"],
        programs=["SDGT", "IRAN-EO13902"],
    )
    match = make_match(claimed_case.merchant, entry, screened_name="Golden Harbour Trading Ltd")
    match.matched_name = "GOLDEN HARBOUR CO"
    match.explanation = "Harbour ~ Harbor (spelling variant); Ltd ~ Limited (legal form)"
    match.save()
    return match


def _approve(client: Any, case: ReviewCase) -> Any:
    return _post(
        client,
        case,
        "approve",
        {"approve-seen_state": "in_review", "approve-rationale": "Registry checked."},
    )


def _dispose(client: Any, case: ReviewCase, match: ScreeningMatch, **data: Any) -> Any:
    body = {"seen_state": case.state, "match": match.pk, **data}
    return _post(client, case, "dispose_screening", body)


def test_the_case_page_shows_each_hit_with_what_matched_and_why(reviewer_client, claimed_case, hit):
    html = _page(reviewer_client, claimed_case)
    assert 'id="screening"' in html and f'id="match-{hit.pk}"' in html
    assert "Golden Harbour Trading Ltd → GOLDEN HARBOUR CO" in html
    assert "alias of GOLDEN HARBOR TRADING LIMITED" in html
    assert hit.entry.list_id in html and "92/100" in html
    assert "SDGT, IRAN-EO13902" in html
    assert "Harbour ~ Harbor (spelling variant)" in html
    assert "Awaiting disposition" in html
    assert "Not approvable yet — sanctions screening hits await disposition:" in html
    assert 'name="comment"' in html  # the holder gets the disposition form


def test_approval_on_the_page_is_refused_while_a_hit_is_open_then_allowed(
    reviewer_client, claimed_case, hit
):
    accept_documents(claimed_case, claimed_case.assignee)
    response = _approve(reviewer_client, claimed_case)
    assert response.status_code == 409
    assert "sanctions screening hits await disposition" in htmllib.unescape(
        response.content.decode()
    )
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.IN_REVIEW

    response = _dispose(
        reviewer_client,
        claimed_case,
        hit,
        status="false_positive",
        comment="Listed entity is registered in another country with another number.",
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#screening")
    html = _page(reviewer_client, claimed_case)
    assert "The screening hit was disposed of." in html
    assert "Listed entity is registered in another country" in html

    assert _approve(reviewer_client, claimed_case).status_code == 302
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.APPROVED


def test_a_disposition_without_a_comment_is_shown_next_to_the_field(
    reviewer_client, claimed_case, hit
):
    response = _dispose(reviewer_client, claimed_case, hit, status="false_positive", comment="")
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_match{hit.pk}_comment_errors"' in html
    hit.refresh_from_db()
    assert hit.status == Disposition.OPEN
    assert not AuditEvent.objects.filter(action="screening.disposed").exists()


def test_a_reviewer_who_does_not_hold_the_case_cannot_dispose(
    other_reviewer_client, claimed_case, hit
):
    html = _page(other_reviewer_client, claimed_case)
    assert "Record the disposition" not in html
    response = _dispose(
        other_reviewer_client, claimed_case, hit, status="false_positive", comment="x"
    )
    assert response.status_code == 403
    hit.refresh_from_db()
    assert hit.status == Disposition.OPEN


def test_the_page_shows_who_disposed_and_when(reviewer_client, reviewer, claimed_case, hit):
    screening.screening_dispose(
        actor=reviewer,
        case_id=claimed_case.pk,
        match_id=hit.pk,
        status="inconclusive",
        comment="Registry offline.",
    )
    html = _page(reviewer_client, claimed_case)
    assert f"Inconclusive · {reviewer.username}" in html
    assert "Registry offline." in html
    assert "Change the disposition" in html
    assert "Screening hit disposed" in html  # in the history


def test_the_risk_breakdown_lists_each_factor_with_points_total_and_tier(
    reviewer_client, claimed_case
):
    merchant = claimed_case.merchant
    merchant.business_model = "p2p_merchant"
    merchant.save()
    Person.objects.filter(merchant=merchant).update(is_pep=True)
    screening.case_score(case_id=claimed_case.pk)
    html = _page(reviewer_client, claimed_case)
    assert 'id="risk"' in html
    assert "business_model_p2p" in html and "+25" in html
    assert "Li Wei declared as a politically exposed person." in html and "+60" in html
    assert "ownership_unaccounted" in html and "+10" in html
    assert "<strong>95</strong>" in html
    assert "computed tier: High" in html


def test_before_scoring_the_page_shows_the_provisional_factors(reviewer_client, ready_case, seller):
    from cases.services import case_claim, case_submit
    from tests.factories import make_user

    Person.objects.filter(merchant=ready_case.merchant).update(is_pep=True)
    case_submit(actor=seller, case_id=ready_case.pk)
    case_claim(actor=make_user("reviewer"), case_id=ready_case.pk)
    html = _page(reviewer_client, ready_case)
    assert "Provisional: computed at submission" in html and "+60" in html


def test_the_holder_overrides_the_tier_on_the_page_with_a_comment(
    reviewer_client, reviewer, claimed_case
):
    screening.case_score(case_id=claimed_case.pk)
    response = _post(
        reviewer_client,
        claimed_case,
        "override_risk",
        {"override-risk-seen_state": "in_review", "override-risk-tier": "medium"},
    )
    assert response.status_code == 400
    assert 'id="id_override-risk-comment_errors"' in response.content.decode()

    response = _post(
        reviewer_client,
        claimed_case,
        "override_risk",
        {
            "override-risk-seen_state": "in_review",
            "override-risk-tier": "medium",
            "override-risk-comment": "Adverse media on the director.",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#risk")
    html = _page(reviewer_client, claimed_case)
    assert "Tier overridden to Medium (computed: Low)" in html
    assert "Adverse media on the director." in html
    assert "Risk tier overridden" in html  # history
    assert AuditEvent.objects.filter(action="case.risk_overridden").count() == 1


def test_raising_the_tier_on_the_page_sends_the_case_to_edd(reviewer_client, claimed_case):
    screening.case_score(case_id=claimed_case.pk)
    response = _post(
        reviewer_client,
        claimed_case,
        "override_risk",
        {
            "override-risk-seen_state": "in_review",
            "override-risk-tier": "high",
            "override-risk-comment": "Nominee shareholders.",
        },
    )
    assert response.status_code == 302
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    assert (case.state, case.requires_four_eyes, case.assignee) == ("edd", True, None)


def test_lowering_a_high_tier_by_an_l1_reviewer_is_refused_with_403(
    reviewer_client, ready_case, seller, reviewer
):
    from cases.services import case_claim, case_submit

    Person.objects.filter(merchant=ready_case.merchant).update(is_pep=True)
    case_submit(actor=seller, case_id=ready_case.pk)
    case_claim(actor=reviewer, case_id=ready_case.pk)
    response = _post(
        reviewer_client,
        ready_case,
        "override_risk",
        {
            "override-risk-seen_state": "in_review",
            "override-risk-tier": "low",
            "override-risk-comment": "PEP role ended.",
        },
    )
    assert response.status_code == 403
    assert "Only a senior reviewer lowers a high or prohibited risk tier." in (
        htmllib.unescape(response.content.decode())
    )


def test_sellers_never_see_screening_or_risk(seller_client, claimed_case, hit):
    response = seller_client.get(reverse("cases:seller_case", args=[claimed_case.pk]))
    html = response.content.decode()
    assert "GOLDEN" not in html and "screening" not in html.lower()


def test_the_sections_are_translated(reviewer_client, reviewer, claimed_case, hit):
    Person.objects.filter(merchant=claimed_case.merchant).update(is_pep=True)
    screening.case_score(case_id=claimed_case.pk)
    reviewer_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = _page(reviewer_client, ReviewCase.objects.get(pk=claimed_case.pk))
    assert "制裁名单筛查" in html and "待处置" in html
    assert "Li Wei 自行申报为政治公众人物 (PEP)。" in html


def _many_hits_and_factors(case: ReviewCase, count: int) -> None:
    sdn = SanctionsList.objects.filter(is_active=True).first() or make_list()
    merchant = case.merchant
    for _ in range(count):
        person = PersonFactory(merchant=merchant, is_legal_representative=False, is_pep=True)
        entry = make_entry(sdn, f"LISTED {person.full_name.upper()}")
        make_match(merchant, entry, person=person)
        make_match(merchant, entry, screened_name=f"Alias of {person.full_name}", score=86)


def test_the_case_page_query_count_stays_constant_with_many_hits_and_factors(
    reviewer_client, claimed_case, django_assert_max_num_queries
):
    _many_hits_and_factors(claimed_case, 2)
    screening.case_score(case_id=claimed_case.pk)
    url = _case_url(claimed_case)
    with CaptureQueriesContext(connection) as few:
        assert reviewer_client.get(url).status_code == 200

    _many_hits_and_factors(claimed_case, 30)  # 60 more hits, 30 more PEP factors
    screening.case_score(case_id=claimed_case.pk)
    case = ReviewCase.objects.get(pk=claimed_case.pk)
    assert ScreeningMatch.objects.filter(merchant=case.merchant).count() == 64
    assert len(case.risk_assessment.factors) >= 33
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = reviewer_client.get(url)
    assert len(response.context["screening_matches"]) == 64
    assert len(response.context["risk_factors"]) >= 33
