"""Reason codes, risk settings and QC sampling rates: one admin's change, audited with
before and after."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from cases.models import QcSamplingRule, ReasonCode, ReasonKind, Severity
from config.errors import InvalidInput, NotFound
from kyc.models import RiskSettings
from kyc.risk import risk_figures
from merchants.models import Category
from merchants.services import ISO_COUNTRIES

from .common import invalid, require_admin

# --------------------------------------------------------------------------- reason codes


def _clean_reason(
    *, kind: str, severity: str, text_en: str, text_zh: str
) -> tuple[str, str, str, str]:
    errors: dict[str, list[str]] = {}
    if kind not in ReasonKind.values:
        errors["kind"] = [_("Choose what the reason is for.")]
    if severity not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    text_en, text_zh = (text_en or "").strip(), (text_zh or "").strip()
    if not text_en:
        errors["text_en"] = [_("Required.")]
    if not text_zh:
        errors["text_zh"] = [_("Required.")]
    if errors:
        raise invalid(errors)
    return kind, severity, text_en, text_zh


def _reason_snapshot(reason: ReasonCode) -> dict[str, Any]:
    return {
        "code": reason.code,
        "kind": reason.kind,
        "severity": reason.severity,
        "text_en": reason.text_en,
        "text_zh": reason.text_zh,
        "is_active": reason.is_active,
    }


@transaction.atomic
def reason_code_create(
    *, actor: Any, code: str, kind: str, severity: str, text_en: str, text_zh: str
) -> ReasonCode:
    """A new reason code, active at once. Its code never changes afterwards: decisions and
    the audit trail name it."""
    require_admin(actor)
    code = (code or "").strip().lower()
    try:
        kind, severity, text_en, text_zh = _clean_reason(
            kind=kind, severity=severity, text_en=text_en, text_zh=text_zh
        )
    except InvalidInput as exc:
        fields = dict(exc.fields)
    else:
        fields = {}
    if not code:
        fields["code"] = [_("Required.")]
    elif not code.isascii() or not all(ch.isalnum() or ch in "-_" for ch in code):
        fields["code"] = [_("Use lowercase letters, digits, hyphens and underscores only.")]
    elif ReasonCode.objects.filter(code=code).exists():
        fields["code"] = [_("A reason code with this code exists already.")]
    if fields:
        raise invalid(fields)
    try:
        with transaction.atomic():
            reason = ReasonCode.objects.create(
                code=code, kind=kind, severity=severity, text_en=text_en, text_zh=text_zh
            )
    except IntegrityError:
        raise invalid({"code": [_("A reason code with this code exists already.")]}) from None
    audit_record(
        action="reason_code.created", actor=actor, obj=reason, after=_reason_snapshot(reason)
    )
    return reason


@transaction.atomic
def reason_code_update(
    *, actor: Any, reason_id: int, kind: str, severity: str, text_en: str, text_zh: str
) -> ReasonCode:
    """Changes a reason code's wording, kind or severity (its code stays). Decisions already
    made show the new wording: the audit trail keeps the old one."""
    require_admin(actor)
    reason = ReasonCode.objects.select_for_update().filter(pk=reason_id).first()
    if reason is None:
        raise NotFound(_("No such reason code."))
    kind, severity, text_en, text_zh = _clean_reason(
        kind=kind, severity=severity, text_en=text_en, text_zh=text_zh
    )
    before = _reason_snapshot(reason)
    reason.kind, reason.severity, reason.text_en, reason.text_zh = kind, severity, text_en, text_zh
    after = _reason_snapshot(reason)
    if after == before:
        return reason
    reason.save(update_fields=["kind", "severity", "text_en", "text_zh"])
    audit_record(action="reason_code.changed", actor=actor, obj=reason, before=before, after=after)
    return reason


@transaction.atomic
def reason_code_set_active(*, actor: Any, reason_id: int, is_active: bool) -> ReasonCode:
    """Deactivates a reason code (reviewers no longer offered it; decisions that gave it keep
    it) or activates it again. Never deletes. Setting the state it has writes nothing."""
    require_admin(actor)
    reason = ReasonCode.objects.select_for_update().filter(pk=reason_id).first()
    if reason is None:
        raise NotFound(_("No such reason code."))
    if reason.is_active == is_active:
        return reason
    reason.is_active = is_active
    reason.save(update_fields=["is_active"])
    audit_record(
        action="reason_code.activated" if is_active else "reason_code.deactivated",
        actor=actor,
        obj=reason,
        before={"code": reason.code, "is_active": not is_active},
        after={"code": reason.code, "is_active": is_active},
    )
    return reason


# --------------------------------------------------------------------------- risk settings


def _lock_risk_settings() -> RiskSettings:
    row = RiskSettings.objects.select_for_update().filter(pk=1).first()
    if row is not None:
        return row
    # A database without the seeded row (flushed): start from what scoring uses now.
    figures = risk_figures()
    row, _created = RiskSettings.objects.get_or_create(
        pk=1,
        defaults={
            "medium_points": figures.thresholds["medium"],
            "high_points": figures.thresholds["high"],
            "prohibited_points": figures.thresholds["prohibited"],
            "country_classes": [
                {
                    "code": c.code,
                    "label_en": c.label,
                    "label_zh": c.label_zh,
                    "points": c.points,
                    "nationality_points": c.nationality_points,
                    "countries": sorted(c.countries),
                }
                for c in figures.country_classes
            ],
            "category_points": figures.category_points,
        },
    )
    return RiskSettings.objects.select_for_update().get(pk=row.pk)


def _save_risk_settings(row: RiskSettings, actor: Any, fields: list[str]) -> None:
    row.updated_at = timezone.now()
    row.updated_by = actor
    row.save(update_fields=[*fields, "updated_at", "updated_by"])


MAX_POINTS = 1000


@transaction.atomic
def risk_thresholds_update(*, actor: Any, medium: int, high: int, prohibited: int) -> RiskSettings:
    """The minimum points of the medium, high and prohibited tiers; strictly ascending. They
    apply to every score computed from now on (cases already scored keep their tier)."""
    require_admin(actor)
    errors: dict[str, list[str]] = {}
    for name, value in (("medium", medium), ("high", high), ("prohibited", prohibited)):
        if value is None or not 1 <= value <= MAX_POINTS:
            errors[name] = [_("Enter a whole number from 1 to 1000.")]
    if not errors and not medium < high:
        errors["high"] = [_("High must be more than medium.")]
    if not errors and not high < prohibited:
        errors["prohibited"] = [_("Prohibited must be more than high.")]
    if errors:
        raise invalid(errors)
    row = _lock_risk_settings()
    before = row.thresholds
    if before == {"medium": medium, "high": high, "prohibited": prohibited}:
        return row
    row.medium_points, row.high_points, row.prohibited_points = medium, high, prohibited
    _save_risk_settings(row, actor, ["medium_points", "high_points", "prohibited_points"])
    audit_record(
        action="risk_settings.thresholds_changed",
        actor=actor,
        obj=row,
        before=before,
        after=row.thresholds,
    )
    return row


def parse_countries(text: str) -> tuple[list[str], list[str]]:
    """ISO codes from free text ("CU, IR KP"): the valid ones sorted, and the unknown ones."""
    tokens = [t.strip().upper() for t in text.replace(",", " ").replace(";", " ").split()]
    known = sorted({t for t in tokens if t in ISO_COUNTRIES})
    unknown = sorted({t for t in tokens if t and t not in ISO_COUNTRIES})
    return known, unknown


@transaction.atomic
def risk_country_class_update(
    *,
    actor: Any,
    code: str,
    label_en: str,
    label_zh: str,
    points: int,
    nationality_points: int,
    countries: str,
) -> RiskSettings:
    """One country class: its names, the points it gives the country of registration and a
    person's nationality, and its member countries (ISO codes)."""
    require_admin(actor)
    row = _lock_risk_settings()
    classes = [dict(c) for c in row.country_classes]
    index = next((i for i, c in enumerate(classes) if c.get("code") == code), None)
    if index is None:
        raise NotFound(_("No such country class."))
    errors: dict[str, list[str]] = {}
    label_en, label_zh = (label_en or "").strip(), (label_zh or "").strip()
    if not label_en:
        errors["label_en"] = [_("Required.")]
    if not label_zh:
        errors["label_zh"] = [_("Required.")]
    for name, value in (("points", points), ("nationality_points", nationality_points)):
        if value is None or not 0 <= value <= MAX_POINTS:
            errors[name] = [_("Enter a whole number from 0 to 1000.")]
    known, unknown = parse_countries(countries or "")
    if unknown:
        errors["countries"] = [
            _("Not ISO country codes: %(codes)s.") % {"codes": ", ".join(unknown)}
        ]
    if errors:
        raise invalid(errors)
    before = classes[index]
    after = {
        **before,
        "label_en": label_en,
        "label_zh": label_zh,
        "points": points,
        "nationality_points": nationality_points,
        "countries": known,
    }
    if after == before:
        return row
    classes[index] = after
    row.country_classes = classes
    _save_risk_settings(row, actor, ["country_classes"])
    audit_record(
        action="risk_settings.country_class_changed",
        actor=actor,
        obj=row,
        before=before,
        after=after,
    )
    return row


