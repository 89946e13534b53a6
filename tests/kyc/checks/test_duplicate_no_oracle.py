"""The same file (or registration number) under two accounts (issue 12): the LATER uploader is
blocked; the first never learns of the second (its pages, API answers and e-mails say nothing
new), and both documents carry the internal fraud-ring signal, which only staff see."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kyc.models import DocumentCheckResult, DocumentType, QualificationDocument
from kyc.risk import merchant_risk
from kyc.services import document_upload
from merchants.models import Merchant
from tests.conftest import upload
from tests.factories import MerchantFactory, PersonFactory, add_member, pdf_bytes

pytestmark = pytest.mark.django_db

FORBIDDEN = (
    "already been submitted",
    "already used by another account",
    "已由其他账户提交",
    "已被其他账户使用",
    "fraud",
    "欺诈",
)


def _client(user: Any, cls: Any = Client) -> Any:
    client = cls()
    client.force_login(user)
    return client


def _upload(actor: Any, merchant: Merchant, data: bytes, capture: Any, **meta: Any) -> Any:
    with capture(execute=True):
        doc = document_upload(
            actor=actor,
            merchant=merchant,
            document_type=DocumentType.objects.get(code="business_license"),
            fileobj=upload("license.pdf", data),
            filename="license.pdf",
            metadata={"number": "91350100M000100Y43", "expiry_date": "2031-01-01", **meta},
        )
    doc.refresh_from_db()
    return doc


def _other_merchant(other_seller: Any, registration_number: str) -> Merchant:
    merchant = MerchantFactory(
        legal_name="Guangzhou Pearl River Imports Co., Ltd.",
        local_name="广州珠江进口有限公司",
        registration_number=registration_number,
    )
    add_member(merchant, other_seller)
    PersonFactory(merchant=merchant, full_name="Chen Mei", is_legal_representative=True)
    return merchant


def _seller_view(seller: Any, merchant: Merchant) -> dict[str, Any]:
    """Everything the first seller can read about its merchant, in both languages."""
    api = _client(seller, APIClient)
    view: dict[str, Any] = {
        "documents": api.get(f"/api/v1/merchants/{merchant.pk}/documents/").json(),
        "requirements": api.get(f"/api/v1/merchants/{merchant.pk}/requirements/").json(),
        "cases": [
            api.get(f"/api/v1/cases/{case.pk}/").json() for case in merchant.cases.order_by("pk")
        ],
        "mails": len(mail.outbox),
    }
    for language in ("en", "zh-hans"):
        web = _client(seller)
        web.cookies["django_language"] = language
        html = web.get(
            reverse("cases:merchant_detail", args=[merchant.pk]), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        page = html.split('id="requirements"', 1)[1].split("<footer", 1)[0]
        view[f"page_{language}"] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return view


def _signal(doc: QualificationDocument) -> DocumentCheckResult:
    return DocumentCheckResult.objects.get(document=doc, is_internal=True)


def test_the_later_uploader_of_the_same_file_is_blocked_and_the_first_learns_nothing(
    draft_case: Any,
    seller: Any,
    other_seller: Any,
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = pdf_bytes("Shared license scan")
    first = _upload(seller, draft_case.merchant, data, django_capture_on_commit_callbacks)
    before = _seller_view(seller, draft_case.merchant)

    other = _other_merchant(other_seller, "91440300MA5G9KJ2XU")
    second = _upload(
        other_seller, other, data, django_capture_on_commit_callbacks, number="91440300MA5G9KJ2XU"
    )

    # The later uploader is blocked: a failed check, a requirement error in its language.
    blocked = DocumentCheckResult.objects.get(document=second, check_name="duplicate_file")
    assert (blocked.outcome, blocked.code) == ("failed", "duplicate_file_other_merchant")
    assert blocked.is_internal is False
    # The first seller sees exactly what it saw before, everywhere.
    after = _seller_view(seller, draft_case.merchant)
    assert after == before
    for text in (str(after["documents"]), after["page_en"], after["page_zh-hans"]):
        for word in FORBIDDEN:
            assert word not in text
    mine = DocumentCheckResult.objects.get(document=first, check_name="duplicate_file")
    assert (mine.outcome, mine.code) == ("passed", "no_duplicate_file")
    # Both carry the internal signal, naming the other side, for staff only.
    for doc, counterpart, direction in ((first, second, "later"), (second, first, "earlier")):
        signal = _signal(doc)
        assert (signal.check_name, signal.outcome) == ("duplicate_file_signal", "warning")
        assert signal.code == "duplicate_file_other_merchant"
        (listed,) = signal.evidence["documents"]
        assert (listed["document_id"], listed["direction"]) == (counterpart.pk, direction)
    staff = _client(reviewer, APIClient).get(f"/api/v1/documents/{first.pk}/").json()
    assert "duplicate_file_signal" in {r["check_name"] for r in staff["check_results"]}
    # The risk score of both merchants carries the fraud-ring factor once.
    for merchant in (draft_case.merchant, other):
        factors = {f["code"]: f for f in merchant_risk(merchant).factors}
        assert "duplicate_file_other_merchant" in factors


def test_the_later_holder_of_the_same_registration_number_is_blocked_and_the_first_learns_nothing(
    draft_case: Any, seller: Any, other_seller: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = _upload(seller, draft_case.merchant, pdf_bytes("A"), django_capture_on_commit_callbacks)
    before = _seller_view(seller, draft_case.merchant)

    other = _other_merchant(other_seller, "9135-0100-M000100Y43")  # same number, dashes
    second = _upload(other_seller, other, pdf_bytes("B"), django_capture_on_commit_callbacks)

    blocked = DocumentCheckResult.objects.get(
        document=second, check_name="duplicate_registration_number"
    )
    assert blocked.code == "duplicate_registration_number_other_merchant"
    assert _seller_view(seller, draft_case.merchant) == before
    mine = DocumentCheckResult.objects.get(
        document=first, check_name="duplicate_registration_number"
    )
    assert mine.code == "no_duplicate_registration_number"
    for doc, counterpart in ((first, other), (second, draft_case.merchant)):
        signal = _signal(doc)
        assert signal.check_name == "duplicate_registration_signal"
        assert counterpart.pk in signal.evidence["merchant_ids"]


def test_a_rerun_of_the_first_documents_checks_still_tells_its_seller_nothing(
    draft_case: Any, seller: Any, other_seller: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc.services import document_run_checks

    data = pdf_bytes("Shared license scan")
    first = _upload(seller, draft_case.merchant, data, django_capture_on_commit_callbacks)
    other = _other_merchant(other_seller, "91440300MA5G9KJ2XU")
    _upload(
        other_seller, other, data, django_capture_on_commit_callbacks, number="91440300MA5G9KJ2XU"
    )
    before = _seller_view(seller, draft_case.merchant)
    document_run_checks(document_id=first.pk)
    assert _seller_view(seller, draft_case.merchant) == before
    assert _signal(first).code == "duplicate_file_other_merchant"
