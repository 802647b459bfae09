from django.contrib import admin

from .models import DiscretionBand, Factor, PenaltyItem


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
