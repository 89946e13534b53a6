"""Input and output serializers for documents, document types and requirements objects."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from config.api import CachedModelSerializer, InputSerializer
from kyc.models import DocumentCheckResult, DocumentType, QualificationDocument
from kyc.selectors import (
    document_checks_status,
    document_seller_problems,
    document_type_list,
)
from merchants.models import Category

# --------------------------------------------------------------------------- reference data


class DocumentTypeOut(CachedModelSerializer):
    class Meta:
        model = DocumentType
        fields = (
            "code",
            "family",
            "name_en",
            "name_zh",
            "description_en",
            "description_zh",
            "has_expiry",
            "requires_number",
            "allows_indefinite_validity",
        )
        read_only_fields = fields


# --------------------------------------------------------------------------- documents


class CheckResultOut(CachedModelSerializer):
    evidence = serializers.SerializerMethodField(
        help_text="What the check found. Staff only (it may name other merchants); null for "
        "sellers."
    )

    class Meta:
        model = DocumentCheckResult
        fields = (
            "check_name",
            "outcome",
            "code",
            "message_en",
            "message_zh",
            "evidence",
            "is_internal",
            "checked_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_evidence(self, result: DocumentCheckResult) -> dict[str, Any] | None:
        return result.evidence if self.context.get("is_staff") else None


class DocumentProblemOut(serializers.Serializer):
    code = serializers.CharField(help_text="The failed check's code, e.g. `pdf_javascript`.")
    message = serializers.CharField(help_text="What failed and what to upload instead.")


class DocumentOut(CachedModelSerializer):
    merchant_id = serializers.IntegerField(read_only=True)
    document_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    family = serializers.CharField(source="document_type.family", read_only=True)
    person_id = serializers.IntegerField(read_only=True, allow_null=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    brand_id = serializers.IntegerField(read_only=True, allow_null=True)
    is_expired = serializers.BooleanField(read_only=True)
    file_url = serializers.SerializerMethodField(help_text="Permission-checked download.")
    check_results = serializers.SerializerMethodField(
        help_text="One result per automated check. Staff also see internal signals "
        "(`is_internal`); sellers never do."
    )
    checks_completed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the automated checks last finished; null while they are running.",
    )
    has_preview = serializers.SerializerMethodField(
        help_text="Whether a first-page preview image was made for the reviewer's viewer."
    )
    checks_status = serializers.SerializerMethodField(
        help_text="`checking` while the automated checks run (a moment after the upload with "
        "a worker), then `failed` or `passed`. Poll the document until it is not `checking`."
    )
    problems = serializers.SerializerMethodField(
        help_text="What failed, in the request's language, each saying what to upload "
        "instead: the same as the requirement errors."
    )

    class Meta:
        model = QualificationDocument
        fields = (
            "id",
            "merchant_id",
            "document_type",
            "family",
            "person_id",
            "category",
            "brand_id",
            "status",
            "number",
            "issuer",
            "holder_name",
            "issue_date",
            "expiry_date",
            "valid_indefinitely",
            "is_expired",
            "original_filename",
            "content_type",
            "size",
            "sha256",
            "page_count",
            "integrity_verified_at",
            "created_at",
            "file_url",
            "checks_completed_at",
            "check_results",
            "has_preview",
            "checks_status",
            "problems",
        )
        read_only_fields = fields

    @extend_schema_field(CheckResultOut(many=True))
    def get_check_results(self, doc: QualificationDocument) -> list[dict[str, Any]]:
        # .all() reads the prefetched rows: filtering in Python costs no query per document.
        is_staff = bool(self.context.get("is_staff"))
        rows = [r for r in doc.check_results.all() if is_staff or not r.is_internal]
        return list(CheckResultOut(rows, many=True, context=self.context).data)

    @extend_schema_field(serializers.ChoiceField(choices=["checking", "failed", "passed"]))
    def get_checks_status(self, doc: QualificationDocument) -> str:
        return document_checks_status(doc)

    @extend_schema_field(DocumentProblemOut(many=True))
    def get_problems(self, doc: QualificationDocument) -> list[dict[str, str]]:
        return [{"code": r.code, "message": r.message} for r in document_seller_problems(doc)]

    def get_has_preview(self, doc: QualificationDocument) -> bool:
        # document_list() joins the preview, so lists cost no query per row.
        try:
            return doc.preview is not None
        except ObjectDoesNotExist:
            return False

    def get_file_url(self, doc: QualificationDocument) -> str:
        return reverse(
            "api:document-file", kwargs={"document_id": doc.pk}, request=self.context.get("request")
        )


class DocumentUploadIn(InputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the upload service refuses it with code `file_empty`
        help_text="PDF, JPEG or PNG; the type is sniffed from the bytes, not the name.",
    )
    document_type = serializers.SlugRelatedField(
        slug_field="code", queryset=document_type_list(), help_text="A document type code."
    )
    number = serializers.CharField(required=False, allow_blank=True, max_length=100)
    issuer = serializers.CharField(required=False, allow_blank=True, max_length=255)
    holder_name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    issue_date = serializers.DateField(required=False, allow_null=True)
    expiry_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Required where the type has an expiry, unless `valid_indefinitely`; a date "
        "in the past is refused (400).",
    )
    valid_indefinitely = serializers.BooleanField(
        required=False,
        help_text="The document has no end date (长期). Only for types whose "
        "`allows_indefinite_validity` is true; then leave `expiry_date` empty.",
    )
    person = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the merchant's person it identifies."
    )
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.all(),
        required=False,
        allow_null=True,
        help_text="Category code, for a category license.",
    )
    brand = serializers.IntegerField(required=False, allow_null=True, help_text="Brand id.")
    supersedes = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of this merchant's document that the upload replaces. The new document "
        "keeps the replaced one's person, brand and category unless the upload names them.",
    )


# --------------------------------------------------------------------------- requirements


class RequirementItemOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    document_types = serializers.ListField(
        child=serializers.CharField(), help_text="Acceptable document type codes (any one)."
    )
    person_id = serializers.IntegerField(required=False)
    document_id = serializers.IntegerField(required=False)
    expires_on = serializers.DateField(required=False)


class RequirementErrorOut(serializers.Serializer):
    requirement = serializers.CharField()
    code = serializers.CharField(
        help_text="e.g. `document_expired`, `document_rejected`, `name_mismatch`, `not_readable`."
    )
    reason = serializers.CharField(help_text="In the request's language.")
    document_id = serializers.IntegerField(required=False)


class RequirementsOut(serializers.Serializer):
    """The requirements object of one capability."""

    capability = serializers.CharField()
    capability_id = serializers.IntegerField()
    label = serializers.CharField()
    status = serializers.CharField()
    currently_due = RequirementItemOut(many=True)
    eventually_due = RequirementItemOut(many=True)
    past_due = RequirementItemOut(many=True)
    pending_verification = RequirementItemOut(many=True)
    errors = RequirementErrorOut(many=True)
    current_deadline = serializers.CharField(allow_null=True)
    disabled_reason = serializers.CharField(allow_null=True)


# --------------------------------------------------------------------------- brand chains


class BrandChainLinkIn(InputSerializer):
    grantor_name = serializers.CharField(
        allow_blank=True, max_length=255, help_text="Who grants (link 1: the brand owner)."
    )
    grantee_name = serializers.CharField(
        allow_blank=True,
        max_length=255,
        help_text="Who receives (the last link: this merchant's registered name).",
    )
    territories = serializers.ListField(
        child=serializers.CharField(max_length=12),
        required=False,
        help_text="ISO 3166 alpha-2 codes the link covers; empty = worldwide. Must cover the "
        "merchant's country, and be within the previous link's territory.",
    )
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Not in the past, and not after the previous link's end.",
    )


class BrandChainIn(InputSerializer):
    links = BrandChainLinkIn(
        many=True,
        help_text="The whole chain in order, brand owner first, this merchant last; it "
        "replaces the chain on file. An empty list clears it (the merchant holds the "
        "trademark itself). Errors name the link: `links.<index>.<field>` (0-based).",
    )


class BrandChainLinkOut(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 = granted by the brand owner.")
    grantor_name = serializers.CharField()
    grantee_name = serializers.CharField()
    territories = serializers.ListField(child=serializers.CharField())
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


class BrandChainOut(serializers.Serializer):
    merchant_id = serializers.IntegerField()
    brand_id = serializers.IntegerField()
    brand = serializers.CharField()
    trademark_holder = serializers.CharField(help_text="The brand owner the chain starts at.")
    links = BrandChainLinkOut(many=True)
