"""The browser pages. API routes live in config/api_urls.py."""

from django.urls import include, path

from accounts.views import home
from compliance.views import SetPasswordView
from merchants.views import signup

urlpatterns = [
    path("", home, name="home"),
    path("accounts/signup/", signup, name="signup"),
    # The invitation e-mail's link (compliance admins invite staff): the token is the
    # credential, so the page is public.
    path(
        "accounts/set-password/<uidb64>/<token>/",
        SetPasswordView.as_view(),
        name="set-password",
    ),
    path("accounts/", include("accounts.urls")),
    path("seller/", include("merchants.urls")),
    path("", include("kyc.urls")),
    path("", include("cases.urls")),
    path("review/reports/", include("cases.reports.urls")),
    path("qc/", include("cases.qc.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("compliance/", include("compliance.urls")),
    path(
        "audit/", include("audit.urls")
    ),  # the rest of the seller portal (/seller/…) and /review/…
]
