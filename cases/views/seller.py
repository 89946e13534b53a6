"""Seller portal pages that compose every app: the merchant overview (profile, people,
capabilities and their requirements, documents, the case), creating a merchant, applying for a
capability, uploading a document, and the seller's case actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import apply_domain_error, service_text
from accounts.views import seller_required
from cases import decisions as capability_decisions
from cases import selectors as case_selectors
from cases import services as case_services
from cases.forms import (
    AnswerForm,
    BrandChainFormSet,
    CapabilityApplyForm,
    DocumentUploadForm,
    SellerCommentForm,
)
from cases.models import CaseState, CommentVisibility, ReviewCase
from cases.seller_status import seller_status
from config.errors import Conflict, DomainError, InvalidInput, NotAllowed
from kyc import selectors as kyc_selectors
from kyc import services as kyc_services
from kyc.brand_chains import brand_chain_list, brand_chain_set
from kyc.models import DocumentStatus, DocumentType
from kyc.requirements import merchant_requirements
from merchants import selectors as merchant_selectors
from merchants.forms import MerchantForm
from merchants.models import Brand, Merchant

from .presenters import RequirementsPresenter, document_subject, label_rfi_items

SELLER_ACTION_STATES = {
    "submit": {CaseState.DRAFT},
    "withdraw": {CaseState.DRAFT, CaseState.SUBMITTED, CaseState.INFO_REQUESTED},
    "answer": {CaseState.INFO_REQUESTED},
}


def _merchant_url(merchant_id: int, anchor: str = "") -> str:
    url = reverse("cases:merchant_detail", kwargs={"merchant_id": merchant_id})
    return f"{url}#{anchor}" if anchor else url


def _current_case(cases: list[ReviewCase]) -> ReviewCase | None:
    """The case the seller is working on: the newest open one, else the last decided one."""
    return next((c for c in cases if c.is_open), cases[0] if cases else None)


def render_merchant_page(
    request: HttpRequest,
    merchant: Merchant,
    *,
    status: int = 200,
    blocking: list[dict[str, Any]] | None = None,
    answer_form: AnswerForm | None = None,
    comment_form: SellerCommentForm | None = None,
) -> HttpResponse:
    """The merchant overview. `blocking` is the list a refused submit returned."""
    actor = request.user
    people = list(merchant_selectors.person_list(merchant=merchant))
    capabilities = list(merchant_selectors.capability_list(merchant=merchant))
    cases = list(
        case_selectors.case_list(actor=actor)
        .filter(merchant=merchant)
        .prefetch_related("decision_reason_codes", "capabilities")
        .order_by("-created_at", "-id")
    )
    case = _current_case(cases)
    rejection_reasons = case_services.rejection_reasons_for(merchant)
    requirements = merchant_requirements(
        merchant,
        capabilities=capabilities,
        rejection_reasons=rejection_reasons,
        rfi_deadline=case.rfi_deadline if case and case.state == CaseState.INFO_REQUESTED else None,
    )
    presenter = RequirementsPresenter(
        merchant.pk, capabilities, is_draft=bool(case and case.state == CaseState.DRAFT)
    )
    presented = presenter.present_all(requirements)
    # Per capability: the rejection it lives with, so the seller sees which and why.
    rejections = capability_decisions.rejected_capability_decisions(merchant=merchant)
    for r in presented:
        capability = r.get("capability")
        if capability is not None and capability.disabled_reason.startswith("rejected."):
            r["rejection"] = rejections.get(capability.pk)
    case_capability_ids = {c.pk for c in case.capabilities.all()} if case else set()
    case_due = [
        {"label": r["label"], "items": r["currently_due"]}
        for r in presented
        if r["capability"] and r["capability"].pk in case_capability_ids and r["currently_due"]
    ]
    documents = list(
        kyc_selectors.document_list(actor=actor, merchant_id=merchant.pk)
        .exclude(status=DocumentStatus.SUPERSEDED)
        .prefetch_related("check_results")
    )
    for doc in documents:
        doc.rejection_reason = rejection_reasons.get(doc.pk, "")  # type: ignore[attr-defined]
        doc.problems = kyc_selectors.document_seller_problems(doc)  # type: ignore[attr-defined]
        doc.subject = document_subject(doc)  # type: ignore[attr-defined]
    labels = presenter.item_labels(requirements)
    rfi = None
    rfi_items: list[Any] = []
    comments: list[Any] = []
    if case is not None:
        rfi = (
            case.information_requests.filter(answered_at__isnull=True)
            .prefetch_related("items__reason_code", "items__document__document_type")
            .first()
        )
        rfi_items = label_rfi_items(rfi, labels) if rfi else []
        comments = list(case_selectors.comments_visible_to(actor=actor, case=case))
    state = case.state if case else ""
    context = {
        "merchant": merchant,
        "people": people,
        "requirements": presented,
        "documents": documents,
        "case": case,
        "past_cases": [c for c in cases if c is not case],
        "case_due": case_due,
        "blocking": blocking,
        "rfi": rfi,
        "rfi_items": rfi_items,
        "comments": comments,
        "can_submit": state in SELLER_ACTION_STATES["submit"],
        "can_withdraw": state in SELLER_ACTION_STATES["withdraw"],
        "can_answer": state in SELLER_ACTION_STATES["answer"] and rfi is not None,
        "can_comment": bool(case and case.is_open),
        "answer_form": answer_form or AnswerForm(),
        "comment_form": comment_form or SellerCommentForm(),
        "ownership_total": sum(p.ownership_percent for p in people),
    }
    return render(request, "cases/seller/merchant_detail.html", context, status=status)


@seller_required
@require_http_methods(["GET", "POST"])
def merchant_create(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user  # a signed-in seller (the decorator guarantees it)
    initial = {"preferred_language": user.preferred_language, "contact_email": user.email}
    form = MerchantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            merchant, _case = case_services.onboarding_start(
                actor=request.user, data=form.cleaned_data
            )
        except InvalidInput as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "%(name)s was created. Next: declare the people and upload the documents "
                    "listed under Requirements."
                )
                % {"name": merchant.legal_name},
            )
            return redirect(_merchant_url(merchant.pk))
    return render(
        request,
        "merchants/merchant_form.html",
        {"form": form, "merchant": None},
        status=400 if form.errors else 200,
    )


@seller_required
def merchant_detail(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = merchant_selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    return render_merchant_page(request, merchant)


@seller_required
@require_http_methods(["GET", "POST"])
def capability_apply(request: HttpRequest, merchant_id: int) -> HttpResponseBase:
    merchant = merchant_selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    form = CapabilityApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            capability, _case = case_services.capability_apply(
                actor=request.user,
                merchant=merchant,
                kind=data["kind"],
                category=data["category"] if data["kind"] == "category" else None,
                brand=data["brand"] if data["kind"] == "brand" else None,
            )
        except InvalidInput as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("You applied for “%(capability)s”. Upload the documents it needs, then submit.")
                % {"capability": capability.label},
            )
            return redirect(_merchant_url(merchant.pk, "requirements"))
    return render(
        request,
        "cases/seller/capability_apply.html",
        {"form": form, "merchant": merchant},
        status=400 if form.errors else 200,
    )


def _tell_check_outcome(request: HttpRequest, document_id: int) -> None:
    """What the seller learns right after an upload. In the embedded mode the checks ran
    when the upload committed, so the outcome is known now; with a worker it comes a moment
    later, and the merchant page shows "checking…" until then (and polls)."""
    document = (
        kyc_selectors.document_list(actor=request.user)
        .prefetch_related("check_results")
        .get(pk=document_id)
    )
    name = document.document_type.name
    status = kyc_selectors.document_checks_status(document)
    if status == "checking":
        messages.info(
            request,
            _("%(type)s was uploaded and is being checked; the result appears below in a moment.")
            % {"type": name},
        )
    elif status == "failed":
        problems = " ".join(r.message for r in kyc_selectors.document_seller_problems(document))
        messages.error(
            request,
            _(
                "%(type)s did not pass the automatic checks: %(problems)s "
                "Upload a corrected document with “Replace”."
            )
            % {"type": name, "problems": problems},
        )
    else:
        messages.success(
            request,
            _("%(type)s was uploaded and passed the automatic checks. A reviewer checks it next.")
            % {"type": name},
        )


def _upload_error_message(exc: DomainError) -> str:
    """The refusal of a file in the user's language, as specific as the service's."""
    if exc.code == "file_empty":
        return _("The file is empty. Choose the scanned document itself.")
    if exc.code == "unsupported_file_type":
        sniffed = exc.details.get("sniffed_type", "unknown")
        if sniffed == "unknown":
            return _(
                "This file is not a recognised document, whatever its name says. "
                "Upload a PDF, JPEG or PNG file."
            )
        return _(
            "This file is really of type %(type)s, whatever its name says. "
            "Upload a PDF, JPEG or PNG file."
        ) % {"type": sniffed}
    if exc.code == "file_too_large":
        return _("The file is too large. Reduce the scan resolution or split the document.")
    return service_text(exc.message)


def _upload_initial(request: HttpRequest, merchant: Merchant) -> dict[str, Any]:
    """Prefills the form from the requirement the seller clicked ("upload this")."""
    initial: dict[str, Any] = {}
    replaces = request.GET.get("replaces", "")
    if replaces.isdigit():
        # A replacement is for what the replaced document was for (its type, person, brand,
        # category): otherwise the new upload lands unlinked and reopens the requirement.
        replaced = (
            merchant.documents.exclude(status=DocumentStatus.SUPERSEDED)
            .filter(pk=int(replaces))
            .first()
        )
        if replaced is not None:
            initial.update(
                {
                    "replaces": replaced.pk,
                    "document_type": replaced.document_type_id,
                    "person": replaced.person_id,
                    "category": replaced.category_id,
                    "brand": replaced.brand_id,
                }
            )
    code = request.GET.get("document_type")
    if code:
        initial["document_type"] = DocumentType.objects.filter(code=code).first()
    for key in ("person", "category", "brand"):
        value = request.GET.get(key, "")
        if value.isdigit():
            initial[key] = int(value)
    return initial


@seller_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest, merchant_id: int) -> HttpResponseBase:
    merchant = merchant_selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    form = DocumentUploadForm(
        request.POST or None,
        request.FILES or None,
        merchant=merchant,
        initial=_upload_initial(request, merchant),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                document = kyc_services.document_upload(
                    actor=request.user,
                    merchant=merchant,
                    document_type=form.cleaned_data["document_type"],
                    fileobj=upload,
                    filename=upload.name,
                    size=upload.size,
                    metadata=form.metadata(),
                    supersedes=form.cleaned_data.get("replaces"),
                )
            except DomainError as exc:
                if isinstance(exc, NotAllowed):
                    raise
                apply_domain_error(form, exc, message=_upload_error_message(exc))
                status = exc.status
            else:
                _tell_check_outcome(request, document.pk)
                return redirect(_merchant_url(merchant.pk, f"document-row-{document.pk}"))
    return render(
        request,
        "cases/seller/document_upload.html",
        {"form": form, "merchant": merchant},
        status=status,
    )


@seller_required
@require_http_methods(["GET", "POST"])
def brand_chain(request: HttpRequest, merchant_id: int, brand_id: int) -> HttpResponseBase:
    """The brand authorization chain (owner → distributors → this merchant) behind the
    merchant's brand documents: entered here, validated as a whole by the service."""
    merchant = merchant_selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None:
        raise Http404
    links = brand_chain_list(merchant=merchant, brand=brand)
    if links:
        initial = [
            {
                "grantor_name": link.grantor_name,
                "grantee_name": link.grantee_name,
                "territories": ", ".join(link.territories or []),
                "valid_from": link.valid_from,
                "valid_until": link.valid_until,
            }
            for link in links
        ]
    else:  # the usual shape: the brand owner straight to this merchant
        initial = [
            {
                "grantor_name": brand.trademark_holder,
                "grantee_name": merchant.legal_name,
                "territories": merchant.country,
            }
        ]
    formset = BrandChainFormSet(request.POST or None, initial=initial, prefix="links")
    status = 200
    if request.method == "POST":
        status = 400
        if formset.is_valid():
            filled = [
                (form, form.cleaned_data)
                for form in formset.forms
                if form.cleaned_data and any(form.cleaned_data.values())
            ]
            try:
                brand_chain_set(
                    actor=request.user,
                    merchant=merchant,
                    brand=brand,
                    rows=[dict(data) for _form, data in filled],
                )
            except InvalidInput as exc:
                for key, errors in exc.fields.items():
                    parts = key.split(".")
                    target = None
                    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
                        target = filled[int(parts[1])][0]
                    for error in errors:
                        if target is not None and parts[2] in target.fields:
                            target.add_error(parts[2], service_text(error))
                        else:
                            formset.forms[0].add_error(None, service_text(error))
            else:
                messages.success(
                    request,
                    _(
                        "The authorization chain for %(brand)s was saved. Its documents are "
                        "checked again."
                    )
                    % {"brand": brand.name},
                )
                return redirect(_merchant_url(merchant.pk, "documents"))
    return render(
        request,
        "cases/seller/brand_chain.html",
        {"merchant": merchant, "brand": brand, "formset": formset, "links": links},
        status=status,
    )


