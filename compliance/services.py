"""Write use-cases of the compliance admin pages: requirement rules (as a draft policy
version), reason codes, risk settings, QC sampling rates, users and roles.

Every use-case locks what it changes, checks, saves and writes exactly one audit event in
the same transaction (several for a draft's creation: one per copied rule would be noise, so
one event names the version it copies). Side effects (the invitation e-mail, emptying the
rules cache) run after commit.

Four-eyes — which changes need a second compliance admin:

- Publishing requirement rules. Everyone who created or changed a draft is one of its
  editors; no editor may publish it, and neither may an admin whose compliance-admin role
  an editor granted (otherwise one admin could invite a second account of their own and
  publish alone). New rules change what every seller must prove, so the issue (and DESIGN)
  require a second person.
- Everything else is one admin's change, audited with before and after: reason codes
  (wording and kind; one is deactivated, never deleted, and decisions keep it), QC sampling
  rates (how much is sampled, never what is decided), risk settings (they apply to the next
  score, each change is on the trail and on the page with who made it) and users and roles
  (guarded instead: nobody leaves the platform without an active compliance admin). A
  two-admin flow for risk settings is the natural next step; it is not built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role, has_role
from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import QcSamplingRule, ReasonCode, ReasonKind, Severity
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kyc.models import DocumentType, PersonScope, PolicyVersion, RequirementRule, RiskSettings
from kyc.requirements import active_policy, policy_rules_forget
from kyc.risk import risk_figures
from merchants.models import CapabilityKind, Category, EntityType
from merchants.services import ISO_COUNTRIES

from . import selectors


def _require_admin(actor: Any) -> None:
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise NotAllowed(_("Only a compliance admin makes this change."))


def _invalid(fields: dict[str, list[str]]) -> InvalidInput:
    return InvalidInput(_("Please correct the highlighted fields."), fields=fields)


# --------------------------------------------------------------------------- requirement rules


@dataclass
class RuleData:
    """What a rule of a draft holds, as the form gives it."""

    code: str
    capability_kind: str
    entity_type: str
    country: str
    category_id: int | None
    person_scope: str
    document_type_ids: list[int]
    label_en: str
    label_zh: str


def _lock_draft(actor: Any) -> PolicyVersion:
    draft = PolicyVersion.objects.select_for_update().filter(published_at__isnull=True).first()
    if draft is None:
        raise NotFound(_("There is no draft. Create one from the published version first."))
    return draft


def _mark_editor(draft: PolicyVersion, actor: Any) -> None:
    draft.editors.add(actor)


@transaction.atomic
def policy_draft_create(*, actor: Any) -> PolicyVersion:
    """A draft copying every rule of the published version, numbered after the highest
    version. Only one draft exists at a time (a second one is refused with `draft_exists`)."""
    _require_admin(actor)
    # The published policy row is the lock: two admins pressing "create" at once queue here.
    published = PolicyVersion.objects.select_for_update().filter(published_at__isnull=False)
    base = published.order_by("-version").first()
    if PolicyVersion.objects.filter(published_at__isnull=True).exists():
        raise Conflict(_("A draft exists already: edit it."), code="draft_exists")
    number = (PolicyVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
    draft = PolicyVersion.objects.create(
        version=number,
        notes=f"Draft from {base.label}" if base is not None else "Draft",
        created_by=actor,
    )
    _mark_editor(draft, actor)
    if base is not None:
        through = RequirementRule.document_types.through
        for rule in base.rules.prefetch_related("document_types").order_by("pk"):
            type_ids = [t.pk for t in rule.document_types.all()]
            copy = RequirementRule.objects.create(
                policy=draft,
                code=rule.code,
                capability_kind=rule.capability_kind,
                entity_type=rule.entity_type,
                country=rule.country,
                category_id=rule.category_id,
                person_scope=rule.person_scope,
                label_en=rule.label_en,
                label_zh=rule.label_zh,
            )
            through.objects.bulk_create(
                [through(requirementrule_id=copy.pk, documenttype_id=t) for t in type_ids]
            )
    audit_record(
        action="policy.draft_created",
        actor=actor,
        obj=draft,
        after={
            "version": draft.version,
            "copied_from": base.label if base is not None else None,
            "rules": draft.rules.count(),
        },
        policy_version=draft.label,
    )
    return draft


def _clean_rule(data: RuleData) -> tuple[RuleData, list[DocumentType], Category | None]:
    errors: dict[str, list[str]] = {}
    code = (data.code or "").strip().lower()
    if not code:
        errors["code"] = [_("Required.")]
    elif not all(ch.isalnum() or ch in "-_" for ch in code) or not code.isascii():
        errors["code"] = [_("Use lowercase letters, digits, hyphens and underscores only.")]
    if data.capability_kind not in CapabilityKind.values:
        errors["capability_kind"] = [_("Choose a capability.")]
    if data.entity_type and data.entity_type not in EntityType.values:
        errors["entity_type"] = [_("Choose an entity type.")]
    country = (data.country or "").strip().upper()
    if country and country not in ISO_COUNTRIES:
        errors["country"] = [_("Use a two-letter ISO country code, e.g. CN.")]
    category = None
    if data.category_id is not None:
        category = Category.objects.filter(pk=data.category_id).first()
        if category is None:
            errors["category"] = [_("Choose a category.")]
    if data.person_scope not in PersonScope.values:
        errors["person_scope"] = [_("Choose who must provide the document.")]
    types = list(DocumentType.objects.filter(pk__in=data.document_type_ids, is_active=True))
    if not types or len(types) != len(set(data.document_type_ids)):
        errors["document_types"] = [_("Choose at least one document type.")]
    label_en = (data.label_en or "").strip()
    label_zh = (data.label_zh or "").strip()
    if not label_en:
        errors["label_en"] = [_("Required.")]
    if not label_zh:
        errors["label_zh"] = [_("Required.")]
    if errors:
        raise _invalid(errors)
    cleaned = RuleData(
        code=code,
        capability_kind=data.capability_kind,
        entity_type=data.entity_type or "",
        country=country,
        category_id=category.pk if category is not None else None,
        person_scope=data.person_scope or "",
        document_type_ids=sorted(t.pk for t in types),
        label_en=label_en,
        label_zh=label_zh,
    )
    return cleaned, types, category


def _refuse_duplicate(draft: PolicyVersion, data: RuleData, exclude: int | None) -> None:
    clash = RequirementRule.objects.filter(
        policy=draft,
        code=data.code,
        capability_kind=data.capability_kind,
        entity_type=data.entity_type,
        country=data.country,
    )
    if data.category_id is None:
        clash = clash.filter(category__isnull=True)
    else:
        clash = clash.filter(category_id=data.category_id)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise _invalid(
            {"code": [_("The draft has a rule with this code for the same filters already.")]}
        )


@transaction.atomic
def policy_rule_save(*, actor: Any, rule_id: int | None, data: RuleData) -> RequirementRule:
    """Adds a rule to the draft (`rule_id` None) or changes one of its rules. A published
    version's rules are never changed: an id outside the draft is not found."""
    _require_admin(actor)
    draft = _lock_draft(actor)
    cleaned, types, category = _clean_rule(data)
    _refuse_duplicate(draft, cleaned, rule_id)
    before = None
    if rule_id is None:
        rule = RequirementRule(policy=draft)
    else:
        found = RequirementRule.objects.select_for_update().filter(pk=rule_id, policy=draft).first()
        if found is None:
            raise NotFound(_("No such rule in the draft."))
        rule = found
        before = selectors.rule_snapshot(rule)
    rule.code = cleaned.code
    rule.capability_kind = cleaned.capability_kind
    rule.entity_type = cleaned.entity_type
    rule.country = cleaned.country
    rule.category = category
    rule.person_scope = cleaned.person_scope
    rule.label_en = cleaned.label_en
    rule.label_zh = cleaned.label_zh
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:  # a concurrent save of the same key
        raise _invalid(
            {"code": [_("The draft has a rule with this code for the same filters already.")]}
        ) from None
    rule.document_types.set(types)
    after = selectors.rule_snapshot(rule)
    if before == after:
        return rule  # nothing changed: no event, no editor
    _mark_editor(draft, actor)
    audit_record(
        action="policy.rule_added" if before is None else "policy.rule_changed",
        actor=actor,
        obj=rule,
        before=before,
        after=after,
        policy_version=draft.label,
    )
    return rule


