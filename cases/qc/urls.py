"""QC pages, mounted at /qc/ (see cases/views/qc.py)."""

from django.urls import path

from cases.views import qc

app_name = "qc"

urlpatterns = [
    path("", qc.queue, name="queue"),
    path("draws/", qc.draw, name="draw"),
    path("reviews/<int:review_id>/", qc.review, name="review"),
    path("reviews/<int:review_id>/dispute/", qc.dispute_raise, name="dispute_raise"),
    path("findings/", qc.findings, name="findings"),
    path("disputes/", qc.disputes, name="disputes"),
    path("disputes/<int:dispute_id>/decide/", qc.dispute_decide, name="dispute_decide"),
    path("dashboard/", qc.dashboard, name="dashboard"),
    path("dashboard.csv", qc.dashboard_csv, name="dashboard_csv"),
]
