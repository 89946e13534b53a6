"""Web security headers: the Content-Security-Policy on every page (and, in a real browser, no
page breaks it), frame denial, nosniff, referrer and opener policies, production's cookie and
HSTS settings, and every way a stored file leaves the application: an attachment (or an inert
sandboxed inline PDF/image), never HTML."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from cases.models import EddEvidence, ReviewCase, ReviewReport
from kyc.models import DocumentPreview, QualificationDocument
from tests import services as test_services
from tests.cases.test_reports_fixtures import build
from tests.conftest import accept_documents, login_verified
from tests.factories import PASSWORD, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
FILE_TYPES = {"application/pdf", "image/jpeg", "image/png"}
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _client(user: Any) -> Client:
    """Signed in; for staff, with the session verified by the second factor (the shared
    helper in tests/conftest.py): these tests are about what pages send, not about 2FA."""
    return login_verified(Client(), user)


def _api(user: Any) -> APIClient:
    client = login_verified(APIClient(), user)
    assert isinstance(client, APIClient)
    return client


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip() for part in header.split(";"))
    return {p.split(" ", 1)[0]: (p.split(" ", 1) + [""])[1] for p in parts if p}


def assert_page_headers(response: Any) -> None:
    assert response["Content-Type"].startswith("text/html")
    assert _directives(response["Content-Security-Policy"]) == _directives(STRICT_CSP)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def assert_file_headers(response: Any, *, download: bool) -> None:
    """An attachment; or, for the viewer beside the checks, an inline PDF/image that the
    browser renders sandboxed (no script, no origin) — never HTML, never sniffed."""
    assert response.status_code == 200
    content_type = response["Content-Type"].split(";")[0]
    assert content_type != "text/html"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    if download:
        assert disposition.startswith("attachment;"), disposition
    else:
        assert disposition.startswith(("attachment;", "inline;")), disposition
    if disposition.startswith("inline;"):
        assert content_type in FILE_TYPES
        assert response["Content-Security-Policy"].startswith("sandbox;")
        assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.fixture
def edd_case(claimed_case: ReviewCase, reviewer: Any, senior: Any) -> ReviewCase:
    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="Opaque owners.")
    return services.case_claim(actor=senior, case_id=claimed_case.pk)


@pytest.fixture
def evidence(edd_case: ReviewCase, senior: Any) -> EddEvidence:
    from cases import edd

    edd.edd_evidence_add(
        actor=senior,
        case_id=edd_case.pk,
        item="source_of_wealth",
        fileobj=SimpleUploadedFile("wealth.pdf", pdf_bytes("Wealth")),
        filename="wealth.pdf",
        size=None,
        description="Bank statement.",
    )
    return EddEvidence.objects.get()


@pytest.fixture
def built_report(claimed_case: ReviewCase, reviewer: Any) -> ReviewReport:
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk, rationale="Clean file.")
    report = ReviewReport.objects.get(case=claimed_case)
    build(report)
    return ReviewReport.objects.get(pk=report.pk)


def _license(case: ReviewCase) -> QualificationDocument:
    return QualificationDocument.objects.get(
        merchant=case.merchant, document_type__code="business_license"
    )


# --------------------------------------------------------------------------- pages


def test_every_main_page_carries_the_strict_policy_and_frame_denial(
    submitted_case: ReviewCase,
    seller: Any,
    reviewer: Any,
    qc_lead: Any,
    admin_user: Any,
) -> None:
    anonymous = Client()
    pages: list[tuple[Client, str]] = [
        (anonymous, reverse("login")),
        (anonymous, reverse("signup")),
        (_client(seller), reverse("merchants:list")),
        (_client(seller), reverse("cases:merchant_detail", args=[submitted_case.merchant_id])),
        (_client(reviewer), reverse("cases:queue")),
        (_client(reviewer), reverse("cases:case_detail", args=[submitted_case.pk])),
        (_client(qc_lead), reverse("qc:dashboard")),
        (_client(qc_lead), reverse("qc:queue")),
        (_client(admin_user), reverse("audit:export")),
        (_client(admin_user), reverse("webhooks:list")),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_headers(response)


def test_error_pages_carry_the_policy_too(seller: Any) -> None:
    response = _client(seller).get("/review/cases/999999/")
    assert response.status_code in (403, 404)
    assert _directives(response["Content-Security-Policy"]) == _directives(STRICT_CSP)
    assert response["X-Frame-Options"] == "DENY"


def test_only_the_api_docs_page_allows_its_one_inline_style_by_hash() -> None:
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    html = response.content.decode()
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src"] == f"'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["script-src"] == "'self'"
    assert {k: v for k, v in policy.items() if k != "style-src"} == {
        k: v for k, v in _directives(STRICT_CSP).items() if k != "style-src"
    }
    assert "<script>" not in html  # the init script is fetched (?script), not inline
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_api_responses_are_json_nosniff_and_not_frameable(seller: Any) -> None:
    response = _api(seller).get("/api/v1/me/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    error = _api(seller).get("/api/v1/cases/999999/")
    assert error.status_code == 404
    assert error["Content-Type"] == "application/json"
    assert error["X-Content-Type-Options"] == "nosniff"


# --------------------------------------------------------------------------- file downloads


@pytest.mark.parametrize("download", [False, True])
def test_document_file_from_the_page_and_the_api(
    submitted_case: ReviewCase, seller: Any, reviewer: Any, download: bool
) -> None:
    document = _license(submitted_case)
    query = "?download=1" if download else ""
    for client in (_client(seller), _client(reviewer)):
        response = client.get(reverse("kyc:document_file", args=[document.pk]) + query)
        assert_file_headers(response, download=download)
    response = _api(reviewer).get(f"/api/v1/documents/{document.pk}/file/")
    assert_file_headers(response, download=True)


def test_document_preview_is_an_inert_image(submitted_case: ReviewCase, reviewer: Any) -> None:
    document = _license(submitted_case)
    key = default_storage.save(f"previews/test-{document.pk}.png", ContentFile(png_bytes()))
    # The submission's checks rendered one already: replace it with a known PNG.
    DocumentPreview.objects.update_or_create(
        document=document, defaults={"file": key, "width": 800, "height": 600}
    )
    response = _client(reviewer).get(reverse("kyc:document_preview", args=[document.pk]))
    assert_file_headers(response, download=False)
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize("download", [False, True])
def test_edd_evidence_from_the_page_and_the_api(
    evidence: EddEvidence, senior: Any, download: bool
) -> None:
    query = "?download=1" if download else ""
    response = _client(senior).get(reverse("cases:edd_evidence_file", args=[evidence.pk]) + query)
    assert_file_headers(response, download=download)
    response = _api(senior).get(f"/api/v1/edd-evidence/{evidence.pk}/file/")
    assert_file_headers(response, download=True)


def test_review_report_from_the_page_and_the_api(built_report: ReviewReport, reviewer: Any) -> None:
    response = _client(reviewer).get(reverse("reports:download", args=[built_report.pk]))
    assert_file_headers(response, download=True)
    assert response["Content-Type"] == "application/pdf"
    response = _api(reviewer).get(f"/api/v1/reports/{built_report.pk}/file/")
    assert_file_headers(response, download=True)


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("csv", "text/csv"), ("jsonl", "application/x-ndjson")]
)
def test_audit_exports_are_data_attachments(
    submitted_case: ReviewCase, admin_user: Any, fmt: str, content_type: str
) -> None:
    response = _client(admin_user).get(
        reverse("audit:export"), {"case": str(submitted_case.pk), "format": fmt}
    )
    assert_file_headers(response, download=True)
    assert response["Content-Type"].split(";")[0] == content_type
    response = _api(admin_user).get(
        "/api/v1/audit/export/", {"case": str(submitted_case.pk), "format": fmt}
    )
    assert_file_headers(response, download=True)


def test_qc_dashboard_csv_is_an_attachment(qc_lead: Any) -> None:
    response = _client(qc_lead).get(reverse("qc:dashboard_csv"))
    assert_file_headers(response, download=True)
    assert response["Content-Type"].startswith("text/csv")


# --------------------------------------------------------------------------- HTML uploads


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_html_renamed_pdf_is_refused_by_the_api_and_nothing_is_stored(
    draft_case: ReviewCase, seller: Any, tmp_path: Path
) -> None:
    before = QualificationDocument.objects.count()
    response = _api(seller).post(
        f"/api/v1/merchants/{draft_case.merchant_id}/documents/",
        {
            "file": SimpleUploadedFile("license.pdf", HTML_AS_PDF, "application/pdf"),
            "document_type": "business_license",
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
        format="multipart",
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_file_type"
    assert QualificationDocument.objects.count() == before
    assert _stored_files(tmp_path / "media") == []


def test_html_renamed_pdf_is_refused_by_the_page_and_nothing_is_stored(
    draft_case: ReviewCase, seller: Any, tmp_path: Path
) -> None:
    from kyc.models import DocumentType

    before = QualificationDocument.objects.count()
    response = _client(seller).post(
        reverse("cases:document_upload", args=[draft_case.merchant_id]),
        {
            "file": SimpleUploadedFile("license.pdf", HTML_AS_PDF, "application/pdf"),
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert response.status_code in (400, 415)
    assert QualificationDocument.objects.count() == before
    assert _stored_files(tmp_path / "media") == []


def test_html_renamed_pdf_is_refused_as_edd_evidence(edd_case: ReviewCase, senior: Any) -> None:
    response = _client(senior).post(
        reverse("cases:edd_evidence_add", args=[edd_case.pk, "source_of_wealth"]),
        {"seen_state": "edd", "file": SimpleUploadedFile("statement.pdf", HTML_AS_PDF)},
    )
    assert response.status_code in (400, 415)
    assert not EddEvidence.objects.exists()


# --------------------------------------------------------------------------- production


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64)[:50],
        ALLOWED_HOSTS="kyc.example.com",
        DJANGO_SETTINGS_MODULE="config.settings.production",
    )
    return env


def test_check_deploy_is_clean_on_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout


def test_production_cookies_hsts_and_frame_settings() -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', "
        "'SECURE_REFERRER_POLICY', 'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'DEBUG')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_SSL_REDIRECT": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "DEBUG": False,
    }


def test_https_responses_carry_hsts_under_production_settings(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


# --------------------------------------------------------------------------- browser


@pytest.fixture
def csp_browser(allow_sync_orm_next_to_playwright: None) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page that records every CSP violation: the console messages Chromium
    prints for a refused resource and the `securitypolicyviolation` DOM events."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_submit_and_approve import CHROMIUM_ARGS

    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=test_services.CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
        page = context.new_page()

        def on_console(message: Any) -> None:
            text = message.text
            if "Content Security Policy" in text or "CSP-VIOLATION" in text:
                violations.append(f"{page.url}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
        yield page, violations
        context.close()
        browser.close()


def _sign_in_as(page: Any, base: str, user: Any) -> None:
    """A session cookie from force_login, verified for staff (the second factor is not what
    is tested here)."""
    page.context.clear_cookies()
    client = _client(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_main_pages_raise_no_csp_violation_in_chromium(
    live_server: Any,
    transactional_db: Any,
    submitted_case: ReviewCase,
    seller: Any,
    reviewer: Any,
    qc_lead: Any,
    admin_user: Any,
    csp_browser: tuple[Any, list[str]],
) -> None:
    test_services.need("chromium")
    from webhooks.models import WebhookSubscription

    page, violations = csp_browser
    base = live_server.url
    case = services.case_claim(actor=reviewer, case_id=submitted_case.pk)
    subscriptions = list(WebhookSubscription.objects.values_list("pk", flat=True)[:1])

    # Signed out: the sign-in page, and signing in through its form; a staff member goes on
    # to the second factor (enrolment without a device, the code form with one).
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=qc_lead, name="authenticator", confirmed=True)
    for user, lands_on in (
        (seller, "/seller/"),
        (reviewer, "/accounts/two-factor/setup/"),
        (qc_lead, "/accounts/two-factor/"),
    ):
        page.context.clear_cookies()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("#main form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.url.split("?")[0].endswith(lands_on), (user.username, page.url)
    visits = [
        (admin_user, "/accounts/api-tokens/"),
        (seller, f"/seller/merchants/{case.merchant_id}/"),
        (seller, "/seller/"),
        (reviewer, "/review/"),
        (reviewer, f"/review/cases/{case.pk}/"),
        (qc_lead, "/qc/dashboard/"),
        (qc_lead, "/qc/"),
        (admin_user, "/audit/export/"),
        (admin_user, "/webhooks/"),
        (admin_user, "/webhooks/new/"),
        *[(admin_user, f"/webhooks/{pk}/") for pk in subscriptions],
    ]
    for user, path in visits:
        _sign_in_as(page, base, user)
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert "login" not in page.url, path
    # The case page's scripts run (the keyboard help appears) under the strict policy.
    _sign_in_as(page, base, reviewer)
    page.goto(f"{base}/review/cases/{case.pk}/")
    assert page.locator("#shortcuts-help").count()
    page.goto(f"{base}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock-summary", timeout=20_000)
    page.locator(".swagger-ui .opblock-summary").first.click()  # renders an operation
    page.wait_for_selector(".swagger-ui .opblock-body")
    page.wait_for_load_state("networkidle")
    assert violations == []


@pytest.fixture
def allow_sync_orm_next_to_playwright() -> Iterator[None]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
