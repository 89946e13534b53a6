"""Events are emitted inside the change's transaction, from one choke point per kind: every
case state change gives exactly one `case.<state>`, every capability status change one
`capability.<status>`; nothing when the status does not change or nobody subscribes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from cases import services
from cases.models import CaseState, ReviewCase
from merchants.models import CapabilityStatus, Category
from merchants.services import capability_set_status
from tests.conftest import accept_documents, screen_and_check
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import subscription_create, subscription_update, webhook_emit


def types() -> list[str]:
    return list(WebhookEvent.objects.order_by("id").values_list("event_type", flat=True))


def case_types() -> list[str]:
    return [t for t in types() if t.startswith("case.")]


def test_every_case_state_and_capability_status_has_a_known_event_type() -> None:
    for state in CaseState.values:
        assert f"case.{state}" in EVENT_TYPES
    for status in CapabilityStatus.values:
        assert f"capability.{status}" in EVENT_TYPES


def test_emit_outside_a_transaction_is_refused(transactional_db: Any) -> None:
    with pytest.raises(RuntimeError):
        webhook_emit(event_type="case.approved", data={})


def test_no_subscription_writes_nothing(db: Any) -> None:
    with transaction.atomic():
        assert webhook_emit(event_type="case.approved", data={"case_id": 1}) is None
    assert WebhookEvent.objects.count() == 0


def test_a_rollback_leaves_no_event_no_delivery_and_no_task(
    db: Any, subscription: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            webhook_emit(event_type="case.approved", data={"case_id": 1})
            assert WebhookEvent.objects.count() == 1
            1 / 0  # noqa: B018
    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert callbacks == []


def test_an_emitted_event_queues_one_delivery_task_per_subscription_on_commit(
    db: Any, admin_user: Any, subscription: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subscription_create(
        actor=admin_user, data={"name": "Other", "url": "https://other.platform.test/"}
    )
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            event = webhook_emit(event_type="case.approved", data={"case_id": 1}, case_id=1)
    assert event is not None and event.case_id == 1
    assert event.deliveries.count() == 2
    assert len(callbacks) == 2


def test_subscriptions_receive_only_the_types_they_ask_for(
    db: Any, admin_user: Any, subscription: Any
) -> None:
    subscription_update(
        actor=admin_user, subscription_id=subscription.pk, data={"event_types": ["case.rejected"]}
    )
    everything, _ = subscription_create(
        actor=admin_user, data={"name": "All", "url": "https://all.platform.test/"}
    )
    inactive, _ = subscription_create(
        actor=admin_user,
        data={"name": "Off", "url": "https://off.platform.test/", "is_active": False},
    )
    with transaction.atomic():
        approved = webhook_emit(event_type="case.approved", data={})
        rejected = webhook_emit(event_type="case.rejected", data={})
    assert approved is not None and rejected is not None
    assert set(approved.deliveries.values_list("subscription", flat=True)) == {everything.pk}
    assert set(rejected.deliveries.values_list("subscription", flat=True)) == {
        everything.pk,
        subscription.pk,
    }


@pytest.fixture
def two_category_case(ready_case: Any, seller: Any, reviewer: Any, subscription: Any) -> Any:
    merchant = ready_case.merchant
    for code in ("apparel", "electronics"):
        services.capability_apply(
            actor=seller,
            merchant=merchant,
            kind="category",
            category=Category.objects.get(code=code),
        )
    return ready_case


def test_each_case_transition_emits_exactly_one_case_event(
    two_category_case: ReviewCase, seller: Any, reviewer: Any
) -> None:
    case = two_category_case
    # Applying for the two categories (the fixture) made them pending: one event each.
    assert types() == ["capability.pending", "capability.pending"]
    unrequested = case.capabilities.filter(status=CapabilityStatus.UNREQUESTED).count()
    services.case_submit(actor=seller, case_id=case.pk)
    assert case_types() == ["case.submitted"]
    # Submitting moves the capabilities not yet requested to pending: one event each.
    assert types().count("capability.pending") == 2 + unrequested
    services.case_claim(actor=reviewer, case_id=case.pk)
    assert case_types()[1:] == ["case.in_review"]
    services.case_request_info(actor=reviewer, case_id=case.pk, message="Upload a clearer ID.")
    assert case_types()[2:] == ["case.info_requested"]
    services.case_resubmit(actor=seller, case_id=case.pk, answer="Done.")
    resubmitted = ReviewCase.objects.get(pk=case.pk).state
    assert case_types()[3:] == [f"case.{resubmitted}"]
    event = WebhookEvent.objects.get(event_type="case.info_requested")
    assert event.case_id == case.pk and event.merchant_id == case.merchant_id
    assert event.payload["previous_state"] == "in_review"
    assert event.payload["state"] == "info_requested"
    assert event.payload["kind"] == case.kind
    assert event.payload["decided_at"] is None


def test_approving_a_case_with_capabilities_emits_case_approved_and_capability_active(
    two_category_case: ReviewCase, seller: Any, reviewer: Any
) -> None:
    case = two_category_case
    screen_and_check(services.case_submit(actor=seller, case_id=case.pk))
    services.case_claim(actor=reviewer, case_id=case.pk)
    before = WebhookEvent.objects.count()

    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk)

    new = list(WebhookEvent.objects.order_by("id")[before:])
    assert [e.event_type for e in new].count("case.approved") == 1
    capability_events = [e for e in new if e.event_type.startswith("capability.")]
    assert {e.event_type for e in capability_events} == {"capability.active"}
    assert sorted(e.payload["code"] for e in capability_events) == [
        "category.apparel",
        "category.electronics",
        "sell",
    ]
    apparel = next(e for e in capability_events if e.payload["code"] == "category.apparel")
    assert apparel.payload["previous_status"] == "pending"
    assert apparel.payload["category"] == "apparel"
    assert apparel.payload["merchant_id"] == case.merchant_id
    approved = next(e for e in new if e.event_type == "case.approved")
    # The case event is completed with the capabilities the approval activated.
    assert {c["status"] for c in approved.payload["capabilities"]} == {"active"}
    assert len(approved.payload["capabilities"]) == 3
    assert approved.payload["previous_state"] == "in_review"
    assert approved.payload["decided_at"].endswith("Z")


def test_rejecting_a_case_emits_capability_inactive_with_the_reason(
    two_category_case: ReviewCase, seller: Any, reviewer: Any
) -> None:
    case = two_category_case
    services.case_submit(actor=seller, case_id=case.pk)
    services.case_claim(actor=reviewer, case_id=case.pk)
    services.case_reject(
        actor=reviewer,
        case_id=case.pk,
        reason_codes=["unauthorized_brand"],
        rationale="No authorization.",
    )
    inactive = WebhookEvent.objects.filter(event_type="capability.inactive")
    assert inactive.count() == 3
    assert {e.payload["disabled_reason"] for e in inactive} == {"rejected.retry"}
    assert WebhookEvent.objects.filter(event_type="case.rejected").count() == 1


def test_an_unchanged_status_emits_nothing(db: Any, ready_case: Any, subscription: Any) -> None:
    capability = ready_case.merchant.capabilities.get(kind="sell")
    with transaction.atomic():
        capability_set_status(capability=capability, status=capability.status)
    assert WebhookEvent.objects.count() == 0
    # A save without a state change (a claim-less edit) emits nothing either.
    with transaction.atomic():
        case = ReviewCase.objects.select_for_update().get(pk=ready_case.pk)
        case.priority = 7
        services._save(case)
    assert WebhookEvent.objects.count() == 0
