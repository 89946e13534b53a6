from typing import Any

from django.contrib import admin

from .models import DocumentType, PolicyVersion, QualificationDocument, RequirementRule


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "family", "name_en", "name_zh", "has_expiry", "is_active")


class RequirementRuleInline(admin.TabularInline):
    """A published policy's rules are read-only: a change is a new version (and each process
    keeps the published rules in memory, kyc.requirements.policy_rules)."""

    model = RequirementRule
    extra = 0
    filter_horizontal = ("document_types",)

    @staticmethod
    def _draft(obj: PolicyVersion | None) -> bool:
        return obj is None or obj.published_at is None

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "published_at", "published_by", "notes")
    inlines = [RequirementRuleInline]


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "merchant",
        "document_type",
        "status",
        "content_type",
        "size",
        "created_at",
    )
    list_filter = ("status", "document_type")
    readonly_fields = [f.name for f in QualificationDocument._meta.fields]

    def has_add_permission(self, request: object) -> bool:  # uploads go through the services
        return False
