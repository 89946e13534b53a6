"""Per-capability decisions: approve category A, reject category B; the case approval
applies them and the merchant's status follows."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from cases import services
from cases.decisions import capability_decide
from cases.models import CapabilityDecision, CaseState, ReviewCase
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from merchants.models import Capability, CapabilityStatus, Category, MerchantStatus
from tests.conftest import accept_documents, screen_and_check


@pytest.fixture
def two_category_case(ready_case: Any, seller: Any, reviewer: Any) -> ReviewCase:
    """Sell + apparel + electronics (neither category needs a document), claimed."""
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


def cap(case: ReviewCase, code: str) -> Capability:
    return case.capabilities.get(category__code=code)


def decided_events(case: ReviewCase) -> int:
    return AuditEvent.objects.filter(case_id=case.pk, action="capability.decided").count()


def test_partial_approval_activates_a_and_rejects_b_with_its_severity(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    apparel, electronics = cap(case, "apparel"), cap(case, "electronics")
    accept_documents(case, reviewer)
    capability_decide(actor=reviewer, case_id=case.pk, capability_id=apparel.pk, decision="approve")
    capability_decide(
        actor=reviewer,
        case_id=case.pk,
        capability_id=electronics.pk,
        decision="reject",
        reason_codes=["unauthorized_brand"],
        rationale="No distributor authorization for the electronics brands.",
    )
    assert decided_events(case) == 2

    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk)

    apparel.refresh_from_db()
    electronics.refresh_from_db()
    assert apparel.status == CapabilityStatus.ACTIVE and apparel.disabled_reason == ""
    assert electronics.status == CapabilityStatus.INACTIVE
    assert electronics.disabled_reason == "rejected.retry"
    sell = case.capabilities.get(kind="sell")
    assert sell.status == CapabilityStatus.ACTIVE
    case.merchant.refresh_from_db()
    assert case.merchant.status == MerchantStatus.ACTIVE
    approved = AuditEvent.objects.get(case_id=case.pk, action="case.approved")
    changed = {
        c["capability"]: c["after"]["disabled_reason"] for c in approved.after["capabilities"]
    }
    assert changed["category.electronics"] == "rejected.retry"


def test_a_final_reason_makes_the_capability_rejection_final(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    electronics = cap(case, "electronics")
    decision = capability_decide(
        actor=reviewer,
        case_id=case.pk,
        capability_id=electronics.pk,
        decision="reject",
        reason_codes=["requirements_not_met", "prohibited_business"],
        rationale="Sells prohibited goods.",
    )
    assert decision.severity == "final"
    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk)
    electronics.refresh_from_db()
    assert electronics.disabled_reason == "rejected.final"


def test_a_decision_can_be_changed_until_the_case_is_decided(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    electronics = cap(case, "electronics")
    capability_decide(
        actor=reviewer,
        case_id=case.pk,
        capability_id=electronics.pk,
        decision="reject",
        reason_codes=["requirements_not_met"],
        rationale="Unreadable.",
    )
    accept_documents(case, reviewer)
    capability_decide(
        actor=reviewer, case_id=case.pk, capability_id=electronics.pk, decision="approve"
    )
    assert CapabilityDecision.objects.filter(case=case).count() == 1
    assert CapabilityDecision.objects.get(case=case).decision == "approve"
    assert decided_events(case) == 2
    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk)
    electronics.refresh_from_db()
    assert electronics.status == CapabilityStatus.ACTIVE
    with pytest.raises(Conflict):
        capability_decide(
            actor=reviewer,
            case_id=case.pk,
            capability_id=electronics.pk,
            decision="reject",
            reason_codes=["requirements_not_met"],
            rationale="Too late.",
        )


@pytest.mark.parametrize(
    ("codes", "rationale", "field"),
    [([], "Why not.", "reason_codes"), (["requirements_not_met"], "  ", "rationale")],
)
def test_a_capability_rejection_needs_reason_codes_and_a_rationale(
    two_category_case: ReviewCase, reviewer: Any, codes: list[str], rationale: str, field: str
) -> None:
    case = two_category_case
    with pytest.raises(InvalidInput) as exc:
        capability_decide(
            actor=reviewer,
            case_id=case.pk,
            capability_id=cap(case, "electronics").pk,
            decision="reject",
            reason_codes=codes,
            rationale=rationale,
        )
    assert field in exc.value.fields
    assert not CapabilityDecision.objects.filter(case=case).exists()
    assert decided_events(case) == 0


def test_an_information_code_is_not_a_rejection_reason(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    with pytest.raises(InvalidInput):
        capability_decide(
            actor=reviewer,
            case_id=case.pk,
            capability_id=cap(case, "electronics").pk,
            decision="reject",
            reason_codes=["rfi_missing_document"],
            rationale="Missing.",
        )


def test_only_the_holder_decides_a_capability(
    two_category_case: ReviewCase, other_reviewer: Any, seller: Any
) -> None:
    case = two_category_case
    with pytest.raises(NotAllowed):
        capability_decide(
            actor=other_reviewer,
            case_id=case.pk,
            capability_id=cap(case, "apparel").pk,
            decision="approve",
        )
    with pytest.raises(NotAllowed):
        capability_decide(
            actor=seller, case_id=case.pk, capability_id=cap(case, "apparel").pk, decision="approve"
        )
    assert decided_events(case) == 0


def test_a_capability_outside_the_case_is_not_found(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    food = Category.objects.get(code="food")
    other = Capability.objects.create(merchant=case.merchant, kind="category", category=food)
    with pytest.raises(NotFound):
        capability_decide(
            actor=reviewer, case_id=case.pk, capability_id=other.pk, decision="approve"
        )


def test_rejecting_every_capability_is_refused_with_advice_to_reject_the_case(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    caps = list(case.capabilities.all())
    for capability in caps[:-1]:
        capability_decide(
            actor=reviewer,
            case_id=case.pk,
            capability_id=capability.pk,
            decision="reject",
            reason_codes=["requirements_not_met"],
            rationale="No.",
        )
    with pytest.raises(InvalidInput) as exc:
        capability_decide(
            actor=reviewer,
            case_id=case.pk,
            capability_id=caps[-1].pk,
            decision="reject",
            reason_codes=["requirements_not_met"],
            rationale="No.",
        )
    assert exc.value.code == "all_capabilities_rejected"
    assert "reject the case" in exc.value.message


def test_an_rfi_item_may_ask_about_a_capability(
    two_category_case: ReviewCase, reviewer: Any
) -> None:
    case = two_category_case
    electronics = cap(case, "electronics")
    services.case_request_info(
        actor=reviewer,
        case_id=case.pk,
        message="Tell us about your electronics suppliers.",
        items=[{"capability_id": electronics.pk, "note": "Which brands do you sell?"}],
    )
    item = case.information_requests.get().items.get()
    assert item.capability_id == electronics.pk
    assert ReviewCase.objects.get(pk=case.pk).state == CaseState.INFO_REQUESTED


def test_four_eyes_keeps_maker_and_checker_apart_with_capability_decisions(
    ready_case: Any, seller: Any, senior: Any, other_senior: Any
) -> None:
    screen_and_check(services.case_submit(actor=seller, case_id=ready_case.pk))
    ReviewCase.objects.filter(pk=ready_case.pk).update(requires_four_eyes=True)
    case = services.case_claim(actor=senior, case_id=ready_case.pk)
    sell = case.capabilities.get(kind="sell")
    accept_documents(case, senior)
    capability_decide(actor=senior, case_id=case.pk, capability_id=sell.pk, decision="approve")
    accept_documents(case, senior)
    case = services.case_approve(actor=senior, case_id=case.pk)
    assert case.state == CaseState.PENDING_SECOND_APPROVAL
    with pytest.raises(NotAllowed):
        services.case_second_approve(actor=senior, case_id=case.pk)
    case = services.case_second_approve(actor=other_senior, case_id=case.pk)
    assert case.state == CaseState.APPROVED
    sell.refresh_from_db()
    assert sell.status == CapabilityStatus.ACTIVE
