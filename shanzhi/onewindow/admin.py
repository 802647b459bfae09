from django.contrib import admin

from .models import Material, ReviewStep, ServiceHall, ServiceItem, ServiceTarget, ServiceWindow


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


class ReviewStepInline(admin.TabularInline):
    model = ReviewStep
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    """The catalog's elements; applications already filed keep the limits they started with."""

    list_display = ["code", "name", "variant", "level", "item_type", "department", "statutory_days", "promised_days",
                    "online_depth", "visits", "is_active"]
    list_filter = ["level", "item_type", "delegated", "online_depth", "is_active"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["department", "parent"]
    inlines = [MaterialInline, ReviewStepInline]


@admin.register(ServiceTarget)
class ServiceTargetAdmin(admin.ModelAdmin):
    """江阴 "2440" and the like: a time limit for a group of items, shown on 督着办."""

    list_display = ["name", "limit_days", "order", "note"]
    filter_horizontal = ["items"]


class WindowInline(admin.TabularInline):
    model = ServiceWindow
    extra = 0
    fields = ["number", "name", "is_active"]


@admin.register(ServiceHall)
class ServiceHallAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "am_open", "am_close", "pm_open", "pm_close", "slot_minutes", "slot_capacity"]
    inlines = [WindowInline]
