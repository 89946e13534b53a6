"""The compliance admin pages (/compliance/): requirement rules as a draft policy version,
reason codes, risk settings, QC sampling rates, users and roles.

Compliance admins only: other staff get 403, anyone without a staff role (sellers, a
role-less superuser) 404, so the pages' existence is not revealed (tests/security). Every
change goes through compliance.services (audited); which changes need a second admin is
stated there.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import apply_domain_error
from accounts.roles import Role, has_role, is_staff_member
from audit.services import audit_record
from cases.models import QcSamplingRule, ReasonCode
from config.errors import DomainError, NotFound
from config.i18n import is_chinese
from kyc.models import RiskSettings
from kyc.risk import country_class_label, risk_figures
from kyc.risk_data import PROHIBITED_CATEGORY_POINTS
from merchants.models import Category

from . import selectors, services
from .forms import (
    CategoryPointsForm,
    CountryClassForm,
    InviteForm,
    QcSamplingRuleForm,
    ReasonCodeForm,
    RolesForm,
    RuleForm,
    ThresholdsForm,
)

View = Callable[..., HttpResponseBase]

# The events these pages write, as their history boxes name them.
ACTION_LABELS = {
    "policy.draft_created": gettext_lazy("Draft created"),
    "policy.rule_added": gettext_lazy("Rule added"),
    "policy.rule_changed": gettext_lazy("Rule changed"),
    "policy.rule_removed": gettext_lazy("Rule removed"),
    "policy.draft_discarded": gettext_lazy("Draft discarded"),
    "policy.published": gettext_lazy("Published"),
    "reason_code.created": gettext_lazy("Reason code added"),
    "reason_code.changed": gettext_lazy("Reason code changed"),
    "reason_code.deactivated": gettext_lazy("Reason code deactivated"),
    "reason_code.activated": gettext_lazy("Reason code activated"),
    "risk_settings.thresholds_changed": gettext_lazy("Tier thresholds changed"),
    "risk_settings.country_class_changed": gettext_lazy("Country class changed"),
    "risk_settings.category_points_changed": gettext_lazy("Category points changed"),
    "qc_sampling_rule.changed": gettext_lazy("Sampling rule changed"),
    "user.invited": gettext_lazy("Invited"),
    "user.roles_changed": gettext_lazy("Roles changed"),
    "user.deactivated": gettext_lazy("Deactivated"),
    "user.activated": gettext_lazy("Activated"),
    "user.second_factor_reset": gettext_lazy("Second factor reset"),
    "user.password_set": gettext_lazy("Password set"),
}


def admin_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_staff_member(request.user):
            raise Http404
        if not has_role(request.user, Role.COMPLIANCE_ADMIN):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc

    return wrapped


def _history(events: Any) -> list[dict[str, Any]]:
    return [
        {
            "event": e,
            "label": ACTION_LABELS.get(e.action, e.action),
            "actor": _("system") if e.actor_type == "system" else e.actor_repr,
        }
        for e in events
    ]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    tab = context.pop("tab", "")
    return render(request, template, {"admin_tab": tab, **context}, status=status)


@admin_only
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    draft = selectors.policy_draft()
    published = selectors.policy_published()
    return _render(
        request,
        "compliance/overview.html",
        {
            "tab": "overview",
            "draft": draft,
            "published": published,
            "reason_count": ReasonCode.objects.filter(is_active=True).count(),
            "staff_count": selectors.staff_user_queryset().filter(is_active=True).count(),
            "sampling_count": QcSamplingRule.objects.filter(is_active=True).count(),
            "history": _history(selectors.recent_changes()),
        },
    )


# --------------------------------------------------------------------------- requirement rules


FIELD_LABELS = {
    "person_scope": gettext_lazy("Who provides it"),
    "document_types": gettext_lazy("Accepted document types"),
    "label_en": gettext_lazy("Label (English)"),
    "label_zh": gettext_lazy("Label (Chinese)"),
}


def _field_text(rule: Any, name: str) -> str:
    if name == "person_scope":
        return str(rule.get_person_scope_display())
    if name == "document_types":
        return "; ".join(str(t.name) for t in rule.document_types.all())
    return str(getattr(rule, name))


def _diff_rows(diff: selectors.PolicyDiff) -> list[dict[str, Any]]:
    """Each change as the page shows it: the rule, and for a changed rule each field that
    differs with its text before and after."""
    rows = []
    for change in diff.changes:
        fields = [
            {
                "label": FIELD_LABELS[name],
                "before": _field_text(change.before, name),
                "after": _field_text(change.after, name),
            }
            for name in change.fields
        ]
        rows.append({"kind": change.kind, "rule": change.rule, "fields": fields})
    return rows


def _policy_context(request: HttpRequest) -> dict[str, Any]:
    draft = selectors.policy_draft()
    published = selectors.policy_published()
    context: dict[str, Any] = {
        "tab": "policy",
        "draft": draft,
        "published": published,
        "published_rules": selectors.policy_rules(published),
        "history": _history(selectors.recent_changes(prefix="policy.")),
        "versions": selectors.policy_history(),
    }
    if draft is not None:
        editors = {u.pk: u for u in draft.editors.all()}
        if draft.created_by is not None:
            editors.setdefault(draft.created_by.pk, draft.created_by)
        context.update(
            draft_rules=selectors.policy_rules(draft),
            diff=(diff := selectors.policy_diff(published=published, draft=draft)),
            diff_rows=_diff_rows(diff),
            editors=sorted(editors.values(), key=lambda u: u.username),
            is_editor=request.user.pk in editors,
        )
    return context


@admin_only
@require_http_methods(["GET"])
def policy(request: HttpRequest) -> HttpResponse:
    return _render(request, "compliance/policy.html", _policy_context(request))


@admin_only
@require_POST
def policy_draft_create(request: HttpRequest) -> HttpResponseBase:
    try:
        services.policy_draft_create(actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A draft was created from the published version."))
    return redirect("compliance:policy")


@admin_only
@require_POST
def policy_draft_discard(request: HttpRequest) -> HttpResponseBase:
    services.policy_draft_discard(actor=request.user)
    messages.success(request, _("The draft was discarded."))
    return redirect("compliance:policy")


@admin_only
@require_POST
def policy_publish(request: HttpRequest) -> HttpResponseBase:
    try:
        version = services.policy_publish(actor=request.user)
    except DomainError as exc:
        # Refused (four-eyes, nothing to publish): the page again, saying why.
        context = _policy_context(request)
        context["publish_error"] = exc.message
        return _render(request, "compliance/policy.html", context, status=exc.status)
    messages.success(
        request,
        _("Version %(version)s is published: new cases use it.") % {"version": version.version},
    )
    return redirect("compliance:policy")


def _rule_form_page(
    request: HttpRequest, form: RuleForm, rule: Any = None, status: int = 200
) -> HttpResponse:
    draft = selectors.policy_draft()
    if draft is None:
        raise Http404
    return _render(
        request,
        "compliance/rule_form.html",
        {"tab": "policy", "form": form, "rule": rule, "draft": draft},
        status=status,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def policy_rule_create(request: HttpRequest) -> HttpResponseBase:
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_rule_save(actor=request.user, rule_id=None, data=form.rule_data())
        except NotFound:
            raise
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The rule was added to the draft."))
            return redirect("compliance:policy")
    return _rule_form_page(request, form, status=400 if form.is_bound else 200)


@admin_only
@require_http_methods(["GET", "POST"])
def policy_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponseBase:
    rule = selectors.draft_rule_get(rule_id=rule_id)
    if rule is None:
        raise Http404
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                services.policy_rule_save(
                    actor=request.user, rule_id=rule.pk, data=form.rule_data()
                )
            except NotFound:
                raise
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The rule was saved in the draft."))
                return redirect("compliance:policy")
        return _rule_form_page(request, form, rule, status=400)
    return _rule_form_page(request, RuleForm(initial=RuleForm.initial_for(rule)), rule)


@admin_only
@require_POST
def policy_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponseBase:
    services.policy_rule_delete(actor=request.user, rule_id=rule_id)
    messages.success(request, _("The rule was removed from the draft."))
    return redirect("compliance:policy")


# --------------------------------------------------------------------------- reason codes


@admin_only
@require_http_methods(["GET"])
def reason_code_list(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "compliance/reason_codes.html",
        {
            "tab": "reasons",
            "reasons": ReasonCode.objects.order_by("-is_active", "kind", "code"),
            "history": _history(selectors.recent_changes(prefix="reason_code.")),
        },
    )


@admin_only
@require_http_methods(["GET", "POST"])
def reason_code_create(request: HttpRequest) -> HttpResponseBase:
    form = ReasonCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reason_code_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The reason code was added."))
            return redirect("compliance:reason_codes")
    return _render(
        request,
        "compliance/reason_code_form.html",
        {"tab": "reasons", "form": form, "reason": None},
        status=400 if form.is_bound else 200,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def reason_code_edit(request: HttpRequest, reason_id: int) -> HttpResponseBase:
    reason = ReasonCode.objects.filter(pk=reason_id).first()
    if reason is None:
        raise Http404
    if request.method == "POST":
        form = ReasonCodeForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.reason_code_update(
                    actor=request.user, reason_id=reason.pk, **form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The reason code was saved."))
                return redirect("compliance:reason_codes")
        status = 400
    else:
        form = ReasonCodeForm(
            editing=True,
            initial={
                "kind": reason.kind,
                "severity": reason.severity,
                "text_en": reason.text_en,
                "text_zh": reason.text_zh,
            },
        )
        status = 200
    return _render(
        request,
        "compliance/reason_code_form.html",
        {
            "tab": "reasons",
            "form": form,
            "reason": reason,
            "history": _history(
                selectors.recent_changes(
                    prefix="reason_code.", object_type="cases.reasoncode", object_id=str(reason.pk)
                )
            ),
        },
        status=status,
    )


@admin_only
@require_POST
def reason_code_toggle(request: HttpRequest, reason_id: int) -> HttpResponseBase:
    reason = ReasonCode.objects.filter(pk=reason_id).first()
    if reason is None:
        raise Http404
    services.reason_code_set_active(
        actor=request.user, reason_id=reason.pk, is_active=not reason.is_active
    )
    if reason.is_active:
        messages.success(request, _("The reason code was deactivated: reviewers no longer see it."))
    else:
        messages.success(request, _("The reason code was activated."))
    return redirect("compliance:reason_codes")


# --------------------------------------------------------------------------- risk settings


def _risk_context(**forms: Any) -> dict[str, Any]:
    figures = risk_figures()
    row = RiskSettings.objects.select_related("updated_by").filter(pk=1).first()
    categories = list(Category.objects.order_by("code"))
    return {
        "tab": "risk",
        "settings_row": row,
        "figures": figures,
        "classes": [
            {"class": c, "label": country_class_label(c), "countries": sorted(c.countries)}
            for c in figures.country_classes
        ],
        # A list inside a sentence: Chinese punctuation on the Chinese page.
        "prohibited_categories": ("、" if is_chinese() else ", ").join(
            str(c.name) for c in categories if c.is_prohibited
        )
        + ("。" if is_chinese() else "."),
        "has_prohibited": any(c.is_prohibited for c in categories),
        "prohibited_points": PROHIBITED_CATEGORY_POINTS,
        "thresholds_form": forms.get("thresholds_form")
        or ThresholdsForm(initial=figures.thresholds),
        "categories_form": forms.get("categories_form")
        or CategoryPointsForm(
            categories=[c for c in categories if not c.is_prohibited],
            points=figures.category_points,
        ),
        "history": _history(selectors.recent_changes(prefix="risk_settings.")),
    }


@admin_only
@require_http_methods(["GET"])
def risk(request: HttpRequest) -> HttpResponse:
    return _render(request, "compliance/risk.html", _risk_context())


@admin_only
@require_POST
def risk_thresholds(request: HttpRequest) -> HttpResponseBase:
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        try:
            services.risk_thresholds_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The tier thresholds were saved."))
            return redirect("compliance:risk")
    return _render(request, "compliance/risk.html", _risk_context(thresholds_form=form), 400)


@admin_only
@require_POST
def risk_categories(request: HttpRequest) -> HttpResponseBase:
    categories = list(Category.objects.filter(is_prohibited=False).order_by("code"))
    form = CategoryPointsForm(request.POST, categories=categories, points={})
    if form.is_valid():
        try:
            services.risk_category_points_update(actor=request.user, points=form.points())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The category points were saved."))
            return redirect("compliance:risk")
    return _render(request, "compliance/risk.html", _risk_context(categories_form=form), 400)


@admin_only
@require_http_methods(["GET", "POST"])
def risk_country_class(request: HttpRequest, code: str) -> HttpResponseBase:
    found = next((c for c in risk_figures().country_classes if c.code == code), None)
    if found is None:
        raise Http404
    if request.method == "POST":
        form = CountryClassForm(request.POST)
        if form.is_valid():
            try:
                services.risk_country_class_update(
                    actor=request.user, code=code, **form.cleaned_data
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The country class was saved."))
                return redirect("compliance:risk")
        status = 400
    else:
        form = CountryClassForm(
            initial={
                "label_en": found.label,
                "label_zh": found.label_zh,
                "points": found.points,
                "nationality_points": found.nationality_points,
                "countries": " ".join(sorted(found.countries)),
            }
        )
        status = 200
    return _render(
        request,
        "compliance/country_class_form.html",
        {"tab": "risk", "form": form, "country_class": found},
        status=status,
    )


# --------------------------------------------------------------------------- QC sampling


def _percent(rate: Decimal) -> str:
    """0.1250 as "12.5" (no trailing zeros, no exponent)."""
    return f"{(rate * 100).normalize():f}"


@admin_only
@require_http_methods(["GET"])
def qc_sampling(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "compliance/qc_sampling.html",
        {
            "tab": "qc",
            "rules": [
                {"rule": r, "percent": _percent(r.rate)}
                for r in QcSamplingRule.objects.order_by("code")
            ],
            "history": _history(selectors.recent_changes(prefix="qc_sampling_rule.")),
        },
    )


@admin_only
@require_http_methods(["GET", "POST"])
def qc_sampling_rule(request: HttpRequest, rule_id: int) -> HttpResponseBase:
    rule = QcSamplingRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    if request.method == "POST":
        form = QcSamplingRuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.qc_sampling_rule_update(
                    actor=request.user,
                    rule_id=rule.pk,
                    rate=data["rate_percent"] / Decimal(100),
                    minimum=data["min_per_reviewer_per_week"],
                    is_active=data["is_active"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"rate": "rate_percent"})
            else:
                messages.success(request, _("The sampling rule was saved."))
                return redirect("compliance:qc_sampling")
        status = 400
    else:
        form = QcSamplingRuleForm(
            initial={
                "rate_percent": _percent(rule.rate),
                "min_per_reviewer_per_week": rule.min_per_reviewer_per_week,
                "is_active": rule.is_active,
            }
        )
        status = 200
    return _render(
        request,
        "compliance/qc_rule_form.html",
        {"tab": "qc", "form": form, "rule": rule},
        status=status,
    )


# --------------------------------------------------------------------------- users and roles


@admin_only
@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    users = list(selectors.staff_user_list(query=query))
    with_device = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    return _render(
        request,
        "compliance/users.html",
        {
            "tab": "users",
            "users": [
                {
                    "user": u,
                    "has_device": u.pk in with_device,
                    "roles": ", ".join(
                        str(Role(g.name).label) for g in u.groups.all() if g.name in Role.values
                    ),
                }
                for u in users
            ],
            "query": query,
        },
    )


@admin_only
@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest) -> HttpResponseBase:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_invite(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                language=data["preferred_language"],
                base_url=request.build_absolute_uri("/"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, field_map={"language": "preferred_language"})
        else:
            messages.success(
                request,
                _("%(user)s was invited: an e-mail with a link to set a password is on its way.")
                % {"user": user.username},
            )
            return redirect("compliance:user", user_id=user.pk)
    return _render(
        request,
        "compliance/user_invite.html",
        {"tab": "users", "form": form},
        status=400 if form.is_bound else 200,
    )


def _user_page(
    request: HttpRequest,
    user: Any,
    form: RolesForm | None = None,
    *,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    roles = sorted(user.groups.values_list("name", flat=True))
    return _render(
        request,
        "compliance/user_detail.html",
        {
            "tab": "users",
            "member": user,
            "roles": [r for r in Role if r.value in roles],
            "form": form or RolesForm(initial={"roles": roles}),
            "devices": TOTPDevice.objects.filter(user=user).count(),
            "is_self": user.pk == request.user.pk,
            "action_error": error,
            "history": _history(
                selectors.recent_changes(
                    prefix="user.", object_type="accounts.user", object_id=str(user.pk)
                )
            ),
        },
        status=status,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, user_id: int) -> HttpResponseBase:
    user = selectors.staff_user_get(user_id=user_id)
    if user is None:
        raise Http404
    if request.method == "POST":
        form = RolesForm(request.POST)
        if form.is_valid():
            try:
                services.user_roles_set(
                    actor=request.user, user_id=user.pk, roles=form.cleaned_data["roles"]
                )
            except NotFound:
                raise
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The roles were saved."))
                return redirect("compliance:user", user_id=user.pk)
        return _user_page(request, user, form, status=400)
    return _user_page(request, user)


@admin_only
@require_POST
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponseBase:
    return _user_action(request, user_id, active=False)


@admin_only
@require_POST
def user_activate(request: HttpRequest, user_id: int) -> HttpResponseBase:
    return _user_action(request, user_id, active=True)


def _user_action(request: HttpRequest, user_id: int, *, active: bool) -> HttpResponseBase:
    user = selectors.staff_user_get(user_id=user_id)
    if user is None:
        raise Http404
    try:
        services.user_set_active(actor=request.user, user_id=user.pk, is_active=active)
    except NotFound:
        raise
    except DomainError as exc:
        return _user_page(request, user, status=exc.status, error=exc.message)
    if active:
        messages.success(request, _("The account was activated."))
    else:
        messages.success(request, _("The account was deactivated: it can no longer sign in."))
    return redirect("compliance:user", user_id=user.pk)


@admin_only
@require_POST
def user_second_factor_reset(request: HttpRequest, user_id: int) -> HttpResponseBase:
    user = selectors.staff_user_get(user_id=user_id)
    if user is None:
        raise Http404
    count = services.user_second_factor_reset(actor=request.user, user_id=user.pk)
    if count:
        messages.success(
            request,
            _(
                "The second factor was reset: at the next sign-in %(user)s sets up a new "
                "authenticator app."
            )
            % {"user": user.username},
        )
    else:
        messages.info(request, _("No authenticator was set up: nothing to reset."))
    if user.pk == request.user.pk:
        return redirect("home")
    return redirect("compliance:user", user_id=user.pk)


# --------------------------------------------------------------------------- set password


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The link of the invitation e-mail: Django's password-reset confirmation (the token is
    the credential; it stops working once a password is set). Signs nobody in: the person
    then signs in with the new password and sets up the second factor."""

    template_name = "compliance/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(
                action="user.password_set",
                actor=None,
                obj=form.user,
                after={"username": form.user.get_username()},
            )
        messages.success(self.request, _("Your password is set. Sign in with it now."))
        return response  # type: ignore[no-any-return]
