from django.contrib import admin

from .models import (
    ClassChoice,
    ClassifierModel,
    Incident,
    IncidentClass,
    IncidentStep,
    PatrolItem,
    PatrolRound,
)


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


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    """Versions of the class suggester; "train now" queues a new one for the worker."""

    list_display = ["id", "trained_at", "examples", "is_active", "top1", "top3"]
    readonly_fields = ["trained_at", "examples", "classes", "metrics", "is_active"]
    exclude = ["data"]
    actions = ["train_now"]

    @admin.display(description="留出集 top-1")
    def top1(self, obj):
        return f"{obj.metrics.get('top1', 0):.1%}"

    @admin.display(description="留出集 top-3")
    def top3(self, obj):
        return f"{obj.metrics.get('top3', 0):.1%}"

    def has_add_permission(self, request):
        return False

    @admin.action(description="立即训练新版本（由后台任务执行）")
    def train_now(self, request, queryset):
        from .tasks import train_classifier

        train_classifier.enqueue()
        self.message_user(request, "已提交训练任务，几分钟后出现新版本")


@admin.register(ClassChoice)
class ClassChoiceAdmin(admin.ModelAdmin):
    list_display = ["incident", "chosen", "rank", "model_version", "at"]
    list_filter = ["rank", "model_version"]
    raw_id_fields = ["incident", "actor"]

    def has_change_permission(self, request, obj=None):
        return False
