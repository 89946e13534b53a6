from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.roles import Role, has_role, is_staff_member
from config.errors import NotFound
from merchants.models import Category

from .models import CheckOutcome, DocumentCheckResult, DocumentType, QualificationDocument

# What pages need joined; the API's DocumentOut reads only API_DOCUMENT_RELATED (every
# joined table is columns to compile and rows to build on each request).
DOCUMENT_RELATED = ("document_type", "person", "category", "brand", "merchant", "preview")
API_DOCUMENT_RELATED = ("document_type", "category", "preview")


def document_list(
    *,
    actor: Any,
    merchant_id: int | None = None,
    related: tuple[str, ...] = DOCUMENT_RELATED,
) -> QuerySet[QualificationDocument]:
    qs = QualificationDocument.objects.select_related(*related)
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    if is_staff_member(actor):
        return qs
    if has_role(actor, Role.SELLER):
        return qs.filter(merchant__memberships__user=actor)
    return qs.none()


def document_get(
    *, actor: Any, document_id: Any, related: tuple[str, ...] = DOCUMENT_RELATED
) -> QualificationDocument:
    try:
        return document_list(actor=actor, related=related).get(pk=int(document_id))
    except (QualificationDocument.DoesNotExist, ValueError, TypeError):
        raise NotFound("Document not found.") from None


def document_type_list() -> QuerySet[DocumentType]:
    return DocumentType.objects.filter(is_active=True)


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").all()


def document_seller_problems(document: QualificationDocument) -> list[DocumentCheckResult]:
    """The failed checks a seller is told about (what failed and what to upload instead):
    never a staff-only signal. Reads the prefetched results when the caller loaded them."""
    return [
        r
        for r in document.check_results.all()
        if r.outcome == CheckOutcome.FAILED and not r.is_internal
    ]


def document_checks_status(document: QualificationDocument) -> str:
    """`checking` until the automated checks finished, then `failed` or `passed`."""
    if document.checks_completed_at is None:
        return "checking"
    return "failed" if document_seller_problems(document) else "passed"