def _seller_case_action(
    request: HttpRequest,
    case_id: int,
    run: Callable[[ReviewCase], object],
    success: str,
    *,
    on_invalid: Callable[[Merchant, InvalidInput], HttpResponse] | None = None,
) -> HttpResponseBase:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    merchant = case.merchant
    try:
        run(case)
    except Conflict:
        fresh = case_selectors.case_get(actor=request.user, case_id=case_id)
        messages.error(
            request,
            _(
                "This case was changed by someone else: it is now %(state)s. Reload to see the "
                "latest."
            )
            % {"state": seller_status(fresh.state).label},
        )
        return render_merchant_page(request, merchant, status=409)
    except NotAllowed as exc:
        messages.error(request, service_text(exc.message))
        return render_merchant_page(request, merchant, status=403)
    except InvalidInput as exc:
        if on_invalid is not None:
            return on_invalid(merchant, exc)
        messages.error(request, service_text(exc.message))
        return render_merchant_page(request, merchant, status=400)
    messages.success(request, success)
    return redirect(_merchant_url(merchant.pk, "case"))


def _refused_for_requirements(
    request: HttpRequest, **forms: Any
) -> Callable[[Merchant, InvalidInput], HttpResponse]:
    def handle(merchant: Merchant, exc: InvalidInput) -> HttpResponse:
        if exc.code == "requirements_due":
            capabilities = list(merchant_selectors.capability_list(merchant=merchant))
            presenter = RequirementsPresenter(merchant.pk, capabilities)
            blocking = [presenter.present(r) for r in exc.details.get("requirements", [])]
            messages.error(
                request,
                _(
                    "Not submitted: some requirements are still due. They are listed next to "
                    "the button."
                ),
            )
            return render_merchant_page(request, merchant, status=400, blocking=blocking, **forms)
        for form in forms.values():
            apply_domain_error(form, exc)
        return render_merchant_page(request, merchant, status=400, **forms)

    return handle


