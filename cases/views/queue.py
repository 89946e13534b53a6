"""Reviewer workbench: the queues page, "next case", reassignment and the availability toggle.

The page lists every queue with its counts (one aggregate query), then one queue's cases by
SLA due time with filters and search, in a fixed number of queries whatever the page holds.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import REVIEWING_ROLES, has_role
from accounts.views import staff_required
from cases import queues
from cases.models import CaseKind, CaseState
from config.errors import DomainError
from merchants.models import RiskTier

PAGE_SIZE = 50


def reviewer_choices() -> list[tuple[str, Any]]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=list(REVIEWING_ROLES))
        .distinct()
        .order_by("username")
        .values_list("pk", "username")
    )
    return [("", gettext_lazy("Any reviewer")), *((str(pk), name) for pk, name in users)]


class QueuePageForm(forms.Form):
    view = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[
            ("open", gettext_lazy("Open (waiting for the platform)")),
            ("mine", gettext_lazy("Mine")),
            ("unassigned", gettext_lazy("Unassigned")),
            ("breached", gettext_lazy("SLA breached")),
            ("all", gettext_lazy("All cases")),
        ],
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any state")), *CaseState.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Any kind")), *CaseKind.choices],
    )
    risk_tier = forms.ChoiceField(
        label=gettext_lazy("Risk tier"),
        required=False,
        choices=[("", gettext_lazy("Any risk")), *RiskTier.choices],
    )
    reviewer = forms.TypedChoiceField(
        label=gettext_lazy("Reviewer"), required=False, coerce=int, empty_value=None
    )
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Merchant name, registration number or case #"),
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].choices = reviewer_choices()  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"view": "open"}
        return {k: v for k, v in self.cleaned_data.items() if v}


# The nav's older links (?queue=open|mine|unassigned) keep working.
LEGACY_VIEWS = {"open", "mine", "unassigned", "all"}


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    legacy = params.get("queue", "")
    if legacy in LEGACY_VIEWS and "view" not in params:
        params["view"] = legacy
    form = QueuePageForm(params or {"view": "open"})
    code = params.get("code", "")
    counts = queues.queue_counts(actor=request.user)
    current = next((c.queue for c in counts if c.queue.code == code), None)
    cases = queues.queue_case_list(actor=request.user, queue=current, filters=form.filters())
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/review/queue.html",
        {
            "form": form,
            "page": page,
            "queue_counts": counts,
            "current_queue": current,
            "can_take": has_role(request.user, *REVIEWING_ROLES),
        },
    )


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_POST
@staff_required
def next_case(request: HttpRequest) -> HttpResponseBase:
    try:
        current = request.POST.get("current", "")
        found = queues.case_next(
            actor=request.user, current=int(current) if current.isdigit() else None
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request, reverse("cases:queue")))
    if found is None:
        messages.info(request, _("No case is waiting for you right now."))
        return redirect(_back(request, reverse("cases:queue")))
    if found.is_new:
        messages.success(request, _("Case #%(id)s is yours.") % {"id": found.case.pk})
    elif found.is_current:
        messages.info(
            request,
            _("This is the only case you hold: decide or release it before taking another."),
        )
    else:
        messages.info(
            request,
            _("Case #%(id)s is the most urgent of the cases you hold.") % {"id": found.case.pk},
        )
    return redirect("cases:case_detail", case_id=found.case.pk)


@require_POST
@staff_required
def case_reassign(request: HttpRequest, case_id: int) -> HttpResponseBase:
    back = reverse("cases:case_detail", kwargs={"case_id": case_id})
    try:
        assignee = int(request.POST.get("assignee") or 0)
    except ValueError:
        assignee = 0
    try:
        queues.case_reassign(
            actor=request.user,
            case_id=case_id,
            assignee_id=assignee,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.status in (403, 404):
            return HttpResponse(exc.message, status=exc.status)
        return redirect(back)
    messages.success(request, _("Case reassigned."))
    return redirect(back)


@require_POST
@staff_required
def availability(request: HttpRequest) -> HttpResponseBase:
    try:
        queues.reviewer_set_availability(
            actor=request.user, is_available=request.POST.get("is_available") == "1"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_back(request, reverse("cases:queue")))


def reassign_targets(case: Any) -> list[Any]:
    """Reviewers a senior may hand the case to (for the case page's reassign form)."""
    senior_only = bool(
        case.state in (CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL)
        or (case.queue_id and case.queue.requires_senior)
    )
    users = queues.eligible_reviewers(queue=None, senior_only=senior_only)
    return [u for u in users if u.pk != case.assignee_id and u.pk != case.maker_id]


__all__ = ["availability", "case_reassign", "next_case", "queue", "reassign_targets"]
