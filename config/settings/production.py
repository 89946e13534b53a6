"""Production: every secret from the environment; refuses to start without SECRET_KEY.

Processes (each its own container/unit; docs/deployment.md has the full table):
  web:     gunicorn config.wsgi --bind 0.0.0.0:8000 --workers 4 --timeout 60
  workers: celery -A config worker -Q checks   (document checks: CPU)
           celery -A config worker -Q reports  (PDF review reports: CPU)
           celery -A config worker -Q default  (notifications, webhooks, screening, the rest)
  beat:    celery -A config beat               (exactly one: the periodic jobs)
  health:  GET /health/ (database, broker, storage; 200 or 503)
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set (at least 32 characters) for production settings."
    )
# Rotation: put the old key here (comma-separated) while sessions and signed links made with
# it age out, then drop it (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of gunicorn: the sign-in lockout
# (django-axes) keys on the address that many entries from the right (config/client_ip.py).
# 0 when clients reach gunicorn directly (the header is then ignored).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# Webhooks go to https:// endpoints on public addresses only (see webhooks/network.py).
KYC_WEBHOOK_ALLOW_HTTP = env_bool("KYC_WEBHOOK_ALLOW_HTTP", False)
KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