@seller_required
@require_POST
def case_submit(request: HttpRequest, case_id: int) -> HttpResponseBase:
    return _seller_case_action(
        request,
        case_id,
        lambda case: case_services.case_submit(actor=request.user, case_id=case.pk),
        _("Submitted. A reviewer will look at your application; we will e-mail you."),
        on_invalid=_refused_for_requirements(request),
    )


@seller_required
@require_POST
def case_resubmit(request: HttpRequest, case_id: int) -> HttpResponseBase:
    form = AnswerForm(request.POST)
    form.is_valid()
    return _seller_case_action(
        request,
        case_id,
        lambda case: case_services.case_resubmit(
            actor=request.user, case_id=case.pk, answer=form.cleaned_data.get("answer", "")
        ),
        _("Your answer was sent. The case is back with the reviewer."),
        on_invalid=_refused_for_requirements(request, answer_form=form),
    )


@seller_required
@require_POST
def case_withdraw(request: HttpRequest, case_id: int) -> HttpResponseBase:
    return _seller_case_action(
        request,
        case_id,
        lambda case: case_services.case_withdraw(actor=request.user, case_id=case.pk),
        _("The application was withdrawn."),
    )


@seller_required
@require_POST
def case_comment(request: HttpRequest, case_id: int) -> HttpResponseBase:
    form = SellerCommentForm(request.POST)
    if not form.is_valid():
        case = case_selectors.case_get(actor=request.user, case_id=case_id)
        return render_merchant_page(request, case.merchant, status=400, comment_form=form)
    return _seller_case_action(
        request,
        case_id,
        lambda case: case_services.comment_add(
            actor=request.user,
            case_id=case.pk,
            body=form.cleaned_data["body"],
            visibility=CommentVisibility.SELLER,
        ),
        _("Your message was sent to the reviewer."),
        on_invalid=_refused_for_requirements(request, comment_form=form),
    )


@seller_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponseBase:
    """A seller's link to one of its cases: the merchant overview shows it."""
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    return redirect(_merchant_url(case.merchant_id, "case"))
