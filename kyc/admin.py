from django.contrib import admin

from .models import DocumentType, PolicyVersion, QualificationDocument, RequirementRule


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "family", "name_en", "name_zh", "has_expiry", "is_active")


class RequirementRuleInline(admin.TabularInline):
    model = RequirementRule
    extra = 0
    filter_horizontal = ("document_types",)


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
