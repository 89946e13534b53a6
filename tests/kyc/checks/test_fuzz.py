"""Hostile input: every check, fed random bytes and random text, returns a result and never
raises (a check that raised would crash nothing, but would hide what is wrong)."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyc.checks import (
    BrandFacts,
    ChainLink,
    CheckLimits,
    CheckResult,
    DuplicateFileCandidate,
    MerchantFacts,
    PersonFacts,
    RegistrationCandidate,
    brand_chain,
    duplicate_file,
    duplicate_registration,
    expiry,
    holder_name,
    integrity,
    registration_number,
    run_checks,
)
from kyc.checks.base import Outcome
from kyc.previews import render_preview

from . import files
from .conftest import context, source

# Random bytes alone rarely reach the parsers: give them the right magic numbers too, and
# mutate real files so the parsers get deep before they find the damage.
MAGIC = [b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff"]
SEEDS = [
    files.pdf(2),
    files.pdf_with_open_action_js(),
    files.pdf_with_attachment(),
    files.pdf_encrypted(),
    files.image((64, 48), "PNG"),
    files.image((64, 48), "JPEG"),
]

LIMITS = CheckLimits(max_pdf_objects=2_000, min_image_side_px=10)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_results(results: list[CheckResult]) -> None:
    assert results
    for result in results:
        assert isinstance(result, CheckResult)
        assert result.outcome in (Outcome.PASSED, Outcome.WARNING, Outcome.FAILED)
        assert result.code and result.message_en and result.message_zh
        assert isinstance(result.evidence, dict)


@FUZZ
@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=4096))
def test_every_file_check_survives_random_bytes(magic, body):
    data = magic + body
    results = run_checks(source(data), context(data, limits=LIMITS), computed_sha256="0" * 64)
    _assert_results(results)
    assert results[0].code == "file_integrity_mismatch"


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=8)), max_size=6),
    truncate=st.integers(0, 10**6),
)
def test_every_file_check_survives_mutated_real_files(seed, cuts, truncate):
    data = bytearray(seed)
    for position, replacement in cuts:
        at = position % max(1, len(data))
        data[at : at + len(replacement)] = replacement
    data = bytes(data[: max(1, truncate % (len(data) + 1))])
    ctx = context(data, limits=LIMITS)
    _assert_results(run_checks(source(data), ctx, computed_sha256=ctx.sha256))
    render_preview(source(data), max_pixels=LIMITS.max_image_pixels)  # never raises


names = st.text(max_size=80)
dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)))


@FUZZ
@given(
    number=names,
    profile_number=names,
    country=st.text(max_size=3),
    entity_type=st.sampled_from(["company", "individual", "", "sole_proprietorship"]),
    holder=names,
    legal=names,
    local=names,
    person=st.one_of(st.none(), st.tuples(names, names)),
    expiry_date=dates,
    issue_date=dates,
    has_expiry=st.booleans(),
)
def test_every_metadata_check_survives_random_text(
    number,
    profile_number,
    country,
    entity_type,
    holder,
    legal,
    local,
    person,
    expiry_date,
    issue_date,
    has_expiry,
):
    ctx = context(
        number=number,
        holder_name=holder,
        expiry_date=expiry_date,
        issue_date=issue_date,
        has_expiry=has_expiry,
        merchant=MerchantFacts(
            id=1,
            legal_name=legal,
            local_name=local,
            country=country,
            registration_number=profile_number,
            entity_type=entity_type,
        ),
        person=PersonFacts(id=2, full_name=person[0], local_name=person[1]) if person else None,
    )
    _assert_results(
        [
            registration_number.check(ctx),
            expiry.check(ctx),
            holder_name.check(ctx),
            integrity.check(None, ctx),
            duplicate_file.check(ctx, [DuplicateFileCandidate(3, 2, legal, "x", ctx.sha256)]),
            duplicate_registration.check(ctx, [RegistrationCandidate(2, legal, country, number)]),
        ]
    )


link = st.builds(
    ChainLink,
    position=st.integers(-3, 6),
    grantor_name=names,
    grantee_name=names,
    brand_id=st.one_of(st.none(), st.integers(0, 3)),
    territories=st.lists(st.text(max_size=4), max_size=3).map(tuple),
    valid_from=dates,
    valid_until=dates,
)


@FUZZ
@given(
    links=st.lists(link, max_size=6),
    holder=names,
    depth=st.one_of(st.none(), st.integers(0, 5)),
    brand=st.booleans(),
)
def test_the_brand_chain_check_survives_random_chains(links, holder, depth, brand):
    ctx = context(
        family="brand",
        brand=BrandFacts(id=1, name="B", trademark_holder=holder) if brand else None,
        chain=tuple(links),
        chain_max_depth=depth,
    )
    _assert_results([brand_chain.check(ctx)])
