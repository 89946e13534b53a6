"""API for PDF review reports: list, rebuild, audited download; staff only."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases import services
from cases.models import ReviewReport
from tests.cases.test_reports_fixtures import build
from tests.conftest import accept_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def built_report(claimed_case: Any, reviewer: Any) -> ReviewReport:
    accept_documents(claimed_case, reviewer)
    services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    report = ReviewReport.objects.get(case=claimed_case)
    build(report)
    return ReviewReport.objects.get(pk=report.pk)


def test_staff_list_the_versions_with_digest_and_download_url(
    built_report: ReviewReport, reviewer_api: APIClient, reviewer: Any
) -> None:
    response = reviewer_api.get(f"/api/v1/cases/{built_report.case_id}/reports/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["version"] == 1 and row["trigger"] == "case_approved"
    assert row["status"] == "built" and row["sha256"] == built_report.sha256
    assert row["requested_by"] == reviewer.username and row["language"] == "en"
    assert row["download_url"] == f"/api/v1/reports/{built_report.pk}/file/"


def test_download_is_an_attachment_and_an_audit_event(
    built_report: ReviewReport, client_for: Callable[[Any], APIClient], qc_lead: Any
) -> None:
    response = client_for(qc_lead).get(f"/api/v1/reports/{built_report.pk}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == built_report.sha256
    assert AuditEvent.objects.filter(action="report.downloaded", actor_id=qc_lead.pk).count() == 1


def test_sellers_and_anonymous_get_404_or_401(
    built_report: ReviewReport, seller_api: APIClient, anon: APIClient
) -> None:
    for path in (
        f"/api/v1/reports/{built_report.pk}/file/",
        f"/api/v1/cases/{built_report.case_id}/reports/",
    ):
        assert seller_api.get(path).status_code == 404
        assert anon.get(path).status_code in (401, 403)
    assert seller_api.post(f"/api/v1/cases/{built_report.case_id}/reports/", {}).status_code == 404
    assert AuditEvent.objects.filter(action="report.downloaded").count() == 0


def test_rebuild_by_a_senior_makes_version_two(
    built_report: ReviewReport, client_for: Callable[[Any], APIClient], senior: Any
) -> None:
    response = client_for(senior).post(
        f"/api/v1/cases/{built_report.case_id}/reports/", {"language": "zh-hans"}, format="json"
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["version"], body["trigger"], body["language"]) == (2, "rebuild", "zh-hans")
    assert ReviewReport.objects.get(pk=built_report.pk).sha256 == built_report.sha256


def test_rebuild_by_a_reviewer_is_forbidden_and_a_bad_language_invalid(
    built_report: ReviewReport,
    reviewer_api: APIClient,
    client_for: Callable[[Any], APIClient],
    admin_user: Any,
) -> None:
    url = f"/api/v1/cases/{built_report.case_id}/reports/"
    assert reviewer_api.post(url, {}, format="json").status_code == 403
    bad = client_for(admin_user).post(url, {"language": "fr"}, format="json")
    assert bad.status_code == 400 and "language" in bad.json()["error"]["fields"]
    assert ReviewReport.objects.filter(case_id=built_report.case_id).count() == 1


def test_unknown_ids_are_404(reviewer_api: APIClient) -> None:
    assert reviewer_api.get("/api/v1/reports/999999/file/").status_code == 404
    assert reviewer_api.get("/api/v1/cases/999999/reports/").status_code == 404
