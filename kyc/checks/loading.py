"""Reads what the checks need from the database: the context of one document and the
candidate rows for the duplicate checks. The only module of this package that queries;
the checks themselves never do."""

from __future__ import annotations

from datetime import date

from django.db.models import F, Func, QuerySet, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from kyc.models import DocumentStatus, QualificationDocument
from merchants.models import (
    BrandAuthorization,
    Capability,
    CapabilityKind,
    CapabilityStatus,
    Merchant,
)

from .context import (
    REGISTRATION_DOCUMENT_TYPES,
    BrandFacts,
    ChainLink,
    CheckContext,
    CheckLimits,
    MerchantFacts,
    PersonFacts,
    limits_from_settings,
)
from .duplicate_file import DuplicateFileCandidate
from .duplicate_registration import RegistrationCandidate, numbers_of

MAX_CANDIDATES = 200  # evidence lists 20; more only slows the check down


def document_for_checks(document_id: int) -> QualificationDocument | None:
    return (
        QualificationDocument.objects.select_related(
            "document_type", "merchant", "person", "brand", "category"
        )
        .filter(pk=document_id)
        .first()
    )


def _chain_depth(doc: QualificationDocument) -> tuple[int | None, str]:
    """The category's chain-depth limit when a category is involved: the document's own,
    else the strictest of the merchant's requested categories; else the setting."""
    if doc.category is not None:
        return doc.category.max_authorization_depth, f"category:{doc.category.code}"
    capabilities = (
        Capability.objects.filter(merchant_id=doc.merchant_id, kind=CapabilityKind.CATEGORY)
        .exclude(status=CapabilityStatus.UNREQUESTED)
        .select_related("category")
        .order_by("category__max_authorization_depth", "category__code")
    )
    strictest = next((c for c in capabilities if c.category is not None), None)
    if strictest is None or strictest.category is None:
        return None, "setting"
    return strictest.category.max_authorization_depth, f"category:{strictest.category.code}"


def check_context(
    doc: QualificationDocument, *, today: date | None = None, limits: CheckLimits | None = None
) -> CheckContext:
    merchant = doc.merchant
    person = doc.person
    brand = doc.brand
    chain: tuple[ChainLink, ...] = ()
    depth: int | None = None
    depth_source = "setting"
    if brand is not None:
        chain = tuple(
            ChainLink(
                id=link.pk,
                position=link.position,
                grantor_name=link.grantor_name,
                grantee_name=link.grantee_name,
                brand_id=link.brand_id,
                territories=tuple(str(t) for t in (link.territories or [])),
                valid_from=link.valid_from,
                valid_until=link.valid_until,
            )
            for link in BrandAuthorization.objects.filter(
                merchant_id=doc.merchant_id, brand_id=brand.pk
            ).order_by("position")
        )
        depth, depth_source = _chain_depth(doc)
    return CheckContext(
        today=today or timezone.localdate(),
        document_id=doc.pk,
        document_type=doc.document_type.code,
        family=doc.document_type.family,
        has_expiry=doc.document_type.has_expiry,
        number=doc.number,
        holder_name=doc.holder_name,
        issue_date=doc.issue_date,
        expiry_date=doc.expiry_date,
        valid_indefinitely=doc.valid_indefinitely and doc.document_type.allows_indefinite_validity,
        sha256=doc.sha256,
        merchant=MerchantFacts(
            id=merchant.pk,
            legal_name=merchant.legal_name,
            local_name=merchant.local_name,
            trading_name=merchant.trading_name,
            country=merchant.country,
            registration_number=merchant.registration_number,
            entity_type=merchant.entity_type,
        ),
        person=PersonFacts(id=person.pk, full_name=person.full_name, local_name=person.local_name)
        if person is not None
        else None,
        brand=BrandFacts(id=brand.pk, name=brand.name, trademark_holder=brand.trademark_holder)
        if brand is not None
        else None,
        chain=chain,
        chain_max_depth=depth,
        chain_depth_source=depth_source,
        limits=limits or limits_from_settings(),
    )


def _compact(expression: Func | F) -> Func:
    """The SQL twin of registration_number.compact_number (for the separators sellers use)."""
    result: Func = Upper(expression)
    for separator in (" ", "-", ".", "/"):
        result = Replace(result, Value(separator), Value(""))
    return result


def duplicate_file_documents(doc: QualificationDocument) -> QuerySet[QualificationDocument]:
    """Other merchants' documents with the same bytes (superseded ones included: a file
    once used elsewhere is a signal even after that merchant replaced it)."""
    return (
        QualificationDocument.objects.filter(sha256=doc.sha256)
        .exclude(merchant_id=doc.merchant_id)
        .select_related("merchant", "document_type")
        .order_by("id")
    )


def duplicate_file_candidates(doc: QualificationDocument) -> list[DuplicateFileCandidate]:
    return [
        DuplicateFileCandidate(
            document_id=other.pk,
            merchant_id=other.merchant_id,
            merchant_name=other.merchant.legal_name,
            document_type=other.document_type.code,
            sha256=other.sha256,
            earlier=other.pk < doc.pk,  # ids follow upload order
        )
        for other in duplicate_file_documents(doc)[:MAX_CANDIDATES]
    ]


def registration_documents(ctx: CheckContext) -> QuerySet[QualificationDocument]:
    """Other merchants' current registration documents carrying one of ctx's numbers."""
    numbers = numbers_of(ctx)
    if not ctx.is_registration_document or not numbers:
        return QualificationDocument.objects.none()
    return (
        QualificationDocument.objects.filter(
            merchant__country__iexact=ctx.merchant.country,
            document_type__code__in=REGISTRATION_DOCUMENT_TYPES,
        )
        .exclude(merchant_id=ctx.merchant.id or 0)
        .exclude(status=DocumentStatus.SUPERSEDED)
        .annotate(number_compact=_compact(F("number")))
        .filter(number_compact__in=numbers)
        .select_related("merchant")
        .order_by("id")
    )


def registration_candidates(ctx: CheckContext) -> list[RegistrationCandidate]:
    numbers = numbers_of(ctx)
    if not ctx.is_registration_document or not numbers:
        return []
    merchants = (
        Merchant.objects.filter(country__iexact=ctx.merchant.country)
        .exclude(pk=ctx.merchant.id or 0)
        .annotate(number_compact=_compact(F("registration_number")))
        .filter(number_compact__in=numbers)
        .order_by("id")[:MAX_CANDIDATES]
    )
    found = [
        RegistrationCandidate(
            merchant_id=m.pk,
            merchant_name=m.legal_name,
            country=m.country,
            registration_number=m.registration_number,
            # A profile claims its number from the merchant's creation: one registered after
            # this document's merchant is the later claimant (ids follow creation order).
            earlier=m.pk < (ctx.merchant.id or 0),
        )
        for m in merchants
    ]
    found += [
        RegistrationCandidate(
            merchant_id=d.merchant_id,
            merchant_name=d.merchant.legal_name,
            country=d.merchant.country,
            registration_number=d.number,
            document_id=d.pk,
            earlier=ctx.document_id is None or d.pk < ctx.document_id,
        )
        for d in registration_documents(ctx)[:MAX_CANDIDATES]
    ]
    return found
