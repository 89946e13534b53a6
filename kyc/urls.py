from django.urls import path

from . import views

app_name = "kyc"

urlpatterns = [
    path("documents/<int:document_id>/file/", views.document_file, name="document_file"),
    path("documents/<int:document_id>/preview/", views.document_preview, name="document_preview"),
]
