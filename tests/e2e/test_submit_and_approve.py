"""In a real browser: a seller onboards a merchant and submits it; a reviewer approves it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import services
from tests.factories import PASSWORD, pdf_bytes

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def allow_sync_orm_next_to_playwright() -> Iterator[None]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(allow_sync_orm_next_to_playwright: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=services.CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        yield page
        context.close()
        browser.close()


def _log_in(page: Any, base: str, username: str) -> None:
    device = _staff_device(username)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main form button[type=submit]")
    page.wait_for_load_state()
    if device is not None:
        # Staff: the second step asks for the code of their authenticator.
        from accounts.otp import current_code

        page.fill("#id_otp_token", current_code(device))
        page.click("#main form button[type=submit]")
        page.wait_for_load_state()


def _staff_device(username: str) -> Any:
    """A staff user's confirmed TOTP device (made if missing), or None for sellers."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.otp import requires_second_factor

    user = User.objects.get(username=username)
    if not requires_second_factor(user):
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="e2e", confirmed=True)
    # A second sign-in within the same 30 s would reuse a spent code: forget the last one.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return device


def _upload(
    page: Any, document_type: str, path: Path, number: str, *, person: str | None = None
) -> None:
    page.click("text=Upload a document >> nth=0")
    page.select_option("#id_document_type", label=document_type)
    page.set_input_files("#id_file", str(path))
    page.fill("#id_number", number)
    page.fill("#id_expiry_date", "2031-01-01")
    if person:
        page.select_option("#id_person", label=person)
    page.click("form[data-upload-form] button[type=submit]")
    page.wait_for_selector(".alert-success")


def test_seller_submits_and_reviewer_approves_in_the_browser(
    live_server: Any,
    transactional_db: Any,
    reference: Any,
    seller: Any,
    reviewer: Any,
    browser_page: Any,
    tmp_path: Path,
) -> None:
    services.need("chromium")
    from cases.models import CaseState, ReviewCase
    from kyc.models import SanctionsList

    # Approval needs a screening against an active list (cases.readiness): an empty one.
    SanctionsList.objects.create(
        source="ofac_sdn", label="empty-test-list.csv", sha256="0" * 64, is_active=True
    )

    page, base = browser_page, live_server.url
    license_pdf = tmp_path / "business-license.pdf"
    license_pdf.write_bytes(pdf_bytes("Business license"))
    id_pdf = tmp_path / "passport.pdf"
    id_pdf.write_bytes(pdf_bytes("Passport"))

    # The seller creates the merchant.
    _log_in(page, base, seller.username)
    page.click("nav >> text=New merchant")
    page.fill("#id_legal_name", "Ningbo Harbour Trading Co., Ltd.")
    page.select_option("#id_entity_type", "company")
    page.select_option("#id_country", "CN")
    page.fill("#id_registration_number", "91350100M000100Y43")
    page.click("#main form button[type=submit]")
    page.wait_for_selector("h1:has-text('Ningbo Harbour Trading Co., Ltd.')")
    assert page.locator("#requirements").get_by_text("Declare the legal representative").count()

    # … declares the legal representative …
    page.click("text=Add legal representative >> nth=0")
    page.fill("#id_full_name", "Chen Jing")
    assert page.is_checked("#id_is_legal_representative")
    page.click("#main form button[type=submit]")
    page.wait_for_selector("text=Chen Jing was added.")

    # … uploads what is due, and is told nothing is missing.
    _upload(page, "Entity qualification — Business license", license_pdf, "91350100M000100Y43")
    _upload(
        page,
        "Entity qualification — Identity document (ID card or passport)",
        id_pdf,
        "330203199001011234",
        person="Chen Jing (Legal representative)",
    )
    page.click("text=Application >> nth=0")
    assert page.get_by_text("Nothing is missing. You can submit your application.").is_visible()
    page.click("text=Submit for review")
    page.wait_for_selector(".alert-success")
    assert page.locator(".badge-seller-under_review").first.is_visible()
    case = ReviewCase.objects.get(merchant__legal_name="Ningbo Harbour Trading Co., Ltd.")
    assert case.state == CaseState.SUBMITTED

    # The reviewer picks it from the queue, claims and approves it.
    page.click("text=Sign out")
    _log_in(page, base, reviewer.username)
    page.click("nav >> text=Review queue")
    page.click(f"a:has-text('#{case.pk}')")
    page.wait_for_selector("h1:has-text('Ningbo Harbour Trading Co., Ltd.')")
    page.click("text=Claim this case")
    page.wait_for_selector("text=You hold this case now.")
    # Each document is accepted with the keyboard (y keeps the place and moves on to the
    # next undecided one); only then is the approval possible.
    from cases.models import DocumentDecision

    documents = case.merchant.documents.count()
    page.keyboard.press("j")
    for decided in range(1, documents + 1):
        page.keyboard.press("y")
        deadline = time.monotonic() + 10
        undecided = "document.querySelectorAll('article[data-undecided]').length"
        while page.evaluate(undecided) > documents - decided:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert DocumentDecision.objects.filter(case=case).count() == documents
    page.wait_for_selector("#document-blockers", state="detached")
    page.keyboard.press("a")
    page.check("text=All requirements met; no adverse findings.")
    page.fill("#id_approve-rationale", "Documents match the registry record.")
    page.click("form[action$='/approve/'] button[type=submit]")
    page.wait_for_selector("text=Your approval was recorded.")
    assert page.locator("#case-state").inner_text() == "Approved"
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert case.maker == reviewer
