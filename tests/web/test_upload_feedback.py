"""A seller's upload that fails a check is not "uploaded" (issue 12): the seller is told at
once, in their language, what failed and what to upload instead; with a real worker the
result comes a moment later and the page shows "checking…" until it is known."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import ReviewCase
from kyc.models import DocumentType, QualificationDocument
from kyc.services import document_run_checks
from tests.conftest import upload
from tests.factories import pdf_bytes
from tests.kyc.checks import files


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _post(client: Client, case: ReviewCase, data: bytes) -> Any:
    return client.post(
        reverse("cases:document_upload", args=[case.merchant_id]),
        {
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "file": upload("license.pdf", data),
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
        follow=True,
    )


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "told", "not_told"),
    [
        ("en", "did not pass the automatic checks", "was uploaded. It is checked automatically"),
        ("zh-hans", "未通过自动检查", "已上传"),
    ],
)
def test_a_failing_upload_is_reported_at_once_in_the_sellers_language(
    draft_case: ReviewCase, seller: Any, language: str, told: str, not_told: str
) -> None:
    # Embedded mode: the checks run in-process when the upload commits.
    response = _post(_client(seller, language), draft_case, files.pdf_with_open_action_js())
    assert response.status_code == 200
    shown = " ".join(_messages(response))
    assert told in shown and not_told not in shown
    doc = QualificationDocument.objects.get()
    failure = doc.check_results.get(check_name="pdf_javascript")
    expected = failure.message_zh if language.startswith("zh") else failure.message_en
    assert expected in shown
    # The document row shows the failure too, and offers the replacement.
    html = response.content.decode()
    row = html.split(f'id="document-row-{doc.pk}"', 1)[1].split("</tr>", 1)[0]
    assert expected in row
    assert f"replaces={doc.pk}" in row


@pytest.mark.django_db(transaction=True)
def test_a_clean_upload_says_it_passed_the_checks(draft_case: ReviewCase, seller: Any) -> None:
    response = _post(_client(seller), draft_case, pdf_bytes())
    shown = " ".join(_messages(response))
    assert "passed the automatic checks" in shown
    assert "did not pass" not in shown


@pytest.mark.django_db
def test_with_a_worker_the_page_says_checking_until_the_result_is_known(
    draft_case: ReviewCase, seller: Any
) -> None:
    # In a test transaction nothing commits: the task is not run, as with a busy worker.
    response = _post(_client(seller), draft_case, files.pdf_with_open_action_js())
    shown = " ".join(_messages(response))
    assert "being checked" in shown and "passed" not in shown
    doc = QualificationDocument.objects.get()
    html = response.content.decode()
    row = html.split(f'id="document-row-{doc.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Checking…" in row
    assert f'data-checking="/api/v1/documents/{doc.pk}/"' in row

    document_run_checks(document_id=doc.pk)
    page = _client(seller).get(reverse("cases:merchant_detail", args=[draft_case.merchant_id]))
    html = page.content.decode()
    row = html.split(f'id="document-row-{doc.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Checking…" not in row
    assert doc.check_results.get(check_name="pdf_javascript").message_en in row


@pytest.mark.django_db
def test_the_api_says_what_failed_in_the_requests_language(
    draft_case: ReviewCase, seller: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api = APIClient()
    api.force_login(seller)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            f"/api/v1/merchants/{draft_case.merchant_id}/documents/",
            {
                "file": upload("license.pdf", files.pdf_with_open_action_js()),
                "document_type": "business_license",
                "number": "91350100M000100Y43",
                "expiry_date": "2031-01-01",
            },
            format="multipart",
        )
    assert created.status_code == 201
    assert created.json()["checks_status"] == "checking"  # answered before the commit
    doc_id = created.json()["id"]
    body = api.get(f"/api/v1/documents/{doc_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["checks_status"] == "failed"
    (problem,) = body["problems"]
    assert problem["code"] == "pdf_javascript"
    assert (
        problem["message"]
        == QualificationDocument.objects.get()
        .check_results.get(check_name="pdf_javascript")
        .message_zh
    )
