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
