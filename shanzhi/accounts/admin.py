from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Department, LoginThrottle, Post, User


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["region", "grid", "department"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "mobile", "is_active"]
    search_fields = ["username", "display_name", "mobile"]
    fieldsets = BaseUserAdmin.fieldsets + (("善治", {"fields": ["display_name", "mobile"]}),)
    inlines = [PostInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "grid", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__display_name"]
    autocomplete_fields = ["user", "region", "grid", "department"]


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Locks per account and source address; deleting a row unlocks that pair at once."""

    list_display = ["account", "ip", "failures", "first_failed_at", "locked_until"]
    search_fields = ["account", "ip"]
    readonly_fields = ["account", "ip", "failures", "first_failed_at", "locked_until"]
