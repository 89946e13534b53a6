"""Bilingual labels for the identifiers a case carries: audit event names, the states and
roles an event records, reason codes, requirement codes named by an RFI, risk tiers and
languages. The kyc identifiers (checks, evidence, risk factors, screening) are in kyc.labels.

The case page, its template filters (cases/templatetags/labels.py) and the PDF report
(cases/reports/context.py) all label through here, so nothing is labelled twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from kyc.labels import Label, risk_factor_label, screening_explanation, screening_run_text
from kyc.models import (
    Disposition,
    DocumentStatus,
    QualificationDocument,
    RequirementRule,
    SanctionsList,
)
from merchants.models import CapabilityStatus, Merchant, Person, RiskTier

from .models import CaseState, QcDisputeStatus, ReasonCode

EVENT_LABELS: dict[str, Promise | Label] = {
    "case.opened": gettext_lazy("Case opened"),
    "case.submitted": gettext_lazy("Submitted by the seller"),
    "case.claimed": gettext_lazy("Claimed"),
    "case.released": gettext_lazy("Released to the queue"),
    "case.info_requested": gettext_lazy("Information requested from the seller"),
    "case.resubmitted": gettext_lazy("The seller answered"),
    "case.escalated": gettext_lazy("Escalated to EDD"),
    "case.maker_approved": gettext_lazy("First approval, waiting for the second"),
    "case.approved": gettext_lazy("Approved"),
    "case.rejected": gettext_lazy("Rejected"),
    "case.withdrawn": gettext_lazy("Withdrawn by the seller"),
    "case.expired": gettext_lazy("Expired without an answer"),
    "case.reopened": gettext_lazy("Reopened"),
    "document.viewed": gettext_lazy("Document viewed"),
    "document.downloaded": gettext_lazy("Document downloaded"),
    "document.accepted": gettext_lazy("Document accepted"),
    "document.rejected": gettext_lazy("Document rejected"),
    "comment.added.internal": gettext_lazy("Internal note added"),
    "comment.added.seller": gettext_lazy("Seller-visible comment added"),
    "case.routed_to_edd": gettext_lazy("Routed to EDD by the risk score"),
    "case.risk_scored": gettext_lazy("Risk scored"),
    "case.risk_overridden": gettext_lazy("Risk tier overridden"),
    "case.opened_by_screening": gettext_lazy("Opened by sanctions re-screening"),
    "screening.hits_recorded": gettext_lazy("Sanctions screening hits found"),
    "screening.ownership_rule_matched": gettext_lazy("Owned 50 percent or more by listed parties"),
    "screening.disposed": gettext_lazy("Screening hit disposed"),
    "screening.disposition_proposed": gettext_lazy(
        "Clearing a strong screening hit proposed (waits for a second person)"
    ),
    "screening.disposition_agreed": gettext_lazy(
        "Clearing a strong screening hit agreed by a second person"
    ),
    "risk.assessed": gettext_lazy("Risk assessed"),
    "capability.decided": gettext_lazy("Capability decided"),
    "report.built": gettext_lazy("Review report built"),
    "report.failed": gettext_lazy("Review report failed"),
    "report.downloaded": gettext_lazy("Review report downloaded"),
    "report.rebuild_requested": gettext_lazy("Review report rebuild requested"),
    "qc.completed": gettext_lazy("QC review completed"),
    "qc.dispute_raised": gettext_lazy("QC finding disputed"),
    "qc.dispute_decided": gettext_lazy("QC dispute decided"),
    "audit.exported": gettext_lazy("Audit trail exported"),
    # Events the page used to show by their raw name.
    "case.assigned": Label("Assigned automatically", "已自动分配"),
    "case.reassigned": Label("Reassigned", "已重新分配"),
    "case.routed": Label("Moved to its stage's queue", "已转入相应阶段的队列"),
    "case.sla_escalated": Label("SLA passed: escalated", "已超过 SLA：已升级"),
    "case.sla_breach_notified": Label("SLA breach notified", "已发送 SLA 超时通知"),
    "case.details_changed": Label("Merchant details changed", "商户资料已变更"),
    "case.changes_acknowledged": Label("Changes acknowledged by the holder", "处理人已确认变更"),
    "case.returned_to_maker": Label(
        "Back to the maker: the data changed", "资料已变更：退回第一审批人"
    ),
    "case.edd": Label("Moved to EDD", "已转入强化尽职调查 (EDD)"),
    "case.in_review": Label("Moved to review", "已转入审核"),
    "case.pending_second_approval": Label("Waiting for the second approval", "等待第二次审批"),
    "case.draft": Label("Back to draft", "已退回草稿"),
    "document.uploaded": Label("Document uploaded", "文件已上传"),
    "brand_chain.updated": Label("Brand authorization chain updated", "品牌授权链已更新"),
    "document.checked": Label("Document checks run", "文件检查已完成"),
    "document.expiring": Label("Document expiring", "文件即将过期"),
    "screening.completed": Label("Sanctions screening run", "已完成制裁名单筛查"),
    "edd.item_updated": Label("EDD item updated", "强化尽职调查事项已更新"),
    "edd.evidence_added": Label("EDD evidence added", "已添加强化尽职调查证据"),
    "capability.requested": Label("Capability requested", "已申请经营权限"),
    "capability.unrequested": Label("Capability request withdrawn", "已撤回经营权限申请"),
    "capability.active": Label("Capability activated", "经营权限已开通"),
    "capability.inactive": Label("Capability deactivated", "经营权限已停用"),
    "capability.pending": Label("Capability pending review", "经营权限待审核"),
    "merchant.created": Label("Merchant created", "商户已创建"),
    "merchant.updated": Label("Merchant details edited", "商户资料已编辑"),
    "person.added": Label("Person added", "已添加相关人员"),
    "person.updated": Label("Person edited", "相关人员资料已编辑"),
    "person.removed": Label("Person removed", "已移除相关人员"),
    "monitoring.documents_expired": Label("Documents expired", "文件已过期"),
    "monitoring.documents_expiring": Label("Documents expiring", "文件即将过期"),
    "monitoring.periodic_review_opened": Label("Periodic review opened", "已开启定期复审"),
    "qc.drawn": Label("Drawn for QC", "已抽入质检"),
    "audit.export": Label("Audit trail exported", "审计记录已导出"),
}
# An event this list does not know yet is named in general terms, never by its code.
OTHER_EVENT = Label("Recorded event", "已记录的事件")

SYSTEM_ROLE = Label("system", "系统")
LANGUAGE_LABELS = {
    "en": Label("English", "英语"),
    "zh-hans": Label("Simplified Chinese", "简体中文"),
}

# Every choices class whose values an event's before/after "state" or "status" may hold.
_STATE_CHOICES: tuple[Any, ...] = (
    CaseState,
    CapabilityStatus,
    DocumentStatus,
    Disposition,
    QcDisputeStatus,
    RiskTier,
)


def event_label(action: str) -> Promise | Label:
    return EVENT_LABELS.get(action, OTHER_EVENT)


def state_label(value: str) -> Any:
    for choices in _STATE_CHOICES:
        if value in choices.values:
            return choices(value).label
    return value


def role_label(value: str) -> Any:
    if value in Role.values:
        return Role(value).label
    if value == "system":
        return SYSTEM_ROLE
    return value


def tier_label(value: str) -> Any:
    return RiskTier(value).label if value in RiskTier.values else value


def language_label(value: str) -> Any:
    return LANGUAGE_LABELS.get(value, value)


def reason_texts(codes: Iterable[str]) -> dict[str, str]:
    """Reason codes to their text in the page's language, in one query."""
    wanted = set(codes)
    if not wanted:
        return {}
    return {rc.code: rc.text for rc in ReasonCode.objects.filter(code__in=wanted)}


