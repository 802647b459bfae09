import contextlib
import re

from django.db import IntegrityError, ProgrammingError, connection, transaction
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


_sequences: set[str] = set()


def next_fast(name: str) -> int:
    """The next number of a busy sequence without a transaction of its own. On PostgreSQL a real
    sequence (``nextval`` takes no row lock and needs no commit: one round trip instead of four);
    it starts where the row counter of the same name stood, so switching never repeats a number.
    Elsewhere (SQLite: one writer anyway) the row counter. A failed report leaves a gap, as before."""
    if connection.vendor != "postgresql":
        return next_value(name)
    seq = "ctr_" + re.sub(r"[^a-z0-9]+", "_", name.lower())[:55]
    for _attempt in range(2):
        if seq not in _sequences:
            _create_sequence(seq, name)
        try:
            # Inside a transaction a failure must not poison it (a savepoint); outside, autocommit.
            with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext(), \
                    connection.cursor() as cursor:
                cursor.execute("SELECT nextval(%s)", [seq])
                return cursor.fetchone()[0]
        except ProgrammingError:
            _sequences.discard(seq)  # dropped, or created in a transaction that was rolled back
    raise RuntimeError(f"could not advance sequence {seq}")


def _create_sequence(seq: str, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_class WHERE relkind = 'S' AND relname = %s", [seq])
        if cursor.fetchone() is None:
            try:
                with transaction.atomic(), connection.cursor() as inner:
                    inner.execute(f'CREATE SEQUENCE IF NOT EXISTS "{seq}" START WITH {read(name) + 1}')
            except (IntegrityError, ProgrammingError):
                pass  # another process created it at the same moment
    _sequences.add(seq)
