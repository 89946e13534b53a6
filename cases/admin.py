from django.contrib import admin

from .models import QcDispute, QcDraw, QcReview, QcSamplingRule, ReasonCode, ReviewCase


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "severity", "text_en", "text_zh", "is_active")
    list_filter = ("kind", "severity")


@admin.register(ReviewCase)
class ReviewCaseAdmin(admin.ModelAdmin):
    """Read-only: every state change goes through cases.services."""

    list_display = ("id", "merchant", "kind", "state", "risk_tier", "assignee", "sla_due_at")
    list_filter = ("state", "kind", "risk_tier")
    readonly_fields = [f.name for f in ReviewCase._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


# --------------------------------------------------------------------------- quality control


@admin.register(QcSamplingRule)
class QcSamplingRuleAdmin(admin.ModelAdmin):
    """Sampling rates are data: compliance admins tune them here."""

    list_display = (
        "code",
        "name_en",
        "decision",
        "risk_tier",
        "rate",
        "min_per_reviewer_per_week",
        "is_active",
    )
    list_filter = ("is_active", "decision", "risk_tier")


class _ReadOnlyAdmin(admin.ModelAdmin):
    """QC records change only through cases.qc services (audited)."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(QcDraw)
class QcDrawAdmin(_ReadOnlyAdmin):
    list_display = ("id", "seed", "trigger", "window_start", "window_end", "drawn_at")
    list_filter = ("trigger",)


@admin.register(QcReview)
class QcReviewAdmin(_ReadOnlyAdmin):
    list_display = ("id", "case", "case_decision", "maker", "status", "outcome", "severity")
    list_filter = ("status", "outcome", "severity", "error_category")


@admin.register(QcDispute)
class QcDisputeAdmin(_ReadOnlyAdmin):
    list_display = ("id", "review", "raised_by", "status", "decided_by")
    list_filter = ("status",)
