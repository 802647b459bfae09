from django.contrib import admin

from .models import AppraisalResult, AppraisalScheme


@admin.register(AppraisalScheme)
class AppraisalSchemeAdmin(admin.ModelAdmin):
    list_display = ["target", "weights", "updated_at"]


@admin.register(AppraisalResult)
class AppraisalResultAdmin(admin.ModelAdmin):
    list_display = ["month", "target", "rank", "label", "score", "cases"]
    list_filter = ["target", "month"]
