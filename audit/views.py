"""The audit export page (/audit/export/): compliance admins export a case or a period, QC
leads a case. Other staff get 403 (a QC lead asking for a period too); anyone without a staff
role gets 404, so sellers do not learn the page exists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts.forms import apply_domain_error
from accounts.roles import is_staff_member
from config.errors import DomainError, NotFound

from .export import AuditExport, audit_export, export_filter_parse, export_kinds

FORMAT_CHOICES = [("csv", _("CSV")), ("jsonl", _("JSON lines"))]


class ExportForm(forms.Form):
    case = forms.CharField(label=_("Case number"), required=False, max_length=20)
    since = forms.CharField(
        label=_("From (inclusive)"),
        required=False,
        max_length=40,
        help_text=_("A date, YYYY-MM-DD, meaning 00:00 UTC."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.CharField(
        label=_("Until (exclusive)"),
        required=False,
        max_length=40,
        help_text=_("Events before 00:00 UTC of this date; leave empty for up to now."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="csv")

    def __init__(self, *args: Any, kinds: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "period" not in kinds:
            del self.fields["since"]
            del self.fields["until"]


def export_response(export: AuditExport) -> StreamingHttpResponse:
    """The export as a streamed attachment; nothing but its first line is held in memory.
    X-Audit-Verification carries the verification of the chain segment in one line (the CSV
    itself is a plain table; the `verification` part is the same as a JSON sidecar)."""
    response = StreamingHttpResponse(iter(export), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["X-Audit-Verification"] = export.verification_header()
    return response


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponseBase:
    if not is_staff_member(request.user):
        raise Http404
    kinds = export_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    if "period" not in kinds and (params.get("since") or params.get("until")):
        raise PermissionDenied
    submitted = request.method == "POST" or any(
        k in request.GET for k in ("case", "since", "until")
    )
    form = ExportForm(params if submitted else None, kinds=kinds)
    if submitted and form.is_valid():
        data = form.cleaned_data
        try:
            export_filter, fmt = export_filter_parse(
                case=data.get("case"),
                since=data.get("since"),
                until=data.get("until"),
                fmt=data.get("format"),
            )
            result = audit_export(
                actor=request.user,
                case_id=export_filter.case_id,
                since=export_filter.since,
                until=export_filter.until,
                fmt=fmt,
                part=params.get("part") or "events",
            )
        except NotFound as exc:
            if export_filter.kind not in kinds:
                raise Http404 from exc
            form.add_error("case", exc.message)
        except DomainError as exc:
            apply_domain_error(form, exc, with_message=False)
        else:
            return export_response(result)
    status = 400 if submitted else 200
    return render(
        request,
        "audit/export.html",
        {"form": form, "can_export_periods": "period" in kinds},
        status=status,
    )
