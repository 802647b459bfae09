"""Configuration of social assistance: programs, standards and alert rules. Standards are added,
never changed (a new standard is a new row from its date, so old assessments still show the one
they used); payment lists and feed records are shown, never edited here — an approved list
changes only by a recorded correction on its page."""

from django.contrib import admin

from .models import AlertRule, PaymentList, Program, Signal, Standard


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "klass", "test", "formula", "monthly", "exclusive", "department", "is_active")
    list_filter = ("klass", "monthly", "is_active", "formula")
    search_fields = ("code", "name")


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ("code", "region", "effective_from", "amount", "basis", "set_at")
    list_filter = ("code",)
    raw_id_fields = ("region",)
    readonly_fields = ("set_by", "set_at")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("region", "source", "group", "threshold", "window_days", "effective_from", "active")
    list_filter = ("source", "group", "active")
    raw_id_fields = ("region",)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentList)
class PaymentListAdmin(ReadOnly):
    list_display = ("program", "town", "month", "state", "lines_count", "total", "held", "paid", "failed")
    list_filter = ("state", "month", "program")


@admin.register(Signal)
class SignalAdmin(ReadOnly):
    list_display = ("source", "external_id", "occurred_on", "total", "self_paid", "received_at", "via", "batch")
    list_filter = ("source", "via")
    search_fields = ("external_id", "batch")
    exclude = ("id_bidx", "person", "family")
