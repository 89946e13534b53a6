"""QC pages: who sees what, the review form's refusals, draws, the dashboard and its CSV."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import CaseState, QcDispute, QcDraw, QcReview
from cases.qc.services import qc_dispute_raise, qc_review_complete
from tests.cases.qc_helpers import decided_case, queued_review, rule
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FINDING = {
    "outcome": "disagree",
    "error_category": "poor_rationale",
    "severity": "minor",
    "comment": "The rationale does not say why the address proof was enough.",
}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def review(reviewer: Any) -> QcReview:
    return queued_review(decided_case(maker=reviewer))


@pytest.fixture
def finding(review: QcReview, qc_lead: Any) -> QcReview:
    return qc_review_complete(actor=qc_lead, review_id=review.pk, **FINDING)


def _all_urls(review: QcReview) -> list[tuple[str, str]]:
    return [
        ("get", reverse("qc:queue")),
        ("get", reverse("qc:review", args=[review.pk])),
        ("get", reverse("qc:findings")),
        ("get", reverse("qc:disputes")),
        ("get", reverse("qc:dashboard")),
        ("get", reverse("qc:dashboard_csv")),
        ("post", reverse("qc:draw")),
        ("post", reverse("qc:review", args=[review.pk])),
        ("post", reverse("qc:dispute_raise", args=[review.pk])),
        ("post", reverse("qc:dispute_decide", args=[1])),
    ]


def test_sellers_get_404_on_every_qc_page(seller_client: Client, finding: QcReview) -> None:
    for method, url in _all_urls(finding):
        response = getattr(seller_client, method)(url)
        assert response.status_code == 404, url
    assert not QcDraw.objects.exists()


def test_a_qc_lead_sees_every_page(qc_client: Client, finding: QcReview) -> None:
    for _method, url in _all_urls(finding)[:6]:
        assert qc_client.get(url).status_code == 200, url


def test_a_reviewer_sees_only_findings_on_their_own_decisions(
    reviewer_client: Client, other_reviewer_client: Client, finding: QcReview, reviewer: Any
) -> None:
    page = reviewer_client.get(reverse("qc:findings"))
    assert page.status_code == 200
    assert FINDING["comment"] in page.content.decode()
    assert reviewer_client.get(reverse("qc:review", args=[finding.pk])).status_code == 200
    other = other_reviewer_client.get(reverse("qc:findings"))
    assert FINDING["comment"] not in other.content.decode()
    assert other_reviewer_client.get(reverse("qc:review", args=[finding.pk])).status_code == 404
    for name in ("qc:queue", "qc:disputes", "qc:dashboard", "qc:dashboard_csv"):
        assert reviewer_client.get(reverse(name)).status_code == 403, name


def test_the_queue_lists_pending_reviews_and_recent_draws(
    qc_client: Client, review: QcReview
) -> None:
    body = qc_client.get(reverse("qc:queue")).content.decode()
    assert f"QC-{review.pk}" in body
    assert review.case.merchant.legal_name in body
    assert "Draw sample" in body


def test_drawing_from_the_page_records_the_seed(qc_client: Client, reviewer: Any) -> None:
    rule("all", rate="1")
    case = decided_case(maker=reviewer)
    response = qc_client.post(reverse("qc:draw"), {"seed": "7"})
    assert response.status_code == 302
    draw = QcDraw.objects.get()
    assert draw.seed == 7 and draw.sampled_case_ids == [case.pk]
    again = qc_client.post(reverse("qc:draw"), {"seed": "7"}, follow=True)
    assert "0 new in the queue" in again.content.decode()
    assert QcReview.objects.count() == 1


def test_a_bad_draw_window_shows_the_error_next_to_the_field(qc_client: Client) -> None:
    response = qc_client.post(reverse("qc:draw"), {"since": "2025-03-05", "until": "2025-03-01"})
    assert response.status_code == 400
    assert "Must be after the start of the window." in response.content.decode()
    assert not QcDraw.objects.exists()


def test_the_maker_sees_why_they_cannot_qc_their_decision_and_cannot_post_it() -> None:
    lead = make_user(Role.QC_LEAD)
    review = queued_review(decided_case(maker=lead))
    client = _client(lead)
    page = client.get(reverse("qc:review", args=[review.pk]))
    assert "you cannot QC it" in page.content.decode()
    assert "Record QC review" not in page.content.decode()
    response = client.post(reverse("qc:review", args=[review.pk]), {"outcome": "agree"})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == "pending"
    assert not AuditEvent.objects.filter(action="qc.completed").exists()


def test_a_disagreement_without_category_shows_errors_next_to_fields(
    qc_client: Client, review: QcReview
) -> None:
    response = qc_client.post(reverse("qc:review", args=[review.pk]), {"outcome": "disagree"})
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("error_category", "severity", "comment"):
        assert re.search(rf'data-field="{field}"[^>]*>', body)
        assert f'id="id_{field}_errors"' in body
    review.refresh_from_db()
    assert review.status == "pending"


def test_a_critical_finding_from_the_page_reopens_the_case(
    qc_client: Client, review: QcReview
) -> None:
    response = qc_client.post(
        reverse("qc:review", args=[review.pk]), {**FINDING, "severity": "critical"}, follow=True
    )
    assert response.status_code == 200
    assert "reopened case" in response.content.decode()
    review.case.refresh_from_db()
    assert review.case.state == CaseState.IN_REVIEW


def test_the_maker_disputes_once_from_the_findings_page(
    reviewer_client: Client, finding: QcReview
) -> None:
    url = reverse("qc:dispute_raise", args=[finding.pk])
    assert reviewer_client.post(url, {"reason": ""}).status_code == 400
    assert reviewer_client.post(url, {"reason": "It was fine."}).status_code == 302
    assert reviewer_client.post(url, {"reason": "Again."}).status_code == 409
    assert QcDispute.objects.count() == 1
    page = reviewer_client.get(reverse("qc:findings")).content.decode()
    assert "Dispute this finding" not in page and "It was fine." in page


def _dispute_card(page: str, dispute: QcDispute) -> str:
    match = re.search(rf'<article[^>]*id="dispute-{dispute.pk}".*?</article>', page, re.S)
    assert match, page
    return match.group(0)


def _submit_rendered_form(client: Client, card: str, choices: dict[str, str]) -> Any:
    """Posts the card's form as a browser would: to its action, with its own field names
    (the CSRF token included), filling in `choices`."""
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', card, re.S)
    assert form, card
    action, body = form.group(1), form.group(2)
    names = set(re.findall(r'name="([^"]+)"', body))
    assert set(choices) <= names, names
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    return client.post(action, {**data, **choices})


def test_the_lead_who_made_the_finding_sees_who_decides_and_no_dead_button(
    qc_client: Client, finding: QcReview, reviewer: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was fine.")
    card = _dispute_card(qc_client.get(reverse("qc:disputes")).content.decode(), dispute)
    assert "You made this finding" in card
    assert "a compliance admin decides it" in card
    assert "<button" not in card and "disabled" not in card  # nothing to press that does nothing
    response = qc_client.post(
        reverse("qc:dispute_decide", args=[dispute.pk]), {"status": "upheld", "comment": "x"}
    )
    assert response.status_code == 403
    other = _client(make_user(Role.QC_LEAD))
    response = other.post(
        reverse("qc:dispute_decide", args=[dispute.pk]),
        {"status": "dismissed", "comment": "The finding stands."},
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "dismissed"


def test_the_dashboard_states_what_the_sample_proves(
    qc_client: Client, finding: QcReview, qc_lead: Any, reviewer: Any
) -> None:
    body = qc_client.get(reverse("qc:dashboard")).content.decode()
    assert "59 clean files give 95% confidence that the error rate is under 5%" in body
    assert "Errors in 1 QC reviews: 1. With 95% confidence the error rate is below 100%." in body
    assert "58 more clean QC reviews are needed" not in body  # one error: more than 59 needed
    assert "<svg" in body and "<polyline" in body
    assert "style=" not in body
    assert "<script>" not in body


def _reviews(n: int, lead: Any, makers: list[Any]) -> None:
    for i in range(n):
        review = queued_review(decided_case(maker=makers[i % len(makers)]))
        qc_review_complete(
            actor=lead, review_id=review.pk, **(FINDING if i % 3 else {"outcome": "agree"})
        )


def test_a_clean_sample_states_its_bound_and_what_is_still_needed(
    qc_client: Client, review: QcReview, qc_lead: Any
) -> None:
    qc_review_complete(actor=qc_lead, review_id=review.pk, outcome="agree")
    body = qc_client.get(reverse("qc:dashboard")).content.decode()
    assert "0 errors in 1 QC reviews: with 95% confidence the error rate is below 95%." in body
    assert "58 more clean QC reviews are needed to prove an error rate under 5%." in body


def test_the_dashboard_query_count_does_not_grow_with_the_data(
    qc_client: Client,
    qc_lead: Any,
    reviewer: Any,
    django_assert_max_num_queries: Any,
) -> None:
    _reviews(2, qc_lead, [reviewer])
    url = reverse("qc:dashboard")
    with django_assert_max_num_queries(12) as small:
        assert qc_client.get(url).status_code == 200
    makers = [make_user(Role.REVIEWER) for _ in range(5)]
    _reviews(30, qc_lead, makers)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert qc_client.get(url).status_code == 200


def test_the_csv_export_has_one_row_per_reviewer_and_week(
    qc_client: Client, finding: QcReview, reviewer: Any
) -> None:
    response = qc_client.get(reverse("qc:dashboard_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("week_start,iso_week,reviewer,reviewed,agree,findings")
    assert len(lines) == 2
    assert f",{reviewer.username},1,0,1,0,1,0.0," in lines[1]


def test_with_one_qc_lead_the_compliance_admin_decides_from_the_page(
    finding: QcReview, reviewer: Any, admin_user: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was fine.")
    admin = _client(admin_user)
    card = _dispute_card(admin.get(reverse("qc:disputes")).content.decode(), dispute)
    assert 'type="submit"' in card and ">Decide<" in card
    refused = _submit_rendered_form(admin, card, {"status": "upheld", "comment": ""})
    assert refused.status_code == 400
    dispute.refresh_from_db()
    assert dispute.status == "open"
    response = _submit_rendered_form(
        admin, card, {"status": "upheld", "comment": "The rationale was enough."}
    )
    assert response.status_code == 302 and response["Location"] == reverse("qc:disputes")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.decided_by) == ("upheld", admin_user)
    page = admin.get(reverse("qc:disputes")).content.decode()
    assert "No open dispute." in page


def test_the_admin_sees_who_decides_while_another_qc_lead_can(
    finding: QcReview, reviewer: Any, admin_user: Any
) -> None:
    dispute = qc_dispute_raise(actor=reviewer, review_id=finding.pk, reason="It was fine.")
    other = make_user(Role.QC_LEAD, username="lead-two")
    admin = _client(admin_user)
    card = _dispute_card(admin.get(reverse("qc:disputes")).content.decode(), dispute)
    assert "<button" not in card and "lead-two" in card
    response = admin.post(
        reverse("qc:dispute_decide", args=[dispute.pk]), {"status": "upheld", "comment": "x"}
    )
    assert response.status_code == 403
    lead_card = _dispute_card(_client(other).get(reverse("qc:disputes")).content.decode(), dispute)
    response = _submit_rendered_form(
        _client(other), lead_card, {"status": "dismissed", "comment": "The finding stands."}
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.decided_by) == ("dismissed", other)
