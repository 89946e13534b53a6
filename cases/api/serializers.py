"""Input and output serializers for review cases, their transitions, comments and decisions.

What sellers must not see (who reviews, the risk tier, internal notes, rationales, check
evidence) sits under `internal`, which is null for them, so one documented shape serves both.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from cases.models import (
    CapabilityDecision,
    CaseKind,
    CaseState,
    Comment,
    CommentVisibility,
    DocumentDecision,
    InformationRequest,
    InformationRequestItem,
    ReasonCode,
    ReviewCase,
    Severity,
)
from cases.seller_status import SellerStatus, seller_state, seller_status
from config.api import BlankAsNullChoiceField, CachedModelSerializer, InputSerializer
from kyc.api.serializers import DocumentOut, RequirementsOut
from kyc.models import Disposition, RiskAssessment, ScreeningMatch
from merchants.api.serializers import CapabilityOut
from merchants.models import Merchant, RiskTier

QUEUES = (
    ("open", "Open (in the review queue)"),
    ("mine", "Assigned to me"),
    ("unassigned", "Unassigned in the review queue"),
)

# --------------------------------------------------------------------------- reference data


class ReasonCodeOut(CachedModelSerializer):
    class Meta:
        model = ReasonCode
        fields = ("code", "kind", "severity", "text_en", "text_zh")
        read_only_fields = fields


class ReasonCodeFilterIn(InputSerializer):
    kind = serializers.ChoiceField(
        choices=ReasonCode._meta.get_field("kind").choices, required=False
    )


# --------------------------------------------------------------------------- case list


class MerchantRefOut(CachedModelSerializer):
    class Meta:
        model = Merchant
        fields = ("id", "legal_name", "local_name")
        read_only_fields = fields


class _StaffOnly:
    """A nested serializer (over the whole case, `source="*"`) that answers null unless the
    reader is staff. One serializer serves every row of a list, so its fields are bound once
    per list, not once per row."""

    def to_representation(self, instance: Any) -> Any:
        if not self.context.get("is_staff"):  # type: ignore[attr-defined]
            return None
        return super().to_representation(instance)  # type: ignore[misc]


class CaseInternalListOut(_StaffOnly, CachedModelSerializer):
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    # The column is "" until the case is scored; the API answers null, which the enum documents.
    risk_tier = BlankAsNullChoiceField(
        choices=RiskTier.choices, read_only=True, allow_null=True, help_text="Null until scored."
    )
    is_sla_breached = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReviewCase
        fields: tuple[str, ...] = (
            "assignee",
            "priority",
            "risk_tier",
            "requires_four_eyes",
            "sla_due_at",
            "is_sla_breached",
        )
        read_only_fields = fields


class CaseStateOut(serializers.ChoiceField):
    """The case's state; a seller reads it projected (`edd` and `pending_second_approval` read
    `in_review`), so the state never tips them off (cases/seller_status.py)."""

    def to_representation(self, value: Any) -> Any:
        if not self.context.get("is_staff"):
            value = seller_state(value)
        return super().to_representation(value)


class SellerStatusOut(serializers.ChoiceField):
    """The status to show a seller, the same for every reader (cases/seller_status.py)."""

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(seller_status(value).value)


class CaseListOut(CachedModelSerializer):
    merchant = MerchantRefOut(read_only=True)
    state = CaseStateOut(
        choices=CaseState.choices,
        read_only=True,
        help_text="The review state. Sellers read `in_review` for every state in which the "
        "platform works the case (enhanced due diligence and second approval included).",
    )
    seller_status = SellerStatusOut(
        source="state",
        choices=SellerStatus.choices,
        read_only=True,
        help_text="What to show the seller: `under_review` while the platform works the case, "
        "`action_required` when the seller must answer. Never reveals internal review steps.",
    )
    internal = CaseInternalListOut(
        source="*", read_only=True, allow_null=True, help_text="Staff only; null for sellers."
    )

    class Meta:
        model = ReviewCase
        fields: tuple[str, ...] = (
            "id",
            "merchant",
            "kind",
            "state",
            "seller_status",
            "rfi_deadline",
            "created_at",
            "submitted_at",
            "decided_at",
            "updated_at",
            "internal",
        )
        read_only_fields = fields


class CaseFilterIn(InputSerializer):
    state = serializers.ChoiceField(choices=CaseState.choices, required=False)
    kind = serializers.ChoiceField(choices=CaseKind.choices, required=False)
    risk_tier = serializers.ChoiceField(
        choices=RiskTier.choices, required=False, help_text="Staff only; ignored for sellers."
    )
    queue = serializers.ChoiceField(
        choices=QUEUES, required=False, help_text="Staff only; ignored for sellers."
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Merchant name, registration number or case id.",
    )


# --------------------------------------------------------------------------- case detail


class CommentAuthorOut(UserRefSerializer):
    """A comment's author (over the whole comment, `source="*"`); null for a seller reading a
    staff member's comment."""

    def to_representation(self, comment: Any) -> Any:
        if not self.context.get("is_staff") and comment.author_id != self.context.get("user_id"):
            return None
        return super().to_representation(comment.author)


