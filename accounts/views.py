"""Sign-up, sign-in, the home redirect, and the guards every page view uses."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from config.errors import DomainError, NotAllowed, NotFound

from . import otp, services
from .forms import ApiTokenForm, OtpTokenForm, apply_domain_error
from .models import ApiToken
from .roles import Role, has_role, is_staff_member
from .scopes import SCOPES, scopes_for_roles

View = Callable[..., HttpResponseBase]


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in and holding one of `roles` (403 otherwise). A selector's NotFound becomes a
    404 and an uncaught NotAllowed a 403, so no page can reveal what a user may not see."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, *roles):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from None

        return login_required(wrapper)

    return decorator


seller_required = role_required(Role.SELLER)
_any_staff_role = role_required(
    Role.REVIEWER, Role.SENIOR_REVIEWER, Role.QC_LEAD, Role.COMPLIANCE_ADMIN
)


def staff_required(view: View) -> View:
    """The staff areas: anyone without a staff role (a seller, a role-less superuser) gets a
    404, as on every staff page, so a staff area's existence is not confirmed to outsiders
    (tests/security/test_idor.py states the rule)."""
    guarded = _any_staff_role(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not is_staff_member(request.user):
            raise Http404
        return guarded(request, *args, **kwargs)

    return wrapper


def with_language_cookie(response: HttpResponseBase, language: str) -> HttpResponseBase:
    # The language switcher stores its choice in this cookie too; signing in on a browser
    # where no language was chosen yet uses the user's own preference.
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
    return response


def home(request: HttpRequest) -> HttpResponse:
    """Sends each person to where their work is."""
    if not request.user.is_authenticated:
        return redirect("login")
    if is_staff_member(request.user):
        return redirect("cases:queue")
    if has_role(request.user, Role.SELLER):
        return redirect("merchants:list")
    return render(request, "accounts/no_role.html", status=403)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if otp.requires_second_factor(form.get_user()):
            # The password was right; staff still owe the code before any staff page.
            response = redirect(
                reverse("otp-verify") + "?" + urlencode({"next": self.get_success_url()})
            )
        if settings.LANGUAGE_COOKIE_NAME in self.request.COOKIES:
            return response  # a language chosen in this browser wins
        return with_language_cookie(  # type: ignore[return-value]
            response, getattr(form.get_user(), "preferred_language", "")
        )


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link cannot sign anyone out."""


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer once a username+IP pair is locked out (AXES_LOCKOUT_CALLABLE)."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 15
    return render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _with_next(name: str, target: str) -> str:
    return reverse(name) + "?" + urlencode({"next": target})


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of a staff sign-in: the 6-digit code of the enrolled authenticator."""
    target = _next_url(request)
    if not otp.requires_second_factor(request.user) or otp.is_verified(request.user):
        return redirect(target)
    device = otp.confirmed_device(request.user)
    if device is None:
        return redirect(_with_next("otp-enrol", target))
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _why = device.verify_is_allowed()
        if device.verify_token(form.cleaned_data["otp_token"]):
            with transaction.atomic():
                otp_login(request, device)
                services.otp_event(actor=request.user, action="auth.otp_verified", device=device)
            return redirect(target)
        services.otp_event(
            actor=request.user, action="auth.otp_failed", device=device, step="verify"
        )
        form.add_error(
            "otp_token",
            _("That code is not right. Enter the code your app shows now.")
            if allowed
            else _("Too many wrong codes. Wait a minute, then enter the code your app shows."),
        )
    return render(request, "accounts/otp_verify.html", {"form": form, "next": target})


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of a staff member: set up an authenticator app (QR code or the secret
    typed in) and confirm it with one code. Only while no confirmed device exists: replacing
    a device is an administrator's job (django-otp's admin), never a password holder's."""
    target = _next_url(request)
    if not otp.requires_second_factor(request.user):
        return redirect(target)
    if otp.confirmed_device(request.user) is not None:
        return redirect(_with_next("otp-verify", target))
    device = otp.pending_device(request.user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                services.otp_event(actor=request.user, action="auth.otp_enrolled", device=device)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(target)
        services.otp_event(
            actor=request.user, action="auth.otp_failed", device=device, step="enrol"
        )
        form.add_error(
            "otp_token", _("That code is not right. Check the app's clock and try the new code.")
        )
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "next": target,
            "qr_svg": otp.qr_svg(device),
            "secret": otp.base32_secret(device),
        },
    )


def _scope_choices(user: Any) -> list[tuple[str, str]]:
    allowed = scopes_for_roles(user)
    return [(name, f"{name} — {label}") for name, label in SCOPES.items() if name in allowed]


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens: list, create (the key is shown on this response only)."""
    form = ApiTokenForm(request.POST or None, allowed=_scope_choices(request.user))
    new_key = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.api_token_create(
                actor=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            form = ApiTokenForm(allowed=_scope_choices(request.user))
    tokens = ApiToken.objects.filter(user=request.user.pk)
    response = render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key},
    )
    response["Cache-Control"] = "no-store"  # the page may carry a key
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(actor=request.user, token_id=token_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The token was revoked."))
    return redirect("api-tokens")


__all__ = [
    "LoginView",
    "LogoutView",
    "api_token_revoke",
    "api_tokens",
    "home",
    "lockout",
    "otp_enrol",
    "otp_verify",
    "role_required",
    "seller_required",
    "staff_required",
]
