"""PDF review reports: what they contain (read back from the PDF's text), that hostile text
stays text and nothing is fetched, the stored digest, versions and idempotency, and which
decisions request one."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from audit.models import AuditEvent
from cases import services
from cases.decisions import capability_decide
from cases.models import ReportStatus, ReportTrigger, ReviewCase, ReviewReport
from cases.reports import build as build_module
from cases.reports.build import MAX_ATTEMPTS, ReportBuildError, report_build
from cases.reports.render import ReportURLFetcher, css_string, report_render
from cases.tasks import build_report_task
from merchants.models import Merchant
from tests.cases.test_reports_fixtures import (
    CHINESE_NAME,
    HOSTILE_NAMES,
    RATIONALE,
    approve_with_four_eyes,
    build,
    enrich,
    pdf_text,
    rebuild_in_transaction,
    stored_bytes,
)
from tests.conftest import accept_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_report(claimed_case: Any, reviewer: Any, senior: Any) -> ReviewReport:
    """A decided case with a Chinese local name, three owners, four checked documents, two
    disposed screening hits, maker and checker; its report requested (not built)."""
    Merchant.objects.filter(pk=claimed_case.merchant_id).update(local_name=CHINESE_NAME)
    enrich(claimed_case)
    approve_with_four_eyes(claimed_case, reviewer, senior)
    return ReviewReport.objects.get(case=claimed_case)


def built_events(report: ReviewReport) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="report.built", object_type="cases.reviewreport", object_id=str(report.pk)
        )
    )


# --------------------------------------------------------------------------- content


def test_report_text_holds_everything_an_examiner_needs(
    approved_report: ReviewReport, reviewer: Any, senior: Any
) -> None:
    result = build(approved_report)
    text = pdf_text(stored_bytes(result.key))
    case = approved_report.case
    for expected in (
        "Shenzhen Lumen Trading Co., Ltd.",
        CHINESE_NAME,
        "Li Wei",
        "Zhang Min",
        "张敏",
        "Chen Jie",
        "60%",
        "25%",
        "license.pdf",
        "owner-id-1.pdf",
        "File type and size",  # the checks and their codes by their labels (kyc.labels)
        "Allowed type and size",
        "Validity dates",
        "Expires soon",
        "Expires within the warning window.",
        "Harbour Trading Front LLC",
        "False positive",
        "Different registration and address",
        "disposer-rita",
        "All requirements met; no adverse findings.",
        RATIONALE,
        f"Maker {reviewer.username}",
        f"Checker {senior.username}",
        "First approval, waiting for the second",  # events by their labels
        "Claimed",
        "requirements-v1",
        f"Case #{case.pk}",
        "Page 1 of",
    ):
        assert expected in text, expected
    assert result.page_count >= 2


def test_report_never_includes_file_contents(approved_report: ReviewReport) -> None:
    # tests.factories.pdf_bytes writes "Business license" / "ID 0" into the uploaded PDFs.
    text = pdf_text(stored_bytes(build(approved_report).key))
    assert "ID 0" not in text and "ID 1" not in text


def test_chinese_report_has_chinese_labels_and_names(
    approved_report: ReviewReport, senior: Any
) -> None:
    report = rebuild_in_transaction(approved_report.case, actor=senior, language="zh-hans")
    rendered = report_render(ReviewReport.objects.get(pk=report.pk))
    text = pdf_text(rendered.pdf)
    assert CHINESE_NAME in text and "张敏" in text
    # The reason code's own Chinese text (reference data), whatever the .po files hold.
    assert "所有要求均已满足，无不利发现。" in text
    assert ReviewReport.objects.get(pk=report.pk).language == "zh-hans"


def test_context_takes_a_fixed_number_of_queries(
    approved_report: ReviewReport, django_assert_max_num_queries: Any
) -> None:
    from cases.reports.context import report_context

    with django_assert_max_num_queries(16):
        report_context(approved_report)


# --------------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_merchant_name_is_text_and_nothing_is_fetched(
    approved_report: ReviewReport, hostile: str
) -> None:
    Merchant.objects.filter(pk=approved_report.case.merchant_id).update(
        legal_name=hostile, website="http://127.0.0.1:9/site", trading_name=hostile
    )
    fetcher = ReportURLFetcher()
    rendered = report_render(approved_report, fetcher=fetcher)
    assert hostile in pdf_text(rendered.pdf)
    assert hostile not in rendered.html  # escaped in the HTML WeasyPrint read
    # Nothing was asked for at all (the stylesheet is parsed once per process), least of
    # all the name's URL.
    assert fetcher.requested == []
    assert fetcher.refused == []


def test_anything_the_html_asks_for_goes_through_the_refusing_fetcher(
    approved_report: ReviewReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Proves the spy above is wired in: were markup ever to reach WeasyPrint, its URLs
    # would be refused, not fetched.
    from cases.reports import render

    monkeypatch.setattr(
        render,
        "report_html",
        lambda report: (
            '<p>x</p><img src="http://127.0.0.1:9/x.png">'
            '<link rel="stylesheet" href="file:///etc/passwd">'
        ),
    )
    fetcher = ReportURLFetcher()
    render.report_render(approved_report, fetcher=fetcher)
    assert sorted(fetcher.refused) == ["file:///etc/passwd", "http://127.0.0.1:9/x.png"]


def test_fetcher_serves_only_report_assets(tmp_path: Path) -> None:
    from weasyprint.urls import URLFetcherResponse

    fetcher = ReportURLFetcher()
    css = (Path(settings.BASE_DIR) / "static" / "reports" / "report.css").resolve()
    assert isinstance(fetcher.fetch(css.as_uri()), URLFetcherResponse)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    refused = [
        "http://127.0.0.1:9/x.png",
        "https://example.com/a.css",
        "file:///etc/passwd",
        outside.as_uri(),
        css.as_uri().replace("/static/reports/report.css", "/static/reports/../css/app.css"),
        (Path(settings.BASE_DIR) / "static" / "css" / "app.css").as_uri(),
        "data:text/plain,hello",
        "ftp://example.com/x",
        "file://evil.example/etc/passwd",
    ]
    for url in refused:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.refused == refused


def test_css_strings_cannot_escape_their_quotes() -> None:
    value = css_string('x"; } </style><img src=x> \\')
    assert value.count('"') == 2 and "<" not in value and "\\00005c " in value


# --------------------------------------------------------------------------- build


def test_stored_bytes_match_the_digest_in_the_audit_event(approved_report: ReviewReport) -> None:
    result = build(approved_report)
    data = stored_bytes(approved_report.key)
    assert data.startswith(b"%PDF")
    digest = hashlib.sha256(data).hexdigest()
    (event,) = built_events(approved_report)
    assert event.after["sha256"] == digest == result.sha256
    assert (
        event.after["key"]
        == approved_report.key
        == f"reports/case-{approved_report.case_id}/review-report-v0001.pdf"
    )
    assert event.case_id == approved_report.case_id
    assert event.merchant_id == approved_report.case.merchant_id
    report = ReviewReport.objects.get(pk=approved_report.pk)
    assert (report.status, report.sha256, report.size, report.file.name) == (
        ReportStatus.BUILT,
        digest,
        len(data),
        approved_report.key,
    )


def test_building_twice_writes_one_event_and_one_object(approved_report: ReviewReport) -> None:
    first = build(approved_report)
    data = stored_bytes(first.key)
    second = build(approved_report)
    assert second.built is False
    assert len(built_events(approved_report)) == 1
    assert stored_bytes(first.key) == data
    assert ReviewReport.objects.get(pk=approved_report.pk).attempts == 1


def test_a_crash_after_upload_is_repaired_by_the_redelivery(
    approved_report: ReviewReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first attempt uploads, then dies before its commit (the audit write fails).
    def boom(**kwargs: Any) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(build_module, "audit_record", boom)
    with pytest.raises(ReportBuildError):
        build(approved_report)
    assert default_storage.exists(approved_report.key)  # the half-made object
    report = ReviewReport.objects.get(pk=approved_report.pk)
    assert (report.status, report.attempts, report.sha256) == (ReportStatus.PENDING, 1, "")
    monkeypatch.undo()
    result = build(approved_report)
    assert result.built
    (event,) = built_events(approved_report)
    assert hashlib.sha256(stored_bytes(approved_report.key)).hexdigest() == event.after["sha256"]
    dirs, files = default_storage.listdir(f"reports/case-{approved_report.case_id}")
    assert files == ["review-report-v0001.pdf"]


def test_render_failures_are_retried_then_marked_failed(
    approved_report: ReviewReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(report: Any) -> Any:
        raise ValueError("bad template")

    monkeypatch.setattr(build_module, "report_render", broken)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(ReportBuildError):  # an OSError: the task retries it
            report_build(report_id=approved_report.pk)
        report = ReviewReport.objects.get(pk=approved_report.pk)
        assert report.attempts == attempt
    assert report.status == ReportStatus.FAILED and "bad template" in report.error
    assert AuditEvent.objects.filter(action="report.failed").count() == 1
    assert built_events(approved_report) == []
    assert not default_storage.exists(approved_report.key)
    assert report_build(report_id=approved_report.pk).built is False  # terminal


def test_rebuild_makes_a_new_version_and_leaves_the_first_untouched(
    approved_report: ReviewReport, qc_lead: Any
) -> None:
    build(approved_report)
    v1 = ReviewReport.objects.get(pk=approved_report.pk)
    v1_bytes = stored_bytes(v1.key)
    v2 = rebuild_in_transaction(v1.case, actor=qc_lead)
    assert (v2.version, v2.trigger, v2.requested_by) == (2, ReportTrigger.REBUILD, qc_lead)
    build(v2)
    v2 = ReviewReport.objects.get(pk=v2.pk)
    assert v2.key == f"reports/case-{v1.case_id}/review-report-v0002.pdf"
    assert stored_bytes(v1.key) == v1_bytes
    again = ReviewReport.objects.get(pk=v1.pk)
    assert (again.sha256, again.built_at, again.size) == (v1.sha256, v1.built_at, v1.size)
    assert v2.sha256 != v1.sha256
    assert AuditEvent.objects.filter(action="report.rebuild_requested").count() == 1
    assert AuditEvent.objects.filter(action="report.built").count() == 2


def test_rebuild_is_refused_to_reviewers_and_hidden_from_sellers(
    approved_report: ReviewReport, reviewer: Any, seller: Any
) -> None:
    from config.errors import NotAllowed, NotFound

    with pytest.raises(NotAllowed):
        rebuild_in_transaction(approved_report.case, actor=reviewer)
    with pytest.raises(NotFound):
        rebuild_in_transaction(approved_report.case, actor=seller)
    assert ReviewReport.objects.count() == 1


def test_build_report_command_builds_a_new_version(approved_report: ReviewReport) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("build_report", str(approved_report.case_id), "--sync", stdout=out)
    v2 = ReviewReport.objects.get(case=approved_report.case, version=2)
    assert v2.status == ReportStatus.BUILT and v2.requested_by is None
    assert v2.sha256 in out.getvalue() and v2.key in out.getvalue()
    with pytest.raises(CommandError, match="does not exist"):
        call_command("build_report", "999999", "--sync", stdout=StringIO())


# --------------------------------------------------------------------------- which decisions


def requested(case: Any) -> list[tuple[str, int | None]]:
    return list(
        ReviewReport.objects.filter(case=case)
        .order_by("version")
        .values_list("trigger", "capability_id")
    )


def report_callbacks(callbacks: list[Any]) -> int:
    """How many of the on-commit callbacks enqueue build_report_task (delay_on_commit
    registers functools.partial(task.delay, report_id))."""
    return sum(
        getattr(getattr(getattr(c, "func", None), "__self__", None), "name", "")
        == build_report_task.name
        for c in callbacks
    )


def test_approval_requests_one_report_after_commit(
    claimed_case: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    accept_documents(claimed_case, reviewer)
    with django_capture_on_commit_callbacks() as callbacks:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert requested(claimed_case) == [(ReportTrigger.CASE_APPROVED, None)]
    assert report_callbacks(callbacks) == 1


def test_maker_approval_awaiting_the_checker_requests_none_and_the_second_does(
    claimed_case: Any, reviewer: Any, senior: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ReviewCase.objects.filter(pk=claimed_case.pk).update(requires_four_eyes=True)
    accept_documents(claimed_case, reviewer)
    with django_capture_on_commit_callbacks() as callbacks:
        services.case_approve(actor=reviewer, case_id=claimed_case.pk)
    assert requested(claimed_case) == [] and report_callbacks(callbacks) == 0
    services.case_second_approve(actor=senior, case_id=claimed_case.pk)
    assert requested(claimed_case) == [(ReportTrigger.CASE_APPROVED, None)]


def test_rejection_requests_one_report(claimed_case: Any, reviewer: Any) -> None:
    services.case_reject(
        actor=reviewer,
        case_id=claimed_case.pk,
        reason_codes=["fraud_suspected"],
        rationale="Altered licence.",
    )
    assert requested(claimed_case) == [(ReportTrigger.CASE_REJECTED, None)]


def test_capability_decision_requests_one_report_for_that_capability(
    claimed_case: Any, reviewer: Any
) -> None:
    capability = claimed_case.capabilities.get()
    accept_documents(claimed_case, reviewer)
    capability_decide(
        actor=reviewer, case_id=claimed_case.pk, capability_id=capability.pk, decision="approve"
    )
    assert requested(claimed_case) == [(ReportTrigger.CAPABILITY_DECIDED, capability.pk)]


def test_a_rolled_back_decision_requests_no_report(
    claimed_case: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    accept_documents(claimed_case, reviewer)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.case_approve(actor=reviewer, case_id=claimed_case.pk)
            raise RuntimeError("rolled back")
    assert requested(claimed_case) == [] and callbacks == []


def test_refused_decisions_request_no_report(claimed_case: Any, other_reviewer: Any) -> None:
    from config.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.case_approve(actor=other_reviewer, case_id=claimed_case.pk)
    assert requested(claimed_case) == []
