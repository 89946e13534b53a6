"""Sign-up, sign-in, the home redirect, and the guards every page view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from config.errors import NotAllowed, NotFound

from .roles import Role, has_role, is_staff_member

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
staff_required = role_required(
    Role.REVIEWER, Role.SENIOR_REVIEWER, Role.QC_LEAD, Role.COMPLIANCE_ADMIN
)


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
        if settings.LANGUAGE_COOKIE_NAME in self.request.COOKIES:
            return response  # a language chosen in this browser wins
        return with_language_cookie(  # type: ignore[return-value]
            response, getattr(form.get_user(), "preferred_language", "")
        )


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link cannot sign anyone out."""


__all__ = ["LoginView", "LogoutView", "home", "role_required", "seller_required", "staff_required"]