class CommentOut(CachedModelSerializer):
    author = CommentAuthorOut(
        source="*",
        read_only=True,
        allow_null=True,
        help_text="The author; null for sellers reading a staff member's comment.",
    )

    class Meta:
        model = Comment
        fields = ("id", "author", "visibility", "body", "created_at")
        read_only_fields = fields


class RfiItemOut(CachedModelSerializer):
    reason_code = ReasonCodeOut(read_only=True, allow_null=True)
    document_id = serializers.IntegerField(read_only=True, allow_null=True)
    capability_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = InformationRequestItem
        fields = ("id", "reason_code", "document_id", "requirement_code", "capability_id", "note")
        read_only_fields = fields


class InformationRequestOut(CachedModelSerializer):
    items = RfiItemOut(many=True, read_only=True)

    class Meta:
        model = InformationRequest
        fields = ("id", "message", "deadline", "items", "created_at", "answered_at", "answer")
        read_only_fields = fields


class DocumentDecisionOut(CachedModelSerializer):
    case_id = serializers.IntegerField(read_only=True)
    document_id = serializers.IntegerField(read_only=True)
    reason_code = ReasonCodeOut(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True)

    class Meta:
        model = DocumentDecision
        fields = (
            "id",
            "case_id",
            "document_id",
            "decision",
            "reason_code",
            "note",
            "decided_by",
            "decided_at",
        )
        read_only_fields = fields


class CaseDecisionOut(CachedModelSerializer):
    reason_codes = ReasonCodeOut(source="decision_reason_codes", many=True, read_only=True)
    rejection_severity = serializers.SerializerMethodField(
        help_text="A rejection's severity: `retry` (the seller may fix and resubmit) or "
        "`final`; null before a decision and for an approval."
    )

    class Meta:
        model = ReviewCase
        fields = ("reason_codes", "rejection_severity", "decided_at")
        read_only_fields = fields

    # The column is "" when unset; the API answers null, which the enum documents.
    @extend_schema_field(serializers.ChoiceField(choices=Severity.choices, allow_null=True))
    def get_rejection_severity(self, case: ReviewCase) -> str | None:
        return case.rejection_severity or None


class ScreeningMatchOut(CachedModelSerializer):
    """A sanctions screening hit of the merchant (one of its names or people, or the 50%
    ownership rule) and its disposition."""

    person_id = serializers.IntegerField(read_only=True, allow_null=True)
    listed_name = serializers.CharField(source="entry.primary_name", read_only=True)
    list_id = serializers.CharField(
        source="entry.list_id", read_only=True, help_text="The publisher's id (OFAC ent_num)."
    )
    list_source = serializers.CharField(source="sanctions_list.source", read_only=True)
    entry_type = serializers.CharField(source="entry.entry_type", read_only=True)
    programs = serializers.ListField(
        source="entry.programs", child=serializers.CharField(), read_only=True
    )
    disposition = serializers.ChoiceField(
        source="status", choices=Disposition.choices, read_only=True
    )
    disposed_by = UserRefSerializer(read_only=True, allow_null=True)
    proposed_by = UserRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="Who proposed clearing a strong hit as a false positive; it stays `open` "
        "until a different staff member agrees (`agreed_by`).",
    )
    agreed_by = UserRefSerializer(read_only=True, allow_null=True)
    awaits_agreement = serializers.BooleanField(read_only=True)

    class Meta:
        model = ScreeningMatch
        fields = (
            "id",
            "subject",
            "person_id",
            "screened_name",
            "matched_name",
            "listed_name",
            "list_id",
            "list_source",
            "entry_type",
            "programs",
            "score",
            "explanation",
            "disposition",
            "disposition_comment",
            "disposed_by",
            "disposed_at",
            "awaits_agreement",
            "proposed_by",
            "proposed_at",
            "proposal_comment",
            "agreed_by",
            "agreed_at",
            "agreement_comment",
            "created_at",
        )
        read_only_fields = fields


