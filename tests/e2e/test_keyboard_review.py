"""In a real browser: `y` accepts the focused document without reloading the page or losing
the place, and moves the focus to the next document still undecided in the case."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests import services
from tests.e2e.test_submit_and_approve import (  # the launch pattern, shared
    _log_in,
    allow_sync_orm_next_to_playwright,
    browser_page,
)

pytestmark = [pytest.mark.e2e]
__all__ = ["allow_sync_orm_next_to_playwright", "browser_page"]


def _wait_until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Polls from Python: the page's CSP forbids the eval that wait_for_function uses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, expression
        time.sleep(0.1)


def test_y_keeps_the_place_and_moves_to_the_next_undecided_document(
    live_server: Any,
    transactional_db: Any,
    claimed_case: Any,
    reviewer: Any,
    browser_page: Any,
) -> None:
    services.need("chromium")
    from cases.models import DocumentDecision

    page, base = browser_page, live_server.url
    _log_in(page, base, reviewer.username)
    page.goto(f"{base}/review/cases/{claimed_case.pk}/")
    cards = page.locator("article[data-document]")
    first = cards.nth(0).get_attribute("data-document")
    second = cards.nth(1).get_attribute("data-document")
    # A marker the page would lose on a reload.
    page.evaluate("window.__keptPlace = true")

    page.keyboard.press("j")
    page.keyboard.press("y")
    page.wait_for_selector("text=The document decision was recorded.")
    _wait_until(
        page, f"document.activeElement && document.activeElement.id === 'document-{second}'"
    )
    assert page.evaluate("window.__keptPlace") is True
    assert page.locator(f"#document-{first}[data-undecided]").count() == 0
    assert page.locator(f"#document-{second}[data-undecided]").count() == 1

    # y again accepts the focused (second) document, still without a reload.
    page.keyboard.press("y")
    _wait_until(page, f"!document.querySelector('#document-{second}[data-undecided]')")
    assert page.evaluate("window.__keptPlace") is True
    decided = set(
        DocumentDecision.objects.filter(case=claimed_case).values_list("document_id", flat=True)
    )
    assert decided == {int(first), int(second)}
    # Nothing blocks the approval any more: the panel says so.
    assert page.locator("#document-blockers").count() == 0
