"""Test settings: the environment decides PostgreSQL/Redis/S3 (see tests/conftest.py)."""

import os

from .base import *  # noqa: F403

SECRET_KEY = os.environ.get("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []  # noqa: F405
ALLOWED_HOSTS = ["*"]
