"""XSS: hostile text in every free-text field a user can fill, entered through the services,
then every page that shows it (seller, workbench, QC, webhooks) and the PDF review report.
Each field carries its own tag (`LEGAL:<payload>`) so the test knows that every field was
actually shown somewhere, escaped, and never raw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from cases import services
from cases.models import EddItem, QcDispute, QcReview, ReasonCode, ReviewCase, ReviewReport
from config.errors import InvalidInput
from kyc.models import DocumentType, QualificationDocument
from tests.cases.qc_helpers import queued_review
from tests.cases.test_reports_fixtures import pdf_text
from tests.conftest import accept_documents, screen_and_check
from tests.security.test_headers import _client

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "<a href=javascript:alert(1)>x</a>",
    "<iframe src=http://127.0.0.1:9/></iframe>",
    "<style>*{display:none}</style>",
    "javascript:alert(1)",
    "{{7*7}}{% now 'Y' %}${7*7}",
    "\u202eexe.fdp\u202c",
]
# Whatever the page does with the text, these never appear as markup.
RAW_MARKUP = (
    "<script>alert(1)",
    "<img src=x",
    "<svg onload",
    "<svg/onload",
    "<iframe src=http",
    "<a href=javascript",
    "<style>*{",
    'href="javascript:',
    "href='javascript:",
)

# Every free-text field, by tag. The seller and staff fill them through the services below.
FIELDS = (
    "LEGAL",  # merchant legal name
    "LOCAL",  # merchant local-script name
    "TRADING",  # trading name
    "REGADDR",  # registered address
    "OPADDR",  # operating address
    "PERSON",  # person full name
    "PLOCAL",  # person local name
    "DOCNUM",  # document number
    "ISSUER",  # document issuer
    "HOLDER",  # document holder name
    "SCOMMENT",  # seller comment
    "ICOMMENT",  # internal comment
    "RFIMSG",  # RFI message
    "RFINOTE",  # RFI item note
    "ANSWER",  # the seller's RFI answer
    "DOCNOTE",  # document decision note
    "ESCALATE",  # escalation rationale
    "EDDNOTE",  # EDD checklist notes
    "RATIONALE",  # the maker's decision rationale
    "SECOND",  # the checker's rationale
    "REASON",  # a reason code's text (admin-maintained data, shown to sellers and staff)
    "QCCOMMENT",  # QC finding comment
    "DISPUTE",  # dispute reason
    "WEBHOOK",  # webhook subscription name
)
# What the PDF review report shows of them.
REPORT_FIELDS = (
    "LEGAL",
    "LOCAL",
    "TRADING",
    "PERSON",
    "DOCNUM",
    "ISSUER",
    "HOLDER",
    "RATIONALE",
    "EDDNOTE",
)


@dataclass
class Hostile:
    payload: str
    values: dict[str, str]
    case: ReviewCase
    report: ReviewReport
    review: QcReview
    subscription_id: int
    pages: list[tuple[Client, str]] = field(default_factory=list)


def _value(tag: str, payload: str, limit: int = 255) -> str:
    return f"{tag}:{payload}"[:limit]


def _upload(name: str) -> SimpleUploadedFile:
    from tests.factories import pdf_bytes

    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def build_hostile_case(payload: str, users: dict[str, Any]) -> Hostile:
    from cases import edd
    from cases.qc.services import qc_dispute_raise, qc_review_complete
    from kyc.services import document_upload
    from merchants.services import person_add
    from webhooks.services import subscription_create

    seller, reviewer, senior = users["seller"], users["reviewer"], users["senior"]
    v = {tag: _value(tag, payload) for tag in FIELDS}
    ReasonCode.objects.filter(code="approved_clean").update(text_en=v["REASON"])

    merchant, case = services.onboarding_start(
        actor=seller,
        data={
            "legal_name": v["LEGAL"],
            "local_name": v["LOCAL"],
            "trading_name": v["TRADING"],
            "entity_type": "company",
            "country": "CN",
            "registration_number": "91350100M000100Y43",
            "registered_address": v["REGADDR"],
            "operating_address": v["OPADDR"],
            "website": "https://example.com/shop",
        },
    )
    person = person_add(
        actor=seller,
        merchant=merchant,
        data={
            "full_name": v["PERSON"],
            "local_name": v["PLOCAL"],
            "is_legal_representative": True,
            "is_beneficial_owner": True,
            "ownership_percent": 60,
        },
    )
    license_doc = document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="business_license"),
        fileobj=_upload("license.pdf"),
        filename=f"{payload}.pdf",
        metadata={
            "number": _value("DOCNUM", payload, 100),
            "issuer": v["ISSUER"],
            "holder_name": v["HOLDER"],
            "expiry_date": "2031-01-01",
        },
    )
    document_upload(
        actor=seller,
        merchant=merchant,
        document_type=DocumentType.objects.get(code="identity_document"),
        fileobj=_upload("id.pdf"),
        filename="id.pdf",
        metadata={"number": "110101199001011234", "expiry_date": "2032-01-01", "person": person},
    )
    services.case_submit(actor=seller, case_id=case.pk)
    services.comment_add(actor=seller, case_id=case.pk, body=v["SCOMMENT"], visibility="seller")
    services.case_claim(actor=reviewer, case_id=case.pk)
    services.comment_add(actor=reviewer, case_id=case.pk, body=v["ICOMMENT"], visibility="internal")
    services.case_request_info(
        actor=reviewer,
        case_id=case.pk,
        message=v["RFIMSG"],
        items=[{"requirement_code": "business_license", "note": v["RFINOTE"]}],
    )
    services.case_resubmit(actor=seller, case_id=case.pk, answer=v["ANSWER"])
    # The screening and the checks that follow the answer (after commit, outside tests).
    screen_and_check(case, score=False)
    case = ReviewCase.objects.get(pk=case.pk)
    if case.assignee_id != reviewer.pk:
        services.case_claim(actor=reviewer, case_id=case.pk)
    services.document_decide(
        actor=reviewer,
        case_id=case.pk,
        document_id=license_doc.pk,
        decision="accept",
        note=v["DOCNOTE"],
    )
    services.case_escalate(actor=reviewer, case_id=case.pk, rationale=v["ESCALATE"])
    services.case_claim(actor=senior, case_id=case.pk)
    for code in EddItem.values:
        edd.edd_item_update(
            actor=senior, case_id=case.pk, item=code, status="satisfied", notes=v["EDDNOTE"]
        )
    accept_documents(case, senior)
    services.case_approve(
        actor=senior, case_id=case.pk, reason_codes=["approved_clean"], rationale=v["RATIONALE"]
    )
    case = ReviewCase.objects.get(pk=case.pk)
    if case.state != "approved":
        services.case_second_approve(
            actor=users["other_senior"], case_id=case.pk, rationale=v["SECOND"]
        )
        case = ReviewCase.objects.get(pk=case.pk)
    assert case.state == "approved"

    review = queued_review(case)
    qc_review_complete(
        actor=users["qc_lead"],
        review_id=review.pk,
        outcome="disagree",
        error_category="poor_rationale",
        severity="minor",
        comment=v["QCCOMMENT"],
    )
    qc_dispute_raise(actor=senior, review_id=review.pk, reason=v["DISPUTE"])
    subscription, _secret = subscription_create(
        actor=users["admin_user"],
        data={"name": v["WEBHOOK"], "url": "http://127.0.0.1:9/hook", "event_types": []},
    )
    report = ReviewReport.objects.filter(case=case).order_by("-pk").first()
    assert report is not None
    return Hostile(
        payload=payload,
        values=v,
        case=case,
        report=report,
        review=review,
        subscription_id=subscription.pk,
    )


@pytest.fixture
def users(
    reference: Any,
    seller: Any,
    reviewer: Any,
    senior: Any,
    other_senior: Any,
    qc_lead: Any,
    admin_user: Any,
) -> dict[str, Any]:
    return {
        "seller": seller,
        "reviewer": reviewer,
        "senior": senior,
        "other_senior": other_senior,
        "qc_lead": qc_lead,
        "admin_user": admin_user,
    }


def _pages(h: Hostile, users: dict[str, Any]) -> list[tuple[str, str]]:
    """(who, url) for every page that shows the case's text."""
    case, merchant_id = h.case, h.case.merchant_id
    person = case.merchant.people.get()
    dispute = QcDispute.objects.get(review=h.review)
    return [
        ("seller", reverse("merchants:list")),
        ("seller", reverse("cases:merchant_detail", args=[merchant_id])),
        ("seller", reverse("merchants:edit", args=[merchant_id])),
        ("seller", reverse("merchants:person_edit", args=[merchant_id, person.pk])),
        ("reviewer", reverse("cases:queue") + "?queue=open"),
        ("reviewer", reverse("cases:queue") + "?view=all"),
        ("reviewer", reverse("cases:case_detail", args=[case.pk])),
        ("senior", reverse("cases:case_detail", args=[case.pk])),
        ("senior", reverse("qc:findings")),
        ("qc_lead", reverse("qc:queue") + "?status=all"),
        ("qc_lead", reverse("qc:review", args=[h.review.pk])),
        ("qc_lead", reverse("qc:disputes")),
        ("qc_lead", reverse("qc:dashboard")),
        ("qc_lead", reverse("qc:dispute_decide", args=[dispute.pk])),
        ("admin_user", reverse("webhooks:list")),
        ("admin_user", reverse("webhooks:detail", args=[h.subscription_id])),
    ]


