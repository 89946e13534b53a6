"""The duplicate checks judge candidate rows the service found; here they get them by hand."""

from __future__ import annotations

from kyc.checks import (
    DuplicateFileCandidate,
    MerchantFacts,
    RegistrationCandidate,
    duplicate_file,
    duplicate_registration,
)
from kyc.checks.base import Outcome

from .conftest import context

SHA = "a" * 64


def _file(document_id: int, merchant_id: int, sha: str = SHA) -> DuplicateFileCandidate:
    return DuplicateFileCandidate(
        document_id=document_id,
        merchant_id=merchant_id,
        merchant_name=f"Merchant {merchant_id}",
        document_type="business_license",
        sha256=sha,
    )


def test_the_same_file_at_another_merchant_fails_and_names_it_for_staff():
    ctx = context(sha256=SHA)
    result = duplicate_file.check(ctx, [_file(12, 2), _file(9, 3)])
    assert (result.outcome, result.code) == (Outcome.FAILED, "duplicate_file_other_merchant")
    assert result.evidence["merchant_ids"] == [2, 3]
    assert [d["document_id"] for d in result.evidence["documents"]] == [9, 12]
    # The seller is told what to do, never who else uploaded it.
    assert "Merchant 2" not in result.message_en and "Merchant 2" not in result.message_zh


def test_the_same_merchant_or_another_file_is_no_duplicate():
    ctx = context(sha256=SHA)
    result = duplicate_file.check(ctx, [_file(4, 1), _file(5, 2, sha="b" * 64)])
    assert (result.outcome, result.code) == (Outcome.PASSED, "no_duplicate_file")


def _reg(merchant_id: int, number: str, country: str = "CN", document_id: int | None = None):
    return RegistrationCandidate(
        merchant_id=merchant_id,
        merchant_name=f"Merchant {merchant_id}",
        country=country,
        registration_number=number,
        document_id=document_id,
    )


def test_the_same_registration_number_at_another_merchant_fails():
    ctx = context(number="91350100M000100Y43")
    result = duplicate_registration.check(
        ctx, [_reg(2, "9135-0100-M000100Y43"), _reg(2, "91350100m000100y43", document_id=8)]
    )
    assert (result.outcome, result.code) == (
        Outcome.FAILED,
        "duplicate_registration_number_other_merchant",
    )
    assert result.evidence["merchant_ids"] == [2]
    assert result.evidence["total"] == 2


def test_the_same_number_in_another_country_or_the_same_merchant_is_no_duplicate():
    ctx = context(number="91350100M000100Y43")
    candidates = [_reg(2, "91350100M000100Y43", country="HK"), _reg(1, "91350100M000100Y43")]
    result = duplicate_registration.check(ctx, candidates)
    assert (result.outcome, result.code) == (Outcome.PASSED, "no_duplicate_registration_number")


def test_the_merchants_profile_number_counts_too():
    ctx = context(
        number="",
        merchant=MerchantFacts(id=1, country="CN", registration_number="91350100M000100Y43"),
    )
    result = duplicate_registration.check(ctx, [_reg(5, "91350100M000100Y43")])
    assert result.code == "duplicate_registration_number_other_merchant"
