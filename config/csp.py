"""Content-Security-Policy exceptions. The site-wide policy is CONTENT_SECURITY_POLICY in
config/settings/base.py (django-csp's middleware); this module holds the one view that needs
more than it allows."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import drf_spectacular
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView

SWAGGER_TEMPLATE = (
    Path(drf_spectacular.__file__).parent / "templates" / "drf_spectacular" / "swagger_ui.html"
)


def inline_style_hashes(template: Path) -> list[str]:
    """CSP hashes of the template's literal <style> blocks. Swagger UI's page carries one
    (three lines of layout); allowing exactly its hash keeps style-src free of
    'unsafe-inline', and follows the template when drf-spectacular changes it."""
    bodies = re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in bodies
    ]


# Scripts stay 'self': the init script is fetched from the same URL with ?script (the "split"
# view), never inline.
API_DOCS_CSP_UPDATE = {"style-src": inline_style_hashes(SWAGGER_TEMPLATE)}


@method_decorator(csp_update(API_DOCS_CSP_UPDATE), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    """The interactive API docs (/api/v1/docs/), assets from drf-spectacular-sidecar."""
