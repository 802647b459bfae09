from django.db import IntegrityError, connection, transaction
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


def next_value(name: str, count: int = 1) -> int:
    """The next number of a named sequence in one UPDATE … RETURNING statement (with ``count`` > 1,
    a block of numbers is reserved and the last of them returned).

    Called outside a transaction (as intake does) the row lock lasts one statement, so concurrent
    reports do not queue behind each other; a report that then fails leaves a gap, never a duplicate.
    """
    table = ChangeCounter._meta.db_table
    for _ in range(2):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # No flush of its own: the commit of whatever uses the number flushes the WAL up to
                # and including this update, so a stored record never has a number that is lost.
                cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(f'UPDATE "{table}" SET "value" = "value" + %s WHERE "name" = %s RETURNING "value"',
                           [int(count), name])
            row = cursor.fetchone()
        if row:
            return row[0]
        try:
            with transaction.atomic():
                ChangeCounter.objects.create(name=name, value=0)
        except IntegrityError:
            # A concurrent caller created it: the next UPDATE finds it.
            continue
    raise RuntimeError(f"could not advance counter {name}")
