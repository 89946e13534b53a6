"""Input and output serializers for merchants, people, capabilities and categories.

Input serializers check shape and types only; the services own the business rules (ownership
over 100 %, prohibited categories, membership) and report them in the same error shape.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import (
    BlankAsNullChoiceField,
    BlankAsNullURLField,
    CachedModelSerializer,
    InputSerializer,
    RejectUnknownFieldsMixin,
)
from merchants.models import (
    Brand,
    Capability,
    CapabilityKind,
    Category,
    Merchant,
    Person,
    RiskTier,
)
from merchants.services import MERCHANT_FIELDS, PERSON_FIELDS

# --------------------------------------------------------------------------- merchants


class MerchantInternalOut(CachedModelSerializer):
    """What only staff see about a merchant."""

    risk_tier = BlankAsNullChoiceField(
        choices=RiskTier.choices, read_only=True, allow_null=True, help_text="Null until assessed."
    )

    class Meta:
        model = Merchant
        fields = ("risk_tier", "next_review_date")
        read_only_fields = fields


class MerchantOut(CachedModelSerializer):
    open_case_id = serializers.SerializerMethodField(
        help_text="The merchant's open review case (the draft right after creation), or null."
    )
    internal = serializers.SerializerMethodField(help_text="Staff only; null for sellers.")
    website = BlankAsNullURLField(read_only=True, allow_null=True, help_text="Null when unset.")

    class Meta:
        model = Merchant
        fields = (
            "id",
            *MERCHANT_FIELDS,
            "status",
            "open_case_id",
            "internal",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_open_case_id(self, merchant: Merchant) -> int | None:
        return getattr(merchant, "open_case_id", None)

    @extend_schema_field(MerchantInternalOut(allow_null=True))
    def get_internal(self, merchant: Merchant) -> dict[str, Any] | None:
        if not self.context.get("is_staff"):
            return None
        return MerchantInternalOut(merchant).data


class MerchantCreateIn(RejectUnknownFieldsMixin, CachedModelSerializer):
    class Meta:
        model = Merchant
        fields = MERCHANT_FIELDS
        extra_kwargs = {
            "bank_country": {"help_text": "ISO 3166-1 alpha-2 code of the bank's country."},
            "bank_account_number": {
                "help_text": "Validated as an IBAN when it looks like one (2 letters, 2 digits)."
            },
            "bank_swift": {"help_text": "SWIFT/BIC, 8 or 11 characters."},
        }


class MerchantUpdateIn(MerchantCreateIn):
    """Every field optional (PATCH): only the fields sent change."""


# --------------------------------------------------------------------------- people


class PersonOut(CachedModelSerializer):
    merchant_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Person
        fields = ("id", "merchant_id", *PERSON_FIELDS, "created_at")
        read_only_fields = fields


class PersonCreateIn(RejectUnknownFieldsMixin, CachedModelSerializer):
    class Meta:
        model = Person
        fields = PERSON_FIELDS


class PersonUpdateIn(PersonCreateIn):
    """Every field optional (PATCH)."""


# --------------------------------------------------------------------------- categories, brands


class CategoryOut(CachedModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = (
            "code",
            "name_en",
            "name_zh",
            "parent",
            "is_prohibited",
            "max_authorization_depth",
        )
        read_only_fields = fields


class CategoryRefOut(CachedModelSerializer):
    class Meta:
        model = Category
        fields = ("code", "name_en", "name_zh")
        read_only_fields = fields


class BrandRefOut(CachedModelSerializer):
    class Meta:
        model = Brand
        fields = ("id", "name", "local_name", "trademark_number")
        read_only_fields = fields


# --------------------------------------------------------------------------- capabilities


class CapabilityOut(CachedModelSerializer):
    code = serializers.CharField(
        read_only=True, help_text="`sell`, `category.<code>` or `brand.<id>`."
    )
    label = serializers.CharField(read_only=True)
    category = CategoryRefOut(read_only=True, allow_null=True)
    brand = BrandRefOut(read_only=True, allow_null=True)

    class Meta:
        model = Capability
        fields: tuple[str, ...] = (
            "id",
            "code",
            "label",
            "kind",
            "category",
            "brand",
            "status",
            "disabled_reason",
            "requested_at",
            "status_changed_at",
        )
        read_only_fields = fields


class CapabilityApplyOut(CapabilityOut):
    case_id = serializers.IntegerField(
        read_only=True, help_text="The draft (or RFI) case the capability was put on."
    )

    class Meta(CapabilityOut.Meta):
        fields = (*CapabilityOut.Meta.fields, "case_id")
        read_only_fields = fields


class CapabilityApplyIn(InputSerializer):
    kind = serializers.ChoiceField(choices=CapabilityKind.choices)
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.all(),
        required=False,
        help_text="Category code, for kind `category`.",
    )
    brand = serializers.PrimaryKeyRelatedField(
        queryset=Brand.objects.all(), required=False, help_text="Brand id, for kind `brand`."
    )
