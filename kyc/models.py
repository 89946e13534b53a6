from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.i18n import localized
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
    # Some documents may be valid indefinitely (a Chinese business license says 长期 instead
    # of an end date): for these the expiry date is optional once the seller says so.
    allows_indefinite_validity = models.BooleanField(
        default=False,
        help_text="The document may be valid indefinitely (长期); its expiry date is then "
        "optional.",
    )
    requires_number = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family", "code"]

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_zh)


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
    # A draft (published_at null) is edited on the compliance pages; everyone who changed it
    # is an editor, and no editor may publish it (four-eyes, compliance/services.py).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def label(self) -> str:
        return f"requirements-v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


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
        ordering = ["policy_id", "capability_kind", "code"]
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
        return localized(self.label_en, self.label_zh)


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
    # The seller declared it has no end date (长期); only for types that allow it. No expiry
    # date is invented: expiry_date stays null.
    valid_indefinitely = models.BooleanField(_("valid indefinitely"), default=False)
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.UPLOADED
    )
    integrity_verified_at = models.DateTimeField(null=True, blank=True)
    checks_completed_at = models.DateTimeField(null=True, blank=True)
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


class DocumentView(models.Model):
    """Who first looked at one version of a document (one upload), from which case, and when:
    the proof a decision rests on a look. One row, and one `document.viewed` audit event, per
    viewer per document per case (per document outside a case), however often the page that
    shows it is loaded. `case_id` is a plain id: kyc sits below cases."""

    document = models.ForeignKey(
        QualificationDocument, on_delete=models.CASCADE, related_name="views"
    )
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["viewed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "viewer", "case_id"],
                condition=models.Q(case_id__isnull=False),
                name="one_view_per_viewer_document_case",
            ),
            models.UniqueConstraint(
                fields=["document", "viewer"],
                condition=models.Q(case_id__isnull=True),
                name="one_view_per_viewer_document",
            ),
        ]


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
    # Staff only: a signal the seller must never learn of (e.g. that another account later
    # submitted the same file). Seller-facing pages, API answers and e-mails leave it out.
    is_internal = models.BooleanField(default=False)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # By the id: ordering by "document" joins every document to sort by its Meta ordering
        # (a scan of the whole table on each prefetch of a document's results).
        ordering = ["document_id", "check_name"]
        constraints = [
            models.UniqueConstraint(fields=["document", "check_name"], name="one_result_per_check")
        ]

    @property
    def message(self) -> str:
        return localized(self.message_en, self.message_zh)


# --------------------------------------------------------------------------- sanctions


class SanctionsList(models.Model):
    """One imported version of a published sanctions list. Exactly one version per source is
    active; importing replaces the active version atomically and keeps the old ones."""

    source = models.CharField(max_length=40, default="ofac_sdn")
    label = models.CharField(max_length=200)  # file name or URL it came from
    sha256 = models.CharField(max_length=64)
    entry_count = models.PositiveIntegerField(default=0)
    name_count = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=models.Q(is_active=True), name="one_active_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.imported_at:%Y-%m-%d} ({self.entry_count})"


class SanctionsEntry(models.Model):
    """One listed party; `names` holds the primary name first, then every alias."""

    sanctions_list = models.ForeignKey(
        SanctionsList, on_delete=models.CASCADE, related_name="entries"
    )
    list_id = models.CharField(max_length=40)  # the publisher's id (OFAC ent_num)
    entry_type = models.CharField(max_length=20)  # individual / entity / vessel / aircraft
    primary_name = models.CharField(max_length=500)
    names = models.JSONField(default=list)  # [{"name": ..., "kind": "primary|aka|fka|nka"}]
    programs = models.JSONField(default=list)
    remarks = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)  # DOB, nationality, registrations …

    class Meta:
        ordering = ["sanctions_list", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sanctions_list", "list_id"], name="entry_unique_in_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.list_id} {self.primary_name}"


class ScreeningSubject(models.TextChoices):
    LEGAL_NAME = "legal_name", _("Legal name")
    LOCAL_NAME = "local_name", _("Local-script name")
    TRADING_NAME = "trading_name", _("Trading name")
    PERSON = "person", _("Person")
    OWNERSHIP = "ownership", _("Owned 50 percent or more by listed parties")


