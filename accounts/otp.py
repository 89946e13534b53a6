"""The second factor for staff: who needs it, their TOTP device, and its enrolment QR code.

Staff (every role but seller, and Django staff/superusers) sign in with a password and then a
6-digit TOTP code; a session is "verified" when django_otp.login() stored the device in it.
"""

from __future__ import annotations

import hashlib
import time
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import is_staff_member

# The name seed_demo gives the demo users' devices; `demo_totp` only reads devices named so.
DEMO_DEVICE_NAME = "demo"
DEVICE_NAME = "authenticator"


def requires_second_factor(user: Any) -> bool:
    """True for a signed-in staff member when the deployment requires 2FA for staff."""
    if not getattr(settings, "KYC_STAFF_REQUIRE_2FA", True):
        return False
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or is_staff_member(user))


def is_staff_account(user: Any) -> bool:
    """Staff for the session rules (idle timeout), whatever the 2FA setting says."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or is_staff_member(user))


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled: the same secret across reloads of the page, so
    a code from an app set up a minute ago still matches."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it for manual entry (no padding)."""
    return b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG, drawn server-side (no script, no style attribute;
    only our own markup from a URL made of the username and the secret)."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg.replace("<svg ", '<svg class="otp-qr" role="img" aria-hidden="true" ', 1))


def current_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the device's authenticator shows now (the demo command and tests use it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def demo_key_hex(username: str) -> str:
    """The demo users' TOTP secret (seed_demo only): 20 bytes derived from the username, so
    the README can show it. Never used outside the demo command, which refuses production."""
    return hashlib.sha1(f"merchant-kyc-demo:{username}".encode()).hexdigest()


def ensure_demo_device(user: Any) -> TOTPDevice:
    """A confirmed device named "demo" with the demo secret (idempotent)."""
    device, _created = TOTPDevice.objects.update_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={"key": demo_key_hex(user.get_username()), "confirmed": True},
    )
    return device
