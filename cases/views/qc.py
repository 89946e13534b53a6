"""QC pages: the QC queue and draws, the QC review form, a reviewer's findings (with the
dispute form), the disputes to decide, and the dashboard with its CSV export.

QC leads and compliance admins see everything; a reviewer sees only the findings on their
own decisions (anything else is a 404); sellers get a 404 on every QC page. A refused write
renders its page again with the refusal's status and the errors next to the fields.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import apply_domain_error
from accounts.roles import Role, has_role, is_staff_member
from cases.models import QcDisputeStatus, QcReviewStatus
from cases.qc import charts, metrics, sampling, selectors, services
from cases.qc.forms import DisputeDecideForm, DisputeForm, DrawForm, QcReviewForm
from config.errors import DomainError, NotAllowed, NotFound

PAGE_SIZE = 50
QC_ROLES = selectors.QC_ROLES
View = Callable[..., HttpResponseBase]

# The QC services' fixed messages, in the page's language.
QC_MESSAGES: dict[str, Promise] = {
    "Only QC leads record QC reviews.": gettext_lazy("Only QC leads record QC reviews."),
    "You made or checked this decision: another QC lead must review it.": gettext_lazy(
        "You made or checked this decision: another QC lead must review it."
    ),
    "A disagreement needs an error category, a severity and a comment.": gettext_lazy(
        "A disagreement needs an error category, a severity and a comment."
    ),
    "Choose agree or disagree.": gettext_lazy("Choose agree or disagree."),
    "Explain the finding.": gettext_lazy("Explain the finding."),
    "Unknown category.": gettext_lazy("Unknown category."),
    "Unknown severity.": gettext_lazy("Unknown severity."),
    "Only a disagreement has an error category.": gettext_lazy(
        "Only a disagreement has an error category."
    ),
    "Only a disagreement has a severity.": gettext_lazy("Only a disagreement has a severity."),
    "Only the reviewer whose decision was checked disputes a finding.": gettext_lazy(
        "Only the reviewer whose decision was checked disputes a finding."
    ),
    "Only a finding (a disagreement) can be disputed.": gettext_lazy(
        "Only a finding (a disagreement) can be disputed."
    ),
    "This finding was already disputed.": gettext_lazy("This finding was already disputed."),
    "Say why you dispute the finding.": gettext_lazy("Say why you dispute the finding."),
    "Only QC leads decide disputes.": gettext_lazy("Only QC leads decide disputes."),
    "You made this finding: another QC lead decides the dispute.": gettext_lazy(
        "You made this finding: another QC lead decides the dispute."
    ),
    "You made or checked the decision under review.": gettext_lazy(
        "You made or checked the decision under review."
    ),
    "This dispute is already decided.": gettext_lazy("This dispute is already decided."),
    "Another QC lead decides this dispute; a compliance admin decides only when no other QC "
    "lead can.": gettext_lazy(
        "Another QC lead decides this dispute; a compliance admin decides only when no other "
        "QC lead can."
    ),
    "Choose upheld or dismissed.": gettext_lazy("Choose upheld or dismissed."),
    "The seed must be a whole number.": gettext_lazy("The seed must be a whole number."),
    "The window must end after it starts.": gettext_lazy("The window must end after it starts."),
    "Must be after the start of the window.": gettext_lazy(
        "Must be after the start of the window."
    ),
    "Only QC leads and compliance admins draw QC samples.": gettext_lazy(
        "Only QC leads and compliance admins draw QC samples."
    ),
}


# Why the signed-in user may not decide a dispute (services.dispute_decide_refusal's codes).
DISPUTE_REFUSALS: dict[str, Promise] = {
    "own_finding": gettext_lazy("You made this finding, so another QC lead decides the dispute."),
    "maker_checker": gettext_lazy(
        "You made or checked the decision under review, so another QC lead decides the dispute."
    ),
    "qc_lead_available": gettext_lazy(
        "A QC lead decides this dispute; a compliance admin decides only when no other QC lead can."
    ),
    "forbidden": gettext_lazy("Only QC leads decide disputes."),
}


def _text(message: str) -> str:
    known = QC_MESSAGES.get(message)
    return str(known) if known is not None else message


def _refusal(form: Any, exc: DomainError, valid: bool) -> None:
    """Puts the service's refusal on the form, in the page's language."""
    if valid:
        exc.fields = {k: [_text(m) for m in v] for k, v in exc.fields.items()}
        apply_domain_error(form, exc, message=_text(exc.message))
    elif exc.status != 400:
        form.add_error(None, _text(exc.message))


def qc_page(*roles: str) -> Callable[[View], View]:
    """Signed-in staff (404 for anyone else, so QC's existence is not revealed to
    sellers), holding one of `roles` when given (403)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not is_staff_member(request.user):
                raise Http404
            if roles and not has_role(request.user, *roles):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from None

        return login_required(wrapper)

    return decorator


