"""Prints a demo staff user's current TOTP code: the demo's stand-in for an authenticator app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import DEMO_DEVICE_NAME, base32_secret, current_code, demo_key_hex


class Command(BaseCommand):
    help = (
        "Print the current 6-digit code of USERNAME's demo TOTP device (made by seed_demo). "
        "Only with DEBUG=True, and only for devices seed_demo made."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--secret", action="store_true", help="Also print the base32 secret for an app."
        )

    def handle(self, *args: Any, username: str, secret: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs with DEBUG=True (the local demo).")
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_DEVICE_NAME, confirmed=True
        ).first()
        # Only a device with the demo's derived secret: a real authenticator's secret is
        # never read out by this command, even if someone renamed that device "demo".
        if device is None or device.key != demo_key_hex(username):
            raise CommandError(f"{username!r} has no demo TOTP device (run seed_demo).")
        self.stdout.write(current_code(device))
        if secret:
            self.stderr.write(f"secret (base32): {base32_secret(device)}")