class ScreeningAgreementIn(InputSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RiskFactorOut(serializers.Serializer):
    code = serializers.CharField()
    points = serializers.IntegerField()
    reason = serializers.CharField(help_text="English.")
    reason_zh = serializers.CharField(required=False, help_text="Simplified Chinese.")


class RiskAssessmentOut(CachedModelSerializer):
    """The risk score factor by factor, the tier it gives and a reviewer's override."""

    factors = RiskFactorOut(many=True, read_only=True)
    effective_tier = serializers.CharField(read_only=True)
    overridden_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RiskAssessment
        fields = (
            "id",
            "points",
            "tier",
            "effective_tier",
            "factors",
            "computed_at",
            "override_tier",
            "override_comment",
            "overridden_by",
            "overridden_at",
        )
        read_only_fields = fields


class CapabilityDecisionOut(CachedModelSerializer):
    """A per-capability decision as the seller may see it (the rationale is internal)."""

    case_id = serializers.IntegerField(read_only=True)
    capability_id = serializers.IntegerField(read_only=True)
    reason_codes = ReasonCodeOut(many=True, read_only=True)
    severity = BlankAsNullChoiceField(
        choices=Severity.choices,
        read_only=True,
        allow_null=True,
        help_text="A rejection's severity: `retry` (the seller may fix and resubmit) or "
        "`final`; null for an approval.",
    )

    class Meta:
        model = CapabilityDecision
        fields: tuple[str, ...] = (
            "id",
            "case_id",
            "capability_id",
            "decision",
            "severity",
            "reason_codes",
            "decided_at",
        )
        read_only_fields: tuple[str, ...] = fields


class CapabilityDecisionInternalOut(CapabilityDecisionOut):
    decided_by = UserRefSerializer(read_only=True)

    class Meta(CapabilityDecisionOut.Meta):
        fields = (*CapabilityDecisionOut.Meta.fields, "rationale", "decided_by")
        read_only_fields: tuple[str, ...] = fields


class CaseInternalDetailOut(CaseInternalListOut):
    maker = UserRefSerializer(read_only=True, allow_null=True)
    checker = UserRefSerializer(read_only=True, allow_null=True)
    decision_rationale = serializers.CharField(read_only=True)
    policy_version = serializers.SerializerMethodField()
    document_decisions = DocumentDecisionOut(many=True, read_only=True)
    capability_decisions = CapabilityDecisionInternalOut(many=True, read_only=True)
    screening_matches = ScreeningMatchOut(
        source="api_screening_matches",
        many=True,
        read_only=True,
        help_text="The merchant's sanctions screening hits, open ones first.",
    )
    risk = RiskAssessmentOut(
        source="risk_assessment",
        read_only=True,
        allow_null=True,
        help_text="The stored risk score the case is routed by; null until it is scored.",
    )

    data_digest = serializers.CharField(
        read_only=True, help_text="SHA-256 of the data the last decision was about."
    )
    changes_since_submission = serializers.SerializerMethodField(
        help_text="Changes of the merchant's data made while the case was open and not yet "
        "acknowledged by its holder: [{id, event, field, person, before, after, by, at}]."
    )
    approval_blockers = serializers.SerializerMethodField(
        help_text="What stands between the case and an approval now: [{code, message, "
        "details}]; empty when it may be approved."
    )

    class Meta(CaseInternalListOut.Meta):
        fields = (
            *CaseInternalListOut.Meta.fields,
            "maker",
            "checker",
            "decision_rationale",
            "policy_version",
            "document_decisions",
            "capability_decisions",
            "screening_matches",
            "risk",
            "data_digest",
            "changes_since_submission",
            "approval_blockers",
        )
        read_only_fields = fields

    def get_policy_version(self, case: ReviewCase) -> str | None:
        return case.policy_version.label if case.policy_version else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_changes_since_submission(self, case: ReviewCase) -> list[dict[str, Any]]:
        from cases.details import unacknowledged_changes

        return [
            {
                "id": c.pk,
                "event": c.event,
                "field": c.field,
                "person": c.person_name,
                "before": c.before,
                "after": c.after,
                "by": c.actor.get_username() if c.actor else None,
                "at": c.created_at,
            }
            for c in unacknowledged_changes(case)
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_approval_blockers(self, case: ReviewCase) -> list[dict[str, Any]]:
        from cases.readiness import APPROVABLE_STATES, approval_blockers

        if case.state not in APPROVABLE_STATES:
            return []
        return [b.as_dict() for b in approval_blockers(case)]


class CaseDetailOut(CaseListOut):
    """A case as its page shows it. The view attaches the related lists, already scoped to
    the reader (comments, documents) and computed (requirements)."""

    capabilities = CapabilityOut(many=True, read_only=True)
    requirements = RequirementsOut(source="api_requirements", many=True, read_only=True)
    documents = DocumentOut(source="api_documents", many=True, read_only=True)
    comments = CommentOut(source="api_comments", many=True, read_only=True)
    information_requests = InformationRequestOut(many=True, read_only=True)
    decision = CaseDecisionOut(source="*", read_only=True)
    capability_decisions = CapabilityDecisionOut(many=True, read_only=True)
    internal = CaseInternalDetailOut(
        source="*", read_only=True, allow_null=True, help_text="Staff only; null for sellers."
    )

    class Meta(CaseListOut.Meta):
        fields = (
            *CaseListOut.Meta.fields,
            "capabilities",
            "requirements",
            "documents",
            "comments",
            "information_requests",
            "decision",
            "capability_decisions",
        )
        read_only_fields = fields


# --------------------------------------------------------------------------- transition inputs


class EmptyIn(InputSerializer):
    """No body (or `{}`)."""


class RequestInfoItemIn(InputSerializer):
    document_id = serializers.IntegerField(required=False, allow_null=True)
    reason_code = serializers.CharField(required=False, allow_blank=True)
    requirement_code = serializers.CharField(required=False, allow_blank=True, max_length=120)
    capability_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Ask about one of the case's capabilities."
    )
    note = serializers.CharField(required=False, allow_blank=True)


class RequestInfoIn(InputSerializer):
    message = serializers.CharField(help_text="Seller-visible.")
    deadline = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Defaults to the configured number of days."
    )
    items = RequestInfoItemIn(many=True, required=False)


