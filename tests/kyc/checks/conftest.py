from __future__ import annotations

import hashlib
from datetime import date

import pytest

from kyc.checks import CheckContext, CheckLimits, FileSource, MerchantFacts

TODAY = date(2025, 6, 1)


def context(data: bytes = b"", **overrides: object) -> CheckContext:
    values: dict[str, object] = {
        "today": TODAY,
        "document_type": "business_license",
        "family": "entity",
        "sha256": hashlib.sha256(data).hexdigest(),
        "merchant": MerchantFacts(
            id=1,
            legal_name="Shenzhen Lumen Trading Co., Ltd.",
            local_name="深圳市光明贸易有限公司",
            country="CN",
            registration_number="91350100M000100Y43",
            entity_type="company",
        ),
        "limits": CheckLimits(),
    }
    values.update(overrides)
    return CheckContext(**values)  # type: ignore[arg-type]


def source(data: bytes) -> FileSource:
    return FileSource.from_bytes(data)


@pytest.fixture
def ctx() -> CheckContext:
    return context()


@pytest.fixture(autouse=True)
def _english_after_each_test() -> object:
    # A request in Chinese leaves its language active in this thread; reset it so later
    # tests (which compare English text) are not affected by the order they run in.
    from django.utils import translation

    yield
    translation.deactivate()
