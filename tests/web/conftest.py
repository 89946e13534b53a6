"""Fixtures for the browser pages: signed-in clients per role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seller_client(seller: Any) -> Client:
    return _client_for(seller)


@pytest.fixture
def other_seller_client(other_seller: Any) -> Client:
    return _client_for(other_seller)


@pytest.fixture
def reviewer_client(reviewer: Any) -> Client:
    return _client_for(reviewer)


@pytest.fixture
def other_reviewer_client(other_reviewer: Any) -> Client:
    return _client_for(other_reviewer)


@pytest.fixture
def senior_client(senior: Any) -> Client:
    return _client_for(senior)


@pytest.fixture
def qc_client(qc_lead: Any) -> Client:
    return _client_for(qc_lead)