# --------------------------------------------------------------------------- changed data

# A recorded change's field (cases.details, CaseDataChange.field) that is not a model field.
CHANGE_FIELD_LABELS: dict[str, Promise | Label] = {
    "person.added": gettext_lazy("Person added"),
    "person.removed": gettext_lazy("Person removed"),
    "capability.requested": gettext_lazy("Capability requested"),
    "document.uploaded": gettext_lazy("Document uploaded"),
    "document.replaced": gettext_lazy("Document replaced"),
    "document.removed": gettext_lazy("Document removed"),
    "document.sha256": gettext_lazy("Document file (SHA-256)"),
    "document.document_type": gettext_lazy("Document type"),
    "document.person": gettext_lazy("Document holder"),
}
OTHER_CHANGE_FIELD = Label("Other data", "其他资料")


def _change_field(field: str, *, person: bool | None) -> models.Field[Any, Any] | None:
    """The model field a recorded change names: a document's, a person's or the merchant's
    (person=None: the event does not say, the merchant's is tried first)."""
    if field.startswith("document."):
        found: tuple[type[models.Model], ...] = (QualificationDocument,)
        field = field.split(".", 1)[1]
    elif person is None:
        found = (Merchant, Person)
    else:
        found = (Person,) if person else (Merchant,)
    for model in found:
        try:
            named = model._meta.get_field(field)
        except FieldDoesNotExist:
            continue
        if isinstance(named, models.Field):
            return named
    return None


def change_field_label(field: str, *, person: bool | None = None) -> str:
    """A changed field's label in the page's language ("legal_name" → "Legal name")."""
    if field in CHANGE_FIELD_LABELS:
        return str(CHANGE_FIELD_LABELS[field])
    named = _change_field(field, person=person)
    if named is None:
        return str(OTHER_CHANGE_FIELD)
    label = str(named.verbose_name)
    return label[:1].upper() + label[1:]


def change_value_label(field: str, value: Any, *, person: bool | None = None) -> Any:
    """A changed field's coded value by its choice's label ("partnership" → "Partnership");
    any other value as it is."""
    if not isinstance(value, str) or not value:
        return value
    named = _change_field(field, person=person)
    choices = dict(named.flatchoices) if named is not None and named.choices else {}
    return choices.get(value, value)


