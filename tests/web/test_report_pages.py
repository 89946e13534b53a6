"""The case page's "Review reports" panel, the audited download and the rebuild form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import ReportStatus, ReviewReport
from tests.cases.test_reports_fixtures import HOSTILE_NAMES, build, pdf_text
from tests.conftest import accept_documents, screen_and_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def built_report(claimed_case: Any, reviewer: Any) -> ReviewReport:
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk, rationale="Clean file.")
    report = ReviewReport.objects.get(case=claimed_case)
    build(report)
    return ReviewReport.objects.get(pk=report.pk)


def downloads() -> int:
    return AuditEvent.objects.filter(action="report.downloaded").count()


def test_reviewer_downloads_the_pdf_as_an_audited_attachment(
    built_report: ReviewReport, reviewer_client: Client, reviewer: Any
) -> None:
    response = reviewer_client.get(reverse("reports:download", args=[built_report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    data = b"".join(response.streaming_content)
    import hashlib

    assert hashlib.sha256(data).hexdigest() == built_report.sha256
    (event,) = AuditEvent.objects.filter(action="report.downloaded")
    assert (event.actor_id, event.case_id, event.after["sha256"]) == (
        reviewer.pk,
        built_report.case_id,
        built_report.sha256,
    )


@pytest.mark.parametrize("who", ["seller_client", "other_seller_client", "anonymous"])
def test_sellers_and_anonymous_users_get_404(
    built_report: ReviewReport, who: str, request: Any
) -> None:
    client = Client() if who == "anonymous" else request.getfixturevalue(who)
    response = client.get(reverse("reports:download", args=[built_report.pk]))
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == 404
    assert downloads() == 0


def test_a_pending_report_cannot_be_downloaded(
    claimed_case: Any, reviewer: Any, reviewer_client: Client
) -> None:
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    report = ReviewReport.objects.get(case=claimed_case)
    assert report.status == ReportStatus.PENDING
    assert reviewer_client.get(reverse("reports:download", args=[report.pk])).status_code == 404
    assert downloads() == 0


def test_case_page_lists_the_reports_with_digest_and_download_link(
    built_report: ReviewReport, reviewer_client: Client
) -> None:
    page = reviewer_client.get(reverse("cases:case_detail", args=[built_report.case_id]))
    html = page.content.decode()
    assert 'id="reports"' in html
    assert f'title="{built_report.sha256}"' in html
    assert reverse("reports:download", args=[built_report.pk]) in html
    assert "Case approved" in html
    # A reviewer (L1) sees no rebuild form; a senior reviewer does.
    assert reverse("reports:rebuild", args=[built_report.case_id]) not in html


def test_senior_rebuilds_from_the_case_page(
    built_report: ReviewReport, senior_client: Client
) -> None:
    page = senior_client.get(reverse("cases:case_detail", args=[built_report.case_id]))
    assert reverse("reports:rebuild", args=[built_report.case_id]) in page.content.decode()
    response = senior_client.post(
        reverse("reports:rebuild", args=[built_report.case_id]), {"language": "zh-hans"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#reports")
    v2 = ReviewReport.objects.get(case_id=built_report.case_id, version=2)
    assert (v2.language, v2.trigger) == ("zh-hans", "rebuild")
    assert AuditEvent.objects.filter(action="report.rebuild_requested").count() == 1


def test_reviewer_and_seller_cannot_rebuild(
    built_report: ReviewReport, reviewer_client: Client, seller_client: Client
) -> None:
    url = reverse("reports:rebuild", args=[built_report.case_id])
    assert reviewer_client.post(url, {"language": "en"}).status_code == 403
    assert seller_client.post(url, {"language": "en"}).status_code == 404
    assert ReviewReport.objects.filter(case_id=built_report.case_id).count() == 1


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_merchant_name_is_text_on_the_page_and_in_the_pdf(
    claimed_case: Any, reviewer: Any, reviewer_client: Client, hostile: str
) -> None:
    from merchants.models import Merchant

    Merchant.objects.filter(pk=claimed_case.merchant_id).update(legal_name=hostile)
    screen_and_check(claimed_case, score=False)  # approval waits for the new name's screening
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    report = ReviewReport.objects.get(case=claimed_case)
    build(report)
    page = reviewer_client.get(reverse("cases:case_detail", args=[claimed_case.pk])).content
    assert hostile.encode() not in page
    assert hostile.replace("<", "&lt;").replace(">", "&gt;").encode() in page
    response = reviewer_client.get(reverse("reports:download", args=[report.pk]))
    assert hostile in pdf_text(b"".join(response.streaming_content))