@transaction.atomic
def policy_rule_delete(*, actor: Any, rule_id: int) -> None:
    """Removes a rule from the draft (the published version keeps it until the draft is
    published)."""
    _require_admin(actor)
    draft = _lock_draft(actor)
    rule = RequirementRule.objects.select_for_update().filter(pk=rule_id, policy=draft).first()
    if rule is None:
        raise NotFound(_("No such rule in the draft."))
    before = selectors.rule_snapshot(rule)
    rule_pk = rule.pk
    rule.delete()
    _mark_editor(draft, actor)
    audit_record(
        action="policy.rule_removed",
        actor=actor,
        object_type="kyc.requirementrule",
        object_id=str(rule_pk),
        before=before,
        policy_version=draft.label,
    )


@transaction.atomic
def policy_draft_discard(*, actor: Any) -> None:
    """Deletes the draft and its rules; the published version is untouched."""
    _require_admin(actor)
    draft = _lock_draft(actor)
    label, pk, count = draft.label, draft.pk, draft.rules.count()
    draft.rules.all().delete()
    draft.delete()
    audit_record(
        action="policy.draft_discarded",
        actor=actor,
        object_type="kyc.policyversion",
        object_id=str(pk),
        before={"rules": count},
        policy_version=label,
    )


def _granted_by_an_editor(actor: Any, editor_ids: set[int]) -> bool:
    """Whether one of the editors gave `actor` the compliance-admin role (invitation or role
    change), as the audit trail records it."""
    events = AuditEvent.objects.filter(
        action__in=["user.invited", "user.roles_changed"],
        object_type="accounts.user",
        object_id=str(actor.pk),
        actor_id__in=editor_ids,
    ).values_list("after", flat=True)
    return any(Role.COMPLIANCE_ADMIN in (after or {}).get("granted", []) for after in events)


