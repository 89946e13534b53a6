"""/review/reports/: the review report download and rebuild pages."""

from django.urls import path

from ..views import reports

app_name = "reports"

urlpatterns = [
    path("<int:report_id>/download/", reports.report_download, name="download"),
    path("cases/<int:case_id>/rebuild/", reports.report_rebuild, name="rebuild"),
]
