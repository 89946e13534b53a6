"""The expiry watch: a re-verification case 30 days before a licence expires, the capability
inactive the day after, once; a renewal under review keeps it live until its deadline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from audit.models import AuditEvent
from cases import services
from cases.models import (
    CaseKind,
    CaseState,
    DocumentExpiryAction,
    ExpiryStage,
    Notification,
    ReviewCase,
)
from cases.monitoring import expiry_watch
from kyc.models import DocumentStatus, DocumentType, QualificationDocument
from kyc.services import document_upload
from merchants.models import Capability, CapabilityKind, CapabilityStatus, Merchant
from tests.cases.monitoring_helpers import LICENCE_EXPIRY, approve, at
from tests.conftest import accept_documents, screen_and_check, upload
from tests.factories import pdf_bytes


@pytest.fixture
def active(claimed_case: Any, reviewer: Any) -> Merchant:
    return approve(claimed_case, reviewer)


def licence(merchant: Merchant) -> QualificationDocument:
    return merchant.documents.exclude(status=DocumentStatus.SUPERSEDED).get(
        document_type__code="business_license"
    )


def sell(merchant: Merchant) -> Capability:
    return merchant.capabilities.get(kind=CapabilityKind.SELL)


def reverification_cases(merchant: Merchant) -> Any:
    return ReviewCase.objects.filter(merchant=merchant, kind=CaseKind.REVERIFICATION)


def renew(merchant: Merchant, seller: Any, *, expiry: str = "2036-01-01") -> QualificationDocument:
    return document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=upload("renewed.pdf", pdf_bytes("Renewed licence")),
        filename="renewed.pdf",
        metadata={"number": "91350100M000100Y43", "expiry_date": expiry},
        supersedes=licence(merchant),
    )


def test_nothing_happens_31_days_before_expiry(active: Merchant) -> None:
    events = AuditEvent.objects.count()

    result = expiry_watch(now=at(LICENCE_EXPIRY - timedelta(days=31)))

    assert result == {"warned": 0, "expired": 0, "disabled": 0, "kept_live": 0}
    assert not reverification_cases(active).exists()
    assert not DocumentExpiryAction.objects.exists()
    assert AuditEvent.objects.count() == events


def test_an_expiring_licence_opens_one_reverification_case_30_days_before_and_once(
    active: Merchant,
) -> None:
    now = at(LICENCE_EXPIRY - timedelta(days=30))

    result = expiry_watch(now=now)

    assert result["warned"] == 1
    case = reverification_cases(active).get()
    assert case.state == CaseState.DRAFT
    assert case.created_by is None  # opened by the platform
    assert list(case.capabilities.all()) == [sell(active)]
    action = DocumentExpiryAction.objects.get()
    assert (action.document, action.stage, action.case) == (
        licence(active),
        ExpiryStage.WARNED,
        case,
    )
    assert action.details["renewal_deadline"] == "2031-01-15"
    notices = Notification.objects.filter(event="document.expiring")
    assert notices.count() == 1
    assert "2031-01-01" in notices.get().body
    assert "Business license" in notices.get().body
    assert sell(active).status == CapabilityStatus.ACTIVE
    events = AuditEvent.objects.count()

    # Again the same day, and again a week later: nothing more.
    assert expiry_watch(now=now)["warned"] == 0
    assert expiry_watch(now=now + timedelta(days=7))["warned"] == 0

    assert reverification_cases(active).count() == 1
    assert Notification.objects.filter(event="document.expiring").count() == 1
    assert AuditEvent.objects.count() == events


def test_the_capability_goes_inactive_on_the_day_after_expiry_and_only_once(
    active: Merchant,
) -> None:
    expiry_watch(now=at(LICENCE_EXPIRY - timedelta(days=30)))

    on_the_day = expiry_watch(now=at(LICENCE_EXPIRY))
    assert on_the_day["disabled"] == 0
    assert sell(active).status == CapabilityStatus.ACTIVE

    result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=1)))

    assert result == {"warned": 0, "expired": 1, "disabled": 1, "kept_live": 0}
    capability = sell(active)
    assert capability.status == CapabilityStatus.INACTIVE
    assert capability.disabled_reason == "document_expired"
    event = AuditEvent.objects.get(action="monitoring.documents_expired")
    assert event.after["capabilities"][0]["after"] == {
        "status": "inactive",
        "disabled_reason": "document_expired",
    }
    assert Notification.objects.filter(event="capabilities.disabled").count() == 1
    events = AuditEvent.objects.count()

    again = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=2)))

    assert again == {"warned": 0, "expired": 0, "disabled": 0, "kept_live": 0}
    assert AuditEvent.objects.count() == events
    assert Notification.objects.filter(event="capabilities.disabled").count() == 1


def test_a_job_that_runs_late_warns_and_disables_in_one_run(active: Merchant) -> None:
    result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=3)))

    assert result == {"warned": 1, "expired": 1, "disabled": 1, "kept_live": 0}
    assert reverification_cases(active).count() == 1
    assert sell(active).disabled_reason == "document_expired"


def test_a_renewal_under_review_keeps_the_capability_live_until_the_deadline(
    active: Merchant, seller: Any
) -> None:
    expiry_watch(now=at(LICENCE_EXPIRY - timedelta(days=30)))
    renewal = renew(active, seller)
    assert licence(active) == renewal  # the old one is superseded

    for day in (1, 7, 14):
        result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=day)))
        assert result["kept_live"] == 1
        assert sell(active).status == CapabilityStatus.ACTIVE

    result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=15)))

    assert result["disabled"] == 1
    assert sell(active).disabled_reason == "document_expired"


def test_approving_the_reverification_with_the_renewal_reactivates_the_capability(
    active: Merchant, seller: Any, reviewer: Any
) -> None:
    expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=1)))
    assert sell(active).status == CapabilityStatus.INACTIVE
    case = reverification_cases(active).get()
    renewal = renew(active, seller)

    screen_and_check(services.case_submit(actor=seller, case_id=case.pk))
    services.case_claim(actor=reviewer, case_id=case.pk)
    accept_documents(case, reviewer)
    services.case_approve(actor=reviewer, case_id=case.pk)

    capability = sell(active)
    assert (capability.status, capability.disabled_reason) == (CapabilityStatus.ACTIVE, "")
    renewal.refresh_from_db()
    assert renewal.status == DocumentStatus.ACCEPTED
    events = AuditEvent.objects.count()
    assert expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=20)))["disabled"] == 0
    assert AuditEvent.objects.count() == events


def test_an_accepted_renewal_before_the_warning_opens_nothing(
    active: Merchant, seller: Any
) -> None:
    renewal = renew(active, seller)
    QualificationDocument.objects.filter(pk=renewal.pk).update(status=DocumentStatus.ACCEPTED)

    result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=1)))

    assert result == {"warned": 0, "expired": 0, "disabled": 0, "kept_live": 0}
    assert not reverification_cases(active).exists()
    assert sell(active).status == CapabilityStatus.ACTIVE


def test_a_merchant_still_onboarding_is_not_watched(ready_case: Any) -> None:
    result = expiry_watch(now=at(LICENCE_EXPIRY + timedelta(days=1)))

    assert result == {"warned": 0, "expired": 0, "disabled": 0, "kept_live": 0}
    assert not DocumentExpiryAction.objects.exists()


def test_the_seller_cannot_withdraw_the_platforms_reverification_case(
    active: Merchant, seller: Any
) -> None:
    from config.errors import NotAllowed

    expiry_watch(now=at(LICENCE_EXPIRY - timedelta(days=30)))
    case = reverification_cases(active).get()

    with pytest.raises(NotAllowed):
        services.case_withdraw(actor=seller, case_id=case.pk)


def test_the_expiry_notice_is_in_the_sellers_language(active: Merchant) -> None:
    Merchant.objects.filter(pk=active.pk).update(preferred_language="zh-hans")

    expiry_watch(now=at(LICENCE_EXPIRY - timedelta(days=30)))

    notice = Notification.objects.get(event="document.expiring")
    assert notice.language == "zh-hans"
    assert "营业执照" in notice.body  # the document type's Chinese name
