"""/api/v1/: the REST API (see docs/api.md). Paths are the stable contract of DESIGN.md."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts.api.views import MeView
from cases.api import decisions as cases_decisions_api
from cases.api import edd as cases_edd
from cases.api import queues as queues_views
from cases.api import views as cases_views
from config.api import not_found
from config.csp import ApiDocsView
from kyc.api import views as kyc_views
from merchants.api import views as merchants_views

app_name = "api"

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("me/availability/", queues_views.AvailabilityView.as_view(), name="me-availability"),
    path("tokens/", include("accounts.api.urls")),
    # queues and assignment
    path("queues/", queues_views.QueueListView.as_view(), name="queue-list"),
    path(
        "queues/<slug:code>/cases/",
        queues_views.QueueCaseListView.as_view(),
        name="queue-case-list",
    ),
    path("cases/next/", queues_views.CaseNextView.as_view(), name="case-next"),
    path(
        "cases/<int:case_id>/reassign/",
        queues_views.CaseReassignView.as_view(),
        name="case-reassign",
    ),
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
        "merchants/<int:merchant_id>/brands/<int:brand_id>/authorization-chain/",
        kyc_views.BrandChainView.as_view(),
        name="merchant-brand-chain",
    ),
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
        "cases/<int:case_id>/documents/accept-clean/",
        cases_views.CaseDocumentsAcceptCleanView.as_view(),
        name="case-documents-accept-clean",
    ),
    path(
        "cases/<int:case_id>/documents/<int:document_id>/decision/",
        cases_views.CaseDocumentDecisionView.as_view(),
        name="case-document-decision",
    ),
    path(
        "cases/<int:case_id>/capabilities/<int:capability_id>/decision/",
        cases_decisions_api.CaseCapabilityDecisionView.as_view(),
        name="case-capability-decision",
    ),
    path(
        "cases/<int:case_id>/screening-matches/<int:match_id>/disposition/",
        cases_views.CaseScreeningDispositionView.as_view(),
        name="case-screening-match-disposition",
    ),
    path(
        "cases/<int:case_id>/screening-matches/<int:match_id>/agreement/",
        cases_views.CaseScreeningAgreementView.as_view(),
        name="case-screening-match-agreement",
    ),
    path(
        "cases/<int:case_id>/risk-override/",
        cases_views.CaseRiskOverrideView.as_view(),
        name="case-risk-override",
    ),
    # enhanced due diligence
    path("cases/<int:case_id>/edd/", cases_edd.EddChecklistView.as_view(), name="case-edd"),
    path(
        "cases/<int:case_id>/edd/<str:item>/",
        cases_edd.EddItemView.as_view(),
        name="case-edd-item",
    ),
    path(
        "cases/<int:case_id>/edd/<str:item>/evidence/",
        cases_edd.EddEvidenceView.as_view(),
        name="case-edd-evidence",
    ),
    path(
        "edd-evidence/<int:evidence_id>/file/",
        cases_edd.EddEvidenceFileView.as_view(),
        name="case-edd-evidence-file",
    ),
    # reference data
    path("document-types/", kyc_views.DocumentTypeListView.as_view(), name="document-type-list"),
    path("categories/", kyc_views.CategoryListView.as_view(), name="category-list"),
    path("reason-codes/", cases_views.ReasonCodeListView.as_view(), name="reason-code-list"),
    # PDF review reports, QC, audit export (each app's own routes)
    path("", include("cases.reports.api_urls")),
    path("", include("cases.qc.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("webhooks.api_urls")),
    # schema and interactive docs (assets served locally by drf-spectacular-sidecar)
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    # anything else under /api/v1/ answers 404 in the API's error shape
    # [\s\S], not ".": a path holding a newline gets the JSON 404 too, not an HTML page.
    re_path(r"^[\s\S]*$", not_found),
]
