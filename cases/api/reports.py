"""API for PDF review reports: list a case's versions, request a rebuild, download a file.

Staff who can see the case (reviewers, senior reviewers, QC leads, compliance admins); a
seller or anyone else gets 404, as for a case that is not theirs."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.models import ReportStatus, ReviewReport
from cases.reports import services
from config.api import ApiView, InputSerializer, Pagination
from config.errors import NotFound
from config.idempotency import idempotent
from kyc.http import stored_file_response

TAGS = ["reports"]


class ReportRebuildIn(InputSerializer):
    language = serializers.ChoiceField(
        choices=[(code, code) for code in services.REPORT_LANGUAGES],
        required=False,
        allow_null=True,
        default=None,
        help_text="en or zh-hans; the deployment's default (KYC_REPORT_LANGUAGE) when absent.",
    )


class ReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    version = serializers.IntegerField()
    trigger = serializers.CharField()
    capability = serializers.SerializerMethodField()
    status = serializers.CharField()
    language = serializers.CharField()
    sha256 = serializers.CharField(help_text="SHA-256 of the PDF; empty until built.")
    size = serializers.IntegerField(allow_null=True)
    page_count = serializers.IntegerField(allow_null=True)
    requested_by = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    built_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_capability(self, obj: ReviewReport) -> str | None:
        return obj.capability.code if obj.capability is not None else None

    def get_requested_by(self, obj: ReviewReport) -> str | None:
        return obj.requested_by.get_username() if obj.requested_by is not None else None

    def get_download_url(self, obj: ReviewReport) -> str | None:
        if obj.status != ReportStatus.BUILT:
            return None
        return reverse("api:report-file", kwargs={"report_id": obj.pk})


class CaseReportListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="cases_reports_list",
        responses=ReportOut(many=True),
        tags=TAGS,
        description="Staff: the case's PDF review report versions, newest first. A report is "
        "built on every final decision (approval, rejection, capability decision, QC "
        "completion); `download_url` is set once it is built.",
    )
    def get(self, request: Request, case_id: int) -> Response:
        reports = services.report_list(actor=request.user, case_id=case_id)
        return self.paginate(reports, ReportOut)

    @extend_schema(
        operation_id="cases_reports_rebuild",
        request=ReportRebuildIn,
        responses={202: ReportOut},
        tags=TAGS,
        description="Senior reviewer, QC lead or compliance admin: requests a new version "
        "(trigger `rebuild`), optionally in another language. Earlier versions are kept "
        "unchanged. 202: the version is built by a background task.",
    )
    @idempotent
    def post(self, request: Request, case_id: int) -> Response:
        data = ReportRebuildIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_rebuild(
            actor=request.user, case_id=case_id, language=data.validated_data["language"]
        )
        report.refresh_from_db()  # built already when tasks run in-process
        return Response(ReportOut(report).data, status=status.HTTP_202_ACCEPTED)


class ReportFileView(ApiView):
    @extend_schema(
        operation_id="reports_file",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        tags=TAGS,
        description="Staff: the PDF as an attachment. Each download is an audit event "
        "(`report.downloaded`). 404 until the version is built.",
    )
    def get(self, request: Request, report_id: int) -> FileResponse:
        report = services.report_get(actor=request.user, report_id=report_id)
        if report.status != ReportStatus.BUILT or not report.file:
            raise NotFound("Report not built.")
        try:
            handle = report.file.storage.open(str(report.file.name), "rb")
        except FileNotFoundError:
            raise NotFound("Report file not found.") from None
        try:
            services.report_record_download(actor=request.user, report=report)
        except Exception:
            handle.close()
            raise
        return stored_file_response(
            handle,
            content_type="application/pdf",
            name=f"review-report-case-{report.case_id}-v{report.version:04d}",
            download=True,
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Clients ask for application/pdf (or */*); errors are still rendered as JSON.
        return super().perform_content_negotiation(request, force=True)
