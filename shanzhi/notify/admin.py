from django.contrib import admin
from django.utils import timezone

from .models import Message, Outbox


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "title", "topic", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["channel", "state", "topic"]
    readonly_fields = [f.name for f in Outbox._meta.fields if f.name != "phone_sealed"]
    exclude = ["phone_sealed"]
    actions = ["retry_now"]

    @admin.action(description="立即重试所选（失败的也重新排队）")
    def retry_now(self, request, queryset):
        queryset.exclude(state=Outbox.State.SENT).update(state=Outbox.State.PENDING, next_attempt_at=timezone.now())

    def has_add_permission(self, request):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "created_at", "read_at"]
    raw_id_fields = ["user"]
