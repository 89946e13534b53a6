"""Requirement rules: a draft policy version, edited, compared, and published by a second
compliance admin (four-eyes, see compliance/services/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kyc.models import DocumentType, PersonScope, PolicyVersion, RequirementRule
from kyc.requirements import active_policy, policy_rules_forget
from merchants.models import CapabilityKind, Category, EntityType
from merchants.services import ISO_COUNTRIES

from .. import selectors
from .common import invalid, require_admin

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
    require_admin(actor)
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
        raise invalid(errors)
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
        raise invalid(
            {"code": [_("The draft has a rule with this code for the same filters already.")]}
        )


@transaction.atomic
def policy_rule_save(*, actor: Any, rule_id: int | None, data: RuleData) -> RequirementRule:
    """Adds a rule to the draft (`rule_id` None) or changes one of its rules. A published
    version's rules are never changed: an id outside the draft is not found."""
    require_admin(actor)
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
        raise invalid(
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
    require_admin(actor)
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
    require_admin(actor)
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
    require_admin(actor)
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
