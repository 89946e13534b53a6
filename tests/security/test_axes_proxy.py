"""The sign-in lockout behind a reverse proxy: with TRUSTED_PROXY_COUNT (production settings)
django-axes keys on the client's address from X-Forwarded-For, so two clients behind the same
proxy lock out separately, and a forged header cannot move a client out of its lockout.
Without it (every other settings module) the header is ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from config.client_ip import client_ip_address
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"  # the reverse proxy: every request reaches gunicorn from it
CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.9"


def _sign_in(username: str, password: str, forwarded_for: str) -> Any:
    return Client().post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def _lock_out(username: str, forwarded_for: str, limit: int) -> None:
    for _ in range(limit - 1):
        assert _sign_in(username, "wrong-password", forwarded_for).status_code == 200
    assert _sign_in(username, "wrong-password", forwarded_for).status_code == 429


@pytest.mark.django_db
def test_two_clients_behind_the_proxy_lock_out_separately(seller: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    _lock_out(seller.username, CLIENT_A, settings.AXES_FAILURE_LIMIT)

    assert _sign_in(seller.username, PASSWORD, CLIENT_A).status_code == 429
    # Same username, same proxy, another client: its own (empty) bucket.
    assert _sign_in(seller.username, PASSWORD, CLIENT_B).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_lockout(seller: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    _lock_out(seller.username, CLIENT_A, settings.AXES_FAILURE_LIMIT)
    # The client sends its own X-Forwarded-For; the proxy appends the real address after it.
    forged = f"{CLIENT_B}, {CLIENT_A}"
    assert _sign_in(seller.username, PASSWORD, forged).status_code == 429


@pytest.mark.django_db
def test_without_trusted_proxies_the_header_is_ignored(seller: Any, settings: Any) -> None:
    assert settings.TRUSTED_PROXY_COUNT == 0  # every settings module but production
    _lock_out(seller.username, CLIENT_A, settings.AXES_FAILURE_LIMIT)
    # Both "clients" are the proxy's address to the app, so they share the lockout.
    assert _sign_in(seller.username, PASSWORD, CLIENT_B).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        (0, CLIENT_A, PROXY),
        (1, CLIENT_A, CLIENT_A),
        (1, f"{CLIENT_B}, {CLIENT_A}", CLIENT_A),  # the leftmost entry is the client's own
        (2, f"{CLIENT_B}, {CLIENT_A}, 10.0.0.9", CLIENT_A),  # CDN, then the load balancer
        (2, CLIENT_A, PROXY),  # fewer hops than proxies: only the peer is known
        (1, "", PROXY),
        (1, "not-an-address", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_entry_the_trusted_proxies_wrote(
    settings: Any, count: int, forwarded_for: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip_address(request) == expected


def _production_setting(**env: str) -> str:
    skip = ("DATABASE_URL", "SECRET_KEY", "TRUSTED_PROXY_COUNT")
    clean = {k: v for k, v in os.environ.items() if k not in skip}
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="k" * 20 + "0123456789abcdefghijklmnopqrst",
        **env,
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TRUSTED_PROXY_COUNT, settings.AXES_CLIENT_IP_CALLABLE)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_production_trusts_one_proxy_unless_told_otherwise() -> None:
    callable_path = "config.client_ip.client_ip_address"
    assert _production_setting() == f"1 {callable_path}"
    assert _production_setting(TRUSTED_PROXY_COUNT="2") == f"2 {callable_path}"
    assert _production_setting(TRUSTED_PROXY_COUNT="0") == f"0 {callable_path}"
