"""Grids changed → bump the shared counter on commit, so every process rebuilds its index."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Grid


def bump_grid_counter() -> None:
    from shanzhi.common.counters import bump

    transaction.on_commit(lambda: bump("grids"))


@receiver(post_save, sender=Grid)
@receiver(post_delete, sender=Grid)
def _grid_changed(**kwargs):
    if kwargs.get("raw"):
        return
    bump_grid_counter()
