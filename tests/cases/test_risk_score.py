"""The risk score factor by factor, the tier thresholds and the stored assessment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditEvent
from kyc.models import (
    CheckOutcome,
    Disposition,
    DocumentCheckResult,
    DocumentStatus,
    RiskAssessment,
    RiskSettings,
)
from kyc.risk import looks_like_entity, merchant_risk, risk_assess, tier_for_points
from merchants.models import Capability, CapabilityKind, CapabilityStatus, Category, Person
from tests.cases.screening_helpers import make_entry, make_list, make_match
from tests.factories import MerchantFactory, PersonFactory

pytestmark = pytest.mark.django_db


def factors(merchant: Any) -> dict[str, int]:
    return {f["code"]: f["points"] for f in merchant_risk(merchant).factors}


@pytest.fixture
def merchant(reference: Any) -> Any:
    """A CN company, marketplace seller, wholly owned by one declared person: scores 0."""
    m = MerchantFactory(country="CN")
    PersonFactory(
        merchant=m, full_name="Wang Fang", ownership_percent=100, is_beneficial_owner=True
    )
    return m


def test_a_plain_company_wholly_owned_by_a_declared_person_scores_nothing(merchant):
    score = merchant_risk(merchant)
    assert (score.points, score.tier, score.factors) == (0, "low", [])


# --- country


@pytest.mark.parametrize(
    ("country", "code", "points", "tier"),
    [
        ("IR", "country_embargoed", 100, "prohibited"),  # also FATF black list: worst wins
        ("KP", "country_embargoed", 100, "prohibited"),
        ("CU", "country_embargoed", 100, "prohibited"),
        ("MM", "country_fatf_call_for_action", 60, "high"),
        ("RU", "country_broadly_sanctioned", 60, "high"),
        ("SY", "country_broadly_sanctioned", 60, "high"),
        ("VN", "country_fatf_increased_monitoring", 30, "medium"),
        ("MC", "country_fatf_increased_monitoring", 30, "medium"),
        ("VG", "country_fatf_increased_monitoring", 30, "medium"),
    ],
)
def test_country_of_registration_scores_by_its_most_severe_class(
    merchant, country, code, points, tier
):
    merchant.country = country
    score = merchant_risk(merchant)
    assert {f["code"]: f["points"] for f in score.factors} == {code: points}
    assert score.tier == tier
    assert country in score.factors[0]["reason"]


@pytest.mark.parametrize("country", ["CN", "HK", "SG", "GB", "US", "DE", "JM", "TR", "PH", "HR"])
def test_countries_off_every_list_add_nothing(merchant, country):
    # Jamaica, Türkiye, the Philippines and Croatia left the grey list in 2024–2025.
    merchant.country = country
    assert factors(merchant) == {}


def test_a_persons_nationality_scores_less_than_registration(merchant):
    PersonFactory(merchant=merchant, full_name="Ali Rezaei", nationality="IR")
    assert factors(merchant) == {"nationality_embargoed": 60}


def test_the_reason_names_every_class_of_the_country(merchant):
    merchant.country = "IR"
    reason = merchant_risk(merchant).factors[0]["reason"]
    assert "comprehensive sanctions" in reason and "FATF call for action" in reason


# --- category and business model


def _apply(merchant: Any, code: str, status: str = CapabilityStatus.PENDING) -> None:
    Capability.objects.create(
        merchant=merchant,
        kind=CapabilityKind.CATEGORY,
        category=Category.objects.get(code=code),
        status=status,
    )


def test_regulated_categories_add_their_points(merchant):
    _apply(merchant, "medical-devices")
    _apply(merchant, "cosmetics")
    _apply(merchant, "food")
    _apply(merchant, "apparel")
    assert factors(merchant) == {
        "category_medical-devices": 25,
        "category_cosmetics": 10,
        "category_food": 10,
    }
    assert merchant_risk(merchant).tier == "medium"


def test_an_inactive_category_no_longer_counts(merchant):
    _apply(merchant, "medical-devices", status=CapabilityStatus.INACTIVE)
    assert factors(merchant) == {}


def test_a_prohibited_category_is_prohibited_level(merchant):
    _apply(merchant, "weapons")
    assert factors(merchant) == {"category_prohibited": 100}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("p2p_merchant", {"business_model_p2p": 25}),
        ("cross_border_b2b", {"business_model_cross_border": 10}),
        ("marketplace_seller", {}),
    ],
)
def test_business_model(merchant, model, expected):
    merchant.business_model = model
    assert factors(merchant) == expected


# --- screening


def test_open_screening_hits_make_the_merchant_high_risk(merchant):
    entry = make_entry(make_list(), "GOLDEN HARBOR TRADING LIMITED")
    make_match(merchant, entry)
    score = merchant_risk(merchant)
    assert factors(merchant) == {"screening_open": 60}
    assert score.tier == "high" and score.requires_edd
    assert "GOLDEN HARBOR TRADING LIMITED" in score.factors[0]["reason"]


def test_a_confirmed_match_is_prohibited_whatever_the_thresholds(merchant):
    RiskSettings.objects.filter(pk=1).update(
        medium_points=500, high_points=1000, prohibited_points=5000
    )
    entry = make_entry(make_list(), "GOLDEN HARBOR TRADING LIMITED")
    make_match(merchant, entry, status=Disposition.CONFIRMED)
    score = merchant_risk(merchant)
    assert factors(merchant) == {"screening_confirmed": 100}
    assert score.tier == "prohibited"


def test_inconclusive_hits_score_medium_and_false_positives_nothing(merchant):
    sdn = make_list()
    make_match(merchant, make_entry(sdn, "A"), status=Disposition.INCONCLUSIVE)
    make_match(merchant, make_entry(sdn, "B"), status=Disposition.FALSE_POSITIVE)
    assert factors(merchant) == {"screening_inconclusive": 30}


def test_many_open_hits_are_one_factor_naming_the_first_few(merchant):
    sdn = make_list()
    for index in range(8):
        make_match(merchant, make_entry(sdn, f"LISTED {index}"), screened_name=f"name {index}")
    score = merchant_risk(merchant)
    assert factors(merchant) == {"screening_open": 60}
    assert "(8)" in score.factors[0]["reason"] and "+3" in score.factors[0]["reason"]


# --- ownership opacity


def test_a_company_with_no_owner_at_or_above_25_percent_is_opaque(reference):
    m = MerchantFactory()
    PersonFactory(merchant=m, full_name="Rep Only", is_legal_representative=True)
    assert factors(m) == {"ownership_no_declared_owner": 20}


def test_an_individual_seller_has_no_ownership_to_explain(reference):
    m = MerchantFactory(entity_type="individual")
    PersonFactory(merchant=m, full_name="Solo Seller")
    assert factors(m) == {}


def test_declared_shares_leaving_25_percent_unaccounted_for_score(merchant):
    Person.objects.filter(merchant=merchant).update(ownership_percent=Decimal("60"))
    score = merchant_risk(merchant)
    assert factors(merchant) == {"ownership_unaccounted": 10}
    assert "60%" in score.factors[0]["reason"] and "40%" in score.factors[0]["reason"]


def test_shares_that_nearly_add_up_are_plausible(merchant):
    Person.objects.filter(merchant=merchant).update(ownership_percent=Decimal("80"))
    assert factors(merchant) == {}


def test_shares_above_100_percent_score(merchant):
    # The services refuse this; data imported or edited elsewhere may still carry it.
    PersonFactory(merchant=merchant, full_name="Second Owner", ownership_percent=30)
    assert factors(merchant) == {"ownership_over_100": 25}


@pytest.mark.parametrize(
    "name",
    [
        "Golden Bridge Holdings Ltd",
        "Acme Investments Limited",
        "Blue Sky Trust",
        "Nordwind GmbH",
        "Alpha S.A.",
        "Orient Capital Pte. Ltd.",
        "深圳市前海投资有限公司",
        "华夏控股集团",
    ],
)
def test_owner_names_that_read_as_entities(name):
    assert looks_like_entity(name)


@pytest.mark.parametrize("name", ["Li Wei", "Wang Fang", "Sarah Connor", "李伟", "Colin Cohen"])
def test_owner_names_that_read_as_people(name):
    assert not looks_like_entity(name)


def test_an_owner_that_is_itself_a_company_is_a_layer(merchant):
    Person.objects.filter(merchant=merchant).update(ownership_percent=Decimal("40"))
    PersonFactory(
        merchant=merchant,
        full_name="Golden Bridge Holdings Ltd",
        is_legal_representative=False,
        ownership_percent=60,
        is_beneficial_owner=True,
    )
    score = merchant_risk(merchant)
    assert factors(merchant) == {"ownership_layered": 20}
    assert "Golden Bridge Holdings Ltd (60%)" in score.factors[0]["reason"]


# --- PEP


def test_each_declared_pep_scores_high(merchant):
    Person.objects.filter(merchant=merchant).update(is_pep=True)
    assert factors(merchant) == {"pep": 60}
    assert merchant_risk(merchant).tier == "high"


# --- document checks and duplicates


def _result(doc: Any, name: str, outcome: str, code: str) -> None:
    DocumentCheckResult.objects.create(document=doc, check_name=name, outcome=outcome, code=code)


def test_failed_checks_count_up_to_a_cap_and_warnings_do_not(ready_case):
    merchant = ready_case.merchant
    license_doc, id_doc = merchant.documents.order_by("id")
    _result(license_doc, "pdf_structure", CheckOutcome.FAILED, "pdf_encrypted")
    _result(license_doc, "expiry", CheckOutcome.WARNING, "document_expiring")
    _result(id_doc, "holder_name", CheckOutcome.FAILED, "name_mismatch")
    assert factors(merchant)["failed_checks"] == 20
    for index in range(4):
        _result(id_doc, f"other_{index}", CheckOutcome.FAILED, "not_readable")
    assert factors(merchant)["failed_checks"] == 40  # six failed, capped


def test_results_of_superseded_documents_no_longer_count(ready_case):
    merchant = ready_case.merchant
    doc = merchant.documents.order_by("id").first()
    _result(doc, "pdf_structure", CheckOutcome.FAILED, "pdf_encrypted")
    doc.status = DocumentStatus.SUPERSEDED
    doc.save(update_fields=["status"])
    assert "failed_checks" not in factors(merchant)


def test_duplicate_signals_are_their_own_factors(ready_case):
    merchant = ready_case.merchant
    license_doc, id_doc = merchant.documents.order_by("id")
    _result(license_doc, "duplicate_file", CheckOutcome.FAILED, "duplicate_file_other_merchant")
    _result(
        license_doc,
        "duplicate_registration",
        CheckOutcome.WARNING,
        "duplicate_registration_number_other_merchant",
    )
    got = factors(merchant)
    assert got["duplicate_file_other_merchant"] == 40
    assert got["duplicate_registration_number_other_merchant"] == 40
    assert "failed_checks" not in got  # not counted twice
    assert merchant_risk(merchant).tier == "high"


# --- thresholds


@pytest.mark.parametrize(
    ("points", "tier"),
    [(0, "low"), (24, "low"), (25, "medium"), (59, "medium"), (60, "high"), (99, "high")]
    + [(100, "prohibited"), (250, "prohibited")],
)
def test_default_tier_thresholds(points, tier):
    assert tier_for_points(points) == tier


def test_tier_thresholds_come_from_the_risk_settings(merchant):
    merchant.business_model = "cross_border_b2b"  # 10 points
    assert merchant_risk(merchant).tier == "low"
    RiskSettings.objects.filter(pk=1).update(medium_points=5, high_points=10, prohibited_points=50)
    assert merchant_risk(merchant).tier == "high"


def test_without_a_settings_row_the_thresholds_come_from_the_deployment(merchant, settings):
    RiskSettings.objects.all().delete()
    merchant.business_model = "cross_border_b2b"  # 10 points
    assert merchant_risk(merchant).tier == "low"
    settings.KYC_RISK_TIER_THRESHOLDS = {"medium": 5, "high": 10, "prohibited": 50}
    assert merchant_risk(merchant).tier == "high"


# --- sum, queries, storage


def test_the_total_is_the_sum_of_the_named_factors(merchant):
    merchant.country = "VN"
    merchant.business_model = "p2p_merchant"
    Person.objects.filter(merchant=merchant).update(is_pep=True)
    score = merchant_risk(merchant)
    assert score.points == sum(f["points"] for f in score.factors) == 30 + 25 + 60
    assert all(set(f) == {"code", "points", "reason", "reason_zh"} for f in score.factors)


def test_reasons_are_given_in_chinese_too(merchant):
    Person.objects.filter(merchant=merchant).update(is_pep=True)
    factor = merchant_risk(merchant).factors[0]
    assert factor["reason"] == "Wang Fang declared as a politically exposed person."
    assert factor["reason_zh"] != factor["reason"] and "Wang Fang" in factor["reason_zh"]


def test_scoring_runs_a_constant_number_of_queries(ready_case, django_assert_num_queries):
    merchant = ready_case.merchant
    sdn = make_list()
    for index in range(30):
        person = PersonFactory(merchant=merchant, full_name=f"Owner {index} Holdings Ltd")
        make_match(merchant, make_entry(sdn, f"LISTED {index}"), person=person)
    for doc in merchant.documents.all():
        for index in range(10):
            _result(doc, f"check_{index}", CheckOutcome.FAILED, f"code_{index}")
    for code in ("food", "cosmetics", "medical-devices"):
        _apply(merchant, code)
    with django_assert_num_queries(5):  # the risk settings, then the merchant's four
        merchant_risk(merchant)


def test_risk_assess_stores_the_score_with_one_audit_event(merchant):
    merchant.business_model = "p2p_merchant"
    merchant.save()
    assessment = risk_assess(merchant=merchant)
    assert (assessment.points, assessment.tier) == (25, "medium")
    assert assessment.factors[0]["code"] == "business_model_p2p"
    event = AuditEvent.objects.get(action="risk.assessed")
    assert event.object_id == str(assessment.pk) and event.after["points"] == 25
    assert event.actor_type == "system"
    assert RiskAssessment.objects.count() == 1
