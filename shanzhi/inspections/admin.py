from django.contrib import admin

from .models import (
    CreditEvent,
    CreditRecord,
    EntityProfile,
    InspectionMatter,
    Inspector,
    Plan,
    Relation,
    Task,
)


@admin.register(InspectionMatter)
class InspectionMatterAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "sector", "method", "is_active")
    list_filter = ("sector", "method", "is_active", "department")
    search_fields = ("code", "name", "legal_basis")


@admin.register(EntityProfile)
class EntityProfileAdmin(admin.ModelAdmin):
    list_display = ("organisation", "sector", "risk", "supervisor", "is_active")
    list_filter = ("sector", "risk", "is_active")
    search_fields = ("organisation__name", "organisation__uscc")
    raw_id_fields = ("organisation",)


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = ("code", "user", "department", "officer", "certificate_valid_until", "is_active")
    list_filter = ("is_active", "department")
    search_fields = ("code", "user__username", "user__display_name")
    raw_id_fields = ("user", "officer")


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ("inspector", "organisation", "kind", "is_active")
    raw_id_fields = ("inspector", "organisation", "declared_by")


class ReadOnly(admin.ModelAdmin):
    """Plans, tasks and credit are written by their services only (draws, results, events)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnly):
    list_display = ("number", "name", "region", "department", "status", "drawn_at", "published_at")
    list_filter = ("status",)
    search_fields = ("number", "name")


@admin.register(Task)
class TaskAdmin(ReadOnly):
    list_display = ("plan", "seq", "entity_name", "status", "result", "referral")
    list_filter = ("status", "result")
    search_fields = ("entity_name", "entity_uscc")


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnly):
    list_display = ("organisation", "source", "ref", "at", "severity")
    list_filter = ("source", "severity")
    search_fields = ("ref", "organisation__name")


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnly):
    list_display = ("organisation", "grade", "score", "review_at")
    list_filter = ("grade",)
