"""Settings shared by every environment; each value that differs per deployment comes from
the environment (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def dev_secret_key() -> str:
    """A generated key kept in var/ so sessions survive a restart of the demo."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",  # country names in English and Chinese for the country lists
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally (no CDN)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "accounts",
    "audit",
    "webhooks",
    "merchants",
    "kyc",
    "cases",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff: a TOTP-verified session and an idle timeout (accounts/middleware.py).
    "accounts.middleware.StaffAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestContextMiddleware",
    # Last: turns a sign-in refused by the lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Web security headers (docs/security.md). No inline script, style or event handler anywhere:
# templates load static/js and static/css only. Stored files (kyc/http.py) carry their own
# sandboxing policy, which the middleware leaves in place; the Swagger UI page relaxes only
# style-src (config/csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# AxesStandaloneBackend first: it refuses sign-ins while a username+IP is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's in-process worker and web requests read while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
elif os.environ.get("DB_PREPARED_STATEMENTS", "true").lower() in ("1", "true", "yes"):
    # Server-side binding lets psycopg prepare a statement it has run 5 times on the
    # connection; PostgreSQL then skips planning it again: its CPU per request fell from
    # 3.8 to 1.6 ms under load (docs/performance.md, "Load"). Turn it off behind a
    # transaction-pooling PgBouncer, which cannot keep prepared statements per connection.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Staff accounts (role holders and superusers) need 12 characters.
    {
        "NAME": "accounts.validators.StaffMinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
]

# Access controls for staff (docs/security.md). Every staff member (reviewer, senior reviewer,
# QC lead, compliance admin, superuser) needs a confirmed TOTP device and a session verified
# by it; their sessions end at browser close and after this many idle seconds.
KYC_STAFF_REQUIRE_2FA = env_bool("KYC_STAFF_REQUIRE_2FA", True)
KYC_STAFF_SESSION_IDLE_SECONDS = int(os.environ.get("KYC_STAFF_SESSION_IDLE_SECONDS", "1800"))
OTP_TOTP_ISSUER = "Merchant KYC"
# Sign-in lockout (django-axes, database handler): 5 failures per username+IP lock that pair
# out for 15 minutes. API tokens never pass through authenticate(), so axes does not see them.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"  # the lockout page, 429
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
AXES_VERBOSE = False
# The "IP" of that pair: REMOTE_ADDR here; production settings trust X-Forwarded-For as far as
# TRUSTED_PROXY_COUNT reverse proxies (config/client_ip.py), else every client behind the
# proxy would share one lockout bucket.
TRUSTED_PROXY_COUNT = 0
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip_address"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
# Number formats per language where Django's differ from what users expect (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"

