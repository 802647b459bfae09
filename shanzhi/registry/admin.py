from django.contrib import admin

from .models import Component, House, Household, Organisation, Person


class PlacedAdmin(admin.ModelAdmin):
    raw_id_fields = ["address", "region", "grid"]
    list_select_related = ["grid"]


@admin.register(Person)
class PersonAdmin(PlacedAdmin):
    list_display = ["name", "id_masked", "gender", "birth_year", "residence", "grid"]
    search_fields = ["name"]
    raw_id_fields = ["address", "region", "grid", "household"]


@admin.register(Household)
class HouseholdAdmin(PlacedAdmin):
    list_display = ["number", "head_name", "kind", "grid"]
    search_fields = ["number", "head_name"]


@admin.register(House)
class HouseAdmin(PlacedAdmin):
    list_display = ["code", "address", "use", "is_rental", "grid"]
    search_fields = ["code"]
    raw_id_fields = ["address", "region", "grid", "owner", "owner_org"]


@admin.register(Organisation)
class OrganisationAdmin(PlacedAdmin):
    list_display = ["name", "uscc", "kind", "industry", "is_key", "grid"]
    search_fields = ["name", "uscc"]


@admin.register(Component)
class ComponentAdmin(PlacedAdmin):
    list_display = ["code", "class_name", "status", "owner_department", "grid"]
    search_fields = ["code", "class_name"]
    list_filter = ["status"]
