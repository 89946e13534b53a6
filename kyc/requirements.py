"""The requirements object per capability, computed from the active policy's rules and the
documents on file (the shape mature payment platforms use for connected accounts).

    currently_due         needed now: nothing can be submitted while this is non-empty
    eventually_due        on file and valid, but expiring within the warning window
    past_due              needed by a live capability and not provided in time
    pending_verification  on file, waiting for checks or a reviewer
    errors                what is wrong with what is on file: {requirement, code, reason}
    current_deadline      when currently_due must be provided (RFI deadline or an expiry)
    disabled_reason       why the capability is not active, machine-readable
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.models import (
    Capability,
    CapabilityKind,
    CapabilityStatus,
    EntityType,
    Merchant,
    Person,
)

from .models import (
    CheckOutcome,
    DocumentStatus,
    PersonScope,
    PolicyVersion,
    QualificationDocument,
    RequirementRule,
)

ERROR_CODES = {
    "document_rejected": "The document was rejected by a reviewer.",
    "document_expired": "The document has expired.",
    "legal_representative_missing": "No legal representative is declared.",
    "ownership_over_100": "Declared ownership adds up to more than 100%.",
}


def active_policy() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(published_at__isnull=False).order_by("-version").first()


# A published policy's rules never change (a change is a new version), so each process loads
# them once per policy: three queries less on every requirements object, which the case page,
# the API's case detail and every transition's answer compute. Saving or deleting a policy or
# a rule (the admin, tests) empties the cache of that process (signals below, wired in
# KycConfig.ready); the key holds the publication time, so a re-created id is a new key.
_RULES: dict[tuple[int, datetime | None], list[RequirementRule]] = {}


def policy_rules(policy: PolicyVersion) -> list[RequirementRule]:
    key = (policy.pk, policy.published_at)
    rules = _RULES.get(key)
    if rules is None:
        rules = list(policy.rules.select_related("category").prefetch_related("document_types"))
        if policy.published_at is not None:
            _RULES[key] = rules
    return rules


def policy_rules_forget(**_: Any) -> None:
    _RULES.clear()


@dataclass
class _Item:
    code: str
    label: str
    document_types: list[str]
    person_id: int | None = None

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "label": self.label,
            "document_types": self.document_types,
        }
        if self.person_id is not None:
            data["person_id"] = self.person_id
        data.update(extra)
        return data


class RequirementsContext:
    """Everything the computation needs, loaded once per merchant (constant query count)."""

    def __init__(
        self,
        merchant: Merchant,
        policy: PolicyVersion | None = None,
        documents: Iterable[QualificationDocument] | None = None,
    ) -> None:
        """`documents`: the merchant's documents with their check results, when the caller
        has loaded them already (superseded ones are left out here)."""
        self.merchant = merchant
        self.policy = policy if policy is not None else active_policy()
        self.today = timezone.localdate()
        self.rules: list[RequirementRule] = []
        if self.policy is not None:
            self.rules = policy_rules(self.policy)
        self.people: list[Person] = list(merchant.people.all())
        if documents is None:
            documents = (
                merchant.documents.exclude(status=DocumentStatus.SUPERSEDED)
                .select_related("document_type")
                .prefetch_related("check_results")
            )
        self.documents: list[QualificationDocument] = sorted(
            (d for d in documents if d.status != DocumentStatus.SUPERSEDED),
            key=lambda d: (d.created_at, d.pk),
            reverse=True,
        )
        self.rejection_reasons: dict[int, str] = {}
        self.rfi_deadline: datetime | None = None

    def rules_for(self, capability: Capability) -> list[RequirementRule]:
        m = self.merchant
        out = []
        for rule in self.rules:
            if rule.capability_kind != capability.kind:
                continue
            if rule.entity_type and rule.entity_type != m.entity_type:
                continue
            if rule.country and rule.country != m.country:
                continue
            if rule.category_id and rule.category_id != capability.category_id:
                continue
            out.append(rule)
        return out


def _people_for(scope: str, people: Iterable[Person]) -> list[Person]:
    threshold = Decimal(settings.KYC_OWNERSHIP_DECLARATION_THRESHOLD)
    if scope == PersonScope.LEGAL_REPRESENTATIVE:
        return [p for p in people if p.is_legal_representative]
    if scope == PersonScope.BENEFICIAL_OWNER:
        return [
            p
            for p in people
            if p.is_beneficial_owner or p.ownership_percent >= threshold or p.control_type
        ]
    return []


def _matching_documents(
    ctx: RequirementsContext, rule: RequirementRule, capability: Capability, person: Person | None
) -> list[QualificationDocument]:
    type_ids = {dt.pk for dt in rule.document_types.all()}
    docs = []
    for doc in ctx.documents:
        if doc.document_type_id not in type_ids:
            continue
        if person is not None and doc.person_id != person.pk:
            continue
        if capability.kind == CapabilityKind.BRAND and doc.brand_id != capability.brand_id:
            continue
        if (
            capability.kind == CapabilityKind.CATEGORY
            and doc.category_id
            and doc.category_id != capability.category_id
        ):
            continue
        docs.append(doc)
    return docs


_STATUS_RANK: dict[str, int] = {
    DocumentStatus.ACCEPTED: 0,
    DocumentStatus.PENDING_REVIEW: 1,
    DocumentStatus.UPLOADED: 1,
    DocumentStatus.REJECTED: 2,
}


def _best(docs: list[QualificationDocument], today: date) -> QualificationDocument | None:
    """The document that best satisfies the item: valid and accepted over pending over the
    rest; among equals the newest (documents arrive newest first)."""
    if not docs:
        return None

    def rank(doc: QualificationDocument) -> tuple[int, int]:
        expired = 1 if (doc.expiry_date and doc.expiry_date < today) else 0
        return (expired, _STATUS_RANK.get(doc.status, 3))

    return min(docs, key=rank)


def capability_requirements(capability: Capability, ctx: RequirementsContext) -> dict[str, Any]:
    currently_due: list[dict[str, Any]] = []
    eventually_due: list[dict[str, Any]] = []
    past_due: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    deadlines: list[date] = []
    is_live = capability.status == CapabilityStatus.ACTIVE
    warn_until = ctx.today + timedelta(days=settings.KYC_EXPIRY_WARNING_DAYS)

    def due(item: _Item, **extra: Any) -> None:
        (past_due if is_live else currently_due).append(item.as_dict(**extra))

    def error(item: _Item, code: str, reason: str, **extra: Any) -> None:
        errors.append({"requirement": item.code, "code": code, "reason": reason, **extra})

    if capability.kind == CapabilityKind.SELL:
        _entity_level_errors(ctx, currently_due, errors)

    for rule in ctx.rules_for(capability):
        types = [dt.code for dt in rule.document_types.all()]
        base = (
            rule.code
            if capability.kind == CapabilityKind.SELL
            else f"{capability.code}.{rule.code}"
        )
        targets: list[Person | None]
        if rule.person_scope:
            targets = list(_people_for(rule.person_scope, ctx.people))
        else:
            targets = [None]
        for person in targets:
            label = rule.label if person is None else f"{rule.label}: {person.full_name}"
            item = _Item(
                code=base if person is None else f"{base}.person_{person.pk}",
                label=label,
                document_types=types,
                person_id=person.pk if person else None,
            )
            doc = _best(_matching_documents(ctx, rule, capability, person), ctx.today)
            if doc is None:
                due(item)
                continue
            if doc.expiry_date and doc.expiry_date < ctx.today:
                due(item, document_id=doc.pk)
                error(
                    item,
                    "document_expired",
                    _("The document expired on %(date)s; upload a current one.")
                    % {"date": doc.expiry_date.isoformat()},
                    document_id=doc.pk,
                )
                continue
            if doc.status == DocumentStatus.REJECTED:
                due(item, document_id=doc.pk)
                reason = ctx.rejection_reasons.get(doc.pk) or _(
                    "A reviewer rejected this document; upload a corrected one."
                )
                error(item, "document_rejected", reason, document_id=doc.pk)
                continue
            failed = [
                r
                for r in doc.check_results.all()
                if r.outcome == CheckOutcome.FAILED and not r.is_internal
            ]
            if failed and doc.status != DocumentStatus.ACCEPTED:
                due(item, document_id=doc.pk)
                for result in failed:
                    error(item, result.code, result.message, document_id=doc.pk)
                continue
            if doc.status in (DocumentStatus.UPLOADED, DocumentStatus.PENDING_REVIEW):
                pending.append(item.as_dict(document_id=doc.pk))
            if doc.expiry_date and doc.expiry_date <= warn_until:
                eventually_due.append(
                    item.as_dict(document_id=doc.pk, expires_on=doc.expiry_date.isoformat())
                )
                deadlines.append(doc.expiry_date)

    current_deadline: str | None = None
    if ctx.rfi_deadline and (currently_due or past_due):
        current_deadline = ctx.rfi_deadline.isoformat()
    elif deadlines:
        current_deadline = min(deadlines).isoformat()

    return {
        "capability": capability.code,
        "capability_id": capability.pk,
        "label": capability.label,
        "status": capability.status,
        "currently_due": currently_due,
        "eventually_due": eventually_due,
        "past_due": past_due,
        "pending_verification": pending,
        "errors": errors,
        "current_deadline": current_deadline,
        "disabled_reason": _disabled_reason(capability, currently_due, past_due, pending),
    }


def _entity_level_errors(
    ctx: RequirementsContext, currently_due: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> None:
    needs_representative = ctx.merchant.entity_type != EntityType.INDIVIDUAL
    if needs_representative and not any(p.is_legal_representative for p in ctx.people):
        item = _Item("legal_representative", _("Declare the legal representative"), [])
        currently_due.append(item.as_dict())
        errors.append(
            {
                "requirement": item.code,
                "code": "legal_representative_missing",
                "reason": _("Add the legal representative under People."),
            }
        )
    total = sum((p.ownership_percent for p in ctx.people), Decimal("0"))
    if total > 100:
        item = _Item("ownership", _("Correct the declared ownership"), [])
        currently_due.append(item.as_dict())
        errors.append(
            {
                "requirement": item.code,
                "code": "ownership_over_100",
                "reason": _("Declared ownership adds up to %(total)s%%, more than 100%%.")
                % {"total": total},
            }
        )


def _disabled_reason(
    capability: Capability,
    currently_due: list[Any],
    past_due: list[Any],
    pending: list[Any],
) -> str | None:
    if capability.status == CapabilityStatus.ACTIVE and not past_due:
        return None
    if capability.disabled_reason:
        return capability.disabled_reason
    if past_due:
        return "requirements.past_due"
    if capability.status == CapabilityStatus.UNREQUESTED:
        return "requirements.not_requested"
    if currently_due:
        return "requirements.currently_due"
    if pending:
        return "requirements.pending_verification"
    return "under_review"


def merchant_requirements(
    merchant: Merchant,
    *,
    capabilities: Iterable[Capability] | None = None,
    policy: PolicyVersion | None = None,
    rejection_reasons: dict[int, str] | None = None,
    rfi_deadline: datetime | None = None,
    documents: Iterable[QualificationDocument] | None = None,
    context: RequirementsContext | None = None,
) -> list[dict[str, Any]]:
    """The requirements object of every (or the given) capability of one merchant. A caller
    computing several groups of capabilities (different deadlines) passes one `context`."""
    ctx = context if context is not None else RequirementsContext(merchant, policy, documents)
    ctx.rejection_reasons = rejection_reasons or {}
    ctx.rfi_deadline = rfi_deadline
    if capabilities is None:
        capabilities = merchant.capabilities.select_related("category", "brand").order_by(
            "kind", "id"
        )
    return [capability_requirements(cap, ctx) for cap in capabilities]
