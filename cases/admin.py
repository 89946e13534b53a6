from django.contrib import admin

from .models import ReasonCode, ReviewCase


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
