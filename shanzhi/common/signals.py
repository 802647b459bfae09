"""Calendar rows changed → bump the shared counter on commit, so every process reloads them."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def _calendar_changed(**kwargs):
    from .counters import bump
    from .workcal import _override_cache

    _override_cache.reset()  # this process at once; the others through the counter
    transaction.on_commit(lambda: bump("calendar"))
