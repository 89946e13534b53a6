"""Fixtures for the REST API tests: clients signed in as each role, and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], APIClient]:
    """A client signed in with a real session (so the session authentication runs)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def seller_api(client_for: Callable[[Any], APIClient], seller: Any) -> APIClient:
    return client_for(seller)


@pytest.fixture
def other_seller_api(client_for: Callable[[Any], APIClient], other_seller: Any) -> APIClient:
    return client_for(other_seller)


@pytest.fixture
def reviewer_api(client_for: Callable[[Any], APIClient], reviewer: Any) -> APIClient:
    return client_for(reviewer)


@pytest.fixture
def token_for(db: Any) -> Callable[..., tuple[APIClient, ApiToken]]:
    """A client authenticating with an API token only (no session). The token holds every
    scope the user's roles allow unless `scopes` says otherwise."""

    def make(
        user: Any, name: str = "erp-integration", scopes: list[str] | None = None
    ) -> tuple[APIClient, ApiToken]:
        from accounts.scopes import scopes_for_roles

        chosen = sorted(scopes_for_roles(user)) if scopes is None else scopes
        token, key = ApiToken.issue(user=user, name=name, scopes=chosen)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client, token

    return make


@pytest.fixture
def stored_files(tmp_path: Path) -> Callable[[], list[Path]]:
    """The files in this test's storage folder (see tests/conftest.py)."""

    def files() -> list[Path]:
        root = tmp_path / "media"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    return files
