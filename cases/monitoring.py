"""Ongoing monitoring: the scheduled jobs that keep live merchants under review.

    expiry_watch            a document a live capability depends on expires: a re-verification
                            case KYC_EXPIRY_WARNING_DAYS before, the capabilities inactive
                            (`document_expired`) the day after — unless a renewal is under
                            review, which keeps them live until expiry + KYC_RENEWAL_GRACE_DAYS
    periodic_review_open    a periodic-review case when an active merchant's next review is due
    rfi_expire_overdue      an RFI unanswered past its deadline expires the case
    sla_breaches_notify     internal e-mail to the holder and the senior reviewers of the team
                            when a case breaches its SLA (flagged by cases.queues)

Every job takes `now` (tests move the clock by passing it), works one merchant or case per
transaction under a row lock, writes one audit event per change and is idempotent: running it
twice, or a day late, changes nothing more. What a job has done is recorded where the next
run looks first (DocumentExpiryAction rows, the open case, the audit trail).
"""

from __future__ import annotations

import calendar
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_record
from config.errors import DomainError
from kyc.models import DocumentStatus, PersonScope, QualificationDocument, RequirementRule

# One definition of who is an owner and of the requirement context: kyc.requirements'.
from kyc.requirements import RequirementsContext
from kyc.requirements import _people_for as people_for
from merchants.models import (
    Capability,
    CapabilityKind,
    CapabilityStatus,
    Merchant,
    MerchantStatus,
    Person,
)
from merchants.services import capability_set_status

from .models import (
    OPEN_STATES,
    REVIEW_QUEUE_STATES,
    CaseKind,
    CaseState,
    DocumentExpiryAction,
    ExpiryStage,
    PeriodicReviewInterval,
    ReviewCase,
)
from .notifications import notify_seller
from .services import case_expire, case_open

logger = logging.getLogger(__name__)

DOCUMENT_EXPIRED = "document_expired"
UNDER_REVIEW = (DocumentStatus.UPLOADED, DocumentStatus.PENDING_REVIEW)
# A superseded document is still watched: replacing an expiring licence with a renewal that
# is then rejected must not leave the capability live on a document that expired.
WATCHED = (DocumentStatus.ACCEPTED, DocumentStatus.SUPERSEDED)


def _today(now: datetime) -> date:
    return timezone.localdate(now)


# --------------------------------------------------------------------------- periodic review


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(*, risk_tier: str, decided_on: date) -> date | None:
    """The next periodic review after a decision: decision date + the tier's interval (data,
    PeriodicReviewInterval); None when the tier has no interval."""
    interval = PeriodicReviewInterval.objects.filter(risk_tier=risk_tier or "low").first()
    if interval is None:
        return None
    return add_months(decided_on, interval.months)


def periodic_review_open(*, now: datetime | None = None) -> int:
    """Opens one periodic-review case (draft, for the seller to confirm or update and submit)
    for every active merchant whose next review is due and that has no periodic review open or
    already opened for this due date. Returns how many were opened."""
    now = now or timezone.now()
    today = _today(now)
    ids = list(
        Merchant.objects.filter(status=MerchantStatus.ACTIVE, next_review_date__lte=today)
        .order_by("next_review_date", "id")
        .values_list("pk", flat=True)
    )
    return sum(_periodic_review_open_one(merchant_id=pk, today=today) for pk in ids)


@transaction.atomic
def _periodic_review_open_one(*, merchant_id: int, today: date) -> bool:
    merchant = Merchant.objects.select_for_update(no_key=True).get(pk=merchant_id)
    due = merchant.next_review_date
    if merchant.status != MerchantStatus.ACTIVE or due is None or due > today:
        return False
    reviews = ReviewCase.objects.filter(merchant=merchant, kind=CaseKind.PERIODIC_REVIEW)
    if reviews.filter(Q(state__in=OPEN_STATES) | Q(created_at__date__gte=due)).exists():
        return False  # open, or already opened (and decided) for this due date
    capabilities = list(merchant.capabilities.filter(status=CapabilityStatus.ACTIVE))
    case = case_open(
        actor=None, merchant=merchant, kind=CaseKind.PERIODIC_REVIEW, capabilities=capabilities
    )
    audit_record(
        action="monitoring.periodic_review_opened",
        obj=case,
        case_id=case.pk,
        merchant_id=merchant.pk,
        after={"next_review_date": due, "risk_tier": merchant.risk_tier},
        text=f"Periodic review due on {due.isoformat()} ({merchant.risk_tier or 'no'} tier).",
    )
    notify_seller(case=case, event="periodic_review.opened")
    return True


