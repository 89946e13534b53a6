from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from tests.factories import make_user


@pytest.fixture
def other_admin(db: Any) -> Any:
    """A second compliance admin: the one who publishes what the first one drafted."""
    return make_user(Role.COMPLIANCE_ADMIN, username="second-admin")


@pytest.fixture
def admin_client(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)  # second-factor verified (tests/conftest.py)
    return client


@pytest.fixture
def other_admin_client(other_admin: Any) -> Client:
    client = Client()
    client.force_login(other_admin)
    return client
