from django.db import IntegrityError, transaction
from django.db.models import F

from .models import ChangeCounter


def bump(name: str) -> None:
    if not ChangeCounter.objects.filter(name=name).update(value=F("value") + 1):
        try:
            with transaction.atomic():
                ChangeCounter.objects.create(name=name, value=1)
        except IntegrityError:
            ChangeCounter.objects.filter(name=name).update(value=F("value") + 1)


def read(name: str) -> int:
    return ChangeCounter.objects.filter(name=name).values_list("value", flat=True).first() or 0


def next_value(name: str) -> int:
    """The next number of a named sequence, inside the caller's transaction (the row lock
    serialises concurrent callers on PostgreSQL; SQLite's IMMEDIATE transactions do the same)."""
    bump(name)
    return ChangeCounter.objects.select_for_update().get(name=name).value
