from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from config.i18n import localized
from kyc.models import PolicyVersion, QualificationDocument, RiskAssessment
from merchants.models import Capability, Merchant, RiskTier


class ReasonKind(models.TextChoices):
    # What a reason is about: a case (or capability) rejection, one document's rejection,
    # an RFI item, an approval note. Each decision form offers only the reasons of its kind.
    REJECTION = "rejection", _("Rejection")
    DOCUMENT = "document", _("Document rejection")
    INFORMATION = "information", _("Request for information")
    APPROVAL = "approval", _("Approval note")


class Severity(models.TextChoices):
    RETRY = "retry", _("Retry: the seller may fix and resubmit")
    FINAL = "final", _("Final")


class ReasonCode(models.Model):
    """A bilingual reason given with a decision (data, maintained by compliance admins)."""

    code = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=ReasonKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.RETRY)
    text_en = models.CharField(max_length=300)
    text_zh = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.text_en}"

    @property
    def text(self) -> str:
        return localized(self.text_en, self.text_zh)


class CaseKind(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    REVERIFICATION = "reverification", _("Re-verification")
    PERIODIC_REVIEW = "periodic_review", _("Periodic review")
    CHANGE_OF_DETAILS = "change_of_details", _("Change of details")


class CaseState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    INFO_REQUESTED = "info_requested", _("Information requested")
    EDD = "edd", _("Enhanced due diligence")
    PENDING_SECOND_APPROVAL = "pending_second_approval", _("Pending second approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


OPEN_STATES = (
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.INFO_REQUESTED,
    CaseState.EDD,
    CaseState.PENDING_SECOND_APPROVAL,
)
# States in which the platform (not the seller) is working the case.
REVIEW_QUEUE_STATES = (
    CaseState.SUBMITTED,
    CaseState.IN_REVIEW,
    CaseState.EDD,
    CaseState.PENDING_SECOND_APPROVAL,
)


class Queue(models.Model):
    """An inbox of review cases, configured as data: which case kinds and risk tiers it takes,
    the team that works it, its SLA, and where a breach escalates to."""

    code = models.SlugField(max_length=60, unique=True)
    name_en = models.CharField(max_length=120)
    name_zh = models.CharField(max_length=120, blank=True)
    case_kinds = models.JSONField(default=list, blank=True)  # [] = every kind
    risk_tiers = models.JSONField(default=list, blank=True)  # [] = every tier
    team = models.CharField(max_length=60, blank=True)
    requires_senior = models.BooleanField(default=False)  # EDD and four-eyes queues
    sla_hours = models.PositiveIntegerField(default=48)
    # Routing order: the first active queue (lowest `position`) that accepts a case gets it.
    position = models.PositiveSmallIntegerField(default=100)
    escalation_queue = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_zh)


def _is_unassigned(case: Any) -> bool:
    return case.assignee_id is None


def _has_maker(case: Any) -> bool:
    return case.maker_id is not None


class ReviewCase(ConcurrentTransitionMixin, models.Model):
    """One review need for one merchant, moved only by cases.services.

    The FSM field is protected and ConcurrentTransitionMixin makes the UPDATE conditional on
    the state read, so of two concurrent transitions at most one can ever be saved.
    Transition methods only change the object in memory.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(max_length=30, choices=CaseKind.choices, default=CaseKind.ONBOARDING)
    state = FSMField(default=CaseState.DRAFT, choices=CaseState.choices, protected=True)
    capabilities = models.ManyToManyField(Capability, related_name="cases", blank=True)
    priority = models.PositiveSmallIntegerField(default=50)  # lower = sooner
    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    requires_four_eyes = models.BooleanField(default=False)
    sla_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The reviewer to hand the case back to when the seller answers an RFI.
    last_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The risk score the case was routed by (factors shown to the reviewer).
    risk_assessment = models.ForeignKey(
        RiskAssessment, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    decision_reason_codes = models.ManyToManyField(ReasonCode, blank=True, related_name="+")
    decision_rationale = models.TextField(blank=True)
    # SHA-256 of the data the last decision (approval, second approval, rejection) was about
    # (cases.digest); the audit event of that decision carries the same value.
    data_digest = models.CharField(max_length=64, blank=True)
    rejection_severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    rfi_deadline = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sla_due_at", "priority", "id"]
        indexes = [
            models.Index(fields=["state", "sla_due_at"]),
            models.Index(fields=["queue", "state", "sla_due_at", "priority", "id"]),
            models.Index(fields=["assignee", "state"]),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.get_kind_display()}, {self.get_state_display()})"

    # --- transitions: in-memory only; cases.services does locking, saving and auditing ---

    @transition(field=state, source=CaseState.DRAFT, target=CaseState.SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=[CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.EDD],
        target=RETURN_VALUE(CaseState.IN_REVIEW, CaseState.EDD),
        conditions=[_is_unassigned],
    )
    def claim(self, by: object) -> str:
        self.assignee = by  # type: ignore[assignment]
        return CaseState.EDD if self.state == CaseState.EDD else CaseState.IN_REVIEW

    @transition(
        field=state,
        source=[CaseState.IN_REVIEW, CaseState.EDD],
        target=RETURN_VALUE(CaseState.SUBMITTED, CaseState.EDD),
    )
    def release(self) -> str:
        self.assignee = None
        return CaseState.EDD if self.state == CaseState.EDD else CaseState.SUBMITTED

    @transition(
        field=state, source=[CaseState.IN_REVIEW, CaseState.EDD], target=CaseState.INFO_REQUESTED
    )
    def request_info(self, deadline: object) -> None:
        self.last_reviewer = self.assignee
        self.assignee = None
        self.rfi_deadline = deadline  # type: ignore[assignment]

    @transition(
        field=state,
        source=CaseState.INFO_REQUESTED,
        target=RETURN_VALUE(CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.EDD),
    )
    def resubmit(self, back_to: object = None, in_edd: bool = False) -> str:
        """`back_to`: the reviewer who asked, when still available; else the queue.
        `in_edd`: the RFI was sent from EDD, so the answer goes back to EDD, not L1 review."""
        self.rfi_deadline = None
        self.submitted_at = timezone.now()
        self.assignee = back_to  # type: ignore[assignment]
        if in_edd:
            return CaseState.EDD
        return CaseState.IN_REVIEW if back_to is not None else CaseState.SUBMITTED

    @transition(field=state, source=CaseState.IN_REVIEW, target=CaseState.EDD)
    def escalate(self) -> None:
        self.requires_four_eyes = True

    @transition(
        field=state, source=[CaseState.SUBMITTED, CaseState.IN_REVIEW], target=CaseState.EDD
    )
    def route_to_edd(self, keep_assignee: bool = False) -> None:
        """The system's escalation: a high (or prohibited) risk tier forces EDD and four-eyes.
        `keep_assignee`: the holder is a senior reviewer, who may go on working it."""
        self.requires_four_eyes = True
        if not keep_assignee:
            self.assignee = None

    @transition(
        field=state,
        source=[CaseState.IN_REVIEW, CaseState.EDD],
        target=RETURN_VALUE(CaseState.APPROVED, CaseState.PENDING_SECOND_APPROVAL),
    )
    def approve(self, by: object) -> str:
        self.maker = by  # type: ignore[assignment]
        if self.requires_four_eyes:
            self.assignee = None
            return CaseState.PENDING_SECOND_APPROVAL
        self.decided_at = timezone.now()
        return CaseState.APPROVED

    @transition(
        field=state,
        source=CaseState.PENDING_SECOND_APPROVAL,
        target=CaseState.APPROVED,
        conditions=[_has_maker],
    )
    def second_approve(self, by: object) -> None:
        self.checker = by  # type: ignore[assignment]
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=CaseState.PENDING_SECOND_APPROVAL,
        target=RETURN_VALUE(CaseState.IN_REVIEW, CaseState.EDD),
        conditions=[_has_maker],
    )
    def return_to_maker(self, in_edd: bool = False) -> str:
        """The data changed while the approval waited for its checker: back to the maker's
        review (EDD for a case approved out of EDD), so a checker never approves what the
        maker did not see."""
        self.assignee = self.maker
        self.maker = None
        return CaseState.EDD if in_edd else CaseState.IN_REVIEW

    @transition(
        field=state,
        source=[CaseState.IN_REVIEW, CaseState.EDD, CaseState.PENDING_SECOND_APPROVAL],
        target=CaseState.REJECTED,
    )
    def reject(self, by: object, severity: str) -> None:
        if self.state == CaseState.PENDING_SECOND_APPROVAL:
            self.checker = by  # type: ignore[assignment]
        else:
            self.maker = by  # type: ignore[assignment]
        self.rejection_severity = severity
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=[CaseState.DRAFT, CaseState.SUBMITTED, CaseState.INFO_REQUESTED],
        target=CaseState.WITHDRAWN,
    )
    def withdraw(self) -> None:
        self.assignee = None

    @transition(field=state, source=CaseState.INFO_REQUESTED, target=CaseState.EXPIRED)
    def expire(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state, source=[CaseState.APPROVED, CaseState.REJECTED], target=CaseState.IN_REVIEW
    )
    def reopen(self) -> None:
        # Back to whoever decided it if they can still review; otherwise any reviewer claims.
        self.assignee = None
        self.checker = None
        self.decided_at = None
        self.rejection_severity = ""

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_sla_breached(self) -> bool:
        return bool(
            self.sla_due_at
            and self.state in REVIEW_QUEUE_STATES
            and self.sla_due_at < timezone.now()
        )


class CapabilityDecision(models.Model):
    """A reviewer's decision on one capability within a case."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    case = models.ForeignKey(
        ReviewCase, on_delete=models.PROTECT, related_name="capability_decisions"
    )
    capability = models.ForeignKey(Capability, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason_codes = models.ManyToManyField(ReasonCode, blank=True, related_name="+")
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of the data the decision was about (cases.digest).
    data_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["decided_at", "id"]


class CaseDataChange(models.Model):
    """One change of the merchant's verifiable data made while the case was open: shown at
    the top of the case page ("changed since submission") until its holder acknowledges it,
    and approval waits for that (cases.readiness)."""

    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="data_changes")
    event = models.CharField(max_length=40)  # merchant.updated, person.added, document.replaced …
    field = models.CharField(max_length=60)
    person_name = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "acknowledged_at"])]


