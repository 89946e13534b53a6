"""QC API routes, mounted under /api/v1/ (see cases/api/qc.py)."""

from django.urls import path

from cases.api import qc

urlpatterns = [
    path("qc/reviews/", qc.QcReviewListView.as_view(), name="qc-review-list"),
    path("qc/reviews/<int:review_id>/", qc.QcReviewDetailView.as_view(), name="qc-review-detail"),
    path(
        "qc/reviews/<int:review_id>/complete/",
        qc.QcReviewCompleteView.as_view(),
        name="qc-review-complete",
    ),
    path(
        "qc/reviews/<int:review_id>/dispute/",
        qc.QcReviewDisputeView.as_view(),
        name="qc-review-dispute",
    ),
    path(
        "qc/disputes/<int:dispute_id>/decide/",
        qc.QcDisputeDecideView.as_view(),
        name="qc-dispute-decide",
    ),
    path("qc/draws/", qc.QcDrawListView.as_view(), name="qc-draw-list"),
    path("qc/metrics/", qc.QcMetricsView.as_view(), name="qc-metrics"),
]
