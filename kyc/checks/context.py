"""The metadata a check sees besides the file: plain frozen values, built by the service from
the database, so that every check is a pure function and testable without one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Defaults for the limits; Django settings of the names read in limits_from_settings()
# override them (KYC_MAX_PDF_PAGES, KYC_MAX_IMAGE_PIXELS, KYC_MIN_IMAGE_SIDE_PX, ...).
DEFAULT_MAX_PDF_PAGES = 50
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # 40 MP: beyond any phone photo or A4 scan at 600 dpi
DEFAULT_MIN_IMAGE_SIDE_PX = 500  # an ID card at 150 dpi is about 500 px on its short side
DEFAULT_MAX_PDF_OBJECTS = 100_000
DEFAULT_BRAND_CHAIN_MAX_DEPTH = 2
DEFAULT_NAME_MATCH_PASS = 88  # 0-100, rapidfuzz token_sort_ratio on normalised names
DEFAULT_NAME_MATCH_WARN = 75

# Document types that prove the entity's registration: their number is the merchant's
# registration number, checked by checksum and for reuse by another merchant.
REGISTRATION_DOCUMENT_TYPES = frozenset({"business_license", "certificate_of_incorporation"})
BRAND_AUTHORIZATION_TYPES = frozenset({"brand_authorization_letter"})
TRADEMARK_TYPES = frozenset({"trademark_certificate"})


@dataclass(frozen=True)
class CheckLimits:
    max_bytes: int = 10 * 1024 * 1024
    allowed_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
    max_pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    max_pdf_objects: int = DEFAULT_MAX_PDF_OBJECTS
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    min_image_side_px: int = DEFAULT_MIN_IMAGE_SIDE_PX
    expiry_warning_days: int = 30
    brand_chain_max_depth: int = DEFAULT_BRAND_CHAIN_MAX_DEPTH
    name_match_pass: int = DEFAULT_NAME_MATCH_PASS
    name_match_warn: int = DEFAULT_NAME_MATCH_WARN


def limits_from_settings() -> CheckLimits:
    """The limits in force, from Django settings where set (the KYC_* names below)."""
    from django.conf import settings

    def get(name: str, default: Any) -> Any:
        return getattr(settings, name, default)

    return CheckLimits(
        max_bytes=int(get("KYC_MAX_UPLOAD_BYTES", CheckLimits.max_bytes)),
        allowed_types=tuple(get("KYC_ALLOWED_MIME_TYPES", CheckLimits.allowed_types)),
        max_pdf_pages=int(get("KYC_MAX_PDF_PAGES", DEFAULT_MAX_PDF_PAGES)),
        max_pdf_objects=int(get("KYC_MAX_PDF_OBJECTS", DEFAULT_MAX_PDF_OBJECTS)),
        max_image_pixels=int(get("KYC_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)),
        min_image_side_px=int(get("KYC_MIN_IMAGE_SIDE_PX", DEFAULT_MIN_IMAGE_SIDE_PX)),
        expiry_warning_days=int(get("KYC_EXPIRY_WARNING_DAYS", 30)),
        brand_chain_max_depth=int(get("KYC_BRAND_CHAIN_MAX_DEPTH", DEFAULT_BRAND_CHAIN_MAX_DEPTH)),
        name_match_pass=int(get("KYC_NAME_MATCH_PASS", DEFAULT_NAME_MATCH_PASS)),
        name_match_warn=int(get("KYC_NAME_MATCH_WARN", DEFAULT_NAME_MATCH_WARN)),
    )


@dataclass(frozen=True)
class MerchantFacts:
    id: int | None = None
    legal_name: str = ""
    local_name: str = ""
    trading_name: str = ""
    country: str = ""
    registration_number: str = ""
    entity_type: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The names a document may be issued to: the legal and the local-script name."""
        return tuple(n for n in (self.legal_name, self.local_name) if n.strip())


@dataclass(frozen=True)
class PersonFacts:
    id: int | None = None
    full_name: str = ""
    local_name: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.full_name, self.local_name) if n.strip())


@dataclass(frozen=True)
class BrandFacts:
    id: int | None = None
    name: str = ""
    trademark_holder: str = ""


@dataclass(frozen=True)
class ChainLink:
    """One BrandAuthorization link, as the check needs it."""

    position: int
    grantor_name: str
    grantee_name: str
    brand_id: int | None = None
    territories: tuple[str, ...] = ()  # ISO country codes; empty = worldwide
    valid_from: date | None = None
    valid_until: date | None = None
    id: int | None = None


@dataclass(frozen=True)
class CheckContext:
    """Everything about the document but its bytes."""

    today: date
    document_id: int | None = None
    document_type: str = ""  # DocumentType.code
    family: str = ""  # entity / brand / category
    has_expiry: bool = False
    number: str = ""
    holder_name: str = ""
    issue_date: date | None = None
    expiry_date: date | None = None
    valid_indefinitely: bool = False  # declared 长期, on a type that allows it
    sha256: str = ""  # as recorded at upload
    merchant: MerchantFacts = field(default_factory=MerchantFacts)
    person: PersonFacts | None = None
    brand: BrandFacts | None = None
    chain: tuple[ChainLink, ...] = ()
    # The chain depth allowed for this document and where the limit comes from
    # ("category:<code>" or "setting"); None = limits.brand_chain_max_depth applies.
    chain_max_depth: int | None = None
    chain_depth_source: str = "setting"
    limits: CheckLimits = field(default_factory=CheckLimits)

    @property
    def is_registration_document(self) -> bool:
        return self.document_type in REGISTRATION_DOCUMENT_TYPES
