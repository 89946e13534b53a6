from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.i18n import localized


class EntityType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual seller")
    SOLE_PROPRIETORSHIP = "sole_proprietorship", _("Sole proprietorship")
    COMPANY = "company", _("Company")
    PARTNERSHIP = "partnership", _("Partnership")


class BusinessModel(models.TextChoices):
    MARKETPLACE_SELLER = "marketplace_seller", _("Marketplace seller")
    CROSS_BORDER_B2B = "cross_border_b2b", _("Cross-border B2B trader")
    P2P_MERCHANT = "p2p_merchant", _("P2P merchant")


class MerchantStatus(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    OFFBOARDED = "offboarded", _("Offboarded")


class RiskTier(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    PROHIBITED = "prohibited", _("Prohibited")


class Merchant(models.Model):
    """The legal entity that sells."""

    legal_name = models.CharField(_("legal name"), max_length=255)
    local_name = models.CharField(_("local-script name"), max_length=255, blank=True)
    trading_name = models.CharField(_("trading name"), max_length=255, blank=True)
    entity_type = models.CharField(_("entity type"), max_length=30, choices=EntityType.choices)
    country = models.CharField(_("country of registration"), max_length=2)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    registered_address = models.TextField(_("registered address"), blank=True)
    operating_address = models.TextField(_("operating address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    business_model = models.CharField(
        _("business model"),
        max_length=30,
        choices=BusinessModel.choices,
        default=BusinessModel.MARKETPLACE_SELLER,
    )
    expected_monthly_volume = models.DecimalField(
        _("expected monthly volume (USD)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    preferred_language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    status = models.CharField(
        max_length=20, choices=MerchantStatus.choices, default=MerchantStatus.ONBOARDING
    )
    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    next_review_date = models.DateField(null=True, blank=True)
    # The payout account: a change on an active merchant opens a change-of-details case.
    bank_account_holder = models.CharField(_("account holder"), max_length=255, blank=True)
    bank_name = models.CharField(_("bank"), max_length=255, blank=True)
    bank_country = models.CharField(_("bank country"), max_length=2, blank=True)
    bank_account_number = models.CharField(_("account number / IBAN"), max_length=64, blank=True)
    bank_swift = models.CharField(_("SWIFT / BIC"), max_length=11, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="MerchantMembership", related_name="merchants"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["country", "registration_number"])]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def display_name(self) -> str:
        return f"{self.legal_name} ({self.local_name})" if self.local_name else self.legal_name


class MerchantMembership(models.Model):
    """A seller user who may act for a merchant."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_owner = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="membership_unique")
        ]


class ControlType(models.TextChoices):
    NONE = "", _("None")
    VOTING_RIGHTS = "voting_rights", _("Voting rights")
    BOARD_APPOINTMENT = "board_appointment", _("Appoints the board")
    SENIOR_MANAGEMENT = "senior_management", _("Senior managing official")
    OTHER = "other", _("Other means")


class Person(models.Model):
    """A legal representative, director or beneficial owner (one person may be several)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="people")
    full_name = models.CharField(_("full name"), max_length=255)
    local_name = models.CharField(_("local-script name"), max_length=255, blank=True)
    is_legal_representative = models.BooleanField(_("legal representative"), default=False)
    is_director = models.BooleanField(_("director"), default=False)
    is_beneficial_owner = models.BooleanField(_("beneficial owner"), default=False)
    ownership_percent = models.DecimalField(
        _("ownership %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    control_type = models.CharField(
        _("control"), max_length=30, choices=ControlType.choices, blank=True, default=""
    )
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    is_pep = models.BooleanField(_("politically exposed person (self-declared)"), default=False)
    pep_details = models.TextField(_("PEP details"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ownership_percent__gte=0) & Q(ownership_percent__lte=100),
                name="person_ownership_within_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def role_labels(self) -> list[str]:
        labels = []
        if self.is_legal_representative:
            labels.append(str(_("Legal representative")))
        if self.is_director:
            labels.append(str(_("Director")))
        if self.is_beneficial_owner:
            labels.append(str(_("Beneficial owner")))
        return labels


class Category(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name_en = models.CharField(max_length=120)
    name_zh = models.CharField(max_length=120, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_prohibited = models.BooleanField(default=False)
    # How many links a brand authorization chain may have in this category.
    max_authorization_depth = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_zh)


class Brand(models.Model):
    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True)
    trademark_number = models.CharField(max_length=64, blank=True)
    trademark_holder = models.CharField(max_length=255, blank=True)
    trademark_country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "trademark_number"], name="brand_unique")
        ]

    def __str__(self) -> str:
        return self.name


class BrandAuthorization(models.Model):
    """One link of a brand authorization chain: trademark holder → distributor → seller.

    `position` 1 is granted by the trademark holder; the last link's grantee is the merchant.
    """

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="brand_authorizations"
    )
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="authorizations")
    position = models.PositiveSmallIntegerField(default=1)
    grantor_name = models.CharField(max_length=255)
    grantee_name = models.CharField(max_length=255)
    territories = models.JSONField(default=list, blank=True)  # ISO country codes; [] = worldwide
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["merchant", "brand", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "brand", "position"], name="brand_authorization_link_unique"
            )
        ]


class CapabilityKind(models.TextChoices):
    SELL = "sell", _("Sell on the platform")
    CATEGORY = "category", _("Sell in a category")
    BRAND = "brand", _("Sell a brand")


class CapabilityStatus(models.TextChoices):
    UNREQUESTED = "unrequested", _("Not requested")
    PENDING = "pending", _("Pending review")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Capability(models.Model):
    """What a merchant may do; each has its own status and requirements."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="capabilities")
    kind = models.CharField(max_length=20, choices=CapabilityKind.choices)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(
        max_length=20, choices=CapabilityStatus.choices, default=CapabilityStatus.UNREQUESTED
    )
    disabled_reason = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["merchant", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="sell", category__isnull=True, brand__isnull=True)
                    | Q(kind="category", category__isnull=False, brand__isnull=True)
                    | Q(kind="brand", brand__isnull=False)
                ),
                name="capability_kind_matches_target",
            ),
            models.UniqueConstraint(
                fields=["merchant"], condition=Q(kind="sell"), name="capability_one_sell"
            ),
            models.UniqueConstraint(
                fields=["merchant", "category"],
                condition=Q(kind="category"),
                name="capability_one_per_category",
            ),
            models.UniqueConstraint(
                fields=["merchant", "brand"],
                condition=Q(kind="brand"),
                name="capability_one_per_brand",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def code(self) -> str:
        if self.kind == CapabilityKind.CATEGORY and self.category is not None:
            return f"category.{self.category.code}"
        if self.kind == CapabilityKind.BRAND and self.brand_id:
            return f"brand.{self.brand_id}"
        return "sell"

    @property
    def label(self) -> str:
        if self.kind == CapabilityKind.CATEGORY and self.category is not None:
            return str(_("Category: %(name)s") % {"name": self.category.name})
        if self.kind == CapabilityKind.BRAND and self.brand is not None:
            return str(_("Brand: %(name)s") % {"name": self.brand.name})
        return str(_("Sell on the platform"))
