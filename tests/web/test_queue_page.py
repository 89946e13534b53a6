"""The queue page: tabs with counts, SLA ordering, breaches, filters, next case, reassignment
and the availability toggle."""

from __future__ import annotations

from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import CaseState, ReviewCase
from tests.cases.test_queues import default_queues, open_case
from tests.factories import make_user

__all__ = ["default_queues"]


def test_the_queue_page_lists_queues_with_counts_and_marks_breaches(
    default_queues, reviewer_client
):
    breached = open_case(due_in_hours=-2)
    open_case(due_in_hours=4)
    response = reviewer_client.get(reverse("cases:queue"), {"code": "onboarding-standard"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Onboarding: standard" in body and "1 breached" in body
    assert body.index(f"#{breached.pk}<") < body.index("</tbody>")
    assert "is-breached" in body
    assert "data-next-case" in body and "js/next-case.js" in body
    assert "<script>" not in body  # no inline script


def test_search_by_registration_number_and_case_id(default_queues, reviewer_client):
    wanted = open_case()
    other = open_case()
    wanted.merchant.registration_number = "UNIQUE-REG-1"
    wanted.merchant.save()
    page = reviewer_client.get(reverse("cases:queue"), {"q": "UNIQUE-REG-1"}).content.decode()
    assert f"#{wanted.pk}<" in page and f"#{other.pk}<" not in page
    page = reviewer_client.get(reverse("cases:queue"), {"q": str(other.pk)}).content.decode()
    assert f"#{other.pk}<" in page and f"#{wanted.pk}<" not in page


def test_the_queue_page_query_count_is_constant(
    default_queues, reviewer_client, django_assert_max_num_queries
):
    for _ in range(5):
        open_case()
    with django_assert_max_num_queries(20) as few:
        assert reviewer_client.get(reverse("cases:queue")).status_code == 200
    for _ in range(50):
        open_case(assignee=make_user(Role.REVIEWER), state=CaseState.IN_REVIEW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert reviewer_client.get(reverse("cases:queue")).status_code == 200


def test_next_case_opens_the_claimed_case(default_queues, reviewer, reviewer_client):
    case = open_case()
    response = reviewer_client.post(reverse("cases:next_case"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert ReviewCase.objects.get(pk=case.pk).assignee == reviewer
    ReviewCase.objects.filter(pk=case.pk).update(state=CaseState.WITHDRAWN)
    empty = reviewer_client.post(reverse("cases:next_case"))
    assert empty.status_code == 302 and empty["Location"] == reverse("cases:queue")


def test_next_case_reopens_the_most_urgent_held_case_with_a_message(
    default_queues, reviewer, reviewer_client
):
    open_case(due_in_hours=1)  # waiting, unassigned
    open_case(due_in_hours=20, state=CaseState.IN_REVIEW, assignee=reviewer)
    urgent = open_case(due_in_hours=4, state=CaseState.IN_REVIEW, assignee=reviewer)
    response = reviewer_client.post(
        reverse("cases:next_case"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.redirect_chain[0][0] == reverse(
        "cases:case_detail", kwargs={"case_id": urgent.pk}
    )
    page = response.content.decode()
    assert f"Case #{urgent.pk} is the most urgent of the cases you hold." in page
    assert "No case is waiting" not in page
    assert ReviewCase.objects.filter(assignee=reviewer).count() == 2  # nothing pulled


def test_sellers_cannot_take_cases(default_queues, seller_client):
    case = open_case()
    response = seller_client.post(reverse("cases:next_case"))
    assert response.status_code == 404  # the workbench is a staff area
    assert ReviewCase.objects.get(pk=case.pk).assignee is None


def test_a_senior_reassigns_from_the_case_page(default_queues, senior_client, reviewer):
    case = open_case(state=CaseState.IN_REVIEW, assignee=make_user(Role.REVIEWER))
    page = senior_client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert 'name="assignee"' in page.content.decode()
    response = senior_client.post(
        reverse("cases:case_reassign", kwargs={"case_id": case.pk}), {"assignee": reviewer.pk}
    )
    assert response.status_code == 302
    assert ReviewCase.objects.get(pk=case.pk).assignee == reviewer


def test_a_reviewer_has_no_reassign_form_and_is_refused(
    default_queues, reviewer, reviewer_client, other_reviewer
):
    case = open_case(state=CaseState.IN_REVIEW, assignee=reviewer)
    page = reviewer_client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert 'name="assignee"' not in page.content.decode()
    response = reviewer_client.post(
        reverse("cases:case_reassign", kwargs={"case_id": case.pk}),
        {"assignee": other_reviewer.pk},
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


def test_the_availability_toggle_in_the_nav(default_queues, reviewer, reviewer_client):
    page = reviewer_client.get(reverse("cases:queue")).content.decode()
    assert reverse("cases:availability") in page
    reviewer_client.post(reverse("cases:availability"), {"is_available": "0"})
    reviewer.refresh_from_db()
    assert reviewer.is_available is False


def test_next_case_on_the_case_page_moves_to_another_held_case(
    default_queues, reviewer, reviewer_client
):
    viewing = open_case(due_in_hours=1, state=CaseState.IN_REVIEW, assignee=reviewer)
    other = open_case(due_in_hours=9, state=CaseState.IN_REVIEW, assignee=reviewer)
    page = reviewer_client.get(reverse("cases:case_detail", kwargs={"case_id": viewing.pk}))
    assert f'name="current" value="{viewing.pk}"' in page.content.decode()
    response = reviewer_client.post(reverse("cases:next_case"), {"current": viewing.pk})
    assert response["Location"] == reverse("cases:case_detail", kwargs={"case_id": other.pk})
    alone = reviewer_client.post(
        reverse("cases:next_case"), {"current": other.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert alone["Location"] == reverse("cases:case_detail", kwargs={"case_id": viewing.pk})
