"""The checks on what the seller entered: registration number, expiry, holder name and
brand authorization chain. Pure functions of a context: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from kyc.checks import (
    BrandFacts,
    ChainLink,
    CheckLimits,
    MerchantFacts,
    PersonFacts,
    brand_chain,
    expiry,
    holder_name,
    registration_number,
)
from kyc.checks.base import Outcome
from kyc.checks.registration_number import compact_number

from .conftest import TODAY, context


def _merchant(**fields: str) -> MerchantFacts:
    base = {
        "id": 1,
        "legal_name": "Shenzhen Lumen Trading Co., Ltd.",
        "local_name": "深圳市光明贸易有限公司",
        "country": "CN",
        "registration_number": "",
        "entity_type": "company",
    }
    base.update(fields)
    return MerchantFacts(**base)  # type: ignore[arg-type]


def _registration(country: str, number: str, entity_type: str = "company"):
    ctx = context(
        number=number,
        merchant=_merchant(country=country, registration_number=number, entity_type=entity_type),
    )
    return registration_number.check(ctx)


# --------------------------------------------------------------------------- registration


@pytest.mark.parametrize(
    ("country", "number", "validator"),
    [
        ("CN", "91350100M000100Y43", "cn.uscc"),
        ("SG", "201812345" + "M", "sg.uen"),
        ("US", "46-1234567", "us.ein"),
        ("GB", "1955839661", "gb.utr"),
        ("GB", "GB980780684", "gb.vat"),
        ("DE", "Aachen HRB 44123", "de.handelsregisternummer"),
        ("FR", "732 829 320", "fr.siren"),
        ("FR", "73282932000074", "fr.siret"),
        ("JP", "5835678256246", "jp.cn"),
    ],
)
def test_a_valid_number_passes_with_the_validator_that_accepted_it(country, number, validator):
    if country == "SG":
        from stdnum.sg import uen

        number = number[:9] + uen.calc_local_company_check_digit(number[:9])
    result = _registration(country, number)
    assert (result.outcome, result.code) == (Outcome.PASSED, "registration_number_valid")
    assert result.evidence["validator"] == validator


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("CN", "91350100M000100Y44"),  # check character off by one
        ("SG", "201812345X"),
        ("US", "00-1234567"),  # no such EIN prefix
        ("FR", "732829321"),
        ("JP", "5835678256247"),
        ("DE", "12345"),
    ],
)
def test_a_number_failing_its_checksum_fails_as_invalid(country, number):
    result = _registration(country, number)
    assert (result.outcome, result.code) == (Outcome.FAILED, "registration_number_invalid")
    assert result.evidence["errors"]
    assert number in result.message_en and number in result.message_zh


@pytest.mark.parametrize(
    ("country", "number", "format_matches"),
    [
        ("HK", "71234568", ["business_registration"]),  # no HK module in python-stdnum
        ("GB", "09876543", ["companies_house"]),  # Companies House numbers have no check digit
        ("MY", "201901000005", ["ssm_2019"]),
        ("BR", "12.345.678/0001-95", []),  # a country with no validator mapped at all
    ],
)
def test_a_country_without_a_validator_warns_and_never_passes(country, number, format_matches):
    result = _registration(country, number)
    assert (result.outcome, result.code) == (Outcome.WARNING, "registration_number_no_validator")
    assert result.evidence["format_matches"] == format_matches


def test_an_individual_seller_may_register_with_a_personal_id():
    result = _registration("CN", "110101199001011237", entity_type="individual")
    assert (result.code, result.evidence["validator"]) == ("registration_number_valid", "cn.ric")
    company = _registration("CN", "110101199001011237", entity_type="company")
    assert company.code == "registration_number_invalid"


def test_the_document_number_must_be_the_profiles_number():
    ctx = context(number="91350100M000100Y43", merchant=_merchant(registration_number="X1"))
    result = registration_number.check(ctx)
    assert (result.outcome, result.code) == (Outcome.FAILED, "registration_number_mismatch")
    same = context(
        number="9135 0100-M000100Y43", merchant=_merchant(registration_number="91350100M000100Y43")
    )
    assert registration_number.check(same).code == "registration_number_valid"


def test_no_number_at_all_fails_as_missing():
    result = registration_number.check(context(number="", merchant=_merchant()))
    assert (result.outcome, result.code) == (Outcome.FAILED, "registration_number_missing")


def test_numbers_compare_without_case_spaces_or_separators():
    assert compact_number(" 46-123.45/67 ab") == "461234567AB"


# --------------------------------------------------------------------------- expiry


@pytest.mark.parametrize(
    ("expires", "outcome", "code"),
    [
        (TODAY - timedelta(days=1), Outcome.FAILED, "document_expired"),
        (TODAY, Outcome.WARNING, "document_expiring_soon"),
        (TODAY + timedelta(days=30), Outcome.WARNING, "document_expiring_soon"),
        (TODAY + timedelta(days=31), Outcome.PASSED, "document_valid"),
    ],
)
def test_expiry_fails_when_past_and_warns_within_the_window(expires, outcome, code):
    result = expiry.check(context(expiry_date=expires, has_expiry=True))
    assert (result.outcome, result.code) == (outcome, code)
    assert result.evidence["expiry_date"] == expires.isoformat()


def test_the_warning_window_is_the_setting():
    ctx = context(
        expiry_date=TODAY + timedelta(days=45), limits=CheckLimits(expiry_warning_days=60)
    )
    assert expiry.check(ctx).code == "document_expiring_soon"


def test_a_document_type_with_expiry_but_no_date_fails():
    assert expiry.check(context(has_expiry=True)).code == "expiry_date_missing"
    assert expiry.check(context(has_expiry=False)).outcome == Outcome.PASSED


def test_an_expired_document_says_when_it_expired_in_both_languages():
    result = expiry.check(context(expiry_date=date(2024, 12, 31)))
    assert "2024-12-31" in result.message_en and "2024-12-31" in result.message_zh
    assert result.evidence["days_overdue"] == 152


# --------------------------------------------------------------------------- holder name


@pytest.mark.parametrize(
    "holder",
    [
        "Shenzhen Lumen Trading Co., Ltd.",
        "SHENZHEN LUMEN TRADING COMPANY LIMITED",
        "Shenzhen Lumen Trading Limited",
        "Lumen Trading Shenzhen Co Ltd",  # word order
        "深圳市光明贸易有限公司",
        "深圳市光明贸易有限责任公司",  # another legal form of the same name
    ],
)
def test_the_holder_matches_the_legal_or_local_name_whatever_the_legal_form(holder):
    result = holder_name.check(context(holder_name=holder))
    assert (result.outcome, result.code) == (Outcome.PASSED, "holder_name_matches"), result.evidence


def test_a_small_typo_warns_and_another_company_fails():
    typo = holder_name.check(context(holder_name="Shenzen Lumen Tradng Co Ltd"))
    assert typo.outcome in (Outcome.PASSED, Outcome.WARNING)
    other = holder_name.check(context(holder_name="Guangzhou Pearl River Imports Ltd"))
    assert (other.outcome, other.code) == (Outcome.FAILED, "holder_name_mismatch")
    assert other.evidence["compared_with"] == [
        "Shenzhen Lumen Trading Co., Ltd.",
        "深圳市光明贸易有限公司",
    ]
    assert "Guangzhou Pearl River Imports Ltd" in other.message_zh


def test_a_near_miss_between_the_thresholds_warns():
    ctx = context(
        holder_name="Shenzhen Lumin Tradeing Co Ltd", limits=CheckLimits(name_match_pass=99)
    )
    result = holder_name.check(ctx)
    assert (result.outcome, result.code) == (Outcome.WARNING, "holder_name_similar")


def test_a_persons_document_is_compared_with_the_persons_name():
    ctx = context(
        document_type="identity_document",
        holder_name="WEI Li",
        person=PersonFacts(id=5, full_name="Li Wei", local_name="李伟"),
    )
    assert holder_name.check(ctx).code == "holder_name_matches"
    wrong = replace(ctx, holder_name="Wang Fang")
    assert holder_name.check(wrong).code == "holder_name_mismatch"
    assert holder_name.check(replace(ctx, holder_name="李伟")).code == "holder_name_matches"


def test_a_trademark_certificate_may_be_held_by_the_brand_owner():
    ctx = context(
        document_type="trademark_certificate",
        family="brand",
        holder_name="Harbor Threads PLC",
        brand=BrandFacts(id=3, name="Harbor Threads", trademark_holder="Harbor Threads plc"),
    )
    assert holder_name.check(ctx).code == "holder_name_matches"


# --------------------------------------------------------------------------- brand chain

HOLDER = "Lumen Audio Holdings Ltd"
BRAND = BrandFacts(id=7, name="Lumen Audio", trademark_holder=HOLDER)


def _link(position: int, grantor: str, grantee: str, **fields) -> ChainLink:
    values = {
        "brand_id": 7,
        "territories": ("CN",),
        "valid_from": TODAY - timedelta(days=100),
        "valid_until": TODAY + timedelta(days=365),
    }
    values.update(fields)
    return ChainLink(position=position, grantor_name=grantor, grantee_name=grantee, **values)


def _chain_ctx(*links: ChainLink, **overrides):
    values = {
        "document_type": "brand_authorization_letter",
        "family": "brand",
        "brand": BRAND,
        "chain": links,
    }
    values.update(overrides)
    return context(**values)


VALID_CHAIN = (
    _link(1, "Lumen Audio Holdings Limited", "Pearl Distribution Co., Ltd."),
    _link(2, "Pearl Distribution Company Limited", "Shenzhen Lumen Trading Co., Ltd."),
)


def test_a_complete_chain_from_the_trademark_holder_to_the_merchant_passes():
    result = brand_chain.check(_chain_ctx(*VALID_CHAIN))
    assert (result.outcome, result.code) == (Outcome.PASSED, "brand_chain_valid")
    assert [link["position"] for link in result.evidence["links"]] == [1, 2]
    assert result.evidence["max_depth"] == 2


@pytest.mark.parametrize(
    ("links", "code"),
    [
        (
            (_link(1, "Some Reseller Ltd", "Shenzhen Lumen Trading Co., Ltd."),),
            "brand_chain_not_from_trademark_holder",
        ),
        (
            (
                _link(1, HOLDER, "Pearl Distribution Ltd"),
                _link(2, "Orchid Wholesale Ltd", "Shenzhen Lumen Trading Co., Ltd."),
            ),
            "brand_chain_broken",
        ),
        (
            (_link(1, HOLDER, "Pearl Distribution Ltd"), _link(3, "Pearl Distribution Ltd", "x")),
            "brand_chain_broken",
        ),
        ((_link(1, HOLDER, "Another Seller Ltd"),), "brand_chain_not_to_merchant"),
        (
            (
                _link(
                    1, HOLDER, "Shenzhen Lumen Trading Ltd", valid_until=TODAY - timedelta(days=1)
                ),
            ),
            "brand_chain_link_expired",
        ),
        (
            (_link(1, HOLDER, "Shenzhen Lumen Trading Ltd", valid_from=TODAY + timedelta(days=1)),),
            "brand_chain_link_not_yet_valid",
        ),
        (
            (_link(1, HOLDER, "Shenzhen Lumen Trading Ltd", territories=("US", "CA")),),
            "brand_chain_territory",
        ),
        ((_link(1, HOLDER, "Shenzhen Lumen Trading Ltd", brand_id=99),), "brand_chain_wrong_brand"),
    ],
    ids=[
        "not-from-holder",
        "grantee-is-not-next-grantor",
        "missing-link",
        "not-to-merchant",
        "expired",
        "not-yet-valid",
        "territory",
        "wrong-brand",
    ],
)
def test_each_broken_chain_fails_with_its_own_code(links, code):
    result = brand_chain.check(_chain_ctx(*links))
    assert (result.outcome, result.code) == (Outcome.FAILED, code), result.evidence
    assert code in [p["code"] for p in result.evidence["problems"]]
    assert result.message_en and result.message_zh and "{" not in result.message_en


def test_a_worldwide_link_covers_every_country():
    link = _link(1, HOLDER, "Shenzhen Lumen Trading Ltd", territories=())
    assert brand_chain.check(_chain_ctx(link)).code == "brand_chain_valid"
    assert brand_chain.check(_chain_ctx(replace(link, territories=("WW",)))).code == (
        "brand_chain_valid"
    )


def test_the_chain_depth_is_limited_by_the_category():
    three = (
        _link(1, HOLDER, "A Distribution Ltd"),
        _link(2, "A Distribution Ltd", "B Wholesale Ltd"),
        _link(3, "B Wholesale Ltd", "Shenzhen Lumen Trading Ltd"),
    )
    apparel = brand_chain.check(
        _chain_ctx(*three, chain_max_depth=3, chain_depth_source="category:apparel")
    )
    assert apparel.code == "brand_chain_valid"
    medical = brand_chain.check(
        _chain_ctx(*three, chain_max_depth=1, chain_depth_source="category:medical-devices")
    )
    assert (medical.outcome, medical.code) == (Outcome.FAILED, "brand_chain_too_deep")
    assert medical.evidence["depth_limit_from"] == "category:medical-devices"
    by_setting = brand_chain.check(_chain_ctx(*three))  # no category: the setting (2)
    assert by_setting.code == "brand_chain_too_deep"


def test_a_link_expiring_soon_warns():
    link = _link(1, HOLDER, "Shenzhen Lumen Trading Ltd", valid_until=TODAY + timedelta(days=10))
    result = brand_chain.check(_chain_ctx(link))
    assert (result.outcome, result.code) == (Outcome.WARNING, "brand_chain_expiring_soon")


def test_the_trademark_holder_needs_no_chain_and_others_must_declare_one():
    own = _chain_ctx(brand=replace(BRAND, trademark_holder="Shenzhen Lumen Trading Co Ltd"))
    assert brand_chain.check(own).code == "brand_owned_by_merchant"
    undeclared = brand_chain.check(_chain_ctx())
    assert (undeclared.outcome, undeclared.code) == (Outcome.WARNING, "brand_chain_not_declared")


def test_an_unknown_trademark_holder_warns_rather_than_passes():
    link = _link(1, "Anyone Ltd", "Shenzhen Lumen Trading Ltd")
    result = brand_chain.check(_chain_ctx(link, brand=replace(BRAND, trademark_holder="")))
    assert (result.outcome, result.code) == (Outcome.WARNING, "brand_chain_holder_unknown")