# Object storage: local files by default; S3-compatible storage when a bucket is named.
AWS_STORAGE_BUCKET_NAME = os.environ.get("S3_BUCKET", "")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("S3_REGION", "us-east-1"),
            "default_acl": None,
            "file_overwrite": True,
            "querystring_expire": 300,
            "location": os.environ.get("S3_PREFIX", ""),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Celery: with no broker configured, tasks run in-process (the embedded demo).
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
# memory:// only keeps kombu quiet in eager mode; nothing is ever published to it.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "kyc.tasks.*": {"queue": "checks"},
    # PDF builds take most of a second of CPU each: on their own queue they never hold up a
    # seller's notification or a webhook behind a burst of decisions.
    "cases.tasks.build_report_task": {"queue": "reports"},
    "cases.tasks.*": {"queue": "default"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis keeps a message a worker took (acks_late) but never acknowledged — the worker was
# killed — and gives it to another worker once it is this many seconds old. It must exceed
# the longest task run and the longest retry countdown (checks back off to 600 s), or a slow
# task is delivered twice; the default is kombu's (1 h). The fault tests set a few seconds.
_visibility_timeout = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # How often a worker looks for such messages: every 100 s by default (10 s x 10); at
    # least 4 times per visibility timeout when that is short.
    "unacked_restore_interval": max(1, min(10, _visibility_timeout // 4)),
    "unacked_restore_throttle": 1 if _visibility_timeout < 3600 else 10,
}
# Sweepers (kyc/sweepers.py): work older than this without its task is enqueued again;
# storage objects no row references are removed once older than the grace period.
KYC_SWEEP_STUCK_AFTER_MINUTES = int(os.environ.get("KYC_SWEEP_STUCK_AFTER_MINUTES", "10"))
KYC_SWEEP_STORAGE_GRACE_MINUTES = int(os.environ.get("KYC_SWEEP_STORAGE_GRACE_MINUTES", "60"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kyc@merchant-kyc.local")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # A token reaches only what its scopes name (accounts/scopes.py).
        "accounts.permissions.TokenHasScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON everywhere; the document upload view accepts multipart itself.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_THROTTLE_USER", "6000/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Merchant KYC API",
    "DESCRIPTION": "Merchant onboarding, qualification documents and review cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page must work offline: no CDN, assets from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "ENUM_NAME_OVERRIDES": {
        "CapabilityKindEnum": "merchants.models.CapabilityKind",
        "CapabilityStatusEnum": "merchants.models.CapabilityStatus",
        "MerchantStatusEnum": "merchants.models.MerchantStatus",
        "DocumentStatusEnum": "kyc.models.DocumentStatus",
        "CaseKindEnum": "cases.models.CaseKind",
        "ReasonKindEnum": "cases.models.ReasonKind",
        "SeverityEnum": "cases.models.Severity",
        "DocumentDecisionEnum": "cases.models.DocumentDecision.Decision",
        "CapabilityDecisionEnum": "cases.models.CapabilityDecision.Decision",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema_postprocess",  # the error shape and Idempotency-Key everywhere
    ],
}

# Product settings (compliance admins tune these per deployment).
KYC_MAX_UPLOAD_BYTES = int(os.environ.get("KYC_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = KYC_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
KYC_ALLOWED_MIME_TYPES = ("application/pdf", "image/jpeg", "image/png")
KYC_OWNERSHIP_DECLARATION_THRESHOLD = 25
KYC_EXPIRY_WARNING_DAYS = int(os.environ.get("KYC_EXPIRY_WARNING_DAYS", "30"))
# Ongoing monitoring (cases/monitoring.py): a renewal uploaded and under review keeps the
# capabilities an expired document covers live until its expiry date + this many days.
KYC_RENEWAL_GRACE_DAYS = int(os.environ.get("KYC_RENEWAL_GRACE_DAYS", "14"))
# Who receives the internal SLA-breach e-mails when a queue's team has no senior reviewer.
KYC_STAFF_ALERT_EMAILS = [
    e.strip() for e in os.environ.get("KYC_STAFF_ALERT_EMAILS", "").split(",") if e.strip()
]
KYC_RFI_DEFAULT_DAYS = 14
# PDF review reports: the language a decision's report is built in ("en" or "zh-hans"); any
# report can be rebuilt in the other language (build_report --language, or the case page).
KYC_REPORT_LANGUAGE = os.environ.get("KYC_REPORT_LANGUAGE", "en")
# QC: the confidence and tolerable error rate the dashboard's sample sizes are judged by
# (n = ln(1 - confidence) / ln(1 - tolerable error rate): 59 at 95% / 5%).
KYC_QC_CONFIDENCE = float(os.environ.get("KYC_QC_CONFIDENCE", "0.95"))
KYC_QC_TOLERABLE_ERROR_RATE = float(os.environ.get("KYC_QC_TOLERABLE_ERROR_RATE", "0.05"))
# Webhooks (webhooks/): the delay in seconds before each retry of a failed delivery; it fails
# after the last one (1 min, 5 min, 1 h, 5 h, 18 h). Delays up to KYC_WEBHOOK_MAX_COUNTDOWN are
# Celery countdowns, longer ones are picked up by the dispatch-due-webhooks beat job.
KYC_WEBHOOK_RETRY_SCHEDULE = [
    int(s) for s in env_list("KYC_WEBHOOK_RETRY_SCHEDULE", "60,300,3600,18000,64800")
]
KYC_WEBHOOK_MAX_COUNTDOWN = int(os.environ.get("KYC_WEBHOOK_MAX_COUNTDOWN", "900"))
KYC_WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("KYC_WEBHOOK_CONNECT_TIMEOUT", "5"))
KYC_WEBHOOK_READ_TIMEOUT = float(os.environ.get("KYC_WEBHOOK_READ_TIMEOUT", "10"))
# A delivery whose task was lost (broker down at commit, worker killed mid-request) is sent
# again by the beat job once this many seconds have passed.
KYC_WEBHOOK_RECOVERY_SECONDS = int(os.environ.get("KYC_WEBHOOK_RECOVERY_SECONDS", "180"))
# Destinations: http:// and loopback/private addresses are for development; production.py
# turns both off. Link-local and cloud metadata addresses are refused whatever these say.
KYC_WEBHOOK_ALLOW_HTTP = env_bool("KYC_WEBHOOK_ALLOW_HTTP", True)
KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("KYC_WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)
# Document check limits (kyc/checks): a file past them fails its check instead of being read.
KYC_MAX_PDF_PAGES = int(os.environ.get("KYC_MAX_PDF_PAGES", "50"))
KYC_MAX_PDF_OBJECTS = int(os.environ.get("KYC_MAX_PDF_OBJECTS", "100000"))
KYC_MAX_IMAGE_PIXELS = int(os.environ.get("KYC_MAX_IMAGE_PIXELS", str(40_000_000)))
KYC_MIN_IMAGE_SIDE_PX = int(os.environ.get("KYC_MIN_IMAGE_SIDE_PX", "500"))
KYC_BRAND_CHAIN_MAX_DEPTH = int(os.environ.get("KYC_BRAND_CHAIN_MAX_DEPTH", "2"))
KYC_NAME_MATCH_PASS = int(os.environ.get("KYC_NAME_MATCH_PASS", "88"))
KYC_NAME_MATCH_WARN = int(os.environ.get("KYC_NAME_MATCH_WARN", "75"))
# A screening hit scoring at least this much is cleared as a false positive only by two
# different staff members (four-eyes on the disposition).
KYC_STRONG_HIT_SCORE = int(os.environ.get("KYC_STRONG_HIT_SCORE", "95"))
KYC_SLA_HOURS = {"low": 48, "medium": 24, "high": 12, "prohibited": 4, "": 48}
# Risk score (kyc/risk.py): the minimum points for each tier above low. High and prohibited
# force EDD and four-eyes; a confirmed sanctions match is prohibited whatever the points.
KYC_RISK_TIER_THRESHOLDS = {
    "medium": int(os.environ.get("KYC_RISK_MEDIUM_POINTS", "25")),
    "high": int(os.environ.get("KYC_RISK_HIGH_POINTS", "60")),
    "prohibited": int(os.environ.get("KYC_RISK_PROHIBITED_POINTS", "100")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Nulls-distinct unique constraints exist on PostgreSQL (production); SQLite (the demo) skips them.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# Periodic jobs (run `celery -A config beat` beside the workers; see docs/deployment.md).
CELERY_BEAT_SCHEDULE = {
    "flag-sla-breaches": {"task": "cases.queues.flag_sla_breaches_task", "schedule": 300.0},
    "auto-assign-cases": {"task": "cases.queues.auto_assign_cases_task", "schedule": 60.0},
    # Daily at 01:00 UTC: samples the previous UTC day's decisions (seed recorded per draw).
    "qc-draw": {
        "task": "cases.tasks.qc_draw_task",
        "schedule": crontab(hour=1, minute=0),
    },
    # Ongoing monitoring (cases/monitoring.py); each job is idempotent and safe to run late.
    "expiry-watch": {
        "task": "cases.tasks.expiry_watch_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "periodic-reviews": {
        "task": "cases.tasks.periodic_review_open_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "rfi-expiry": {"task": "cases.tasks.rfi_expire_overdue_task", "schedule": 900.0},
    "sla-breach-notifications": {
        "task": "cases.tasks.notify_sla_breaches_task",
        "schedule": 300.0,
    },
    "rescreen-active-merchants": {
        "task": "cases.tasks.rescreen_active_merchants_task",
        "schedule": crontab(hour=3, minute=0),
    },
    # Webhook retries past the countdown limit, and deliveries whose task was lost.
    "dispatch-due-webhooks": {
        "task": "webhooks.tasks.dispatch_due_webhooks_task",
        "schedule": 60.0,
    },
    # Faults (docs/operations.md): documents whose checks never ran, reports still pending,
    # notifications never sent (their task was lost: broker down at commit, say) are
    # enqueued again; storage objects no row references are removed once a day.
    "sweep-stuck-work": {"task": "kyc.tasks.sweep_stuck_work_task", "schedule": 300.0},
    "sweep-storage": {
        "task": "kyc.tasks.sweep_storage_task",
        "schedule": crontab(hour=4, minute=0),
    },
}
