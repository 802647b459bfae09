"""Configuration of 福村宝: funds, yearly schemes and their disease rules. Members, the income
ledger, claims and payments are shown, never edited here — they change only through the pages
(and their services), which check scope, keep the computation and write the audit trail."""

from django.contrib import admin

from .models import Claim, DiseaseRule, Fund, FundYear, Income, Membership, Payment


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "town", "manager", "established_on", "is_active")
    list_filter = ("is_active", "town")
    search_fields = ("name", "region__name", "region__code")
    raw_id_fields = ("region", "town")


class RuleInline(admin.TabularInline):
    model = DiseaseRule
    extra = 0
    fields = ("name", "public_label", "deductible", "ratio", "cap", "order", "is_active")


@admin.register(FundYear)
class FundYearAdmin(admin.ModelAdmin):
    list_display = ("fund", "year", "contribution", "join_from", "join_until", "person_cap")
    list_filter = ("year",)
    search_fields = ("fund__name",)
    raw_id_fields = ("fund",)
    inlines = [RuleInline]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnly):
    list_display = ("fund", "fund_year", "contribution", "paid_on")
    list_filter = ("fund_year__year",)
    list_select_related = ("fund", "fund_year__fund")
    exclude = ("person",)


@admin.register(Income)
class IncomeAdmin(ReadOnly):
    list_display = ("fund", "fund_year", "kind", "amount", "received_on", "source")
    list_filter = ("kind", "fund_year__year")
    list_select_related = ("fund", "fund_year__fund")


@admin.register(Claim)
class ClaimAdmin(ReadOnly):
    list_display = ("number", "fund", "rule", "status", "self_paid", "payout", "submitted_at")
    list_filter = ("status", "fund_year__year")
    list_select_related = ("fund", "rule")
    search_fields = ("number",)
    exclude = ("membership", "diagnosis")


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ("claim", "fund", "amount", "paid_at", "published")
    list_filter = ("published",)
    list_select_related = ("fund", "claim__rule")