def _changes_text(changes: Any) -> str:
    """The fields a change event names, by their labels (a person's change with the name)."""
    said = []
    for change in changes if isinstance(changes, list) else []:
        if not isinstance(change, dict):
            continue
        person = change.get("person") or ""
        label = change_field_label(
            str(change.get("field", "")), person=bool(person) if "person" in change else None
        )
        said.append(f"{label} · {person}" if person else label)
    return "; ".join(said)


# Sentences the case services write as an event's text, said in the page's language.
FIXED_TEXTS = {
    "The data changed while the approval waited for its second approval.": Label(
        "The data changed while the approval waited for its second approval.",
        "等待第二次审批期间资料发生变更。",
    ),
    "Opened by a change of details on an active merchant.": Label(
        "Opened by a change of details on an active merchant.",
        "已生效商户的资料变更开启了本案件。",
    ),
}


def _list_sources(events: list[Any]) -> dict[int, str]:
    """The source of each sanctions list a screening run names, in one query."""
    wanted: set[int] = set()
    for event in events:
        listed = (event.after or {}).get("sanctions_list")
        if event.action == "screening.completed" and isinstance(listed, int):
            wanted.add(listed)
    if not wanted:
        return {}
    return dict(SanctionsList.objects.filter(pk__in=wanted).values_list("pk", "source"))


def label_events(events: list[Any]) -> list[Any]:
    """Puts on each audit event what a page or the report shows instead of its codes: the
    label of its action, of the actor's role, of a state change and of its reason codes (one
    query for all of them). A generated screening explanation, a screening run, the fields a
    change names and the services' fixed sentences are said in the page's language."""
    texts = reason_texts(code for e in events for code in (e.reason_codes or []))
    sources = _list_sources(events)
    for event in events:
        event.label = event_label(event.action)
        # The audit log writes "system" for an event without a person behind it.
        event.actor_name = (
            str(SYSTEM_ROLE)
            if event.actor_id is None and event.actor_repr == "system"
            else event.actor_repr
        )
        event.role_label = role_label(event.actor_role) if event.actor_role else ""
        before = (event.before or {}).get("state")
        after = (event.after or {}).get("state")
        event.state_change = (
            (state_label(before), state_label(after))
            if before and after and before != after
            else None
        )
        event.reason_labels = [texts.get(code, code) for code in event.reason_codes or []]
        after_data = event.after if isinstance(event.after, dict) else {}
        if event.text in FIXED_TEXTS:
            event.text = str(FIXED_TEXTS[event.text])
        elif event.action == "screening.completed" and "names_screened" in after_data:
            # The stored text is English and names the list by its code (what an export keeps).
            listed = after_data.get("sanctions_list")
            source = sources.get(listed, "") if isinstance(listed, int) else ""
            event.text = screening_run_text(after_data, source)
        elif event.action.startswith("screening.") and event.text:
            event.text = screening_explanation(event.text)
        elif (
            event.action in ("case.details_changed", "case.changes_acknowledged")
            and "changes" in after_data
        ):
            # The stored text names the fields by their codes; a page says their labels.
            event.text = _changes_text(after_data["changes"])
        factors = (event.after or {}).get("factors")
        if isinstance(factors, list) and factors:
            # The stored text lists factor codes (what an export keeps); a page says them.
            event.text = "; ".join(
                f"{risk_factor_label(str(f.get('code', '')))} +{f.get('points', 0)}"
                for f in factors
                if isinstance(f, dict)
            )
    return events


# A requirement no rule names any more (a rule retired since the RFI was sent).
OTHER_REQUIREMENT = Label("Requested item", "所要求的材料")
PERSON_SUFFIX = ".person_"


def requirement_labels(codes: Iterable[str]) -> dict[str, str]:
    """Requirement codes (kyc.requirements: "rule", "capability.rule", "rule.person_12") to
    their labels in the page's language, from the rules and people on file: two queries for
    all of them. For RFI items whose requirement is no longer listed as due."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    parsed: dict[str, tuple[str, int | None]] = {}
    for code in wanted:
        base, _sep, person = code.partition(PERSON_SUFFIX)
        parsed[code] = (base.rsplit(".", 1)[-1], int(person) if person.isdigit() else None)
    rules: dict[str, str] = {}
    # The newest policy's wording wins where several versions share a code.
    for found in RequirementRule.objects.filter(
        code__in={code for code, _p in parsed.values()}
    ).order_by("policy_id"):
        rules[found.code] = found.label
    people = dict(
        Person.objects.filter(pk__in={p for _r, p in parsed.values() if p is not None}).values_list(
            "pk", "full_name"
        )
    )
    out: dict[str, str] = {}
    for code, (rule_code, person_id) in parsed.items():
        label = rules.get(rule_code) or str(OTHER_REQUIREMENT)
        out[code] = (
            f"{label}: {people[person_id]}"
            if person_id is not None and person_id in people
            else label
        )
    return out
