"""/api/v1/ routes of the PDF review reports."""

from django.urls import path

from ..api import reports

urlpatterns = [
    path(
        "cases/<int:case_id>/reports/",
        reports.CaseReportListView.as_view(),
        name="case-reports",
    ),
    path("reports/<int:report_id>/file/", reports.ReportFileView.as_view(), name="report-file"),
]
