"""Review reports in the browser: the audited download and the rebuild form of the case
page's "Review reports" panel. Staff who can see the case only; anyone else gets a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.errors import NotAllowed, NotFound
from kyc.http import stored_file_response

from ..models import ReportStatus, ReviewReport
from ..reports import services


class ReportRebuildForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("en", gettext_lazy("English")), ("zh-hans", gettext_lazy("Simplified Chinese"))],
    )


def report_filename(report: ReviewReport) -> str:
    return f"review-report-case-{report.case_id}-v{report.version:04d}"


@never_cache
@login_required
@require_GET
def report_download(request: HttpRequest, report_id: int) -> HttpResponseBase:
    """The PDF as an attachment; the download is audited before a byte is sent."""
    try:
        report = services.report_get(actor=request.user, report_id=report_id)
    except NotFound:
        raise Http404 from None
    if report.status != ReportStatus.BUILT or not report.file:
        raise Http404
    try:
        handle = report.file.storage.open(str(report.file.name), "rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        services.report_record_download(actor=request.user, report=report)
    except Exception:
        handle.close()
        raise
    return stored_file_response(
        handle, content_type="application/pdf", name=report_filename(report), download=True
    )


@require_POST
@login_required
def report_rebuild(request: HttpRequest, case_id: int) -> HttpResponseBase:
    """Requests a new version (the earlier ones stay) and returns to the case page."""
    if not services.report_can_read(request.user):
        raise Http404
    form = ReportRebuildForm(request.POST)
    target = reverse("cases:case_detail", kwargs={"case_id": case_id}) + "#reports"
    if not form.is_valid():
        messages.error(request, _("Choose the report's language."))
        return redirect(target)
    try:
        report = services.report_rebuild(
            actor=request.user, case_id=case_id, language=form.cleaned_data["language"]
        )
    except NotFound:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None
    messages.success(
        request,
        _("Version %(version)s of the review report was requested.") % {"version": report.version},
    )
    return redirect(target)