@transaction.atomic
def policy_publish(*, actor: Any) -> PolicyVersion:
    """Publishes the draft: from now on new cases are submitted under it, and every
    requirements object not tied to a decided case is computed from it. Decided cases keep
    the version they were decided under.

    Four-eyes: refused (403 `four_eyes`) to anyone who created or changed the draft, and to
    an admin whose role one of its editors granted. Refused (400 `no_changes`) when the draft
    says exactly what the published version says. The rules cache of this process is emptied
    after commit (other processes key their cache by version and publication time)."""
    _require_admin(actor)
    draft = _lock_draft(actor)
    editor_ids = set(draft.editors.values_list("pk", flat=True))
    if draft.created_by_id is not None:
        editor_ids.add(draft.created_by_id)
    if actor.pk in editor_ids:
        raise NotAllowed(
            _(
                "You created or changed this draft: another compliance admin must publish it "
                "(four-eyes)."
            ),
            code="four_eyes",
        )
    if _granted_by_an_editor(actor, editor_ids):
        raise NotAllowed(
            _(
                "An editor of this draft gave you the compliance admin role: another compliance "
                "admin must publish it (four-eyes)."
            ),
            code="four_eyes",
        )
    published = active_policy()
    diff = selectors.policy_diff(published=published, draft=draft)
    if not diff.changes:
        raise InvalidInput(
            _("The draft says exactly what the published version says: nothing to publish."),
            code="no_changes",
        )
    draft.published_at = timezone.now()
    draft.published_by = actor
    draft.notes = (draft.notes + "\n" if draft.notes else "") + f"Published by {actor}"
    draft.save(update_fields=["published_at", "published_by", "notes"])
    audit_record(
        action="policy.published",
        actor=actor,
        obj=draft,
        before={"version": published.label if published is not None else None},
        after={
            "version": draft.label,
            "editors": sorted(
                User.objects.filter(pk__in=editor_ids).values_list("username", flat=True)
            ),
            "added": [c.key_text for c in diff.changes if c.kind == "added"],
            "changed": [c.key_text for c in diff.changes if c.kind == "changed"],
            "removed": [c.key_text for c in diff.changes if c.kind == "removed"],
        },
        policy_version=draft.label,
    )
    transaction.on_commit(policy_rules_forget)
    return draft


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
        raise _invalid(errors)
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
    _require_admin(actor)
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
        raise _invalid(fields)
    try:
        with transaction.atomic():
            reason = ReasonCode.objects.create(
                code=code, kind=kind, severity=severity, text_en=text_en, text_zh=text_zh
            )
    except IntegrityError:
        raise _invalid({"code": [_("A reason code with this code exists already.")]}) from None
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
    _require_admin(actor)
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
    _require_admin(actor)
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
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    for name, value in (("medium", medium), ("high", high), ("prohibited", prohibited)):
        if value is None or not 1 <= value <= MAX_POINTS:
            errors[name] = [_("Enter a whole number from 1 to 1000.")]
    if not errors and not medium < high:
        errors["high"] = [_("High must be more than medium.")]
    if not errors and not high < prohibited:
        errors["prohibited"] = [_("Prohibited must be more than high.")]
    if errors:
        raise _invalid(errors)
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
    _require_admin(actor)
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
        raise _invalid(errors)
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
    _require_admin(actor)
    codes = set(Category.objects.values_list("code", flat=True))
    errors: dict[str, list[str]] = {}
    for code, value in points.items():
        if code not in codes:
            errors[code] = [_("Unknown category.")]
        elif value is None or not 0 <= value <= MAX_POINTS:
            errors[code] = [_("Enter a whole number from 0 to 1000.")]
    if errors:
        raise _invalid(errors)
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
    _require_admin(actor)
    rule = QcSamplingRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such sampling rule."))
    errors: dict[str, list[str]] = {}
    if rate is None or not Decimal(0) <= rate <= Decimal(1):
        errors["rate"] = [_("Enter a percentage from 0 to 100.")]
    if minimum is None or not 0 <= minimum <= 100:
        errors["min_per_reviewer_per_week"] = [_("Enter a whole number from 0 to 100.")]
    if errors:
        raise _invalid(errors)
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