@transaction.atomic
def risk_category_points_update(*, actor: Any, points: dict[str, int]) -> RiskSettings:
    """The points a category adds to a merchant applying to sell in it, by category code
    (a prohibited category scores its fixed points whatever this says)."""
    require_admin(actor)
    codes = set(Category.objects.values_list("code", flat=True))
    errors: dict[str, list[str]] = {}
    for code, value in points.items():
        if code not in codes:
            errors[code] = [_("Unknown category.")]
        elif value is None or not 0 <= value <= MAX_POINTS:
            errors[code] = [_("Enter a whole number from 0 to 1000.")]
    if errors:
        raise invalid(errors)
    row = _lock_risk_settings()
    before = {str(k): int(v) for k, v in row.category_points.items()}
    after = {**before, **points}
    after = {k: v for k, v in sorted(after.items()) if v or k in before}
    if after == before:
        return row
    row.category_points = after
    _save_risk_settings(row, actor, ["category_points"])
    audit_record(
        action="risk_settings.category_points_changed",
        actor=actor,
        obj=row,
        before=before,
        after=after,
    )
    return row


# --------------------------------------------------------------------------- QC sampling


@transaction.atomic
def qc_sampling_rule_update(
    *, actor: Any, rule_id: int, rate: Decimal, minimum: int, is_active: bool
) -> QcSamplingRule:
    """A sampling rule's rate (0 to 1), weekly minimum per reviewer and whether it applies.
    The next draw uses them; drawn samples stay as drawn."""
    require_admin(actor)
    rule = QcSamplingRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such sampling rule."))
    errors: dict[str, list[str]] = {}
    if rate is None or not Decimal(0) <= rate <= Decimal(1):
        errors["rate"] = [_("Enter a percentage from 0 to 100.")]
    if minimum is None or not 0 <= minimum <= 100:
        errors["min_per_reviewer_per_week"] = [_("Enter a whole number from 0 to 100.")]
    if errors:
        raise invalid(errors)
    rate = rate.quantize(Decimal("0.0001"))

    def snapshot() -> dict[str, Any]:
        return {
            "code": rule.code,
            "rate": str(rule.rate.quantize(Decimal("0.0001"))),
            "min_per_reviewer_per_week": rule.min_per_reviewer_per_week,
            "is_active": rule.is_active,
        }

    before = snapshot()
    rule.rate, rule.min_per_reviewer_per_week, rule.is_active = rate, minimum, is_active
    after = snapshot()
    if after == before:
        return rule
    rule.save(update_fields=["rate", "min_per_reviewer_per_week", "is_active"])
    audit_record(
        action="qc_sampling_rule.changed", actor=actor, obj=rule, before=before, after=after
    )
    return rule
