"""Which checks apply to a document, in the order a reviewer reads them. Pure: the file,
the context and the candidate rows in, the results out."""

from __future__ import annotations

from collections.abc import Iterable

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
from .base import CheckResult
from .context import CheckContext
from .duplicate_file import DuplicateFileCandidate
from .duplicate_registration import RegistrationCandidate, numbers_of
from .image_probe import PILLOW_FORMATS
from .source import FileSource

PDF = "application/pdf"

# Every check name the pipeline may store (a stored result under another name is stale).
CHECK_NAMES = (
    integrity.NAME,
    file_type.NAME,
    pdf_structure.NAME,
    pdf_javascript.NAME,
    pdf_embedded_files.NAME,
    image_decode.NAME,
    image_resolution.NAME,
    duplicate_file.NAME,
    duplicate_file.SIGNAL_NAME,
    duplicate_registration.NAME,
    duplicate_registration.SIGNAL_NAME,
    registration_number.NAME,
    expiry.NAME,
    holder_name.NAME,
    brand_chain.NAME,
)


def file_checks(source: FileSource, ctx: CheckContext) -> list[CheckResult]:
    """What the bytes alone decide: type and size, then the PDF or image checks."""
    results = [file_type.check(source, ctx)]
    if results[0].is_failed:
        return results
    kind = source.sniffed_type
    if kind == PDF:
        results += [
            pdf_structure.check(source, ctx),
            pdf_javascript.check(source, ctx),
            pdf_embedded_files.check(source, ctx),
        ]
    elif kind in PILLOW_FORMATS:
        results += [image_decode.check(source, ctx), image_resolution.check(source, ctx)]
    return results


def duplicate_checks(
    ctx: CheckContext,
    duplicate_files: Iterable[DuplicateFileCandidate],
    registration_candidates: Iterable[RegistrationCandidate],
) -> list[CheckResult]:
    duplicate_files = list(duplicate_files)
    registration_candidates = list(registration_candidates)
    results = [duplicate_file.check(ctx, duplicate_files)]
    if ctx.is_registration_document and numbers_of(ctx):
        results.append(duplicate_registration.check(ctx, registration_candidates))
    return results + duplicate_signals(ctx, duplicate_files, registration_candidates)


def duplicate_signals(
    ctx: CheckContext,
    duplicate_files: Iterable[DuplicateFileCandidate],
    registration_candidates: Iterable[RegistrationCandidate],
) -> list[CheckResult]:
    """The staff-only fraud-ring signals (both sides of a duplicate, earlier or later)."""
    signals = [duplicate_file.signal(ctx, duplicate_files)]
    if ctx.is_registration_document and numbers_of(ctx):
        signals.append(duplicate_registration.signal(ctx, registration_candidates))
    return [s for s in signals if s is not None]


def metadata_checks(ctx: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    if ctx.is_registration_document:
        results.append(registration_number.check(ctx))
    if ctx.expiry_date is not None or ctx.has_expiry:
        results.append(expiry.check(ctx))
    if ctx.holder_name.strip():
        results.append(holder_name.check(ctx))
    if ctx.brand is not None and ctx.family == "brand":
        results.append(brand_chain.check(ctx))
    return results


def run_checks(
    source: FileSource,
    ctx: CheckContext,
    *,
    computed_sha256: str | None,
    duplicate_files: Iterable[DuplicateFileCandidate] = (),
    registration_candidates: Iterable[RegistrationCandidate] = (),
) -> list[CheckResult]:
    """Every applicable check, one result each. Never raises for anything in the file."""
    return [
        integrity.check(computed_sha256, ctx),
        *file_checks(source, ctx),
        *duplicate_checks(ctx, duplicate_files, registration_candidates),
        *metadata_checks(ctx),
    ]
