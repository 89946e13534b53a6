from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from merchants.models import (
    Brand,
    BrandAuthorization,
    CapabilityKind,
    Category,
    EntityType,
    Merchant,
    Person,
)


class DocumentFamily(models.TextChoices):
    ENTITY = "entity", _("Entity qualification")
    BRAND = "brand", _("Brand qualification")
    CATEGORY = "category", _("Category qualification")


class DocumentType(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    family = models.CharField(max_length=20, choices=DocumentFamily.choices)
    name_en = models.CharField(max_length=160)
    name_zh = models.CharField(max_length=160, blank=True)
    description_en = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    has_expiry = models.BooleanField(default=False)
    requires_number = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family", "code"]

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        return (
            self.name_zh
            if (get_language() or "").startswith("zh") and self.name_zh
            else self.name_en
        )


class PolicyVersion(models.Model):
    """A published set of requirement rules. Rules are never edited in place once published:
    a change is a new version, and each case records the version it was decided under."""

    version = models.PositiveIntegerField(unique=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def label(self) -> str:
        return f"requirements-v{self.version}"


class PersonScope(models.TextChoices):
    NONE = "", _("The merchant")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Each legal representative")
    BENEFICIAL_OWNER = "beneficial_owner", _("Each declared beneficial owner")


class RequirementRule(models.Model):
    """One requirement of a policy version: for capabilities matching the filters, one document
    of any of `document_types` (acceptable alternatives) must be on file and valid."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="rules")
    code = models.SlugField(max_length=80)
    capability_kind = models.CharField(max_length=20, choices=CapabilityKind.choices)
    # Blank / null filters match anything.
    entity_type = models.CharField(max_length=30, choices=EntityType.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    person_scope = models.CharField(
        max_length=30, choices=PersonScope.choices, blank=True, default=""
    )
    document_types = models.ManyToManyField(DocumentType, related_name="rules")
    label_en = models.CharField(max_length=200)
    label_zh = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["policy", "capability_kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "code", "capability_kind", "entity_type", "country", "category"],
                name="rule_unique_in_policy",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.code}"

    @property
    def label(self) -> str:
        return (
            self.label_zh
            if (get_language() or "").startswith("zh") and self.label_zh
            else self.label_en
        )


class DocumentStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, being checked")
    PENDING_REVIEW = "pending_review", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a newer upload")


def document_storage_key(instance: QualificationDocument, filename: str) -> str:
    # Deterministic from the row's own uuid: never from the uploader's filename.
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        instance.content_type, "bin"
    )
    return f"documents/merchant-{instance.merchant_id}/{instance.uuid}.{ext}"


class QualificationDocument(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="documents")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT)
    authorization_link = models.ForeignKey(
        BrandAuthorization, null=True, blank=True, on_delete=models.SET_NULL
    )
    file = models.FileField(upload_to=document_storage_key, max_length=300)
    original_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)  # sniffed from the bytes, never the client's
    page_count = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(_("document number"), max_length=100, blank=True)
    issuer = models.CharField(_("issuer"), max_length=255, blank=True)
    holder_name = models.CharField(_("holder name"), max_length=255, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.UPLOADED
    )
    integrity_verified_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "document_type", "status"])]

    def __str__(self) -> str:
        return f"{self.document_type} #{self.pk}"

    @property
    def is_expired(self) -> bool:
        return bool(self.expiry_date and self.expiry_date < timezone.localdate())

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png")


class CheckOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    WARNING = "warning", _("Warning")
    FAILED = "failed", _("Failed")


class DocumentCheckResult(models.Model):
    """The outcome of one automated check on one document (filled by the checks pipeline)."""

    document = models.ForeignKey(
        QualificationDocument, on_delete=models.CASCADE, related_name="check_results"
    )
    check_name = models.CharField(max_length=60)
    outcome = models.CharField(max_length=10, choices=CheckOutcome.choices)
    code = models.CharField(max_length=60)
    message_en = models.TextField(blank=True)
    message_zh = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document", "check_name"]
        constraints = [
            models.UniqueConstraint(fields=["document", "check_name"], name="one_result_per_check")
        ]

    @property
    def message(self) -> str:
        return (
            self.message_zh
            if (get_language() or "").startswith("zh") and self.message_zh
            else self.message_en
        )
