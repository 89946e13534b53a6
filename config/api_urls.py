"""/api/v1/: the REST API (see docs/api.md). Paths are the stable contract of DESIGN.md."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api.views import MeView
from cases.api import views as cases_views
from config.api import not_found
from kyc.api import views as kyc_views
from merchants.api import views as merchants_views

app_name = "api"

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    # merchants, people, capabilities, requirements
    path("merchants/", cases_views.MerchantListView.as_view(), name="merchant-list"),
    path(
        "merchants/<int:merchant_id>/",
        cases_views.MerchantDetailView.as_view(),
        name="merchant-detail",
    ),
    path(
        "merchants/<int:merchant_id>/people/",
        merchants_views.PersonListView.as_view(),
        name="person-list",
    ),
    path(
        "merchants/<int:merchant_id>/people/<int:person_id>/",
        merchants_views.PersonDetailView.as_view(),
        name="person-detail",
    ),
    path(
        "merchants/<int:merchant_id>/capabilities/",
        cases_views.CapabilityListView.as_view(),
        name="capability-list",
    ),
    path(
        "merchants/<int:merchant_id>/requirements/",
        cases_views.RequirementsView.as_view(),
        name="requirements",
    ),
    # documents
    path(
        "merchants/<int:merchant_id>/documents/",
        kyc_views.MerchantDocumentListView.as_view(),
        name="merchant-document-list",
    ),
    path(
        "documents/<int:document_id>/",
        kyc_views.DocumentDetailView.as_view(),
        name="document-detail",
    ),
    path(
        "documents/<int:document_id>/file/",
        cases_views.DocumentFileView.as_view(),
        name="document-file",
    ),
    # cases
    path("cases/", cases_views.CaseListView.as_view(), name="case-list"),
    path("cases/<int:case_id>/", cases_views.CaseDetailView.as_view(), name="case-detail"),
    *[
        path(f"cases/<int:case_id>/{name}/", view.as_view(), name=f"case-{name}")
        for name, view in cases_views.TRANSITIONS.items()
    ],
    path(
        "cases/<int:case_id>/comments/", cases_views.CaseCommentView.as_view(), name="case-comments"
    ),
    path(
        "cases/<int:case_id>/documents/<int:document_id>/decision/",
        cases_views.CaseDocumentDecisionView.as_view(),
        name="case-document-decision",
    ),
    path(
        "cases/<int:case_id>/screening-matches/<int:match_id>/disposition/",
        cases_views.CaseScreeningDispositionView.as_view(),
        name="case-screening-match-disposition",
    ),
    path(
        "cases/<int:case_id>/risk-override/",
        cases_views.CaseRiskOverrideView.as_view(),
        name="case-risk-override",
    ),
    # reference data
    path("document-types/", kyc_views.DocumentTypeListView.as_view(), name="document-type-list"),
    path("categories/", kyc_views.CategoryListView.as_view(), name="category-list"),
    path("reason-codes/", cases_views.ReasonCodeListView.as_view(), name="reason-code-list"),
    # schema and interactive docs (assets served locally by drf-spectacular-sidecar)
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # anything else under /api/v1/ answers 404 in the API's error shape
    re_path(r"^.*$", not_found),
]
