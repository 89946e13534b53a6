from django.urls import path

from . import api

urlpatterns = [
    path("audit/export/", api.AuditExportView.as_view(), name="audit-export"),
    path("audit/verify/", api.AuditVerifyView.as_view(), name="audit-verify"),
]
