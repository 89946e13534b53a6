"""Read use-cases of the compliance admin pages: the policy versions and their diff, the
staff accounts, the recent changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from accounts.roles import STAFF_ROLES
from audit.models import AuditEvent
from kyc.models import PersonScope, PolicyVersion, RequirementRule
from kyc.requirements import active_policy
from merchants.models import CapabilityKind, EntityType

# The fields of a rule that say which capabilities it applies to: two rules with the same
# key are "the same rule" in a diff, whatever else changed.
KEY_FIELDS = ("code", "capability_kind", "entity_type", "country", "category")
VALUE_FIELDS = ("person_scope", "document_types", "label_en", "label_zh")


def rule_snapshot(rule: RequirementRule) -> dict[str, Any]:
    """What a rule says, in stable values (codes, sorted lists): what the audit trail keeps
    and what a diff compares."""
    return {
        "code": rule.code,
        "capability_kind": rule.capability_kind,
        "entity_type": rule.entity_type,
        "country": rule.country,
        "category": rule.category.code if rule.category is not None else "",
        "person_scope": rule.person_scope,
        "document_types": sorted(t.code for t in rule.document_types.all()),
        "label_en": rule.label_en,
        "label_zh": rule.label_zh,
    }


def _key(snapshot: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(snapshot[f]) for f in KEY_FIELDS)


@dataclass
class RuleChange:
    kind: str  # added | removed | changed
    before: RequirementRule | None
    after: RequirementRule | None
    fields: list[str] = field(default_factory=list)

    @property
    def rule(self) -> RequirementRule:
        found = self.after or self.before
        assert found is not None
        return found

    @property
    def key_text(self) -> str:
        """The rule's identity in one line, for the audit event."""
        snap = rule_snapshot(self.rule)
        return "/".join(str(snap[f]) or "*" for f in KEY_FIELDS)


@dataclass
class PolicyDiff:
    changes: list[RuleChange]
    unchanged: int

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def changed(self) -> int:
        return self.count("changed")

    @property
    def removed(self) -> int:
        return self.count("removed")


def policy_rules(policy: PolicyVersion | None) -> list[RequirementRule]:
    if policy is None:
        return []
    return list(
        policy.rules.select_related("category").prefetch_related(Prefetch("document_types"))
    )


def policy_diff(*, published: PolicyVersion | None, draft: PolicyVersion) -> PolicyDiff:
    """The draft against the published version, rule by rule (matched by their key): added,
    removed, and changed with the names of the fields that differ."""
    old = {_key(rule_snapshot(r)): r for r in policy_rules(published)}
    new = {_key(rule_snapshot(r)): r for r in policy_rules(draft)}
    changes: list[RuleChange] = []
    unchanged = 0
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before is None:
            changes.append(RuleChange("added", None, after))
        elif after is None:
            changes.append(RuleChange("removed", before, None))
        else:
            a, b = rule_snapshot(before), rule_snapshot(after)
            fields = [f for f in VALUE_FIELDS if a[f] != b[f]]
            if fields:
                changes.append(RuleChange("changed", before, after, fields))
            else:
                unchanged += 1
    return PolicyDiff(changes=changes, unchanged=unchanged)


def policy_draft() -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(published_at__isnull=True)
        .select_related("created_by")
        .prefetch_related("editors")
        .first()
    )


def policy_published() -> PolicyVersion | None:
    return active_policy()


def policy_history(limit: int = 10) -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(published_at__isnull=False).select_related(
        "published_by", "created_by"
    )[:limit]


def draft_rule_get(*, rule_id: int) -> RequirementRule | None:
    return (
        RequirementRule.objects.filter(pk=rule_id, policy__published_at__isnull=True)
        .select_related("category")
        .prefetch_related("document_types")
        .first()
    )


def rule_filters_text(rule: RequirementRule) -> dict[str, str]:
    """The rule's filters as the page shows them."""
    return {
        "capability": str(CapabilityKind(rule.capability_kind).label)
        if rule.capability_kind in CapabilityKind.values
        else rule.capability_kind,
        "entity_type": str(EntityType(rule.entity_type).label) if rule.entity_type else "",
        "person_scope": str(PersonScope(rule.person_scope).label),
    }


def staff_user_queryset() -> QuerySet[User]:
    """Accounts holding a staff role (sellers' accounts are managed through their
    merchants, superusers without a role in the Django admin)."""
    return User.objects.filter(groups__name__in=STAFF_ROLES).distinct()


def staff_user_list(*, query: str = "") -> QuerySet[User]:
    qs = staff_user_queryset().prefetch_related("groups").order_by("-is_active", "username")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(username__icontains=query)
            | Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    return qs


def staff_user_get(*, user_id: int) -> User | None:
    return staff_user_queryset().prefetch_related("groups").filter(pk=user_id).first()


ADMIN_ACTIONS = (
    "policy.",
    "reason_code.",
    "risk_settings.",
    "qc_sampling_rule.",
    "user.",
)


def recent_changes(
    *, prefix: str | tuple[str, ...] = ADMIN_ACTIONS, object_type: str = "", object_id: str = ""
) -> Any:
    """The latest admin events of one area (newest first) for the page's history box."""
    prefixes = (prefix,) if isinstance(prefix, str) else prefix
    match = Q()
    for p in prefixes:
        match |= Q(action__startswith=p)
    qs = AuditEvent.objects.filter(match)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.order_by("-seq")[:20]
