"""Staff access on every request: a session verified by the second factor, and an idle timeout.

Runs after AuthenticationMiddleware and django_otp's OTPMiddleware (which gives request.user
`is_verified()`). Requests carrying `Authorization: Token …` are left alone: tokens are
integration credentials with their own scopes (accounts/permissions.py), and DRF authenticates
them before any session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from config.api import error_body

from .otp import is_staff_account, is_verified, requires_second_factor

# The session key holding the time (epoch seconds) of the staff member's last request.
LAST_SEEN_KEY = "kyc_staff_last_seen"
# Refreshing the timestamp saves the session; once a minute is precise enough for a 30-minute
# timeout and spares a session write on every request.
TOUCH_INTERVAL_SECONDS = 60
API_PREFIX = "/api/"


class StaffAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def exempt_prefixes(self) -> tuple[str, ...]:
        """Where an unverified staff member may go: signing in, the second factor itself,
        signing out, the language switch, static files and the health check."""
        static = "/" + settings.STATIC_URL.lstrip("/")
        return (
            reverse("login"),
            reverse("logout"),
            reverse("otp-verify"),
            reverse("otp-enrol"),
            "/i18n/",
            static,
            reverse("health"),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not is_staff_account(user):
            return self.get_response(request)
        is_api = request.path_info.startswith(API_PREFIX)
        if self._idle_expired(request):
            logout(request)
            if is_api:
                return self.get_response(request)  # now anonymous: DRF answers 401
            return HttpResponseRedirect(
                reverse("login") + "?" + urlencode({"next": request.get_full_path()})
            )
        if requires_second_factor(user) and not is_verified(user):
            if request.path_info.startswith(self.exempt_prefixes):
                return self.get_response(request)
            if is_api:
                return JsonResponse(
                    error_body(
                        "second_factor_required",
                        _("Verify your sign-in with your authenticator code first."),
                    ),
                    status=403,
                )
            return HttpResponseRedirect(
                reverse("otp-verify") + "?" + urlencode({"next": request.get_full_path()})
            )
        return self.get_response(request)

    @staticmethod
    def _idle_expired(request: HttpRequest) -> bool:
        """Staff sessions end at browser close and after KYC_STAFF_SESSION_IDLE_SECONDS
        without a request; the server enforces the idle limit (a cookie's age can be
        replayed, the session's last-seen time cannot)."""
        session = request.session
        now = int(time.time())
        last_seen = session.get(LAST_SEEN_KEY)
        if isinstance(last_seen, int) and now - last_seen > settings.KYC_STAFF_SESSION_IDLE_SECONDS:
            return True
        if session.get("_session_expiry") != 0:
            session.set_expiry(0)  # the cookie lives until the browser closes
        if not isinstance(last_seen, int) or now - last_seen >= TOUCH_INTERVAL_SECONDS:
            session[LAST_SEEN_KEY] = now
        return False
