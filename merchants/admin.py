from django.contrib import admin

from .models import Brand, Capability, Category, Merchant, Person


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("legal_name", "local_name", "country", "entity_type", "status", "risk_tier")
    search_fields = ("legal_name", "local_name", "registration_number")
    list_filter = ("status", "risk_tier", "country")
    inlines = [PersonInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_zh", "is_prohibited")


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "trademark_number", "trademark_holder")


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ("merchant", "kind", "category", "brand", "status", "disabled_reason")
    list_filter = ("kind", "status")
