"""The case page and the API make an approval rest on a look: no approve-without-opening, a
note next to the field for a warned document, accept-all-clean naming what it accepts,
"document viewed" once per reviewer per document version, rejection reasons by kind, and the
four-eyes agreement on a strong hit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import CaseState, ReviewCase
from kyc.models import (
    CheckOutcome,
    DocumentCheckResult,
    DocumentView,
    QualificationDocument,
    ScreeningMatch,
)
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.conftest import accept_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(db: Any) -> Any:
    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


def _doc(case: ReviewCase, code: str) -> QualificationDocument:
    return QualificationDocument.objects.get(merchant=case.merchant, document_type__code=code)


def _checked(doc: QualificationDocument, outcome: str) -> None:
    """Sets the outcome of the document's expiry check (the submitted case's checks already
    ran: tests/conftest.py screen_and_check)."""
    DocumentCheckResult.objects.update_or_create(
        document=doc,
        check_name="expiry",
        defaults={"outcome": outcome, "code": f"expiry_{outcome}"},
    )
    QualificationDocument.objects.filter(pk=doc.pk).update(checks_completed_at=timezone.now())


def _page(client: Any, case: ReviewCase) -> str:
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_queue_offers_no_approve_without_opening_the_case(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    html = reviewer_client.get(reverse("cases:queue")).content.decode()
    assert "/approve/" not in html
    assert 'data-shortcut="a"' not in html


def test_the_approve_panel_is_closed_and_names_the_undecided_documents(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    html = _page(reviewer_client, claimed_case)
    blockers = html[html.index('id="document-blockers"') :]
    blockers = blockers[: blockers.index("</div>")]
    for code in ("business_license", "identity_document"):
        assert f"#document-{_doc(claimed_case, code).pk}" in blockers
    assert re.search(r'<details class="decision decision-approve"\s*>', html)


def test_approving_from_the_page_with_undecided_documents_is_409_and_says_why(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    response = reviewer_client.post(
        reverse("cases:case_approve", args=[claimed_case.pk]),
        {"approve-seen_state": "in_review", "approve-rationale": "ok"},
    )
    assert response.status_code == 409
    assert "every document must be accepted or rejected first" in response.content.decode()
    assert ReviewCase.objects.get(pk=claimed_case.pk).state == CaseState.IN_REVIEW


def test_a_missing_note_is_shown_next_to_the_field(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    doc = _doc(claimed_case, "business_license")
    _checked(doc, CheckOutcome.WARNING)
    html = _page(reviewer_client, claimed_case)
    assert "Note (needed to accept: the checks warned or failed)" in html
    response = reviewer_client.post(
        reverse("cases:case_decide_document", args=[claimed_case.pk]),
        {"seen_state": "in_review", "document": doc.pk, "decision": "accept", "note": ""},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_doc{doc.pk}_note_errors"' in body
    assert not doc.decisions.exists()


def test_the_document_form_marks_what_is_needed_and_offers_document_reasons_only(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    """The reason is needed for a rejection (the service says so): never "(optional)"; the
    note is needed to accept a warned document: never "(optional)" there either."""
    warned = _doc(claimed_case, "identity_document")
    _checked(warned, CheckOutcome.WARNING)
    html = _page(reviewer_client, claimed_case)
    doc = _doc(claimed_case, "business_license")
    card = html[html.index(f'id="document-{doc.pk}"') :]
    card = card[: card.index("</article>")]
    form = card[card.index("<form") :]
    reason_label = form[form.index(f'for="id_doc{doc.pk}_reason_code"') :]
    reason_label = reason_label[: reason_label.index("</label>")]
    assert "Reason (needed for a rejection)" in reason_label
    assert "(optional)" not in reason_label
    warned_card = html[html.index(f'id="document-{warned.pk}"') :]
    warned_card = warned_card[: warned_card.index("</article>")]
    note_label = warned_card[warned_card.index(f'for="id_doc{warned.pk}_note"') :]
    note_label = note_label[: note_label.index("</label>")]
    assert "needed to accept" in note_label and "(optional)" not in note_label
    select = form[form.index(f'id="id_doc{doc.pk}_reason_code"') :]
    select = select[: select.index("</select>")]
    assert 'value="doc_illegible"' in select
    for case_reason in ("prohibited_business", "sanctions_match", "rfi_source_of_funds"):
        assert f'value="{case_reason}"' not in select
    reject = html[html.index('data-validate="reject"') :]
    reject = reject[: reject.index("</form>")]
    assert 'value="prohibited_business"' in reject
    assert 'value="doc_illegible"' not in reject


def test_accept_all_clean_from_the_page_names_what_it_accepted_and_skipped(
    reviewer_client: Any, claimed_case: ReviewCase
) -> None:
    clean, warned = _doc(claimed_case, "business_license"), _doc(claimed_case, "identity_document")
    _checked(clean, CheckOutcome.PASSED)
    _checked(warned, CheckOutcome.FAILED)
    html = _page(reviewer_client, claimed_case)
    form = html[html.index('class="accept-clean"') :]
    form = form[: form.index("</form>")]
    assert f"#{clean.pk}" in form and f"#{warned.pk}" not in form
    response = reviewer_client.post(
        reverse("cases:case_accept_clean", args=[claimed_case.pk]),
        {"accept-clean-seen_state": "in_review"},
        follow=True,
    )
    body = response.content.decode()
    assert f"Accepted 1 clean document(s): Business license #{clean.pk}." in body
    assert f"#{warned.pk}." in body
    assert list(claimed_case.document_decisions.values_list("document_id", flat=True)) == [clean.pk]


def test_accept_all_clean_over_the_api(client_for: Any, reviewer: Any, claimed_case: Any) -> None:
    clean, warned = _doc(claimed_case, "business_license"), _doc(claimed_case, "identity_document")
    _checked(clean, CheckOutcome.PASSED)
    _checked(warned, CheckOutcome.WARNING)
    api: APIClient = client_for(reviewer)
    response = api.post(f"/api/v1/cases/{claimed_case.pk}/documents/accept-clean/")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()["accepted"]] == [clean.pk]
    assert response.json()["skipped"] == [
        {
            "id": warned.pk,
            "document_type": "identity_document",
            "label": warned.document_type.name,
            "reason": "checks_warned_or_failed",
        }
    ]
    refused = api.post(f"/api/v1/cases/{claimed_case.pk}/approve/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "documents_undecided"
    no_note = api.post(
        f"/api/v1/cases/{claimed_case.pk}/documents/{warned.pk}/decision/",
        {"decision": "accept"},
        format="json",
    )
    assert no_note.status_code == 400
    assert no_note.json()["error"]["code"] == "document_note_required"
    assert no_note.json()["error"]["fields"] == {"note": ["Required."]}


def test_accept_all_clean_for_a_stranger_is_a_missing_case(
    client_for: Any, seller: Any, other_seller: Any, claimed_case: Any
) -> None:
    response = client_for(other_seller).post(
        f"/api/v1/cases/{claimed_case.pk}/documents/accept-clean/"
    )
    missing = client_for(other_seller).post("/api/v1/cases/999999/documents/accept-clean/")
    assert response.status_code == missing.status_code == 404
    assert not claimed_case.document_decisions.exists()


def test_document_viewed_is_one_event_per_reviewer_per_document_version(
    reviewer_client: Any,
    other_reviewer_client: Any,
    reviewer: Any,
    other_reviewer: Any,
    claimed_case: ReviewCase,
) -> None:
    doc = _doc(claimed_case, "business_license")
    url = reverse("kyc:document_file", args=[doc.pk]) + f"?case={claimed_case.pk}"
    for _load in range(3):
        assert reviewer_client.get(url).status_code == 200
    assert other_reviewer_client.get(url).status_code == 200
    events = AuditEvent.objects.filter(action="document.viewed", object_id=str(doc.pk))
    assert sorted(events.values_list("actor_id", flat=True)) == sorted(
        [reviewer.pk, other_reviewer.pk]
    )
    assert DocumentView.objects.filter(document=doc).count() == 2
    # Downloads stay one event each: a copy left the system.
    reviewer_client.get(url + "&download=1")
    reviewer_client.get(url + "&download=1")
    assert AuditEvent.objects.filter(action="document.downloaded").count() == 2


def test_the_report_lists_who_viewed_which_document_version(
    reviewer_client: Any, reviewer: Any, claimed_case: ReviewCase
) -> None:
    from cases.models import ReportTrigger, ReviewReport
    from cases.reports.context import report_context

    doc = _doc(claimed_case, "business_license")
    reviewer_client.get(reverse("kyc:document_file", args=[doc.pk]) + f"?case={claimed_case.pk}")
    report = ReviewReport.objects.create(
        case=claimed_case, version=1, trigger=ReportTrigger.CASE_APPROVED, language="en"
    )
    context = report_context(report)
    assert [(v.document_id, v.viewer_id) for v in context.document_views] == [(doc.pk, reviewer.pk)]
    from django.template.loader import render_to_string

    html = render_to_string("reports/review_report.html", context.as_dict())
    assert "Documents viewed" in html
    assert f"#{doc.pk}</td><td>{reviewer.username}</td>" in html


def test_a_strong_hit_is_agreed_on_the_page_by_a_second_person_not_the_proposer(
    reviewer_client: Any,
    other_reviewer_client: Any,
    reviewer: Any,
    other_reviewer: Any,
    claimed_case: ReviewCase,
) -> None:
    match = make_match(claimed_case.merchant, make_entry(make_list(), "LISTED CO"), score=100)
    response = reviewer_client.post(
        reverse("cases:case_dispose_screening", args=[claimed_case.pk]),
        {
            "seen_state": "in_review",
            "match": match.pk,
            "status": "false_positive",
            "comment": "Different registry number.",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "A strong hit stays open until a second staff member agrees." in body
    assert "You proposed it: someone else must agree." in body
    assert reverse("cases:case_agree_screening", args=[claimed_case.pk]) not in body
    refused = reviewer_client.post(
        reverse("cases:case_agree_screening", args=[claimed_case.pk]),
        {"seen_state": "in_review", "match": match.pk, "comment": ""},
    )
    assert refused.status_code == 403
    assert ScreeningMatch.objects.get(pk=match.pk).status == "open"

    other_page = _page(other_reviewer_client, claimed_case)
    assert reverse("cases:case_agree_screening", args=[claimed_case.pk]) in other_page
    agreed = other_reviewer_client.post(
        reverse("cases:case_agree_screening", args=[claimed_case.pk]),
        {"seen_state": "in_review", "match": match.pk, "comment": "Checked the registry."},
    )
    assert agreed.status_code == 302
    match.refresh_from_db()
    assert (match.status, match.agreed_by_id) == ("false_positive", other_reviewer.pk)


def test_a_strong_hit_agreement_over_the_api(
    client_for: Any, reviewer: Any, senior: Any, claimed_case: Any
) -> None:
    match = make_match(claimed_case.merchant, make_entry(make_list(), "LISTED CO"), score=97)
    base = f"/api/v1/cases/{claimed_case.pk}/screening-matches/{match.pk}"
    proposed = client_for(reviewer).post(
        f"{base}/disposition/",
        {"disposition": "false_positive", "comment": "Different entity."},
        format="json",
    )
    assert proposed.status_code == 200
    assert (proposed.json()["disposition"], proposed.json()["awaits_agreement"]) == ("open", True)
    same = client_for(reviewer).post(f"{base}/agreement/", {}, format="json")
    assert same.status_code == 403
    assert same.json()["error"]["code"] == "four_eyes_same_person"
    agreed = client_for(senior).post(f"{base}/agreement/", {"comment": "Agreed."}, format="json")
    assert agreed.status_code == 200
    assert agreed.json()["disposition"] == "false_positive"
    assert agreed.json()["agreed_by"]["username"] == senior.username
    accept_documents(claimed_case, reviewer)
    approved = client_for(reviewer).post(
        f"/api/v1/cases/{claimed_case.pk}/approve/", {}, format="json"
    )
    assert approved.status_code == 200
