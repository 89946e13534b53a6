"""Fixtures for the screening and risk tests: a loaded list, a stand-in matcher."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.screening_helpers import fake_screener, make_entry, make_list


@pytest.fixture
def sdn(db: Any) -> Any:
    return make_list()


@pytest.fixture
def hits(sdn: Any) -> dict[str, Any]:
    """Names the stand-in matcher reports, each with its listed entry; tests add to it."""
    return {}


@pytest.fixture
def screener(monkeypatch: pytest.MonkeyPatch, hits: dict[str, Any]) -> Any:
    """Replaces kyc.screening's matcher for the case services with `fake_screener(hits)`."""
    fake = fake_screener(hits)
    monkeypatch.setattr("cases.screening._screen_merchant", fake)
    return fake


@pytest.fixture
def golden_harbor(sdn: Any) -> Any:
    return make_entry(sdn, "GOLDEN HARBOR TRADING LIMITED", aliases=["GOLDEN HARBOUR CO"])
