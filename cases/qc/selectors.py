"""Read use-cases for QC, where its visibility lives.

QC leads and compliance admins see all QC data; a reviewer sees only the completed QC
reviews of their own decisions (everything else answers 404); sellers see nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.roles import Role, has_role, is_staff_member
from config.errors import NotFound

from ..models import QcDispute, QcDraw, QcReview, QcReviewStatus

QC_ROLES = (Role.QC_LEAD, Role.COMPLIANCE_ADMIN)


def can_see_all_qc(actor: Any) -> bool:
    return has_role(actor, *QC_ROLES)


def qc_review_list(*, actor: Any, status: str = "") -> QuerySet[QcReview]:
    qs = QcReview.objects.select_related(
        "case",
        "case__merchant",
        "maker",
        "checker",
        "qc_reviewer",
        "draw",
        "dispute",
        "dispute__raised_by",
        "dispute__decided_by",
    )
    if not can_see_all_qc(actor):
        if not is_staff_member(actor):
            return qs.none()
        qs = qs.filter(maker_id=actor.pk, status=QcReviewStatus.COMPLETED)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "id")


def qc_review_get(*, actor: Any, review_id: Any) -> QcReview:
    try:
        return qc_review_list(actor=actor).get(pk=int(review_id))
    except (QcReview.DoesNotExist, TypeError, ValueError):
        raise NotFound("QC review not found.") from None


def qc_findings_for(*, actor: Any) -> QuerySet[QcReview]:
    """The completed QC reviews of the actor's own decisions, newest first."""
    if not is_staff_member(actor):
        return QcReview.objects.none()
    return (
        qc_review_list(actor=actor)
        .filter(maker_id=actor.pk, status=QcReviewStatus.COMPLETED)
        .order_by("-completed_at", "-id")
    )


def qc_dispute_list(*, actor: Any, status: str = "") -> QuerySet[QcDispute]:
    qs = QcDispute.objects.select_related(
        "review",
        "review__case",
        "review__case__merchant",
        "review__maker",
        "review__qc_reviewer",
        "raised_by",
        "decided_by",
    )
    if not can_see_all_qc(actor):
        return qs.none()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("raised_at", "id")


def qc_draw_list(*, actor: Any) -> QuerySet[QcDraw]:
    if not can_see_all_qc(actor):
        return QcDraw.objects.none()
    return QcDraw.objects.select_related("drawn_by").order_by("-drawn_at", "-id")
