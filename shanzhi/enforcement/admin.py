from django.contrib import admin

from .models import DiscretionBand, DutyShift, Factor, Officer, PenaltyItem, Squad


class BandInline(admin.TabularInline):
    model = DiscretionBand
    extra = 0


class FactorInline(admin.TabularInline):
    model = Factor
    extra = 0


@admin.register(PenaltyItem)
class PenaltyItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "domain", "simple_procedure", "is_active")
    list_filter = ("domain", "department", "simple_procedure", "is_active")
    search_fields = ("code", "name", "law")
    filter_horizontal = ("towns",)
    inlines = [BandInline, FactorInline]


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ("kind", "text", "basis", "item")
    list_filter = ("kind",)


@admin.register(Squad)
class SquadAdmin(admin.ModelAdmin):
    list_display = ("name", "town", "leader")
    filter_horizontal = ("grids",)


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ("user", "squad", "certificate_number", "certificate_valid_until", "is_active")
    list_filter = ("squad", "is_active")
    search_fields = ("certificate_number", "user__display_name")


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("day", "shift", "officer", "squad")
    list_filter = ("squad", "shift")
    date_hierarchy = "day"
