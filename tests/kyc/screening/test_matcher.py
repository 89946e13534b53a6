from __future__ import annotations

import pytest

from kyc.screening.importer import parse_sdn_csv
from kyc.screening.index import EntryRecord
from kyc.screening.matcher import (
    DEFAULT_THRESHOLD,
    Matcher,
    NoActiveSanctionsList,
    clear_matcher_cache,
    get_matcher,
)
from tests.kyc.screening.conftest import SMALL_LIST, require_sdn_file, sdn_file

ORDINARY = [
    ("Shenzhen Lumen Trading Co., Ltd.", "entity"),
    ("Ningbo Evergreen Textile Trading Co., Ltd.", "entity"),
    ("Hamburg Nordic Foods GmbH", "entity"),
    ("Austin Maple Home Goods LLC", "entity"),
    ("Golden Lotus Cosmetics Ltd", "entity"),
    ("Li Wei", "individual"),
    ("Wang Xiaoming", "individual"),
    ("John Smith", "individual"),
    ("Maria Garcia", "individual"),
    ("Muhammad Ali Khan", "individual"),
]


def matcher_for(data: bytes) -> Matcher:
    return Matcher.from_records(
        [
            EntryRecord(None, e.list_id, e.entry_type, e.primary_name, e.names)
            for e in parse_sdn_csv(data)
        ]
    )


@pytest.fixture(scope="module")
def small() -> Matcher:
    return matcher_for(sdn_file(SMALL_LIST))


def top(matcher: Matcher, name: str, entity_type: str = "entity"):
    found = matcher.match(name, entity_type)
    assert found, f"{name!r} should match"
    return found[0]


@pytest.mark.parametrize(
    ("name", "entity_type", "list_id", "because"),
    [
        ("Anglo Caribbean Company Limited", "entity", "173", "legal form"),
        ("Caribbean Anglo Co Ltd", "entity", "173", "different order"),
        ("ANGLO-CARIBEAN CO., LTD.", "entity", "173", "ANGLO"),
        ("Golden Orchid Tradng Ltd", "entity", "7002", "typo in 'TRADNG'"),
        ("Orchid Golden Trading Limited", "entity", "7002", "different order"),
        ("Khaled Mustafa Import & Export L.L.C.", "entity", "7005", "legal form"),
        ("Ayman al-Zawahiri", "individual", "2676", "different order"),
        ("Aiman Zawahri", "individual", "2676", "typo"),
        ("Muhammad Yusuf Hassan", "individual", "7001", "spelling variant"),
        ("Alexander Sergeyevich Ivanoff", "individual", "7003", "spelling variant"),
        ("Sea Falcon", "entity", "7004", "same words"),
    ],
)
def test_variants_of_a_listed_name_are_hits_with_an_explanation(
    small, name, entity_type, list_id, because
):
    hit = top(small, name, entity_type)
    assert hit.list_id == list_id
    assert DEFAULT_THRESHOLD <= hit.score <= 100
    assert f"of entry {list_id}" in hit.explanation and because in hit.explanation


def test_an_exact_name_scores_100_and_names_the_alias_that_matched(small):
    hit = top(small, "Orchid Gold Shipping Company")
    assert (hit.list_id, hit.score) == ("7002", 100)
    assert hit.listed_name == "GOLDEN ORCHID TRADING LIMITED"
    assert hit.matched_name == "ORCHID GOLD SHIPPING CO"
    assert hit.explanation.startswith("former name 'ORCHID GOLD SHIPPING CO' of entry 7002")
    assert hit.as_dict() == {
        "list_id": 7002,
        "listed_name": "GOLDEN ORCHID TRADING LIMITED",
        "matched_name": "ORCHID GOLD SHIPPING CO",
        "score": 100,
        "explanation": hit.explanation,
    }


def test_a_typo_is_named_in_the_explanation(small):
    hit = top(small, "Golden Orchid Tradng Ltd")
    assert "one-letter typo in 'TRADNG' (listed 'TRADING')" in hit.explanation


@pytest.mark.parametrize(("name", "entity_type"), ORDINARY)
def test_ordinary_names_do_not_match(small, name, entity_type):
    assert small.match(name, entity_type) == []


def test_the_other_kind_of_party_costs_points_unless_the_name_is_the_same(small):
    as_person = small.match("Golden Orchid Trading", "individual", threshold=0)
    as_company = small.match("Golden Orchid Trading", "entity", threshold=0)
    assert as_person[0].score == as_company[0].score == 100  # exact: never missed
    near_person = small.match("Golden Orchid Tradng", "individual", threshold=0)[0]
    near_company = small.match("Golden Orchid Tradng", "entity", threshold=0)[0]
    assert near_person.score == near_company.score - 10
    assert "screened as an individual" in near_person.explanation


def test_threshold_and_limit_are_honoured(small):
    assert small.match("Golden Orchid", threshold=100) == []
    assert len(small.match("Golden Orchid", threshold=1, limit=1)) == 1
    assert small.match("", threshold=0) == []
    assert small.match("...", threshold=0) == []


@pytest.fixture(scope="module")
def real() -> Matcher:
    path = require_sdn_file()
    return matcher_for(path.read_bytes())


@pytest.mark.parametrize(
    ("name", "entity_type", "list_id"),
    [
        ("Anglo Caribbean Company Limited", "entity", "173"),
        ("Banco Nacional de Cuba", "entity", "306"),
        ("BANCO NACIONAL CUBA S.A.", "entity", "306"),
        ("Ayman al-Zawahiri", "individual", "2676"),
        ("Abboud Abdul Latif Hassan al-Zomor", "individual", "2677"),
        ("Uzay Group Dis Ticaret Ltd Sti", "entity", "48907"),
        ("Uzay Grup Dis Ticaret Limited", "entity", "48907"),
    ],
)
def test_real_listed_names_are_found_in_their_variants(real, name, entity_type, list_id):
    assert list_id in [m.list_id for m in real.match(name, entity_type, limit=50)]


@pytest.mark.parametrize(("name", "entity_type"), ORDINARY)
def test_ordinary_names_do_not_match_the_real_list(real, name, entity_type):
    assert real.match(name, entity_type) == []


@pytest.mark.django_db
def test_the_matcher_is_built_once_per_list_version_and_follows_the_active_list(small_file):
    from kyc.screening.importer import import_sanctions_data

    clear_matcher_cache()
    with pytest.raises(NoActiveSanctionsList):
        get_matcher()
    first = import_sanctions_data(data=small_file, label="v1").sanctions_list
    matcher = get_matcher()
    assert get_matcher() is matcher and matcher.list_pk == first.pk
    assert top(matcher, "Banco Nacional de Cuba").entry_pk is not None

    second = import_sanctions_data(data=sdn_file(SMALL_LIST[:2]), label="v2").sanctions_list
    assert get_matcher().list_pk == second.pk
    assert get_matcher().match("Golden Orchid Trading Limited") == []
    assert get_matcher(first) is matcher
