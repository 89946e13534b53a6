"""Automated document checks: one module per check, each a pure function of the file and a
typed context, returning a CheckResult (passed / warning / failed, a machine code, a message
in English and Simplified Chinese, the evidence). kyc.services.document_run_checks runs them
and stores the results; kyc.uploads uses the file-type check to refuse a file at upload."""

from . import (
    brand_chain,
    duplicate_file,
    duplicate_registration,
    expiry,
    file_type,
    holder_name,
    image_decode,
    image_resolution,
    integrity,
    pdf_embedded_files,
    pdf_javascript,
    pdf_structure,
    registration_number,
)
from .base import CheckResult, Outcome
from .context import (
    BrandFacts,
    ChainLink,
    CheckContext,
    CheckLimits,
    MerchantFacts,
    PersonFacts,
    limits_from_settings,
)
from .duplicate_file import DuplicateFileCandidate
from .duplicate_registration import RegistrationCandidate
from .runner import CHECK_NAMES, run_checks
from .source import FileSource

__all__ = [
    "CHECK_NAMES",
    "BrandFacts",
    "ChainLink",
    "CheckContext",
    "CheckLimits",
    "CheckResult",
    "DuplicateFileCandidate",
    "FileSource",
    "MerchantFacts",
    "Outcome",
    "PersonFacts",
    "RegistrationCandidate",
    "limits_from_settings",
    "brand_chain",
    "duplicate_file",
    "duplicate_registration",
    "expiry",
    "file_type",
    "holder_name",
    "image_decode",
    "image_resolution",
    "integrity",
    "pdf_embedded_files",
    "pdf_javascript",
    "pdf_structure",
    "registration_number",
    "run_checks",
]
