from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from .api import error_body


def server_error(request: HttpRequest) -> HttpResponse:
    """API callers get the one error shape even for an unexpected failure."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "An unexpected error occurred; it has been logged."),
            status=500,
        )
    return defaults.server_error(request)
