"""Paging and searching a bureau's case list at any depth.

A busy town holds hundreds of thousands of penalty cases. Page numbers (OFFSET) cost more the
deeper one goes and shift under the reader as new cases arrive, so the list pages by keyset: a
page is "the 30 cases registered just before (or after) this one", which costs the same on the
first page and on the 10,000th, and a date jump ("登记日期至") starts anywhere in the history.

Party search on PostgreSQL goes through a GIN index over each name's character pairs
(`shanzhi_bigrams`, migration 0007): Chinese names and company names are short, and a trigram
index cannot serve a two-character query such as 王某.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TOKEN = re.compile(r"^(\d{1,17})\.(\d{1,12})$")
PAGE = 30
COUNT_CAP = 1000


def token(case) -> str:
    """A position in the list: the case's registration instant (µs since 1970) and its id."""
    return f"{(case.registered_at - EPOCH) // dt.timedelta(microseconds=1)}.{case.pk}"


def parse(value: str | None) -> tuple[dt.datetime, int] | None:
    """A token back into (instant, id); anything else is no position (the first page)."""
    m = _TOKEN.match(value or "")
    if not m:
        return None
    try:
        return EPOCH + dt.timedelta(microseconds=int(m.group(1))), int(m.group(2))
    except OverflowError:
        return None


def day_start(value: str | None) -> tuple[dt.datetime, int] | None:
    """"Registered on or before this day": the position just after the day's last case."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 1, 1):
        return None
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())
    return nxt, 0


def keyset(qs, before=None, after=None, size: int = PAGE):
    """One page, newest first: (rows, older, newer) where older/newer are the tokens of the
    neighbouring pages (None at either end)."""
    if after:
        at, pk = after
        # The plain bound is redundant with the OR, but it is what an index range scan can use.
        rows = list(qs.filter(Q(registered_at__gt=at) | Q(registered_at=at, pk__gt=pk), registered_at__gte=at)
                    .order_by("registered_at", "id")[: size + 1])
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        if not rows:  # nothing newer than that position any more: show the first page
            return keyset(qs, size=size)
        return rows, token(rows[-1]), token(rows[0]) if more_newer else None
    if before:
        at, pk = before
        qs = qs.filter(Q(registered_at__lt=at) | Q(registered_at=at, pk__lt=pk), registered_at__lte=at)
    rows = list(qs.order_by("-registered_at", "-id")[: size + 1])
    older = token(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    newer = token(rows[0]) if before and rows else None
    return rows, older, newer


def capped_count(qs, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many match, counting no further than the cap: (n, more)."""
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def party_contains(q: str) -> Q:
    """The party's name contains q. On PostgreSQL, for two characters and more, the bigram index
    finds the candidates and the plain comparison confirms them. For exactly two characters the
    bigram test is the whole answer (containing the pair is containing the text), and leaving the
    LIKE out matters: the planner cannot estimate '%王某%', guesses a handful of rows, and sorts
    thousands of matches of a common surname instead of walking the date index."""
    cond = Q(party_name__icontains=q)
    if connection.vendor == "postgresql" and len(q) >= 2:
        grams = RawSQL("shanzhi_bigrams(enforcement_penaltycase.party_name) @> shanzhi_bigrams(%s)", [q],
                       output_field=BooleanField())
        cond = Q(grams) if len(q) == 2 else Q(grams) & cond
    return cond