class DocumentDecision(models.Model):
    """A reviewer's accept / reject of one document within a case."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")

    case = models.ForeignKey(
        ReviewCase, on_delete=models.PROTECT, related_name="document_decisions"
    )
    document = models.ForeignKey(
        QualificationDocument, on_delete=models.PROTECT, related_name="decisions"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason_code = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]


class InformationRequest(models.Model):
    """One consolidated request for information (RFI) sent to the seller."""

    case = models.ForeignKey(
        ReviewCase, on_delete=models.PROTECT, related_name="information_requests"
    )
    message = models.TextField()  # seller-visible
    deadline = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class InformationRequestItem(models.Model):
    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="items")
    reason_code = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT)
    document = models.ForeignKey(
        QualificationDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requirement_code = models.CharField(max_length=120, blank=True)
    capability = models.ForeignKey(
        Capability, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]


class CommentVisibility(models.TextChoices):
    SELLER = "seller", _("Visible to the seller")
    INTERNAL = "internal", _("Internal (staff only)")


class Comment(models.Model):
    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(max_length=10, choices=CommentVisibility.choices)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Notification(models.Model):
    """A message to a seller, rendered in the seller's language and sent by a task."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="notifications")
    case = models.ForeignKey(
        ReviewCase, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    event = models.CharField(max_length=60)
    language = models.CharField(max_length=10, default="en")
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class EddItem(models.TextChoices):
    SOURCE_OF_FUNDS = "source_of_funds", _("Source of funds")
    SOURCE_OF_WEALTH = "source_of_wealth", _("Source of wealth")
    OWNERSHIP_EXPLAINED = "ownership_explained", _("Ownership structure explained")
    ADVERSE_MEDIA = "adverse_media", _("Adverse media reviewed")
    WEBSITE_REVIEWED = "website_reviewed", _("Website / store reviewed")


class EddChecklistItem(models.Model):
    """One item of a case's enhanced-due-diligence checklist, with the senior reviewer's
    notes and evidence."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SATISFIED = "satisfied", _("Satisfied")
        CONCERN = "concern", _("Concern found")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="edd_items")
    item = models.CharField(max_length=40, choices=EddItem.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="edd_item_unique_per_case")
        ]


def edd_evidence_key(instance: EddEvidence, filename: str) -> str:
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"edd/case-{instance.item.case_id}/{instance.uuid}.{ext}"


class EddEvidence(models.Model):
    """A file a senior reviewer attaches to an EDD checklist item (same hostile-upload rules
    as seller documents)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(EddChecklistItem, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=edd_evidence_key, max_length=300)
    original_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


# --------------------------------------------------------------------------- PDF review reports


class ReportTrigger(models.TextChoices):
    CASE_APPROVED = "case_approved", _("Case approved")
    CASE_REJECTED = "case_rejected", _("Case rejected")
    CAPABILITY_DECIDED = "capability_decided", _("Capability decided")
    QC_COMPLETED = "qc_completed", _("QC review completed")
    REBUILD = "rebuild", _("Rebuilt on request")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Being built")
    BUILT = "built", _("Built")
    FAILED = "failed", _("Failed")


def review_report_key(case_id: int, version: int) -> str:
    """Deterministic object key: a retried build of one version overwrites its own half-made
    object; a new version never touches an earlier one."""
    return f"reports/case-{case_id}/review-report-v{version:04d}.pdf"


class ReviewReport(models.Model):
    """One version of a case's PDF review report. Rows are requested inside the decision's
    transaction and built by a task; a rebuild is a new version, never an overwrite."""

    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField()
    trigger = models.CharField(max_length=30, choices=ReportTrigger.choices)
    capability = models.ForeignKey(
        Capability, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    file = models.FileField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["case_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="report_version_unique")
        ]

    def __str__(self) -> str:
        return f"Report v{self.version} of case {self.case_id}"

    @property
    def key(self) -> str:
        return review_report_key(self.case_id, self.version)


# --------------------------------------------------------------------------- quality control


class QcDecision(models.TextChoices):
    APPROVED = "approved", _("Approval")
    REJECTED = "rejected", _("Rejection")


class QcSamplingRule(models.Model):
    """How much of which decisions QC samples (data, maintained by compliance admins).

    A decided case is sampled at the highest `rate` among the active rules that match its
    decision and risk tier; each reviewer then gets at least `min_per_reviewer_per_week`
    sampled decisions per ISO week from the cases the rule matches."""

    code = models.SlugField(max_length=60, unique=True)
    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200, blank=True)
    decision = models.CharField(max_length=20, choices=QcDecision.choices, blank=True)  # "" any
    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)  # "" any
    rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    min_per_reviewer_per_week = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__gte=0) & models.Q(rate__lte=1),
                name="qc_rule_rate_between_0_and_1",
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_zh)


class QcDrawTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ON_DEMAND = "on_demand", _("On demand")


class QcDraw(models.Model):
    """One reproducible sampling draw: the seed, the window and the rules it used, and what
    it drew. Re-running the draw with the same seed, window and rules gives the same sample."""

    seed = models.BigIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    trigger = models.CharField(max_length=20, choices=QcDrawTrigger.choices)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(default=timezone.now)
    rules = models.JSONField(default=list)  # snapshot of the rules as drawn
    population_size = models.PositiveIntegerField(default=0)
    sampled_case_ids = models.JSONField(default=list)
    new_review_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"QC draw {self.pk} (seed {self.seed})"


class QcOutcome(models.TextChoices):
    AGREE = "agree", _("Agree")
    DISAGREE = "disagree", _("Disagree")


class QcErrorCategory(models.TextChoices):
    WRONG_DECISION = "wrong_decision", _("Wrong decision")
    MISSED_DOCUMENT_ISSUE = "missed_document_issue", _("Missed document issue")
    SCREENING_HIT_MISHANDLED = "screening_hit_mishandled", _("Screening hit mishandled")
    WRONG_REASON_CODE = "wrong_reason_code", _("Wrong reason code")
    POOR_RATIONALE = "poor_rationale", _("Poor rationale")


class QcSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class QcReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for QC")
    COMPLETED = "completed", _("Completed")


