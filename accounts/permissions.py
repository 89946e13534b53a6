"""The DRF permission that enforces API token scopes (applied to every view by default)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from config.errors import NotAllowed

from .models import ApiToken
from .scopes import TOKEN_MANAGEMENT_ROUTES, required_scope


class InsufficientScope(NotAllowed):
    """403 `insufficient_scope` in the API's error shape."""

    code = "insufficient_scope"


class TokenHasScope(permissions.BasePermission):
    """A request authenticated by an API token passes only when the token holds the scope
    the route needs (accounts/scopes.py). Session requests are not scoped."""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        match = request.resolver_match
        url_name = match.url_name if match is not None else None
        if url_name in TOKEN_MANAGEMENT_ROUTES:
            raise InsufficientScope("API tokens are managed from a signed-in session.")
        scope = required_scope(url_name, request.method or "GET")
        if scope is None or scope in (token.scopes or []):
            return True
        raise InsufficientScope(f"This token lacks the scope {scope!r}.")
