"""The demo's staff users have a known TOTP secret; demo_totp prints its code in DEBUG only."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import ensure_demo_device

pytestmark = pytest.mark.django_db


def test_demo_totp_prints_a_code_the_device_accepts(reviewer: Any, settings: Any) -> None:
    settings.DEBUG = True
    device = ensure_demo_device(reviewer)
    out = StringIO()
    call_command("demo_totp", reviewer.username, stdout=out)
    assert device.verify_token(out.getvalue().strip())


def test_demo_totp_refuses_without_debug(reviewer: Any, settings: Any) -> None:
    settings.DEBUG = False
    ensure_demo_device(reviewer)
    with pytest.raises(CommandError):
        call_command("demo_totp", reviewer.username)


def test_demo_totp_refuses_a_real_device(reviewer: Any, settings: Any) -> None:
    settings.DEBUG = True
    TOTPDevice.objects.create(user=reviewer, name="demo", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_totp", reviewer.username)
