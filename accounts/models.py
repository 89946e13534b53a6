from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: a seller's user or a staff member (role = group)."""

    email = models.EmailField(_("email address"), unique=True)
    preferred_language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    # Reviewers mark themselves available for automatic assignment.
    is_available = models.BooleanField(default=True)
    # The most open cases auto-assignment gives this reviewer; "next case" respects it too.
    max_open_cases = models.PositiveSmallIntegerField(default=25)
    team = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["username"]


class ApiToken(models.Model):
    """A per-integration API token. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, user: User, name: str, scopes: list[str] | None = None
    ) -> tuple[ApiToken, str]:
        key = "mk_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=key[:10], key_hash=cls.hash_key(key), scopes=scopes or []
        )
        return token, key

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """Remembers the response to a POST carrying an Idempotency-Key, per caller."""

    user = models.ForeignKey(User, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]