class ResubmitIn(InputSerializer):
    answer = serializers.CharField(required=False, allow_blank=True, default="")


class RationaleIn(InputSerializer):
    rationale = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionIn(InputSerializer):
    reason_codes = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )
    rationale = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawIn(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CommentIn(InputSerializer):
    body = serializers.CharField()
    visibility = serializers.ChoiceField(
        choices=CommentVisibility.choices, default=CommentVisibility.SELLER
    )


class DocumentDecisionIn(InputSerializer):
    decision = serializers.ChoiceField(choices=DocumentDecision.Decision.choices)
    reason_code = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AcceptedDocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    document_type = serializers.CharField(source="document_type.code")
    label = serializers.CharField(source="document_type.name")


class SkippedDocumentOut(serializers.Serializer):
    id = serializers.IntegerField(source="document.pk")
    document_type = serializers.CharField(source="document.document_type.code")
    label = serializers.CharField(source="document.document_type.name")
    reason = serializers.CharField(help_text="`checks_warned_or_failed` or `checks_pending`.")


class CleanAcceptanceOut(serializers.Serializer):
    accepted = AcceptedDocumentOut(many=True, help_text="Accepted now, one audit event each.")
    skipped = SkippedDocumentOut(many=True, help_text="Left for the reviewer to decide.")


class ScreeningDispositionIn(InputSerializer):
    disposition = serializers.ChoiceField(
        choices=Disposition.choices,
        help_text="`confirmed`, `false_positive` or `inconclusive` (`open` is refused).",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required by the service."
    )


class RiskOverrideIn(InputSerializer):
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required by the service."
    )


# --------------------------------------------------------------------------- requirements


class MerchantRequirementsOut(serializers.Serializer):
    merchant_id = serializers.IntegerField()
    case_id = serializers.IntegerField(
        allow_null=True,
        help_text="The open case whose RFI deadline and rejection reasons are applied, if any.",
    )
    capabilities = RequirementsOut(many=True)