def _ids(prefix: str, pk: int) -> str:
    return f"id_{prefix}{pk}_%s"


# --------------------------------------------------------------------------- queue and draws


def _queue_page(
    request: HttpRequest, *, draw_form: DrawForm | None = None, status: int = 200
) -> HttpResponse:
    show = request.GET.get("status", QcReviewStatus.PENDING)
    if show not in QcReviewStatus.values:
        show = QcReviewStatus.PENDING
    reviews = selectors.qc_review_list(actor=request.user, status=show)
    if show == QcReviewStatus.COMPLETED:
        reviews = reviews.order_by("-completed_at", "-id")
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "qc/queue.html",
        {
            "page": page,
            "show": show,
            "draw_form": draw_form or DrawForm(),
            "draws": selectors.qc_draw_list(actor=request.user)[:10],
            "can_review": has_role(request.user, Role.QC_LEAD),
        },
        status=status,
    )


@require_GET
@qc_page(*QC_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


@require_POST
@qc_page(*QC_ROLES)
def draw(request: HttpRequest) -> HttpResponseBase:
    form = DrawForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, draw_form=form, status=400)
    try:
        start, end = sampling.window_from(form.cleaned_data["since"], form.cleaned_data["until"])
        result = sampling.qc_draw(
            actor=request.user,
            seed=form.cleaned_data["seed"],
            window_start=start,
            window_end=end,
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        _refusal(form, exc, True)
        return _queue_page(request, draw_form=form, status=exc.status)
    messages.success(
        request,
        _(
            "Draw %(id)s (seed %(seed)s): %(sampled)s of %(population)s decisions sampled, "
            "%(new)s new in the queue."
        )
        % {
            "id": result.pk,
            "seed": result.seed,
            "sampled": len(result.sampled_case_ids),
            "population": result.population_size,
            "new": result.new_review_count,
        },
    )
    return redirect("qc:queue")


# --------------------------------------------------------------------------- one QC review


def _review_page(
    request: HttpRequest, review_id: int, *, form: QcReviewForm | None = None, status: int = 200
) -> HttpResponse:
    review = selectors.qc_review_get(actor=request.user, review_id=review_id)
    case = review.case
    is_party = services.is_party(request.user, review)
    return render(
        request,
        "qc/review.html",
        {
            "review": review,
            "case": case,
            "reason_codes": list(case.decision_reason_codes.all()),
            "redecided": case.decided_at != review.case_decided_at,
            "is_party": is_party,
            "can_complete": review.status == QcReviewStatus.PENDING
            and has_role(request.user, Role.QC_LEAD)
            and not is_party,
            "form": form or QcReviewForm(),
            "dispute": getattr(review, "dispute", None),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@qc_page()
def review(request: HttpRequest, review_id: int) -> HttpResponseBase:
    if request.method == "GET":
        return _review_page(request, review_id)
    form = QcReviewForm(request.POST)
    valid = form.is_valid()
    # An invalid form still goes to the service, so visibility, role and state refusals
    # (404, 403, 409) come before complaints about the input.
    data: Any = form.cleaned_data if valid else request.POST
    try:
        done = services.qc_review_complete(
            actor=request.user,
            review_id=review_id,
            outcome=data.get("outcome") or "",
            error_category=data.get("error_category") or "",
            severity=data.get("severity") or "",
            comment=data.get("comment") or "",
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        _refusal(form, exc, valid)
        return _review_page(request, review_id, form=form, status=exc.status)
    if done.case_reopened:
        messages.warning(
            request,
            _("QC review recorded. The critical finding reopened case #%(case)s.")
            % {"case": done.case_id},
        )
    else:
        messages.success(request, _("QC review recorded."))
    return redirect("qc:queue")


# --------------------------------------------------------------------------- findings, disputes


def _findings_page(
    request: HttpRequest,
    *,
    bound: tuple[int, DisputeForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    findings = list(selectors.qc_findings_for(actor=request.user))
    for finding in findings:
        finding.dispute_obj = getattr(finding, "dispute", None)  # type: ignore[attr-defined]
        if bound and bound[0] == finding.pk:
            finding.dispute_form = bound[1]  # type: ignore[attr-defined]
        else:
            finding.dispute_form = DisputeForm(auto_id=_ids("f", finding.pk))  # type: ignore[attr-defined]
    return render(
        request,
        "qc/findings.html",
        {"findings": findings, "can_see_all_qc": selectors.can_see_all_qc(request.user)},
        status=status,
    )


@require_GET
@qc_page()
def findings(request: HttpRequest) -> HttpResponse:
    return _findings_page(request)


@require_POST
@qc_page()
def dispute_raise(request: HttpRequest, review_id: int) -> HttpResponseBase:
    form = DisputeForm(request.POST, auto_id=_ids("f", review_id))
    valid = form.is_valid()
    try:
        services.qc_dispute_raise(
            actor=request.user,
            review_id=review_id,
            reason=form.cleaned_data["reason"] if valid else "",
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        _refusal(form, exc, valid)
        return _findings_page(request, bound=(review_id, form), status=exc.status)
    messages.success(request, _("Dispute sent. A QC lead who did not make the finding decides."))
    return redirect("qc:findings")


def _disputes_page(
    request: HttpRequest,
    *,
    bound: tuple[int, DisputeDecideForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    open_disputes = list(selectors.qc_dispute_list(actor=request.user, status=QcDisputeStatus.OPEN))
    for dispute in open_disputes:
        refusal = services.dispute_decide_refusal(request.user, dispute.review)
        dispute.can_decide = refusal is None  # type: ignore[attr-defined]
        # Who may decide instead, so the page names them rather than showing a dead button.
        dispute.refusal = DISPUTE_REFUSALS.get(refusal.code, "") if refusal else ""  # type: ignore[attr-defined]
        dispute.deciders = (  # type: ignore[attr-defined]
            [u.get_username() for u in services.dispute_deciders(dispute.review)] if refusal else []
        )
        if bound and bound[0] == dispute.pk:
            dispute.form = bound[1]  # type: ignore[attr-defined]
        else:
            dispute.form = DisputeDecideForm(auto_id=_ids("d", dispute.pk))  # type: ignore[attr-defined]
    decided = (
        selectors.qc_dispute_list(actor=request.user)
        .exclude(status=QcDisputeStatus.OPEN)
        .order_by("-decided_at", "-id")[:20]
    )
    return render(
        request,
        "qc/disputes.html",
        {"open_disputes": open_disputes, "decided": decided},
        status=status,
    )


@require_GET
@qc_page(*QC_ROLES)
def disputes(request: HttpRequest) -> HttpResponse:
    return _disputes_page(request)


@require_POST
@qc_page(*QC_ROLES)
def dispute_decide(request: HttpRequest, dispute_id: int) -> HttpResponseBase:
    form = DisputeDecideForm(request.POST, auto_id=_ids("d", dispute_id))
    valid = form.is_valid()
    try:
        services.qc_dispute_decide(
            actor=request.user,
            dispute_id=dispute_id,
            status=form.cleaned_data.get("status", "") if valid else "",
            comment=form.cleaned_data.get("comment", "") if valid else "",
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        _refusal(form, exc, valid)
        return _disputes_page(request, bound=(dispute_id, form), status=exc.status)
    messages.success(request, _("Dispute decided."))
    return redirect("qc:disputes")


# --------------------------------------------------------------------------- dashboard


@require_GET
@qc_page(*QC_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    numbers = metrics.qc_metrics()
    return render(
        request,
        "qc/dashboard.html",
        {
            "m": numbers,
            "accuracy_chart": charts.accuracy_chart(numbers),
            "category_chart": charts.category_chart(numbers),
            "sample_chart": charts.sample_chart(numbers),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@qc_page(*QC_ROLES)
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    numbers = metrics.qc_metrics()
    writer = csv.writer(_Echo())
    body = "".join(writer.writerow(row) for row in metrics.csv_rows(numbers))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="qc-accuracy-{stamp}.csv"'
    return response
