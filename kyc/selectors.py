from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.roles import Role, has_role, is_staff_member
from config.errors import NotFound
from merchants.models import Category

from .models import DocumentType, QualificationDocument


def document_list(*, actor: Any, merchant_id: int | None = None) -> QuerySet[QualificationDocument]:
    qs = QualificationDocument.objects.select_related(
        "document_type", "person", "category", "brand", "merchant", "preview"
    )
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    if is_staff_member(actor):
        return qs
    if has_role(actor, Role.SELLER):
        return qs.filter(merchant__memberships__user=actor)
    return qs.none()


def document_get(*, actor: Any, document_id: Any) -> QualificationDocument:
    try:
        return document_list(actor=actor).get(pk=int(document_id))
    except (QualificationDocument.DoesNotExist, ValueError, TypeError):
        raise NotFound("Document not found.") from None


def document_type_list() -> QuerySet[DocumentType]:
    return DocumentType.objects.filter(is_active=True)


def category_list() -> QuerySet[Category]:
    return Category.objects.select_related("parent").all()
