"""Seller portal: the list of my merchants, the profile and the people.

The merchant overview, capabilities, documents and the case live in cases.views.seller,
which composes every app; these pages only need the merchant itself.
"""

from __future__ import annotations

from copy import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import SignupForm, apply_domain_error
from accounts.views import seller_required, with_language_cookie
from config.errors import InvalidInput

from . import selectors, services
from .forms import MerchantForm, PersonForm, capability_label
from .models import CapabilityStatus, Merchant, Person

PAGE_SIZE = 50


def _overview(merchant: Merchant) -> HttpResponse:
    return redirect("cases:merchant_detail", merchant_id=merchant.pk)


@seller_required
def merchant_list(request: HttpRequest) -> HttpResponse:
    merchants = selectors.merchant_list(actor=request.user).prefetch_related(
        "capabilities__category", "capabilities__brand", "cases"
    )
    page = Paginator(merchants, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for merchant in page:
        # The newest case is the one the seller is working on (or the last decision).
        cases = sorted(merchant.cases.all(), key=lambda c: (c.created_at, c.pk), reverse=True)
        # While the case is a draft nothing is under review yet: a pending capability reads
        # "Not submitted", as its case does ("draft" is the case state's value; cases sits
        # above this app).
        is_draft = bool(cases) and cases[0].state == "draft"
        capabilities = [
            (
                c,
                capability_label(c),
                _("Not submitted")
                if is_draft and c.status == CapabilityStatus.PENDING
                else c.get_status_display(),
            )
            for c in merchant.capabilities.all()
        ]
        rows.append(
            {
                "merchant": merchant,
                "case": cases[0] if cases else None,
                "capabilities": capabilities,
            }
        )
    return render(request, "merchants/merchant_list.html", {"page": page, "rows": rows})


@seller_required
@require_http_methods(["GET", "POST"])
def merchant_edit(request: HttpRequest, merchant_id: int) -> HttpResponseBase:
    merchant = selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    # The form edits a copy: a refused edit must not rename the merchant in the page header.
    form = MerchantForm(request.POST or None, instance=copy(merchant))
    if request.method == "POST" and form.is_valid():
        try:
            services.merchant_update(actor=request.user, merchant=merchant, data=form.cleaned_data)
        except InvalidInput as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The profile was saved."))
            return _overview(merchant)
    status = 400 if form.errors else 200
    return render(
        request, "merchants/merchant_form.html", {"form": form, "merchant": merchant}, status=status
    )


def _person(request: HttpRequest, merchant_id: int, person_id: int) -> tuple[Merchant, Person]:
    merchant = selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    return merchant, get_object_or_404(selectors.person_list(merchant=merchant), pk=person_id)


@seller_required
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest, merchant_id: int) -> HttpResponseBase:
    merchant = selectors.merchant_get(actor=request.user, merchant_id=merchant_id)
    initial = {
        "is_legal_representative": request.GET.get("role") == "legal_representative",
        "is_beneficial_owner": request.GET.get("role") == "beneficial_owner",
    }
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_add(
                actor=request.user, merchant=merchant, data=form.service_data()
            )
        except InvalidInput as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": person.full_name})
            return _overview(merchant)
    return render(
        request,
        "merchants/person_form.html",
        {
            "form": form,
            "merchant": merchant,
            "person": None,
            "threshold": settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD,
        },
        status=400 if form.errors else 200,
    )


@seller_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, merchant_id: int, person_id: int) -> HttpResponseBase:
    merchant, person = _person(request, merchant_id, person_id)
    form = PersonForm(request.POST or None, instance=copy(person))
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, data=form.service_data())
        except InvalidInput as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was saved.") % {"name": person.full_name})
            return _overview(merchant)
    return render(
        request,
        "merchants/person_form.html",
        {
            "form": form,
            "merchant": merchant,
            "person": person,
            "threshold": settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD,
        },
        status=400 if form.errors else 200,
    )


@seller_required
@require_http_methods(["GET", "POST"])
def person_remove(request: HttpRequest, merchant_id: int, person_id: int) -> HttpResponseBase:
    merchant, person = _person(request, merchant_id, person_id)
    if request.method == "POST":
        services.person_remove(actor=request.user, person=person)
        messages.success(request, _("%(name)s was removed.") % {"name": person.full_name})
        return _overview(merchant)
    return render(
        request, "merchants/person_confirm_remove.html", {"merchant": merchant, "person": person}
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponseBase:
    """A seller opens an account (the seller portal's front door)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.seller_register(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            preferred_language=form.cleaned_data["preferred_language"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome! Your seller account is ready. Add your first merchant.")
        )
        return with_language_cookie(redirect("merchants:list"), user.preferred_language)
    return render(request, "accounts/signup.html", {"form": form})