class QcReview(models.Model):
    """One sampled decision and the QC lead's verdict on it. A `disagree` verdict is a
    finding against the case's maker, which the maker may dispute once."""

    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="qc_reviews")
    draw = models.ForeignKey(
        QcDraw, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    sampled_by_rule = models.CharField(
        max_length=80, blank=True
    )  # "rate:<code>" / "minimum:<code>"
    case_decision = models.CharField(max_length=20, choices=QcDecision.choices)
    case_decided_at = models.DateTimeField()
    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=QcReviewStatus.choices, default=QcReviewStatus.PENDING
    )
    qc_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=QcOutcome.choices, blank=True)
    error_category = models.CharField(max_length=40, choices=QcErrorCategory.choices, blank=True)
    severity = models.CharField(max_length=10, choices=QcSeverity.choices, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    case_reopened = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One QC review per decision; a reopened and re-decided case can be sampled again.
            models.UniqueConstraint(
                fields=["case", "case_decided_at"], name="qc_review_once_per_decision"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"QC review {self.pk} of case {self.case_id}"

    @property
    def is_finding(self) -> bool:
        return self.outcome == QcOutcome.DISAGREE


class QcDisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld: the finding is withdrawn")
    DISMISSED = "dismissed", _("Dismissed: the finding stands")


class QcDispute(models.Model):
    """The maker's one dispute of a finding, decided by a QC lead other than the one who
    made the finding."""

    review = models.OneToOneField(QcReview, on_delete=models.PROTECT, related_name="dispute")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=QcDisputeStatus.choices, default=QcDisputeStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return f"Dispute of QC review {self.review_id}"


# --------------------------------------------------------------------------- ongoing monitoring


class PeriodicReviewInterval(models.Model):
    """How often a live merchant of a risk tier is reviewed again (data)."""

    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices, unique=True)
    months = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["months"]

    def __str__(self) -> str:
        return f"{self.risk_tier}: every {self.months} months"


class ExpiryStage(models.TextChoices):
    WARNED = "warned", _("Re-verification opened before expiry")
    EXPIRED = "expired", _("Expired: capabilities made inactive")


class DocumentExpiryAction(models.Model):
    """What the expiry watch has done about one document, once per stage: running the job
    late or twice finds the row and does nothing again."""

    document = models.ForeignKey(
        QualificationDocument, on_delete=models.PROTECT, related_name="expiry_actions"
    )
    stage = models.CharField(max_length=20, choices=ExpiryStage.choices)
    case = models.ForeignKey(
        ReviewCase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "stage"], name="expiry_action_once")
        ]
