from django.contrib import admin

from .models import Incident, IncidentClass, IncidentStep, PatrolItem, PatrolRound


@admin.register(IncidentClass)
class IncidentClassAdmin(admin.ModelAdmin):
    """Administrators edit classes and limits here; deadlines already computed never move."""

    list_display = ["code", "name", "parent", "kind", "department", "tier", "handle_limit", "handle_unit", "is_active"]
    list_filter = ["kind", "tier", "is_active", "parent"]
    search_fields = ["code", "name", "keywords"]
    list_editable = ["handle_limit", "handle_unit", "is_active"]
    autocomplete_fields = ["department"]


class StepInline(admin.TabularInline):
    model = IncidentStep
    extra = 0
    can_delete = False
    readonly_fields = ["action", "at", "actor_label", "from_status", "to_status", "department", "round", "due", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only here: every change goes through the loop's services (and their audit)."""

    list_display = ["number", "subclass", "status", "town", "grid", "department", "reported_at"]
    list_filter = ["status", "source", "town"]
    search_fields = ["number", "external_id", "description"]
    inlines = [StepInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatrolItem)
class PatrolItemAdmin(admin.ModelAdmin):
    list_display = ["town", "code", "name", "category", "grid", "subclass", "is_active"]
    list_filter = ["town", "category", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["grid"]


@admin.register(PatrolRound)
class PatrolRoundAdmin(admin.ModelAdmin):
    list_display = ["user", "grid", "started_at", "ended_at", "distance_m", "duration_s"]
    raw_id_fields = ["user", "grid"]
    readonly_fields = ["track"]
