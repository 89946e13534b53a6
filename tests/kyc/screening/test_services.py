from __future__ import annotations

import pytest

from audit.models import AuditEvent
from kyc.models import Disposition, ScreeningMatch, ScreeningSubject
from kyc.screening.matcher import NoActiveSanctionsList, clear_matcher_cache
from kyc.screening.services import screen_merchant
from tests.factories import MerchantFactory, PersonFactory


@pytest.fixture(autouse=True)
def _fresh_matchers():
    clear_matcher_cache()
    yield
    clear_matcher_cache()


@pytest.fixture
def listed_merchant(small_list):
    merchant = MerchantFactory(
        legal_name="Golden Orchid Tradng Ltd",  # one typo, Ltd for LIMITED
        local_name="金兰贸易有限公司",
        trading_name="Orchid Gold Shipping",
    )
    PersonFactory(merchant=merchant, full_name="Mohammed Yousef Hassan")
    PersonFactory(merchant=merchant, full_name="Li Wei")
    return merchant


def test_screening_creates_a_match_per_hit_with_score_and_explanation(listed_merchant, small_list):
    created = screen_merchant(merchant=listed_merchant)

    found = {(m.subject, m.screened_name, m.entry.list_id) for m in created}
    assert found == {
        (ScreeningSubject.LEGAL_NAME, "Golden Orchid Tradng Ltd", "7002"),
        (ScreeningSubject.TRADING_NAME, "Orchid Gold Shipping", "7002"),
        (ScreeningSubject.PERSON, "Mohammed Yousef Hassan", "7001"),
    }
    person_hit = next(m for m in created if m.subject == ScreeningSubject.PERSON)
    assert person_hit.person.full_name == "Mohammed Yousef Hassan"
    assert all(m.status == Disposition.OPEN and m.sanctions_list == small_list for m in created)
    assert all(82 <= m.score <= 100 and "of entry" in m.explanation for m in created)
    (event,) = AuditEvent.objects.filter(action="screening.completed")
    assert event.merchant_id == listed_merchant.pk
    assert event.after["names_screened"] == 5 and event.after["new_matches"] == 3


def test_screening_twice_creates_nothing_new_and_keeps_dispositions(listed_merchant):
    first = screen_merchant(merchant=listed_merchant)
    ScreeningMatch.objects.filter(pk=first[0].pk).update(
        status=Disposition.FALSE_POSITIVE, disposition_comment="different party"
    )

    second = screen_merchant(merchant=listed_merchant)

    assert second == []
    assert ScreeningMatch.objects.filter(merchant=listed_merchant).count() == len(first)
    kept = ScreeningMatch.objects.get(pk=first[0].pk)
    assert kept.status == Disposition.FALSE_POSITIVE and kept.disposition_comment
    events = AuditEvent.objects.filter(action="screening.completed").order_by("seq")
    assert [e.after["new_matches"] for e in events] == [3, 0]


def test_an_ordinary_merchant_gets_no_match(small_list):
    merchant = MerchantFactory(legal_name="Shenzhen Lumen Trading Co., Ltd.", trading_name="")
    PersonFactory(merchant=merchant, full_name="Wang Xiaoming")

    assert screen_merchant(merchant=merchant) == []
    assert not ScreeningMatch.objects.exists()
    assert AuditEvent.objects.filter(action="screening.completed").count() == 1


def test_screening_without_a_list_is_refused_with_a_clear_code(db):
    merchant = MerchantFactory()
    with pytest.raises(NoActiveSanctionsList) as raised:
        screen_merchant(merchant=merchant)
    assert raised.value.code == "no_sanctions_list"
    assert not AuditEvent.objects.filter(action="screening.completed").exists()


def test_a_new_list_version_carries_hits_and_dispositions_over(listed_merchant, small_list):
    from kyc.screening.importer import import_sanctions_data

    from .conftest import SMALL_LIST, sdn_file, sdn_row

    first = screen_merchant(merchant=listed_merchant)
    ScreeningMatch.objects.filter(pk=first[0].pk).update(
        status=Disposition.FALSE_POSITIVE, disposition_comment="different party"
    )
    # The publisher adds one party: a new version, whose rows are all new entry rows.
    extra = sdn_row(7099, "LI, Wei", "individual", "SDGT", None)
    newer = import_sanctions_data(data=sdn_file([*SMALL_LIST, extra]), label="v2.csv")
    clear_matcher_cache()

    created = screen_merchant(merchant=listed_merchant, sanctions_list=newer.sanctions_list)

    # Only the hit on the newly listed party is new; the others moved to the new version.
    assert [(m.screened_name, m.entry.list_id) for m in created] == [("Li Wei", "7099")]
    matches = ScreeningMatch.objects.filter(merchant=listed_merchant)
    assert matches.count() == len(first) + 1
    assert set(matches.values_list("sanctions_list", flat=True)) == {newer.sanctions_list.pk}
    kept = ScreeningMatch.objects.get(pk=first[0].pk)
    assert kept.status == Disposition.FALSE_POSITIVE and kept.disposition_comment
