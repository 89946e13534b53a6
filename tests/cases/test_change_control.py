"""One rule: a decision is about the data as it stands, and that data was screened and
checked. A change of the merchant's data while its case is open is recorded on that case,
re-screened and shown until the holder acknowledges it; approval waits for current
screening, finished checks, acknowledged changes and disposed hits (cases.readiness); a
case waiting for its checker goes back to its maker; every decision records a digest."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases import screening, services
from cases.decisions import capability_decide
from cases.details import case_acknowledge_changes
from cases.digest import data_digest
from cases.models import CaseDataChange, CaseState, ReviewCase
from cases.readiness import approval_blockers
from config.errors import Conflict, NotAllowed, NotFound
from kyc.models import DocumentType, ScreeningMatch
from kyc.services import document_run_checks, document_upload
from merchants.forms import MerchantForm
from merchants.models import Merchant
from tests.cases.screening_helpers import make_entry, make_list
from tests.conftest import accept_documents, login_verified, upload
from tests.factories import complete_edd_checklist, pdf_bytes

pytestmark = pytest.mark.django_db

SDN_NAME = "Banco Nacional de Cuba"


@pytest.fixture
def sdn(db: Any) -> Any:
    """The active list, loaded before the case is submitted, so the submission's screening
    runs against it (the real matcher)."""
    sanctions = make_list()
    make_entry(sanctions, SDN_NAME.upper(), programs=("CUBA",))
    return sanctions


@pytest.fixture
def held_case(sdn: Any, submitted_case: ReviewCase, senior: Any) -> ReviewCase:
    """A submitted onboarding case, screened clean, held by a senior reviewer (who may go on
    working it if a hit routes it to EDD)."""
    return services.case_claim(actor=senior, case_id=submitted_case.pk)


def api_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def refresh(case: ReviewCase) -> ReviewCase:
    return ReviewCase.objects.get(pk=case.pk)


def trail(case: ReviewCase) -> list[str]:
    return list(
        AuditEvent.objects.filter(case_id=case.pk).order_by("seq").values_list("action", flat=True)
    )


def answer_an_rfi(case: ReviewCase, holder: Any, seller: Any, capture: Any) -> None:
    services.case_request_info(actor=holder, case_id=case.pk, message="Please confirm the name.")
    with capture(execute=True):
        response = api_for(seller).post(
            f"/api/v1/cases/{case.pk}/resubmit/", {"answer": "Confirmed."}, format="json"
        )
    assert response.status_code == 200, response.content


# --------------------------------------------------------------------------- the rename


def test_a_rename_after_an_rfi_answer_is_on_the_case_rescreened_and_blocks_approval_over_the_api(
    held_case: ReviewCase,
    senior: Any,
    other_senior: Any,
    seller: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    answer_an_rfi(held_case, senior, seller, django_capture_on_commit_callbacks)
    assert refresh(held_case).state == CaseState.IN_REVIEW
    assert not ScreeningMatch.objects.filter(merchant_id=held_case.merchant_id).exists()
    events_before = AuditEvent.objects.filter(case_id=held_case.pk).count()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(seller).patch(
            f"/api/v1/merchants/{held_case.merchant_id}/", {"legal_name": SDN_NAME}, format="json"
        )
    assert response.status_code == 200

    # The change, on the case, with its before and after.
    (change,) = CaseDataChange.objects.filter(case=held_case)
    assert (change.field, change.before, change.after) == (
        "legal_name",
        "Shenzhen Lumen Trading Co., Ltd.",
        SDN_NAME,
    )
    assert change.actor == seller and change.acknowledged_at is None
    # The new name screened: the hit (the real matcher scores the exact name 100).
    (hit,) = ScreeningMatch.objects.filter(merchant_id=held_case.merchant_id)
    assert (hit.screened_name, hit.score, hit.status) == (SDN_NAME, 100, "open")
    # The case's trail reads change → re-screen → hit, in that order.
    new_events = trail(held_case)[events_before:]
    assert new_events[:3] == [
        "case.details_changed",
        "screening.completed",
        "screening.hits_recorded",
    ]
    hits_event = AuditEvent.objects.get(case_id=held_case.pk, action="screening.hits_recorded")
    assert hits_event.after["matches"][0]["screened_name"] == SDN_NAME

    # The reviewer's view of the case shows the change and the hit, and what blocks approval.
    detail = api_for(senior).get(f"/api/v1/cases/{held_case.pk}/").json()
    internal = detail["internal"]
    assert [(c["field"], c["after"]) for c in internal["changes_since_submission"]] == [
        ("legal_name", SDN_NAME)
    ]
    assert [m["screened_name"] for m in internal["screening_matches"]] == [SDN_NAME]
    codes = [b["code"] for b in internal["approval_blockers"]]
    assert "screening_hits_open" in codes and "changes_unacknowledged" in codes
    # A seller sees none of it.
    assert api_for(seller).get(f"/api/v1/cases/{held_case.pk}/").json()["internal"] is None

    # Approval refused (409) until the hit is disposed, whatever else is done.
    approve_url = f"/api/v1/cases/{held_case.pk}/approve/"
    refused = api_for(senior).post(approve_url, {}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "screening_hits_open"
    assert SDN_NAME in error["message"]
    assert {b["code"] for b in error["details"]["blockers"]} >= {
        "screening_hits_open",
        "changes_unacknowledged",
    }
    ack = api_for(senior).post(f"/api/v1/cases/{held_case.pk}/acknowledge_changes/", {})
    assert ack.status_code == 200
    accept_documents(held_case, senior)
    refused = api_for(senior).post(approve_url, {}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "screening_hits_open")
    assert refresh(held_case).state in (CaseState.IN_REVIEW, CaseState.EDD)
    assert "case.approved" not in trail(held_case)
    assert "case.maker_approved" not in trail(held_case)

    with django_capture_on_commit_callbacks(execute=True):
        screening.screening_dispose(
            actor=senior,
            case_id=held_case.pk,
            match_id=hit.pk,
            status="false_positive",
            comment="Different registration number and country of the listed bank.",
        )
        # A strong hit (score 100) is cleared only when a second person agrees (four-eyes).
        screening.screening_agree(
            actor=other_senior, case_id=held_case.pk, match_id=hit.pk, comment="Agreed."
        )
    if refresh(held_case).state == CaseState.EDD:
        complete_edd_checklist(held_case.pk, senior)
    accepted = api_for(senior).post(approve_url, {}, format="json")
    assert accepted.status_code == 200, accepted.content


def test_the_rename_in_the_browser_shows_on_the_case_page_and_approval_says_what_is_missing(
    held_case: ReviewCase,
    senior: Any,
    seller: Any,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    answer_an_rfi(held_case, senior, seller, django_capture_on_commit_callbacks)
    merchant = Merchant.objects.get(pk=held_case.merchant_id)
    data = {
        k: ("" if v is None else v)
        for k, v in model_to_dict(merchant, fields=list(MerchantForm.base_fields)).items()
    }
    data["legal_name"] = SDN_NAME
    login_verified(client, seller)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("merchants:edit", args=[merchant.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()

    login_verified(client, senior)
    page = client.get(reverse("cases:case_detail", args=[held_case.pk])).content.decode()
    assert "Changed since submission" in page
    assert "Shenzhen Lumen Trading Co., Ltd." in page and SDN_NAME in page
    assert page.index("Changed since submission") < page.index('id="requirements"')
    assert "I have reviewed these changes" in page

    refused = client.post(reverse("cases:case_approve", args=[held_case.pk]), {})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "Not possible yet" in body and SDN_NAME in body
    assert "changed by someone else" not in body

    acknowledged = client.post(reverse("cases:case_acknowledge_changes", args=[held_case.pk]), {})
    assert acknowledged.status_code == 302
    page = client.get(reverse("cases:case_detail", args=[held_case.pk])).content.decode()
    assert "Changed since submission" not in page
    assert AuditEvent.objects.filter(
        case_id=held_case.pk, action="case.changes_acknowledged", actor=senior
    ).exists()


def test_the_chinese_case_page_labels_the_change_and_the_blockers(
    held_case: ReviewCase,
    senior: Any,
    seller: Any,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        api_for(seller).patch(
            f"/api/v1/merchants/{held_case.merchant_id}/", {"trading_name": "Lumen"}, format="json"
        )
    login_verified(client, senior)
    page = client.get(
        reverse("cases:case_detail", args=[held_case.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "提交后的变更" in page
    assert "Changed since submission" not in page
    assert "changes_unacknowledged" not in page.replace('data-code="changes_unacknowledged"', "")


# --------------------------------------------------------------------------- second approval


def test_a_seller_edit_while_the_case_waits_for_its_second_approval_sends_it_back_to_the_maker(
    reviewed_case: ReviewCase,
    reviewer: Any,
    senior: Any,
    seller: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ReviewCase.objects.filter(pk=reviewed_case.pk).update(requires_four_eyes=True)
    case = services.case_approve(actor=reviewer, case_id=reviewed_case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL
    first_digest = case.data_digest

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(seller).patch(
            f"/api/v1/merchants/{case.merchant_id}/",
            {"registered_address": "1 New Road, Shenzhen"},
            format="json",
        )
    assert response.status_code == 200

    case = refresh(case)
    assert (case.state, case.assignee, case.maker) == (CaseState.IN_REVIEW, reviewer, None)
    returned = AuditEvent.objects.get(case_id=case.pk, action="case.returned_to_maker")
    assert returned.before["state"] == CaseState.PENDING_SECOND_APPROVAL
    assert returned.after == {"state": CaseState.IN_REVIEW, "assignee": reviewer.pk}
    assert trail(case).index("case.details_changed") < trail(case).index("case.returned_to_maker")
    # The checker cannot approve what the maker did not see.
    with pytest.raises(Conflict) as exc:
        services.case_second_approve(actor=senior, case_id=case.pk)
    assert exc.value.code == "invalid_state"

    # The maker reviews the change and approves again: a new digest, the checker approves.
    with pytest.raises(Conflict) as exc:
        services.case_approve(actor=reviewer, case_id=case.pk)
    assert exc.value.code == "changes_unacknowledged"
    case_acknowledge_changes(actor=reviewer, case_id=case.pk)
    case = services.case_approve(actor=reviewer, case_id=case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL
    assert case.data_digest != first_digest
    case = services.case_second_approve(actor=senior, case_id=case.pk)
    assert case.state == CaseState.APPROVED
    approved = AuditEvent.objects.get(case_id=case.pk, action="case.approved")
    assert approved.after["data_digest"] == case.data_digest == data_digest(case)


# --------------------------------------------------------------------------- the gates


def test_a_name_changed_behind_the_screening_blocks_approval_as_screening_stale(
    reviewed_case: ReviewCase, reviewer: Any
) -> None:
    # Written around the services (no hook, no re-screening): the gate still sees it.
    Merchant.objects.filter(pk=reviewed_case.merchant_id).update(trading_name="Unscreened Co")
    with pytest.raises(Conflict) as exc:
        services.case_approve(actor=reviewer, case_id=reviewed_case.pk)
    assert exc.value.code == "screening_stale"
    assert exc.value.details["unscreened_names"] == ["Unscreened Co"]
    assert refresh(reviewed_case).state == CaseState.IN_REVIEW

    screening.case_screen_and_score(case_id=reviewed_case.pk)
    assert services.case_approve(actor=reviewer, case_id=reviewed_case.pk).state in (
        CaseState.APPROVED,
        CaseState.PENDING_SECOND_APPROVAL,
    )


def test_without_a_sanctions_list_nothing_is_approved(
    claimed_case: ReviewCase, reviewer: Any
) -> None:
    from kyc.models import SanctionsList

    SanctionsList.objects.update(is_active=False)
    with pytest.raises(Conflict) as exc:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert exc.value.code == "screening_stale"


def test_a_document_uploaded_during_review_is_on_the_case_and_approval_waits_for_its_checks(
    reviewed_case: ReviewCase, reviewer: Any, seller: Any
) -> None:
    claimed_case = reviewed_case  # the documents on file decided: only the new one is not
    merchant = claimed_case.merchant
    old = merchant.documents.get(document_type__code="business_license")
    new = document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=upload("license-2.pdf", pdf_bytes("renewed")),
        filename="license-2.pdf",
        metadata={"number": "91350100M000100Y43", "expiry_date": "2033-01-01"},
        supersedes=old,
    )
    fields = set(CaseDataChange.objects.filter(case=claimed_case).values_list("field", flat=True))
    assert fields == {"document.sha256", "document.expiry_date"}
    codes = [b.code for b in approval_blockers(claimed_case)]
    # The new document is also undecided in this case (cases.document_review).
    assert codes == ["changes_unacknowledged", "checks_pending", "documents_undecided"]

    case_acknowledge_changes(actor=reviewer, case_id=claimed_case.pk)
    with pytest.raises(Conflict) as exc:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert exc.value.code == "checks_pending"
    assert exc.value.details["documents"] == [new.pk]

    document_run_checks(document_id=new.pk)
    (undecided,) = approval_blockers(claimed_case)
    assert undecided.code == "documents_undecided"
    assert [b["document_id"] for b in undecided.details["blockers"]] == [new.pk]
    accept_documents(claimed_case, reviewer)
    assert approval_blockers(claimed_case) == []


def test_a_draft_records_nothing_and_needs_no_acknowledgement(draft_case: ReviewCase) -> None:
    seller = draft_case.merchant.memberships.get().user
    api_for(seller).patch(
        f"/api/v1/merchants/{draft_case.merchant_id}/", {"legal_name": "Renamed"}, format="json"
    )
    assert not CaseDataChange.objects.exists()


def test_a_capability_approval_waits_like_the_case(
    claimed_case: ReviewCase, reviewer: Any, seller: Any
) -> None:
    api_for(seller).patch(
        f"/api/v1/merchants/{claimed_case.merchant_id}/", {"trading_name": "Lumen"}, format="json"
    )
    capability = claimed_case.capabilities.get()
    with pytest.raises(Conflict) as exc:
        capability_decide(
            actor=reviewer, case_id=claimed_case.pk, capability_id=capability.pk, decision="approve"
        )
    assert exc.value.code == "changes_unacknowledged"
    assert not claimed_case.capability_decisions.exists()


def test_people_changes_are_recorded_with_before_and_after(
    claimed_case: ReviewCase, seller: Any
) -> None:
    person = claimed_case.merchant.people.get()
    response = api_for(seller).patch(
        f"/api/v1/merchants/{claimed_case.merchant_id}/people/{person.pk}/",
        {"nationality": "RU", "is_pep": True, "date_of_birth": "1970-01-02"},
        format="json",
    )
    assert response.status_code == 200, response.content
    rows = {
        c.field: (c.before, c.after, c.person_name)
        for c in CaseDataChange.objects.filter(case=claimed_case)
    }
    assert rows == {
        "nationality": ("", "RU", "Li Wei"),
        "is_pep": (False, True, "Li Wei"),
        "date_of_birth": (None, "1970-01-02", "Li Wei"),
    }


# --------------------------------------------------------------------------- acknowledgement


def test_only_the_holder_acknowledges_and_only_what_there_is(
    claimed_case: ReviewCase, reviewer: Any, other_reviewer: Any, seller: Any, other_seller: Any
) -> None:
    with pytest.raises(Conflict) as exc:
        case_acknowledge_changes(actor=reviewer, case_id=claimed_case.pk)
    assert exc.value.code == "no_changes"
    api_for(seller).patch(
        f"/api/v1/merchants/{claimed_case.merchant_id}/", {"trading_name": "Lumen"}, format="json"
    )
    with pytest.raises(NotAllowed):
        case_acknowledge_changes(actor=other_reviewer, case_id=claimed_case.pk)
    with pytest.raises(NotFound):
        case_acknowledge_changes(actor=other_seller, case_id=claimed_case.pk)
    stranger = api_for(other_seller).post(
        f"/api/v1/cases/{claimed_case.pk}/acknowledge_changes/", {}
    )
    missing = api_for(other_seller).post("/api/v1/cases/999999/acknowledge_changes/", {})
    assert stranger.status_code == missing.status_code == 404
    assert stranger.json() == missing.json()
    assert not AuditEvent.objects.filter(action="case.changes_acknowledged").exists()

    (acknowledged,) = case_acknowledge_changes(actor=reviewer, case_id=claimed_case.pk)
    event = AuditEvent.objects.get(action="case.changes_acknowledged")
    assert event.case_id == claimed_case.pk and event.actor == reviewer
    assert event.after["changes"][0]["field"] == "trading_name"
    assert acknowledged.acknowledged_by == reviewer


# --------------------------------------------------------------------------- digest


def test_the_digest_is_stable_and_follows_the_data(claimed_case: ReviewCase) -> None:
    first = data_digest(claimed_case)
    assert first == data_digest(refresh(claimed_case)) and len(first) == 64
    Merchant.objects.filter(pk=claimed_case.merchant_id).update(bank_name="Other Bank")
    assert data_digest(refresh(claimed_case)) != first


def test_a_rejection_records_the_digest(claimed_case: ReviewCase, reviewer: Any) -> None:
    case = services.case_reject(
        actor=reviewer,
        case_id=claimed_case.pk,
        reason_codes=["requirements_not_met"],
        rationale="x",
    )
    event = AuditEvent.objects.get(case_id=case.pk, action="case.rejected")
    assert event.after["data_digest"] == case.data_digest == data_digest(case)


def test_an_edd_approval_waiting_for_its_checker_goes_back_to_its_maker_in_edd(
    reviewed_case: ReviewCase, reviewer: Any, senior: Any, seller: Any
) -> None:
    claimed_case = reviewed_case  # its documents decided by the first holder
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="PEP declared.")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    complete_edd_checklist(claimed_case.pk, senior)
    case = services.case_approve(actor=senior, case_id=claimed_case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL

    api_for(seller).patch(
        f"/api/v1/merchants/{case.merchant_id}/", {"bank_name": "Another Bank"}, format="json"
    )

    case = refresh(case)
    assert (case.state, case.assignee, case.maker) == (CaseState.EDD, senior, None)
    assert AuditEvent.objects.filter(case_id=case.pk, action="case.returned_to_maker").count() == 1
