"""The EDD section's POST endpoints and the evidence file view.

A refusal renders the case page again with the refusal's HTTP status and message (as the
other decisions do); a success redirects back to the EDD section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from cases import edd
from cases.models import EddChecklistItem
from config.errors import Conflict, DomainError, NotFound
from kyc.http import stored_file_response

from .review import _case_for_staff, _refresh, _text, conflict_message


class EddItemForm(forms.Form):
    seen_state = forms.CharField(required=False)
    status = forms.ChoiceField(choices=EddChecklistItem.Status.choices)
    notes = forms.CharField(required=False, widget=forms.Textarea)


class EddEvidenceForm(forms.Form):
    seen_state = forms.CharField(required=False)
    file = forms.FileField(allow_empty_file=True)  # the service refuses it with `file_empty`
    description = forms.CharField(required=False, max_length=edd.DESCRIPTION_MAX)


def _message(exc: DomainError) -> str:
    if exc.code == "notes_required":
        return _("Notes are required: say what was checked and found.")
    if exc.code == "senior_only":
        return _("Only senior reviewers work the EDD checklist.")
    if exc.fields.get("file"):
        # The file-type check's message is already translated; the store's is a fixed one.
        return _text(str(exc.fields["file"][0]))
    return _text(exc.message)


def _run(
    request: HttpRequest, case_id: int, form: forms.Form, call: Callable[[], object]
) -> HttpResponseBase:
    case = _case_for_staff(request, case_id)
    if not form.is_valid():
        messages.error(request, _("Please correct the highlighted fields."))
        return _refresh(request, case_id).render(status=400)
    seen = form.cleaned_data.get("seen_state")
    try:
        if seen and seen != case.state:
            raise Conflict("stale page")
        call()
    except Conflict:
        page = _refresh(request, case_id)
        messages.error(request, conflict_message(page.case))
        return page.render(status=409)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, _message(exc))
        return _refresh(request, case_id).render(status=exc.status)
    return redirect(reverse("cases:case_detail", kwargs={"case_id": case_id}) + "#edd")


@require_POST
@login_required
def item_update(request: HttpRequest, case_id: int, item: str) -> HttpResponseBase:
    form = EddItemForm(request.POST)

    def call() -> Any:
        result = edd.edd_item_update(
            actor=request.user,
            case_id=case_id,
            item=item,
            status=form.cleaned_data["status"],
            notes=form.cleaned_data["notes"],
        )
        messages.success(request, _("The EDD checklist item was updated."))
        return result

    return _run(request, case_id, form, call)


@require_POST
@login_required
def evidence_add(request: HttpRequest, case_id: int, item: str) -> HttpResponseBase:
    form = EddEvidenceForm(request.POST, request.FILES)

    def call() -> Any:
        uploaded = form.cleaned_data["file"]
        result = edd.edd_evidence_add(
            actor=request.user,
            case_id=case_id,
            item=item,
            fileobj=uploaded,
            filename=uploaded.name or "",
            size=uploaded.size,
            description=form.cleaned_data["description"],
        )
        messages.success(request, _("The evidence was added."))
        return result

    return _run(request, case_id, form, call)


@never_cache
@xframe_options_sameorigin
@login_required
@require_GET
def evidence_file(request: HttpRequest, evidence_id: int) -> HttpResponseBase:
    """The evidence bytes for staff only, served inert (the same headers as a seller's
    document); every view or download is an audit event."""
    try:
        evidence = edd.edd_evidence_get(actor=request.user, evidence_id=evidence_id)
    except NotFound:
        raise Http404 from None
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        return HttpResponseBadRequest(_("The evidence file is missing from storage."))
    download = request.GET.get("download") == "1"
    edd.edd_evidence_record_view(
        actor=request.user, evidence=evidence, disposition="downloaded" if download else "viewed"
    )
    return stored_file_response(
        handle,
        content_type=evidence.content_type,
        name=f"edd-evidence-{evidence.pk}",
        download=download,
    )
