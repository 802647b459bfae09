from django.contrib import admin

from .models import Address, Grid, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    exclude = ["geometry"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "region", "town", "area_km2", "is_active"]
    list_filter = ["level", "kind", "town"]
    search_fields = ["code", "name"]
    readonly_fields = ["path", "area_km2", "center_lon", "center_lat", "geometry"]
    fields = ["code", "name", "level", "kind", "special_type", "parent", "region", "town", "is_active",
              "path", "area_km2", "center_lon", "center_lat", "geometry"]
    raw_id_fields = ["parent", "region", "town"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["code", "full_text", "grid", "region"]
    search_fields = ["code", "full_text"]
    raw_id_fields = ["grid", "region"]
