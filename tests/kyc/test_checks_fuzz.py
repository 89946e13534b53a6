"""Hostile files and metadata against every document check, one check at a time.

tests/kyc/checks/test_fuzz.py drives the whole pipeline; this module pins the stronger
property each check promises on its own: it answers with its own verdict (passed, warning or
failed under its own name) for any bytes and any metadata, without falling into the
`check_error` safety net of kyc.checks.base.guarded (which is there for the unforeseen, not
for malformed files), within a time bound (the hypothesis deadline) and a memory bound (the
resident set of the process may not grow past MEMORY_BUDGET while the checks run)."""

from __future__ import annotations

import io
import resource
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kyc.checks import (
    BrandFacts,
    ChainLink,
    CheckContext,
    CheckLimits,
    CheckResult,
    DuplicateFileCandidate,
    FileSource,
    MerchantFacts,
    PersonFacts,
    RegistrationCandidate,
    brand_chain,
    duplicate_file,
    duplicate_registration,
    expiry,
    file_type,
    holder_name,
    image_decode,
    image_resolution,
    integrity,
    pdf_embedded_files,
    pdf_javascript,
    pdf_structure,
    registration_number,
)
from kyc.checks.base import Outcome
from tests.factories import pdf_bytes, png_bytes
from tests.kyc.checks import files
from tests.kyc.checks.conftest import context

OUTCOMES = {Outcome.PASSED, Outcome.WARNING, Outcome.FAILED}
# Small limits so a mutated file reaches them; a real decompression bomb among the seeds.
LIMITS = CheckLimits(max_pdf_objects=500, max_image_pixels=4_000_000, min_image_side_px=10)
MEMORY_BUDGET = 256 * 1024 * 1024  # bytes of resident-set growth allowed over a whole property
FUZZ = settings(
    max_examples=100,
    deadline=3000,  # ms per example: a check that hangs on a crafted file fails here
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG", quality=80)
    return out.getvalue()


SEEDS = [
    pdf_bytes(),
    pdf_bytes("身份证 <script>"),
    png_bytes((64, 48)),
    _jpeg(),
    files.pdf_with_open_action_js(),
    files.pdf_with_attachment(),
    files.pdf_encrypted(),
    files.png_header_only(20_000, 20_000),
]

FILE_CHECKS: list[Callable[[FileSource, CheckContext], CheckResult]] = [
    file_type.check,
    pdf_structure.check,
    pdf_javascript.check,
    pdf_embedded_files.check,
    image_decode.check,
    image_resolution.check,
]


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


@pytest.fixture(scope="module")
def rss_at_start() -> int:
    return _rss_bytes()


def _assert_own_verdict(result: CheckResult, name: str) -> None:
    assert isinstance(result, CheckResult)
    assert result.check_name == name
    assert result.outcome in OUTCOMES
    assert result.code != "check_error", result.evidence  # the safety net caught a crash
    assert result.code and result.message_en and result.message_zh
    assert isinstance(result.evidence, dict)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real file, then bit flips, overwritten spans, inserted junk and a truncation."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["flip", "overwrite", "insert", "delete"]))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            junk = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(junk)] = junk
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


MAGIC = [b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"PK\x03\x04", b""]
hostile_bytes = st.one_of(
    mutated(),
    st.builds(lambda m, b: m + b, st.sampled_from(MAGIC), st.binary(max_size=2048)),
)


@FUZZ
@given(data=hostile_bytes)
def test_every_file_check_gives_its_own_verdict_on_hostile_bytes(data, rss_at_start):
    source = FileSource.from_bytes(data)
    ctx = context(data, limits=LIMITS)
    for check in FILE_CHECKS:
        _assert_own_verdict(check(source, ctx), check.check_name)  # type: ignore[attr-defined]
    assert _rss_bytes() - rss_at_start < MEMORY_BUDGET


any_text = st.text(max_size=120)
any_date = st.one_of(st.none(), st.dates())  # date.min .. date.max
countries = st.one_of(st.sampled_from(["CN", "HK", "US", "GB", "DE", "SG", "cn", ""]), any_text)
doc_types = st.sampled_from(
    ["business_license", "certificate_of_incorporation", "identity_document", "", "x"]
)


@FUZZ
@given(
    document_type=doc_types,
    number=any_text,
    profile_number=any_text,
    country=countries,
    entity_type=st.one_of(st.sampled_from(["company", "individual", ""]), any_text),
    holder=any_text,
    legal=any_text,
    local=any_text,
    person=st.one_of(st.none(), st.tuples(any_text, any_text)),
    expiry_date=any_date,
    issue_date=any_date,
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    has_expiry=st.booleans(),
    sha=st.one_of(st.none(), st.text(max_size=70)),
    warning_days=st.integers(-(10**6), 10**6),
    name_pass=st.integers(-10, 200),
    name_warn=st.integers(-10, 200),
)
def test_every_metadata_check_gives_its_own_verdict_on_arbitrary_strings_and_dates(
    document_type,
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
    today,
    has_expiry,
    sha,
    warning_days,
    name_pass,
    name_warn,
):
    ctx = context(
        today=today,
        document_type=document_type,
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
        limits=CheckLimits(
            expiry_warning_days=warning_days, name_match_pass=name_pass, name_match_warn=name_warn
        ),
    )
    results = [
        (registration_number.NAME, registration_number.check(ctx)),
        (expiry.NAME, expiry.check(ctx)),
        (holder_name.NAME, holder_name.check(ctx)),
        (integrity.NAME, integrity.check(sha, ctx)),
        (
            duplicate_file.NAME,
            duplicate_file.check(ctx, [DuplicateFileCandidate(3, 2, legal, local, ctx.sha256)]),
        ),
        (
            duplicate_registration.NAME,
            duplicate_registration.check(
                ctx, [RegistrationCandidate(2, legal, country, number or profile_number)]
            ),
        ),
    ]
    for name, result in results:
        _assert_own_verdict(result, name)


chain_link = st.builds(
    ChainLink,
    position=st.integers(-(10**6), 10**6),
    grantor_name=any_text,
    grantee_name=any_text,
    brand_id=st.one_of(st.none(), st.integers(-1, 3)),
    territories=st.lists(any_text, max_size=4).map(tuple),
    valid_from=any_date,
    valid_until=any_date,
    id=st.one_of(st.none(), st.integers(-1, 10)),
)


@FUZZ
@given(
    links=st.lists(chain_link, max_size=8),
    brand=st.one_of(
        st.none(),
        st.builds(BrandFacts, id=st.integers(0, 3), name=any_text, trademark_holder=any_text),
    ),
    family=st.sampled_from(["brand", "entity", ""]),
    depth=st.one_of(st.none(), st.integers(-5, 50)),
    setting_depth=st.integers(-5, 50),
    legal=any_text,
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
def test_the_brand_chain_check_gives_its_own_verdict_on_arbitrary_chains(
    links, brand, family, depth, setting_depth, legal, today
):
    ctx = context(
        today=today,
        family=family,
        document_type="brand_authorization_letter",
        brand=brand,
        chain=tuple(links),
        chain_max_depth=depth,
        merchant=MerchantFacts(id=1, legal_name=legal, country="CN"),
        limits=CheckLimits(brand_chain_max_depth=setting_depth),
    )
    _assert_own_verdict(brand_chain.check(ctx), brand_chain.NAME)