def assert_no_raw_markup(html: str, payload: str, where: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html, (where, raw)
    if any(ch in payload for ch in "<>\"'"):
        assert payload not in html, where


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_in_every_field_is_escaped_on_every_page(
    payload: str, users: dict[str, Any]
) -> None:
    h = build_hostile_case(payload, users)
    clients = {who: _client(user) for who, user in users.items()}
    shown: set[str] = set()
    for who, url in _pages(h, users):
        response = clients[who].get(url)
        where = f"{who} {url}"
        if response.status_code in (404, 405):
            continue  # a page that does not exist for this state; the others cover the field
        assert response.status_code == 200, where
        assert response["Content-Type"].startswith("text/html"), where
        html = response.content.decode()
        assert_no_raw_markup(html, payload, where)
        for tag, value in h.values.items():
            if escape(value) in html:
                shown.add(tag)
    # The original filename is reduced to a safe name at upload (kyc.uploads).
    document = QualificationDocument.objects.get(
        merchant=h.case.merchant, document_type__code="business_license"
    )
    assert "<" not in document.original_filename and ">" not in document.original_filename
    assert "\u202e" not in document.original_filename
    missing = set(FIELDS) - shown
    assert missing == set(), f"fields not shown on any page: {sorted(missing)}"


@pytest.mark.parametrize("payload", [PAYLOADS[0], PAYLOADS[1], PAYLOADS[3], PAYLOADS[9]])
def test_hostile_text_is_text_in_the_pdf_report_and_nothing_is_fetched(
    payload: str, users: dict[str, Any]
) -> None:
    from cases.reports.render import ReportURLFetcher, report_render

    h = build_hostile_case(payload, users)
    fetcher = ReportURLFetcher()
    rendered = report_render(h.report, fetcher=fetcher)
    # Narrow table cells wrap long values: compare without the line breaks' spaces.
    text = "".join(pdf_text(rendered.pdf).split())
    for tag in REPORT_FIELDS:
        assert "".join(h.values[tag].split()) in text, tag
    assert_no_raw_markup(rendered.html, payload, "report html")
    assert fetcher.requested == [] and fetcher.refused == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_audit_export_of_a_hostile_case_is_data_not_html(fmt: str, users: dict[str, Any]) -> None:
    h = build_hostile_case(PAYLOADS[0], users)
    response = _client(users["admin_user"]).get(
        reverse("audit:export"), {"case": str(h.case.pk), "format": fmt}
    )
    assert response.status_code == 200
    assert not response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content).decode()
    assert "alert(1)" in body  # the data, verbatim: it is never rendered as a page


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_the_website_field_refuses_script_urls(
    website: str, draft_case: ReviewCase, seller: Any
) -> None:
    from merchants.services import merchant_update

    merchant = draft_case.merchant
    with pytest.raises(InvalidInput) as refused:
        merchant_update(actor=seller, merchant=merchant, data={"website": website})
    assert "website" in refused.value.fields
    merchant.refresh_from_db()
    assert merchant.website == ""
    response = _client(seller).post(
        reverse("merchants:edit", args=[merchant.pk]),
        {
            "legal_name": merchant.legal_name,
            "entity_type": merchant.entity_type,
            "country": merchant.country,
            "registration_number": merchant.registration_number,
            "website": website,
        },
    )
    assert response.status_code in (200, 400)
    merchant.refresh_from_db()
    assert merchant.website == ""
    assert_no_raw_markup(response.content.decode(), website, "edit form")


def test_a_valid_website_with_markup_in_its_path_is_escaped_where_shown(
    submitted_case: ReviewCase, seller: Any, reviewer: Any
) -> None:
    from merchants.models import Merchant

    website = 'https://example.com/"><script>alert(1)</script>'
    # The seller may no longer edit a submitted merchant; what is stored is what is shown.
    Merchant.objects.filter(pk=submitted_case.merchant_id).update(website=website)
    for client, url in (
        (_client(seller), reverse("cases:merchant_detail", args=[submitted_case.merchant_id])),
        (_client(seller), reverse("merchants:edit", args=[submitted_case.merchant_id])),
        (_client(reviewer), reverse("cases:case_detail", args=[submitted_case.pk])),
    ):
        html = client.get(url).content.decode()
        assert_no_raw_markup(html, website, url)
