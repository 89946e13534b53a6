"""The document file and preview views: the only ways a stored document's bytes (or its
first-page preview) reach a browser."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from config.errors import NotFound

from .http import stored_file_response
from .models import DocumentPreview, QualificationDocument
from .selectors import document_get
from .services import document_record_view


def _case_id(request: HttpRequest, document: QualificationDocument) -> int | None:
    """The case the document is viewed from, recorded on the audit event; it must be a case
    of the document's own merchant so the trail never points at an unrelated case."""
    raw = request.GET.get("case", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(raw)
    case_id = int(raw)
    if not document.merchant.cases.filter(pk=case_id).exists():
        raise ValueError(raw)
    return case_id


@never_cache
@xframe_options_sameorigin  # the case page shows documents in an <iframe> beside the checks
@login_required
@require_GET
def document_file(request: HttpRequest, document_id: int) -> HttpResponseBase:
    try:
        document = document_get(actor=request.user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    try:
        case_id = _case_id(request, document)
    except ValueError:
        return HttpResponseBadRequest(_("The case given is not a case of this document."))
    download = request.GET.get("download") == "1"
    document_record_view(
        actor=request.user,
        document=document,
        case_id=case_id,
        disposition="downloaded" if download else "viewed",
    )
    return stored_file_response(
        document.file.open("rb"),
        content_type=document.content_type,
        name=f"document-{document.pk}",
        download=download,
    )


@never_cache
@login_required
@require_GET
def document_preview(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """The first-page preview made by the checks job; the same permission, audit event
    (a preview shows the document's content) and inert headers as the file itself."""
    try:
        document = document_get(actor=request.user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    preview = DocumentPreview.objects.filter(document=document).first()
    if preview is None or not preview.file.name:
        raise Http404
    try:
        case_id = _case_id(request, document)
    except ValueError:
        return HttpResponseBadRequest(_("The case given is not a case of this document."))
    try:
        handle = preview.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    document_record_view(
        actor=request.user, document=document, case_id=case_id, disposition="viewed"
    )
    # Previews are written by the checks job only, as .png or .jpg (kyc.previews).
    is_jpeg = preview.file.name.lower().endswith((".jpg", ".jpeg"))
    return stored_file_response(
        handle,
        content_type="image/jpeg" if is_jpeg else "image/png",
        name=f"document-{document.pk}-preview",
        download=False,
    )
