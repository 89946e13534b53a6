"""In a real browser, the reviewer's common path: next case → per-document decisions with the
keyboard → one RFI → the seller uploads the replacement and answers → the case comes back to
the same reviewer, who approves it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import services
from tests.e2e.test_submit_and_approve import (  # the launch pattern, shared
    _log_in,
    allow_sync_orm_next_to_playwright,
    browser_page,
)
from tests.factories import pdf_bytes

pytestmark = [pytest.mark.e2e]
__all__ = ["allow_sync_orm_next_to_playwright", "browser_page"]


def test_next_case_documents_rfi_answer_and_approval(
    live_server: Any,
    transactional_db: Any,
    ready_case: Any,
    seller: Any,
    reviewer: Any,
    browser_page: Any,
    tmp_path: Path,
) -> None:
    services.need("chromium")
    from cases.models import CaseState, ReviewCase
    from cases.services import case_submit
    from kyc.models import DocumentStatus, SanctionsList

    # Approval needs a screening against an active list (cases.readiness): an empty one.
    SanctionsList.objects.create(
        source="ofac_sdn", label="empty-test-list.csv", sha256="0" * 64, is_active=True
    )

    case = case_submit(actor=seller, case_id=ready_case.pk)
    merchant = case.merchant
    license_doc = merchant.documents.get(document_type__code="business_license")
    id_doc = merchant.documents.get(document_type__code="identity_document")
    page, base = browser_page, live_server.url

    # The reviewer takes the next case from the queue: it opens on the case page, held.
    _log_in(page, base, reviewer.username)
    page.goto(f"{base}/review/")
    page.click("form[data-next-case] button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{merchant.legal_name}')")
    case.refresh_from_db()
    assert case.assignee == reviewer and case.state == CaseState.IN_REVIEW
    assert page.locator("#shortcuts-help").is_visible()

    # j focuses the first document, y accepts it.
    first_id = int(page.locator("article[data-document]").first.get_attribute("data-document"))
    accepted, to_fix = (
        (license_doc, id_doc) if first_id == license_doc.pk else (id_doc, license_doc)
    )
    page.keyboard.press("j")
    page.keyboard.press("y")
    page.wait_for_selector("text=The document decision was recorded.")
    accepted.refresh_from_db()
    assert accepted.status == DocumentStatus.ACCEPTED

    # r opens the RFI; the script refuses an empty message before anything is sent.
    page.keyboard.press("r")
    page.click("form[data-validate=rfi] button[type=submit]")
    assert page.locator("form[data-validate=rfi] .client-errors").is_visible()
    page.check(f"#id_rfi-doc_{to_fix.pk}")
    page.select_option(f"#id_rfi-doc_{to_fix.pk}_reason", "doc_illegible")
    page.fill(f"#id_rfi-doc_{to_fix.pk}_note", "The scan is blurred.")
    page.fill("#id_rfi-message", "Please upload a sharper scan of the ID.")
    page.click("form[data-validate=rfi] button[type=submit]")
    page.wait_for_selector("text=The request for information was sent to the seller.")
    case.refresh_from_db()
    assert case.state == CaseState.INFO_REQUESTED

    # The seller uploads the replacement and answers.
    page.click("text=Sign out")
    _log_in(page, base, seller.username)
    page.goto(f"{base}/seller/merchants/{merchant.pk}/")
    assert page.get_by_text("The scan is blurred.").count()
    replacement = tmp_path / "id-sharp.pdf"
    replacement.write_bytes(pdf_bytes("Passport sharp"))
    page.click(f"a[href*='replaces={to_fix.pk}']")
    page.set_input_files("#id_file", str(replacement))
    page.fill("#id_number", to_fix.number)
    page.fill("#id_expiry_date", "2032-01-01")
    page.click("form[data-upload-form] button[type=submit]")
    page.wait_for_selector(".alert-success")
    page.fill("#id_answer", "Uploaded a sharper scan.")
    page.click("form.answer-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    case = ReviewCase.objects.get(pk=case.pk)
    # Back to the same reviewer, straight into review.
    assert case.state == CaseState.IN_REVIEW and case.assignee == reviewer

    # The reviewer approves from the case page.
    page.click("text=Sign out")
    _log_in(page, base, reviewer.username)
    page.goto(f"{base}/review/cases/{case.pk}/")
    # The replacement is a change since submission, shown at the top until acknowledged.
    assert page.locator("#changes").is_visible()
    page.click("#changes button[type=submit]")
    page.wait_for_selector("text=The changes are acknowledged.")
    # The replacement is a new version: it must be decided before the approval.
    replacement_doc = merchant.documents.exclude(pk=to_fix.pk).get(
        document_type=to_fix.document_type
    )
    page.check(f"#id_doc{replacement_doc.pk}_decision_0")
    page.click(f"#document-{replacement_doc.pk} form.doc-decide button[type=submit]")
    page.wait_for_selector("text=The document decision was recorded.")
    page.keyboard.press("a")
    page.fill("#id_approve-rationale", "Replacement ID is readable and matches.")
    page.click("form[action$='/approve/'] button[type=submit]")
    page.wait_for_selector("text=Your approval was recorded.")
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED and case.maker == reviewer
