from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken

LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token mk_…` against hashed, revocable per-integration tokens."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        # key_hash is unique: no ORDER BY (compiling one costs more than the lookup).
        token = next(
            iter(
                ApiToken.objects.select_related("user")
                .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
                .order_by()[:1]
            ),
            None,
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        # At most one write a minute per token: a write on every call was a tenth of a read's
        # cost under load, and "last used" to the minute is what an admin needs.
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