# --------------------------------------------------------------------------- RFI expiry


def rfi_expire_overdue(*, now: datetime | None = None) -> int:
    """Expires every case waiting on the seller past its RFI deadline (cases.services
    .case_expire audits it and tells the seller). A case answered in the meantime has moved
    on and is left alone. Returns how many expired."""
    now = now or timezone.now()
    ids = list(
        ReviewCase.objects.filter(state=CaseState.INFO_REQUESTED, rfi_deadline__lt=now)
        .order_by("rfi_deadline", "id")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in ids:
        try:
            case_expire(case_id=pk, now=now)
        except DomainError:
            continue  # answered (or withdrawn) between the read and the lock
        expired += 1
    return expired


# --------------------------------------------------------------------------- expiry watch


@dataclass(frozen=True)
class _Item:
    """One requirement item of a live capability: a rule, and the person it is about."""

    capability: Capability
    rule: RequirementRule
    type_ids: frozenset[int]
    person: Person | None

    def matches(self, doc: QualificationDocument) -> bool:
        # The same matching as kyc.requirements (which document satisfies which item).
        if doc.document_type_id not in self.type_ids:
            return False
        if self.person is not None and doc.person_id != self.person.pk:
            return False
        cap = self.capability
        if cap.kind == CapabilityKind.BRAND and doc.brand_id != cap.brand_id:
            return False
        return not (
            cap.kind == CapabilityKind.CATEGORY
            and doc.category_id
            and doc.category_id != cap.category_id
        )


def _items(ctx: RequirementsContext, capabilities: list[Capability]) -> list[_Item]:
    items: list[_Item] = []
    for capability in capabilities:
        for rule in ctx.rules_for(capability):
            type_ids = frozenset(dt.pk for dt in rule.document_types.all())
            targets: list[Person | None] = (
                list(people_for(rule.person_scope, ctx.people))
                if rule.person_scope and rule.person_scope != PersonScope.NONE
                else [None]
            )
            items.extend(_Item(capability, rule, type_ids, person) for person in targets)
    return items


def _covered(item: _Item, doc: QualificationDocument, docs: list[Any], after: date) -> bool:
    """Another accepted, current document satisfies the item beyond `after`."""
    return any(
        other.pk != doc.pk
        and other.status == DocumentStatus.ACCEPTED
        and (other.expiry_date is None or other.expiry_date > after)
        and item.matches(other)
        for other in docs
    )


def _replaced_by_accepted(doc: QualificationDocument, items: list[_Item], docs: list[Any]) -> bool:
    return any(
        other.status == DocumentStatus.ACCEPTED
        and (other.created_at, other.pk) > (doc.created_at, doc.pk)
        and any(item.matches(other) for item in items)
        for other in docs
    )


def _renewal(item: _Item, doc: QualificationDocument, docs: list[Any], today: date) -> Any:
    """A newer document for the item, uploaded and still under review, not itself expired."""
    for other in docs:
        if (
            other.pk != doc.pk
            and other.status in UNDER_REVIEW
            and (other.created_at, other.pk) > (doc.created_at, doc.pk)
            and (other.expiry_date is None or other.expiry_date >= today)
            and item.matches(other)
        ):
            return other
    return None


def _document_facts(doc: QualificationDocument, deadline: date | None = None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "document_id": doc.pk,
        "type": doc.document_type.code,
        "type_en": doc.document_type.name_en,
        "type_zh": doc.document_type.name_zh,
        "expiry_date": doc.expiry_date.isoformat() if doc.expiry_date else "",
        "person": doc.person.full_name if doc.person is not None else "",
    }
    if deadline is not None:
        facts["renewal_deadline"] = deadline.isoformat()
    return facts


def renewal_deadline(expiry_date: date) -> date:
    """Until when a renewal under review keeps the capabilities live."""
    return expiry_date + timedelta(days=settings.KYC_RENEWAL_GRACE_DAYS)


def _open_reverification(merchant: Merchant) -> ReviewCase | None:
    return (
        ReviewCase.objects.filter(
            merchant=merchant, kind=CaseKind.REVERIFICATION, state__in=OPEN_STATES
        )
        .order_by("-created_at", "-id")
        .first()
    )


def expiry_watch(*, now: datetime | None = None) -> dict[str, int]:
    """Watches the expiry dates of the documents live capabilities depend on.

    Guarantees, per document (recorded as DocumentExpiryAction, once per stage):
    - `warned` when expiry − KYC_EXPIRY_WARNING_DAYS ≤ today: the merchant's open
      re-verification case (or a new draft one, opened by the platform) gets the dependent
      capabilities, and the seller is told what to upload and by when;
    - `expired` the day after the expiry date: each dependent capability still active goes
      `inactive` with `disabled_reason="document_expired"` and the seller is told — unless a
      newer document for the same requirement is under review and a re-verification case is
      open, which keeps it live until expiry + KYC_RENEWAL_GRACE_DAYS (the renewal deadline);
      a document another accepted, current one covers is closed without any change.
    One audit event per merchant and stage; a second run finds the rows and does nothing.
    Returns counts: warned, expired (documents), disabled (capabilities), kept_live.
    """
    now = now or timezone.now()
    today = _today(now)
    warn_until = today + timedelta(days=settings.KYC_EXPIRY_WARNING_DAYS)
    merchant_ids = list(
        QualificationDocument.objects.filter(
            expiry_date__lte=warn_until,
            status__in=WATCHED,
            merchant__capabilities__status=CapabilityStatus.ACTIVE,
        )
        .exclude(expiry_actions__stage=ExpiryStage.EXPIRED)
        .order_by("merchant_id")
        .values_list("merchant_id", flat=True)
        .distinct()
    )
    totals: Counter[str] = Counter()
    for merchant_id in merchant_ids:
        totals.update(_watch_merchant(merchant_id=merchant_id, today=today, now=now))
    return {k: totals.get(k, 0) for k in ("warned", "expired", "disabled", "kept_live")}


@transaction.atomic
def _watch_merchant(*, merchant_id: int, today: date, now: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    # The merchant lock serialises two runs (and a seller's upload does not wait on it:
    # NO KEY UPDATE lets rows referencing the merchant be inserted meanwhile).
    merchant = Merchant.objects.select_for_update(no_key=True).get(pk=merchant_id)
    live = list(
        merchant.capabilities.filter(status=CapabilityStatus.ACTIVE).select_related(
            "category", "brand"
        )
    )
    if not live:
        return counts
    ctx = RequirementsContext(merchant)
    ctx.today = today
    items = _items(ctx, live)
    docs = list(
        merchant.documents.select_related("document_type", "person").order_by("created_at", "id")
    )
    current = [d for d in docs if d.status != DocumentStatus.SUPERSEDED]
    done = set(
        DocumentExpiryAction.objects.filter(document__merchant=merchant).values_list(
            "document_id", "stage"
        )
    )
    warn_until = today + timedelta(days=settings.KYC_EXPIRY_WARNING_DAYS)
    to_warn: list[tuple[QualificationDocument, list[Capability]]] = []
    to_expire: list[tuple[QualificationDocument, list[Capability]]] = []
    for doc in docs:
        if (
            doc.expiry_date is None
            or doc.expiry_date > warn_until
            or doc.status not in WATCHED
            or (doc.pk, ExpiryStage.EXPIRED) in done
        ):
            continue
        relied_on = [i for i in items if i.matches(doc)]
        if not relied_on:
            continue
        if (
            doc.status == DocumentStatus.SUPERSEDED
            and (doc.pk, ExpiryStage.WARNED) not in done
            and _replaced_by_accepted(doc, relied_on, current)
        ):
            continue  # replaced, and the replacement accepted: history, not a live document
        if (doc.pk, ExpiryStage.WARNED) not in done:
            uncovered = [i for i in relied_on if not _covered(i, doc, current, warn_until)]
            if uncovered:
                to_warn.append((doc, _capabilities(uncovered)))
        if doc.expiry_date < today:
            uncovered = [i for i in relied_on if not _covered(i, doc, current, today)]
            if not uncovered:
                # Renewed in time (an accepted, current document): nothing to switch off.
                DocumentExpiryAction.objects.create(
                    document=doc, stage=ExpiryStage.EXPIRED, details={"outcome": "renewed"}
                )
                continue
            renewed = all(_renewal(i, doc, current, today) is not None for i in uncovered)
            if renewed and today <= renewal_deadline(doc.expiry_date):
                if _open_reverification(merchant) is not None:
                    counts["kept_live"] += 1
                    continue  # looked at again on every run until the deadline
            to_expire.append((doc, _capabilities(uncovered)))
    case: ReviewCase | None = None
    if to_warn:
        case = _warn(merchant, to_warn, now=now)
        counts["warned"] += len(to_warn)
    if to_expire:
        counts["disabled"] += _expire(merchant, to_expire, case=case, now=now)
        counts["expired"] += len(to_expire)
    return counts


def _capabilities(items: list[_Item]) -> list[Capability]:
    seen: dict[int, Capability] = {}
    for item in items:
        seen.setdefault(item.capability.pk, item.capability)
    return list(seen.values())


def _warn(
    merchant: Merchant,
    warned: list[tuple[QualificationDocument, list[Capability]]],
    *,
    now: datetime,
) -> ReviewCase:
    """One re-verification case for every document found expiring in this run."""
    capabilities = _capabilities_of(warned)
    case = _open_reverification(merchant)
    reused = case is not None
    if case is None:
        # A draft the seller works: upload the renewals, then submit it for review.
        case = case_open(
            actor=None, merchant=merchant, kind=CaseKind.REVERIFICATION, capabilities=capabilities
        )
    else:
        case.capabilities.add(*capabilities)
    facts = []
    for doc, caps in warned:
        assert doc.expiry_date is not None
        deadline = renewal_deadline(doc.expiry_date)
        fact = _document_facts(doc, deadline)
        fact["capabilities"] = [c.code for c in caps]
        DocumentExpiryAction.objects.create(
            document=doc, stage=ExpiryStage.WARNED, case=case, details=fact, created_at=now
        )
        facts.append(fact)
    audit_record(
        action="monitoring.documents_expiring",
        obj=case,
        case_id=case.pk,
        merchant_id=merchant.pk,
        after={
            "case": case.pk,
            "case_reused": reused,
            "documents": facts,
            "capabilities": [c.code for c in capabilities],
        },
        text=f"{len(facts)} document(s) expiring within "
        f"{settings.KYC_EXPIRY_WARNING_DAYS} days: re-verification.",
    )
    notify_seller(case=case, event="document.expiring", details={"documents": facts})
    return case


def _capabilities_of(
    pairs: list[tuple[QualificationDocument, list[Capability]]],
) -> list[Capability]:
    seen: dict[int, Capability] = {}
    for _doc, caps in pairs:
        for cap in caps:
            seen.setdefault(cap.pk, cap)
    return list(seen.values())


def _expire(
    merchant: Merchant,
    expired: list[tuple[QualificationDocument, list[Capability]]],
    *,
    case: ReviewCase | None,
    now: datetime,
) -> int:
    """Switches off what the expired documents covered; one event, one seller e-mail."""
    case = case or _open_reverification(merchant)
    if case is None:
        # The warning's case, even if decided since (the e-mail and the event point to it).
        warned = (
            DocumentExpiryAction.objects.filter(
                document__in=[d for d, _caps in expired], stage=ExpiryStage.WARNED
            )
            .exclude(case=None)
            .select_related("case")
            .order_by("-created_at")
            .first()
        )
        case = warned.case if warned is not None else None
    changes = []
    disabled: list[Capability] = []
    for cap in _capabilities_of(expired):
        fresh = Capability.objects.select_related("category", "brand").get(pk=cap.pk)
        if fresh.status != CapabilityStatus.ACTIVE:
            continue
        changes.append(
            capability_set_status(
                capability=fresh, status=CapabilityStatus.INACTIVE, disabled_reason=DOCUMENT_EXPIRED
            )
        )
        disabled.append(fresh)
    facts = []
    for doc, caps in expired:
        fact = _document_facts(doc)
        fact["capabilities"] = [c.code for c in caps]
        DocumentExpiryAction.objects.create(
            document=doc, stage=ExpiryStage.EXPIRED, case=case, details=fact, created_at=now
        )
        facts.append(fact)
    if case is not None and disabled:
        case.capabilities.add(*disabled)  # approving the renewal turns them back on
    audit_record(
        action="monitoring.documents_expired",
        obj=case if case is not None else merchant,
        case_id=case.pk if case is not None else None,
        merchant_id=merchant.pk,
        after={"documents": facts, "capabilities": changes},
        text=f"{len(facts)} document(s) expired: {len(changes)} capability(ies) made inactive.",
    )
    if disabled:
        notify_seller(
            case=case,
            merchant=merchant,
            event="capabilities.disabled",
            details={
                "documents": facts,
                "capabilities": [
                    {"label_en": _label(c, "en"), "label_zh": _label(c, "zh-hans")}
                    for c in disabled
                ],
            },
        )
    return len(changes)


def _label(capability: Capability, language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return capability.label


# --------------------------------------------------------------------------- SLA notification


def _sla_recipients(case: ReviewCase) -> list[str]:
    """The case's holder and the senior reviewers of the (escalation) queue's team — every
    senior reviewer when the queue has no team — plus KYC_STAFF_ALERT_EMAILS."""
    users = get_user_model().objects.filter(is_active=True)
    seniors = users.filter(groups__name=Role.SENIOR_REVIEWER)
    team = case.queue.team if case.queue is not None else ""
    if team:
        seniors = seniors.filter(Q(team=team) | Q(team=""))
    emails = set(seniors.values_list("email", flat=True))
    if case.assignee is not None:
        emails.add(case.assignee.email)
    emails.update(settings.KYC_STAFF_ALERT_EMAILS)
    return sorted(emails - {""})


def sla_breaches_notify(*, now: datetime | None = None) -> int:
    """E-mails staff (never the seller) about each open case flagged as an SLA breach, once
    per breach: a "case.sla_breach_notified" event naming the breach's time is the record the
    next run looks for. Returns how many breaches were notified."""
    now = now or timezone.now()
    flagged = list(
        ReviewCase.objects.filter(
            state__in=REVIEW_QUEUE_STATES,
            sla_breached_at__isnull=False,
            sla_breached_at__lte=now,
        )
        .order_by("sla_breached_at", "id")
        .values_list("pk", flat=True)
    )
    return sum(_sla_notify_one(case_id=pk) for pk in flagged)


@transaction.atomic
def _sla_notify_one(*, case_id: int) -> bool:
    case = (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("queue", "assignee", "merchant")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.sla_breached_at is None or case.state not in REVIEW_QUEUE_STATES:
        return False
    breach = case.sla_breached_at.isoformat()
    sent = AuditEvent.objects.filter(case_id=case.pk, action="case.sla_breach_notified")
    if any((e.after or {}).get("sla_breached_at") == breach for e in sent):
        return False
    recipients = _sla_recipients(case)
    audit_record(
        action="case.sla_breach_notified",
        obj=case,
        case_id=case.pk,
        merchant_id=case.merchant_id,
        after={
            "sla_breached_at": breach,
            "queue": case.queue.code if case.queue is not None else "",
            "recipients": recipients,
        },
    )
    if recipients:
        subject = f"SLA breached: case {case.pk} ({case.merchant.legal_name})"
        queue = case.queue.name_en if case.queue is not None else "no queue"
        holder = case.assignee.get_username() if case.assignee is not None else "nobody"
        body = (
            f"Case {case.pk} ({case.get_kind_display()}, {case.get_state_display()}) for "
            f"{case.merchant.legal_name} breached its SLA at {breach}.\n"
            f"It is now in the queue “{queue}”, held by {holder}, due {case.sla_due_at}.\n"
            "Open it in the reviewer workbench and act, or reassign it."
        )
        from .tasks import send_staff_mail_task

        send_staff_mail_task.delay_on_commit(subject, body, recipients)
    return True