class Disposition(models.TextChoices):
    OPEN = "open", _("Awaiting disposition")
    CONFIRMED = "confirmed", _("Confirmed match")
    FALSE_POSITIVE = "false_positive", _("False positive")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class ScreeningMatch(models.Model):
    """A possible hit of a merchant name or person against a listed party. A reviewer must
    dispose of every open match before the merchant's case can be approved."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="screening_matches"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="screening_matches"
    )
    subject = models.CharField(max_length=20, choices=ScreeningSubject.choices)
    screened_name = models.CharField(max_length=500)
    sanctions_list = models.ForeignKey(SanctionsList, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(SanctionsEntry, on_delete=models.PROTECT, related_name="matches")
    matched_name = models.CharField(max_length=500)
    score = models.PositiveSmallIntegerField()  # 0-100
    explanation = models.TextField()
    status = models.CharField(max_length=20, choices=Disposition.choices, default=Disposition.OPEN)
    disposition_comment = models.TextField(blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disposed_at = models.DateTimeField(null=True, blank=True)
    # Four-eyes on clearing a strong hit (score >= KYC_STRONG_HIT_SCORE): the first person's
    # false-positive disposition is a proposal (the hit stays open); a different staff member
    # agrees, and only then is it cleared. Both are kept: the risk breakdown names them.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    proposal_comment = models.TextField(blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreement_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            # Re-screening is idempotent: one match per subject name and listed party.
            models.UniqueConstraint(
                fields=["merchant", "subject", "screened_name", "entry"],
                name="screening_match_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.screened_name} ~ {self.matched_name} ({self.score})"

    @property
    def is_open(self) -> bool:
        return self.status == Disposition.OPEN

    @property
    def is_strong(self) -> bool:
        """Strong enough that clearing it as a false positive needs a second person."""
        return self.score >= settings.KYC_STRONG_HIT_SCORE

    @property
    def awaits_agreement(self) -> bool:
        """A false-positive disposition was proposed and waits for a second staff member."""
        return self.status == Disposition.OPEN and self.proposed_by_id is not None


class ScreeningRun(models.Model):
    """One screening of a merchant against one list: the names it covered (each
    "entity:<name>" / "individual:<name>", casefolded). Approval compares them with the names
    on file now, so a rename after the last screening is seen as unscreened (cases.readiness),
    whatever the clocks say."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="screening_runs")
    sanctions_list = models.ForeignKey(SanctionsList, on_delete=models.PROTECT, related_name="+")
    names = models.JSONField(default=list)
    new_matches = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-id"])]


# --------------------------------------------------------------------------- risk


class RiskAssessment(models.Model):
    """A computed risk score: the named factors, their points and the tier they give. A
    reviewer may override the tier, only with a comment (audited)."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="risk_assessments"
    )
    points = models.IntegerField()
    tier = models.CharField(max_length=20)
    factors = models.JSONField(default=list)  # [{"code", "points", "reason"}]
    computed_at = models.DateTimeField(default=timezone.now)
    override_tier = models.CharField(max_length=20, blank=True)
    override_comment = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]

    @property
    def effective_tier(self) -> str:
        return self.override_tier or self.tier


class DocumentPreview(models.Model):
    """A first-page image of a document for the reviewer's viewer (made by the checks job;
    its storage key is deterministic so a rerun overwrites it)."""

    document = models.OneToOneField(
        QualificationDocument, on_delete=models.CASCADE, related_name="preview"
    )
    file = models.FileField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)


class RiskSettings(models.Model):
    """The risk score's editable figures (one row, pk=1): the tier thresholds, the country
    classes with their points and member countries, and the points per category code.
    Compliance admins edit them on their pages (audited); kyc/risk.py reads the row once per
    score and falls back to the figures in kyc/risk_data.py when it is missing. The other
    factor points stay in kyc/risk_data.py (code, reviewed like code)."""

    medium_points = models.PositiveIntegerField()
    high_points = models.PositiveIntegerField()
    prohibited_points = models.PositiveIntegerField()
    # Most severe first: [{"code", "label_en", "label_zh", "points", "nationality_points",
    # "countries": ["CU", ...]}]
    country_classes = models.JSONField(default=list)
    category_points = models.JSONField(default=dict)  # {"food": 10, ...}
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(medium_points__lt=models.F("high_points"))
                & models.Q(high_points__lt=models.F("prohibited_points")),
                name="risk_thresholds_ascending",
            )
        ]

    @property
    def thresholds(self) -> dict[str, int]:
        return {
            "medium": self.medium_points,
            "high": self.high_points,
            "prohibited": self.prohibited_points,
        }
