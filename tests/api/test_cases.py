"""Review cases through the API: every transition's allowed path and wrong role, the refusal
paths that integrators depend on, and what each reader may see of a case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.models import Comment, DocumentDecision, ReviewCase
from kyc.models import QualificationDocument
from tests.api.helpers import actions, error, upload_form
from tests.conftest import accept_documents
from tests.factories import complete_edd_checklist

DECISION_EVENTS = ("case.approved", "case.maker_approved", "case.rejected")


def _state(case: ReviewCase) -> str:
    return ReviewCase.objects.get(pk=case.pk).state


def _post(client: Any, case: ReviewCase, transition: str, body: dict | None = None) -> Any:
    return client.post(f"/api/v1/cases/{case.pk}/{transition}/", body or {})


# --------------------------------------------------------------------------- states


@pytest.fixture
def info_requested_case(claimed_case, reviewer):
    return services.case_request_info(
        actor=reviewer, case_id=claimed_case.pk, message="Please confirm the operating address."
    )


@pytest.fixture
def pending_second_case(claimed_case, reviewer, senior):
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="PEP owner")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    complete_edd_checklist(claimed_case.pk, senior)
    accept_documents(claimed_case, senior)
    return services.case_approve(
        actor=senior,
        case_id=claimed_case.pk,
        reason_codes=["approved_clean"],
        rationale="EDD clean",
    )


@pytest.fixture
def approved_case(claimed_case, reviewer):
    accept_documents(claimed_case, reviewer)
    return services.case_approve(actor=reviewer, case_id=claimed_case.pk)


# --------------------------------------------------------------------------- happy paths


def test_seller_submits_a_ready_case(seller_api, ready_case):
    response = _post(seller_api, ready_case, "submit")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ready_case.pk
    assert body["state"] == "submitted"
    assert body["submitted_at"] is not None
    assert body["internal"] is None
    assert actions(case_id=ready_case.pk, action="case.submitted") == ["case.submitted"]


def test_reviewer_claims_a_submitted_case(reviewer_api, reviewer, submitted_case):
    response = _post(reviewer_api, submitted_case, "claim")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "in_review"
    assert body["internal"]["assignee"] == {"id": reviewer.pk, "username": reviewer.username}


def test_reviewer_releases_a_claimed_case(reviewer_api, claimed_case):
    response = _post(reviewer_api, claimed_case, "release")

    assert response.status_code == 200
    assert response.json()["state"] == "submitted"
    assert response.json()["internal"]["assignee"] is None


def test_reviewer_requests_information_with_items(reviewer_api, claimed_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()
    deadline = (timezone.now() + timedelta(days=7)).replace(microsecond=0)

    response = _post(
        reviewer_api,
        claimed_case,
        "request_info",
        {
            "message": "The license photo is blurred; upload a clear scan.",
            "deadline": deadline.isoformat(),
            "items": [{"document_id": doc.pk, "reason_code": "doc_illegible", "note": "blurred"}],
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "info_requested"
    rfi = body["information_requests"][0]
    assert rfi["message"] == "The license photo is blurred; upload a clear scan."
    assert rfi["items"][0]["document_id"] == doc.pk
    assert rfi["items"][0]["reason_code"]["code"] == "doc_illegible"
    assert QualificationDocument.objects.get(pk=doc.pk).status == "rejected"
    assert body["rfi_deadline"] is not None


def test_seller_resubmits_after_an_rfi(seller_api, info_requested_case):
    response = _post(
        seller_api,
        info_requested_case,
        "resubmit",
        {"answer": "The operating address is the registered one."},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "in_review"  # straight back to the reviewer who asked
    assert body["information_requests"][0]["answer"] == (
        "The operating address is the registered one."
    )
    assert actions(case_id=info_requested_case.pk, action="case.resubmitted") == [
        "case.resubmitted"
    ]


def test_reviewer_escalates_to_edd(reviewer_api, claimed_case):
    response = _post(reviewer_api, claimed_case, "escalate", {"rationale": "PEP owner"})

    assert response.status_code == 200
    assert response.json()["state"] == "edd"
    assert response.json()["internal"]["requires_four_eyes"] is True


def test_reviewer_approves_with_reason_codes(reviewer_api, reviewer, claimed_case):
    accept_documents(claimed_case, reviewer)
    response = _post(
        reviewer_api,
        claimed_case,
        "approve",
        {"reason_codes": ["approved_clean"], "rationale": "All in order."},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "approved"
    assert [c["code"] for c in body["decision"]["reason_codes"]] == ["approved_clean"]
    assert body["decision"]["decided_at"] is not None
    assert body["internal"]["maker"]["id"] == reviewer.pk
    assert body["internal"]["decision_rationale"] == "All in order."
    assert all(c["status"] == "active" for c in body["capabilities"])


def test_a_second_senior_gives_the_second_approval(client_for, other_senior, pending_second_case):
    response = _post(
        client_for(other_senior), pending_second_case, "second_approve", {"rationale": "Agree."}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "approved"
    assert body["internal"]["checker"]["id"] == other_senior.pk


def test_reviewer_rejects_with_reason_codes(reviewer_api, claimed_case):
    response = _post(
        reviewer_api,
        claimed_case,
        "reject",
        {"reason_codes": ["fraud_suspected"], "rationale": "Altered license."},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "rejected"
    assert body["decision"]["rejection_severity"] == "final"


def test_seller_withdraws_a_draft(seller_api, draft_case):
    response = _post(seller_api, draft_case, "withdraw", {"reason": "Duplicate application"})

    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"


def test_qc_lead_reopens_an_approved_case(client_for, qc_lead, approved_case):
    response = _post(
        client_for(qc_lead), approved_case, "reopen", {"rationale": "QC: missed document issue"}
    )

    assert response.status_code == 200
    assert response.json()["state"] == "in_review"


# --------------------------------------------------------------------------- wrong roles

WRONG_ROLE = [
    # transition, case fixture, wrong-role user fixture, body
    ("submit", "ready_case", "reviewer", {}),
    ("claim", "submitted_case", "seller", {}),
    ("release", "claimed_case", "seller", {}),
    ("request_info", "claimed_case", "seller", {"message": "x"}),
    ("resubmit", "info_requested_case", "reviewer", {"answer": "x"}),
    ("escalate", "claimed_case", "seller", {"rationale": "x"}),
    ("approve", "claimed_case", "seller", {}),
    ("second_approve", "pending_second_case", "reviewer", {}),
    (
        "reject",
        "claimed_case",
        "seller",
        {"reason_codes": ["requirements_not_met"], "rationale": "x"},
    ),
    ("withdraw", "draft_case", "reviewer", {}),
    ("reopen", "approved_case", "reviewer", {"rationale": "x"}),
]


@pytest.mark.parametrize(
    ("transition", "case_fixture", "user_fixture", "body"),
    WRONG_ROLE,
    ids=[row[0] for row in WRONG_ROLE],
)
def test_a_transition_by_the_wrong_role_is_forbidden_and_changes_nothing(
    request, client_for, transition, case_fixture, user_fixture, body
):
    case = request.getfixturevalue(case_fixture)
    user = request.getfixturevalue(user_fixture)
    state_before = _state(case)
    events_before = AuditEvent.objects.count()

    response = _post(client_for(user), case, transition, body)

    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"
    assert _state(case) == state_before
    assert AuditEvent.objects.count() == events_before


# --------------------------------------------------------------------------- refusals


def test_submit_is_refused_with_the_due_items_then_accepted_after_upload(seller_api, draft_case):
    refused = _post(seller_api, draft_case, "submit")

    assert refused.status_code == 400
    err = error(refused)
    assert err["code"] == "requirements_due"
    due = {item["code"] for req in err["details"]["requirements"] for item in req["currently_due"]}
    person = draft_case.merchant.people.get()
    assert due == {
        "entity_registration",
        f"representative_identity.person_{person.pk}",
        f"owner_identity.person_{person.pk}",
    }
    assert _state(draft_case) == "draft"
    assert actions(action="case.submitted") == []

    docs = f"/api/v1/merchants/{draft_case.merchant_id}/documents/"
    assert seller_api.post(docs, upload_form(), format="multipart").status_code == 201
    assert (
        seller_api.post(
            docs,
            upload_form(
                "identity_document", number="X1", expiry_date="2032-01-01", person=person.pk
            ),
            format="multipart",
        ).status_code
        == 201
    )

    accepted = _post(seller_api, draft_case, "submit")
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "submitted"
    assert actions(action="case.submitted") == ["case.submitted"]


def test_reject_after_approval_is_a_conflict_and_one_decision_is_recorded(
    reviewer_api, claimed_case
):
    accept_documents(claimed_case, claimed_case.assignee)
    approved = _post(reviewer_api, claimed_case, "approve")
    assert approved.status_code == 200

    rejected = _post(
        reviewer_api,
        claimed_case,
        "reject",
        {"reason_codes": ["requirements_not_met"], "rationale": "Too late"},
    )

    assert rejected.status_code == 409
    err = error(rejected)
    assert err["code"] == "invalid_state"
    assert err["details"] == {"state": "approved"}
    assert _state(claimed_case) == "approved"
    assert actions(case_id=claimed_case.pk, action__in=DECISION_EVENTS) == ["case.approved"]


def test_the_maker_cannot_give_the_second_approval(client_for, senior, pending_second_case):
    response = _post(
        client_for(senior), pending_second_case, "second_approve", {"rationale": "Me again"}
    )

    assert response.status_code == 403
    assert error(response)["code"] == "maker_checker"
    assert _state(pending_second_case) == "pending_second_approval"
    assert actions(case_id=pending_second_case.pk, action="case.approved") == []


def test_claiming_a_case_someone_holds_is_a_conflict(client_for, other_reviewer, claimed_case):
    response = _post(client_for(other_reviewer), claimed_case, "claim")

    assert response.status_code == 409
    assert error(response)["code"] in ("already_claimed", "invalid_state")
    assert ReviewCase.objects.get(pk=claimed_case.pk).assignee != other_reviewer


def test_a_reviewer_who_does_not_hold_the_case_cannot_approve(
    client_for, other_reviewer, claimed_case
):
    response = _post(client_for(other_reviewer), claimed_case, "approve")

    assert response.status_code == 403
    assert error(response)["code"] == "not_case_holder"
    assert _state(claimed_case) == "in_review"


def test_a_rejection_without_reasons_is_invalid(reviewer_api, claimed_case):
    response = _post(reviewer_api, claimed_case, "reject", {})

    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"reason_codes", "rationale"}
    assert _state(claimed_case) == "in_review"


def test_unknown_case_is_not_found(reviewer_api, db):
    response = _post(reviewer_api, ReviewCase(pk=424242), "claim")

    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


# --------------------------------------------------------------------------- list and detail


def test_case_list_filters_by_state_and_queue(
    reviewer_api, reviewer, claimed_case, seller, reference
):
    services.onboarding_start(
        actor=seller, data={"legal_name": "Second Co", "entity_type": "company", "country": "CN"}
    )

    def ids(query: str) -> list[int]:
        body = reviewer_api.get(f"/api/v1/cases/?{query}").json()
        return [c["id"] for c in body["results"]]

    assert ids("state=in_review") == [claimed_case.pk]
    assert ids("queue=mine") == [claimed_case.pk]
    assert len(ids("state=draft")) == 1
    assert ids("q=Lumen") == [claimed_case.pk]
    assert ids(f"q={claimed_case.pk}") == [claimed_case.pk]


def test_an_invalid_filter_value_is_a_400(reviewer_api, db):
    response = reviewer_api.get("/api/v1/cases/?state=pondering")

    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["state"]


def test_sellers_cannot_use_staff_filters_to_learn_their_risk_tier(seller_api, submitted_case):
    body = seller_api.get("/api/v1/cases/?risk_tier=high").json()

    # The filter is ignored for sellers: the low-risk case is still listed.
    assert [c["id"] for c in body["results"]] == [submitted_case.pk]
    assert body["results"][0]["internal"] is None


def test_case_detail_hides_internal_comments_and_reviewer_names_from_sellers(
    seller_api, reviewer_api, reviewer, seller, claimed_case
):
    services.comment_add(
        actor=reviewer, case_id=claimed_case.pk, body="Looks like a shell", visibility="internal"
    )
    services.comment_add(
        actor=reviewer, case_id=claimed_case.pk, body="Thanks, reviewing", visibility="seller"
    )
    services.comment_add(
        actor=seller, case_id=claimed_case.pk, body="Any news?", visibility="seller"
    )

    seller_view = seller_api.get(f"/api/v1/cases/{claimed_case.pk}/").json()
    staff_view = reviewer_api.get(f"/api/v1/cases/{claimed_case.pk}/").json()

    assert [c["body"] for c in seller_view["comments"]] == ["Thanks, reviewing", "Any news?"]
    assert seller_view["comments"][0]["author"] is None
    assert seller_view["comments"][1]["author"]["id"] == seller.pk
    assert seller_view["internal"] is None
    assert [c["body"] for c in staff_view["comments"]] == [
        "Looks like a shell",
        "Thanks, reviewing",
        "Any news?",
    ]
    assert staff_view["internal"]["assignee"]["id"] == reviewer.pk
    assert staff_view["internal"]["policy_version"] == "requirements-v1"
    assert {d["document_type"] for d in seller_view["documents"]} == {
        "business_license",
        "identity_document",
    }
    assert [r["capability"] for r in seller_view["requirements"]] == ["sell"]
    assert seller_view["requirements"][0]["currently_due"] == []


# --------------------------------------------------------------------------- comments, decisions


def test_seller_comments_and_cannot_write_internal_notes(seller_api, claimed_case):
    ok = seller_api.post(f"/api/v1/cases/{claimed_case.pk}/comments/", {"body": "Hello"})
    refused = seller_api.post(
        f"/api/v1/cases/{claimed_case.pk}/comments/", {"body": "psst", "visibility": "internal"}
    )

    assert ok.status_code == 201
    assert ok.json()["visibility"] == "seller"
    assert refused.status_code == 403
    assert list(Comment.objects.values_list("body", flat=True)) == ["Hello"]


def test_reviewer_writes_an_internal_note(reviewer_api, claimed_case):
    response = reviewer_api.post(
        f"/api/v1/cases/{claimed_case.pk}/comments/",
        {"body": "Check the UBO chain", "visibility": "internal"},
    )

    assert response.status_code == 201
    assert actions(case_id=claimed_case.pk, action="comment.added.internal") == [
        "comment.added.internal"
    ]


def test_reviewer_rejects_one_document(reviewer_api, reviewer, claimed_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()

    response = reviewer_api.post(
        f"/api/v1/cases/{claimed_case.pk}/documents/{doc.pk}/decision/",
        {"decision": "reject", "reason_code": "doc_expired", "note": "Expired last month"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["decision"] == "reject"
    assert body["reason_code"]["code"] == "doc_expired"
    assert body["decided_by"]["id"] == reviewer.pk
    assert QualificationDocument.objects.get(pk=doc.pk).status == "rejected"
    assert actions(action="document.rejected") == ["document.rejected"]


def test_a_seller_cannot_decide_documents(seller_api, claimed_case):
    doc = QualificationDocument.objects.filter(document_type__code="business_license").get()
    status = doc.status  # as its checks left it

    response = seller_api.post(
        f"/api/v1/cases/{claimed_case.pk}/documents/{doc.pk}/decision/", {"decision": "accept"}
    )

    assert response.status_code == 403
    assert DocumentDecision.objects.count() == 0
    assert QualificationDocument.objects.get(pk=doc.pk).status == status == "pending_review"


# --------------------------------------------------------------------------- reference data


def test_reference_data_is_bilingual(seller_api, reference):
    types = seller_api.get("/api/v1/document-types/?page_size=100").json()["results"]
    categories = seller_api.get("/api/v1/categories/?page_size=100").json()["results"]
    reasons = seller_api.get("/api/v1/reason-codes/?kind=document&page_size=100").json()

    license_type = next(t for t in types if t["code"] == "business_license")
    assert (license_type["name_en"], license_type["name_zh"]) == ("Business license", "营业执照")
    food = next(c for c in categories if c["code"] == "food")
    assert food["name_zh"] == "食品饮料" and food["is_prohibited"] is False
    assert {r["kind"] for r in reasons["results"]} == {"document"}
    illegible = next(r for r in reasons["results"] if r["code"] == "doc_illegible")
    assert illegible["text_zh"] == "文件无法辨认。"
