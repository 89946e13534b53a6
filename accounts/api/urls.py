"""/api/v1/tokens/ routes (see accounts/api/tokens.py)."""

from django.urls import path

from . import tokens

urlpatterns = [
    path("", tokens.TokenListView.as_view(), name="token-list"),
    path("<int:token_id>/", tokens.TokenDetailView.as_view(), name="token-detail"),
]
