from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from cases.services import capability_apply, onboarding_start
from config.errors import InvalidInput, NotAllowed, NotFound
from merchants.models import Capability, CapabilityStatus, Category, Merchant
from merchants.selectors import merchant_get, merchant_list
from merchants.services import merchant_update, person_add, person_remove, person_update


def _merchant(seller, **data):
    base = {"legal_name": "Harbor Goods Ltd", "entity_type": "company", "country": "hk"}
    merchant, case = onboarding_start(actor=seller, data={**base, **data})
    return merchant, case


def test_onboarding_creates_merchant_membership_sell_capability_and_draft_case(reference, seller):
    merchant, case = _merchant(seller)
    assert merchant.country == "HK" and merchant.contact_email == seller.email
    assert merchant.members.get() == seller
    (cap,) = merchant.capabilities.all()
    assert (cap.kind, cap.status) == ("sell", CapabilityStatus.PENDING)
    assert case.state == "draft" and list(case.capabilities.all()) == [cap]
    assert list(
        AuditEvent.objects.filter(merchant_id=merchant.pk).values_list("action", flat=True)
    ) == ["merchant.created", "case.opened"]


def test_only_sellers_create_merchants(reference, reviewer):
    with pytest.raises(NotAllowed):
        _merchant(reviewer)
    assert not Merchant.objects.exists()


def test_invalid_profile_is_refused_field_by_field(reference, seller):
    with pytest.raises(InvalidInput) as exc:
        _merchant(seller, entity_type="llama", website="not a url")
    assert {"entity_type", "website"} <= set(exc.value.fields)
    assert not Merchant.objects.exists() and not AuditEvent.objects.exists()


def test_profile_update_audits_only_the_changed_fields(reference, seller):
    merchant, _ = _merchant(seller)
    merchant_update(
        actor=seller, merchant=merchant, data={"trading_name": "Harbor", "country": "HK"}
    )
    event = AuditEvent.objects.get(action="merchant.updated")
    assert event.before == {"trading_name": ""} and event.after == {"trading_name": "Harbor"}


def test_another_seller_cannot_see_or_change_my_merchant(reference, seller, other_seller):
    merchant, _ = _merchant(seller)
    assert list(merchant_list(actor=other_seller)) == []
    with pytest.raises(NotFound):
        merchant_get(actor=other_seller, merchant_id=merchant.pk)
    with pytest.raises(NotAllowed):
        merchant_update(actor=other_seller, merchant=merchant, data={"legal_name": "Mine now"})
    merchant.refresh_from_db()
    assert merchant.legal_name == "Harbor Goods Ltd"


def test_staff_see_all_merchants(reference, seller, reviewer):
    merchant, _ = _merchant(seller)
    assert list(merchant_list(actor=reviewer)) == [merchant]


def test_ownership_over_100_percent_is_refused(reference, seller):
    merchant, _ = _merchant(seller)
    person_add(actor=seller, merchant=merchant, data={"full_name": "A", "ownership_percent": 70})
    with pytest.raises(InvalidInput) as exc:
        person_add(
            actor=seller, merchant=merchant, data={"full_name": "B", "ownership_percent": 40}
        )
    assert exc.value.code == "ownership_over_100"
    assert exc.value.fields == {"ownership_percent": ["At most 30% is left to declare."]}
    assert merchant.people.count() == 1


def test_owner_at_threshold_becomes_beneficial_owner(reference, seller):
    merchant, _ = _merchant(seller)
    person = person_add(
        actor=seller,
        merchant=merchant,
        data={"full_name": "Chan Tai Man", "ownership_percent": Decimal("25")},
    )
    assert person.is_beneficial_owner


def test_person_needs_a_role(reference, seller):
    merchant, _ = _merchant(seller)
    with pytest.raises(InvalidInput):
        person_add(actor=seller, merchant=merchant, data={"full_name": "Nobody"})


def test_person_update_and_remove_are_audited(reference, seller):
    merchant, _ = _merchant(seller)
    person = person_add(
        actor=seller, merchant=merchant, data={"full_name": "Wong", "is_director": True}
    )
    person_update(actor=seller, person=person, data={"is_legal_representative": True})
    person_remove(actor=seller, person=person)
    assert list(
        AuditEvent.objects.filter(object_type="merchants.person").values_list("action", flat=True)
    ) == ["person.added", "person.updated", "person.removed"]
    assert not merchant.people.exists()


def test_prohibited_category_cannot_be_applied_for(reference, seller):
    merchant, _ = _merchant(seller)
    weapons = Category.objects.get(code="weapons")
    with pytest.raises(InvalidInput) as exc:
        capability_apply(actor=seller, merchant=merchant, kind="category", category=weapons)
    assert exc.value.code == "category_prohibited"
    assert not Capability.objects.filter(category=weapons).exists()


def test_applying_twice_for_a_category_is_idempotent(reference, seller):
    merchant, case = _merchant(seller)
    food = Category.objects.get(code="food")
    first, _ = capability_apply(actor=seller, merchant=merchant, kind="category", category=food)
    second, case2 = capability_apply(
        actor=seller, merchant=merchant, kind="category", category=food
    )
    assert first.pk == second.pk and case2.pk == case.pk
    assert case.capabilities.count() == 2