# --------------------------------------------------------------------------- users and roles


def _clean_roles(roles: list[str]) -> list[str]:
    chosen = sorted(set(roles or []))
    if not chosen:
        raise _invalid({"roles": [_("Choose at least one role.")]})
    if any(r not in STAFF_ROLES for r in chosen):
        raise _invalid({"roles": [_("Choose staff roles only.")]})
    return chosen


def _set_groups(user: User, roles: list[str]) -> None:
    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    user.groups.set(groups)
    user.__dict__.pop("_role_cache", None)


def _user_roles(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "roles": _user_roles(user),
        "is_active": user.is_active,
    }


def _lock_staff_user(user_id: int) -> User:
    found = User.objects.select_for_update().filter(pk=user_id).first()
    if found is None or not selectors.staff_user_queryset().filter(pk=found.pk).exists():
        raise NotFound(_("No such staff member."))
    return found


def _refuse_last_admin(target: User, *, stays_admin: bool) -> None:
    """Nobody leaves the platform without an active compliance admin: demoting or
    deactivating the last one (in practice: yourself) is refused with `last_admin`. The
    active admins are locked, so two admins demoting each other at once cannot both pass."""
    if stays_admin:
        return
    admins = list(
        User.objects.select_for_update(of=("self",))
        .filter(groups__name=Role.COMPLIANCE_ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if target.pk in admins and not [pk for pk in admins if pk != target.pk]:
        raise Conflict(
            _(
                "You are the last active compliance admin: give another staff member the role "
                "first."
            ),
            code="last_admin",
        )


@transaction.atomic
def user_invite(
    *,
    actor: Any,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    roles: list[str],
    language: str,
    base_url: str,
) -> User:
    """Creates a staff account with `roles` and no usable password, and e-mails the person a
    link to set one (after commit). At the first sign-in they set up their authenticator."""
    _require_admin(actor)
    from django.conf import settings

    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    email = (email or "").strip().lower()
    if not username:
        errors["username"] = [_("Required.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    if not email:
        errors["email"] = [_("Required.")]
    elif User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("An account with this e-mail address exists already.")]
    if language not in dict(settings.LANGUAGES):
        errors["preferred_language"] = [_("Choose a language.")]
    try:
        chosen = _clean_roles(roles)
    except InvalidInput as exc:
        errors.update(exc.fields)
        chosen = []
    if errors:
        raise _invalid(errors)
    try:
        with transaction.atomic():
            user = User(
                username=username,
                email=email,
                first_name=(first_name or "").strip()[:150],
                last_name=(last_name or "").strip()[:150],
                preferred_language=language,
            )
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        raise _invalid({"username": [_("This username is taken.")]}) from None
    _set_groups(user, chosen)
    audit_record(
        action="user.invited",
        actor=actor,
        obj=user,
        after={**_user_snapshot(user), "granted": chosen},
    )
    from .tasks import send_invitation_task

    send_invitation_task.delay_on_commit(user.pk, base_url)
    return user


def invitation_send(*, user_id: int, base_url: str) -> int:
    """Sends the set-password e-mail to an invited staff member in their language; returns
    the number of messages sent (0 when the account is gone or inactive)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = base_url.rstrip("/") + reverse("set-password", args=[uid, token])
    with translation.override(user.preferred_language or "en"):
        subject = _("Your Merchant KYC staff account")
        body = _(
            "Hello %(name)s,\n\nA compliance admin created a Merchant KYC staff account for "
            "you (username: %(username)s).\n\nSet your password here:\n%(link)s\n\nThen sign "
            "in and set up an authenticator app: staff sign in with a 6-digit code as a second "
            "step. The link works once and expires in a few days."
        ) % {"name": user.get_full_name() or user.username, "username": user.username, "link": link}
    from django.conf import settings

    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


@transaction.atomic
def user_roles_set(*, actor: Any, user_id: int, roles: list[str]) -> User:
    """Replaces a staff member's roles (at least one staff role). Removing the last active
    compliance admin's role is refused."""
    _require_admin(actor)
    chosen = _clean_roles(roles)
    user = _lock_staff_user(user_id)
    before = _user_roles(user)
    if before == chosen:
        return user
    if user.is_active:
        _refuse_last_admin(user, stays_admin=Role.COMPLIANCE_ADMIN in chosen)
    _set_groups(user, chosen)
    audit_record(
        action="user.roles_changed",
        actor=actor,
        obj=user,
        before={"roles": before},
        after={
            "roles": chosen,
            "granted": sorted(set(chosen) - set(before)),
            "removed": sorted(set(before) - set(chosen)),
        },
    )
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user_id: int, is_active: bool) -> User:
    """Deactivates a staff account (it can no longer sign in; its sessions and API tokens
    stop working at their next request) or activates it again. Deactivating the last active
    compliance admin is refused. The account, its roles and its history stay."""
    _require_admin(actor)
    user = _lock_staff_user(user_id)
    if user.is_active == is_active:
        return user
    if not is_active:
        _refuse_last_admin(user, stays_admin=False)
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit_record(
        action="user.activated" if is_active else "user.deactivated",
        actor=actor,
        obj=user,
        before={"is_active": not is_active},
        after={"username": user.username, "is_active": is_active},
    )
    return user


@transaction.atomic
def user_second_factor_reset(*, actor: Any, user_id: int) -> int:
    """Deletes every TOTP device of a staff member: their sessions verified by it are no
    longer verified, and their next sign-in sets up a new authenticator. Returns how many
    devices were deleted (0 writes nothing)."""
    _require_admin(actor)
    user = _lock_staff_user(user_id)
    devices = TOTPDevice.objects.filter(user=user)
    names = sorted(devices.values_list("name", flat=True))
    if not names:
        return 0
    devices.delete()
    audit_record(
        action="user.second_factor_reset",
        actor=actor,
        obj=user,
        before={"devices": names},
        after={"username": user.username, "devices": []},
    )
    return len(names)
