"""Rollups behind the command center's figures: any period, any scope, without snapshots.

An incident contributes to ``Fact`` rows (see the model) by three days: the day it was registered
(the cohort's counters, once it is *settled* — closed, archived or shelved), the day it was
reported (the trend's 上报 flow) and the day it was closed (the trend's 结案 flow); each for six
dimensions (town, village, grid, department, major class, subclass) at day and month grain.

Only settled cases go into the cohort counters because for them no definition depends on the
present moment. The part that does — open cases whose deadline has or has not come — is computed
live from the open cases of the cohort with the very definitions of ``indicators`` (open cases
are a few thousand even in a big county), and the two are added. So the figures equal
``indicators.compute`` over the incidents exactly, at every moment.

Every ``Incident.save()`` records the change of its contribution in the same transaction
(``record``); ``compact`` folds the fresh rows (a job every minute); ``rebuild`` recomputes all
rows from the incidents in SQL (after a bulk load, and as the check that the two agree).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, F, FloatField, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from shanzhi.incidents.states import Status

from . import indicators
from .indicators import Epoch
from .models import FACT_COUNTERS, Fact

SETTLED = (Status.CLOSED, Status.ARCHIVED, Status.SHELVED)
LIVE = (Status.REGISTERED, Status.DISPATCHED, Status.HANDLING, Status.REPLIED)  # open cases of a cohort
# The columns of an incident a contribution reads (the before-image kept on each instance).
FIELDS = ("status", "registered_at", "reported_at", "closed_at", "town_id", "region_id", "grid_id",
          "department_id", "subclass_id", "dispatched_at", "dispatch_due", "replied_at", "ran_late",
          "handled_late", "extended", "returned_count", "rework_count", "rating")
ALL = (*FACT_COUNTERS, "handle_secs")
D = Fact.Dim
_KEY = "grain, day, dim, key, town"

_parents: dict[int, int | None] = {}


def parent_of(subclass_id: int | None) -> int | None:
    if subclass_id is None:
        return None
    if subclass_id not in _parents:
        from shanzhi.incidents.models import IncidentClass

        _parents.update(IncidentClass.objects.values_list("id", "parent_id"))
        _parents.setdefault(subclass_id, None)
    return _parents[subclass_id]


def image(inc) -> dict | None:
    """The before-image of an instance, or None when a field it needs was not loaded."""
    loaded = inc.__dict__
    if any(f not in loaded for f in FIELDS):
        return None
    return {f: loaded[f] for f in FIELDS}


def load_image(pk) -> dict | None:
    """The stored columns of one incident (None if there is none)."""
    from shanzhi.incidents.models import Incident

    return Incident.objects.filter(pk=pk).values(*FIELDS).first() if pk is not None else None


def _cohort_counters(c: dict) -> dict:
    """The definitions of ``indicators.definitions`` for one settled case (they do not depend on
    the present moment for a case that is closed, archived or shelved)."""
    shelved = c["status"] == Status.SHELVED
    closed = c["status"] in indicators.CLOSED
    dispatched = c["dispatched_at"] is not None
    due_to_handle = dispatched and not shelved
    handled = due_to_handle and (c["replied_at"] is not None or closed)
    out = {
        "registered": 1, "due_to_close": not shelved, "closed": closed, "closed_on_time": closed and not c["ran_late"],
        "reworked": c["rework_count"] > 0 and not shelved, "due_to_handle": due_to_handle, "handled": handled,
        "handled_on_time": handled and not c["handled_late"], "extended": due_to_handle and c["extended"],
        "due_to_dispatch": dispatched,
        "dispatched_on_time": dispatched and c["dispatch_due"] is not None and c["dispatched_at"] <= c["dispatch_due"],
        "dispatched_right": due_to_handle and c["returned_count"] == 0,
        "rated": c["rating"] is not None, "satisfied": c["rating"] is not None and c["rating"] >= 3,
    }
    out = {k: int(v) for k, v in out.items() if v}
    if c["replied_at"] is not None and dispatched:
        out["handle_n"] = 1
        out["handle_secs"] = (c["replied_at"] - c["dispatched_at"]).total_seconds()
    return out


def _keys(c: dict) -> list[tuple[str, int, int]]:
    town = c["town_id"] or 0
    keys = [(D.TOWN, town, town)]
    for dim, value in ((D.VILLAGE, c["region_id"]), (D.GRID, c["grid_id"]), (D.DEPARTMENT, c["department_id"]),
                       (D.SUBCLASS, c["subclass_id"]), (D.CLASS, parent_of(c["subclass_id"]))):
        if value is not None:
            keys.append((dim, value, town))
    return keys


def _local(ts: dt.datetime) -> dt.date:
    return timezone.localtime(ts).date()


def contribution(c: dict | None) -> dict[tuple, dict]:
    """(grain, day, dim, key, town) → counters for one incident's columns."""
    out: dict[tuple, dict] = {}
    if c is None:
        return out
    parts: list[tuple[dt.date, dict]] = [(_local(c["reported_at"]), {"reported": 1})]
    if c["closed_at"] is not None:
        parts.append((_local(c["closed_at"]), {"closed_flow": 1}))
    if c["status"] in SETTLED and c["registered_at"] is not None:
        parts.append((_local(c["registered_at"]), _cohort_counters(c)))
    keys = _keys(c)
    for day, counters in parts:
        for grain, d in ((Fact.Grain.DAY, day), (Fact.Grain.MONTH, day.replace(day=1))):
            for dim, key, town in keys:
                row = out.setdefault((grain, d, dim, key, town), {})
                for k, v in counters.items():
                    row[k] = row.get(k, 0) + v
    return out


def record(before: dict | None, after: dict | None) -> int:
    """Write the change between two images as fresh rows, in the caller's transaction: one plain
    INSERT naming only the counters that change (the others take the column default, 0)."""
    old, new = contribution(before), contribution(after)
    groups: dict[tuple, list] = {}
    n = 0
    for key in old.keys() | new.keys():
        a, b = old.get(key, {}), new.get(key, {})
        delta = {k: b.get(k, 0) - a.get(k, 0) for k in a.keys() | b.keys()}
        delta = {k: v for k, v in delta.items() if v}
        if delta:
            cols = tuple(sorted(delta))
            groups.setdefault(cols, []).append((*key, *(delta[c] for c in cols)))
            n += 1
    if groups:
        t = Fact._meta.db_table
        with connection.cursor() as cur:
            for cols, rows in groups.items():
                width = 5 + len(cols)
                values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows))
                cur.execute(f"INSERT INTO {t} ({_KEY}, {', '.join(cols)}) VALUES {values}",
                            [v for row in rows for v in row])
    return n


# ---------------------------------------------------------------------------------------- upkeep


def compact() -> int:
    """Fold fresh rows into one row per key. Readers see the state before or after, never between
    (PostgreSQL: one statement; SQLite: the writer holds the database for the transaction)."""
    cols = ", ".join(ALL)
    sums = ", ".join(f"SUM({c})" for c in ALL)
    nonzero = " OR ".join(f"SUM({c}) <> 0" for c in ALL)
    t = Fact._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_advisory_xact_lock(7301)")  # one folder at a time
            cur.execute(
                f"WITH moved AS (DELETE FROM {t} WHERE ({_KEY}) IN (SELECT {_KEY} FROM {t} WHERE fresh) RETURNING *) "
                f"INSERT INTO {t} (fresh, {_KEY}, {cols}) SELECT false, {_KEY}, {sums} FROM moved "
                f"GROUP BY {_KEY} HAVING {nonzero}")
            return cur.rowcount
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}")
        top = cur.fetchone()[0]
        cur.execute(
            f"INSERT INTO {t} (fresh, {_KEY}, {cols}) SELECT 0, {_KEY}, {sums} FROM {t} WHERE id <= %s AND "
            f"({_KEY}) IN (SELECT {_KEY} FROM {t} WHERE fresh AND id <= %s) GROUP BY {_KEY} HAVING {nonzero}",
            [top, top])
        n = cur.rowcount
        cur.execute(f"DELETE FROM {t} WHERE id <= %s AND ({_KEY}) IN (SELECT {_KEY} FROM {t} WHERE fresh AND id <= %s)",
                    [top, top])
        return n


def _counter_aggregates() -> dict:
    defs = indicators.definitions(timezone.now())  # settled cases: the moment does not matter
    aggs = {name: Count("id", filter=defs[name]) for name in FACT_COUNTERS if name in defs}
    aggs["overdue_open"] = Value(0, output_field=IntegerField())
    aggs["open"] = Value(0, output_field=IntegerField())
    aggs["handle_n"] = Count("id", filter=Q(replied_at__isnull=False, dispatched_at__isnull=False))
    both = Q(replied_at__isnull=False, dispatched_at__isnull=False)
    aggs["handle_secs"] = Coalesce(Sum(Epoch("replied_at") - Epoch("dispatched_at"), filter=both), 0.0,
                                   output_field=FloatField())
    aggs["reported"] = Value(0, output_field=IntegerField())
    aggs["closed_flow"] = Value(0, output_field=IntegerField())
    return aggs


SRC_DIMS = {D.TOWN: "s_town", D.VILLAGE: "s_region", D.GRID: "s_grid", D.DEPARTMENT: "s_dept",
            D.SUBCLASS: "s_sub", D.CLASS: "s_parent"}


def rebuild(incidents=None) -> int:
    """Recompute every fact row from the incidents, set-based: three scans of the incidents (the
    cohort, the reported flow, the closed flow) into a narrow working table at the finest key,
    then one GROUP BY of that table per dimension and grain. Run after a bulk load; the rows every
    save writes must equal what this makes (the tests compare them)."""
    from shanzhi.incidents.models import Incident

    base = incidents if incidents is not None else Incident.objects.all()
    tz = timezone.get_current_timezone()
    src = "shanzhi_fact_src"
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(f"DROP TABLE IF EXISTS {src}")
        Fact.objects.all().delete()
        for i, (part, stamp) in enumerate((("cohort", "registered_at"), ("reported", "reported_at"),
                                           ("closed", "closed_at"))):
            qs = base.order_by()
            if part == "cohort":
                qs = qs.filter(status__in=SETTLED, registered_at__isnull=False)
                aggs = _counter_aggregates()
            else:
                if part == "closed":
                    qs = qs.filter(closed_at__isnull=False)
                aggs = {c: Value(0, output_field=IntegerField()) for c in ALL if c != "handle_secs"}
                aggs["handle_secs"] = Value(0.0, output_field=FloatField())
                aggs["reported" if part == "reported" else "closed_flow"] = Count("id")
            qs = qs.annotate(s_day=TruncDate(stamp, tzinfo=tz), s_town=Coalesce(F("town_id"), 0), s_region=F("region_id"),
                             s_grid=F("grid_id"), s_dept=F("department_id"), s_sub=F("subclass_id"),
                             s_parent=F("subclass__parent_id")).values(
                "s_day", "s_town", "s_region", "s_grid", "s_dept", "s_sub", "s_parent")
            qs = qs.annotate(**{f"a_{k}": aggs[k] for k in ALL}).values_list(
                "s_day", "s_town", "s_region", "s_grid", "s_dept", "s_sub", "s_parent", *[f"a_{k}" for k in ALL])
            sql, params = qs.query.sql_with_params()
            cols = ", ".join(["s_day", "s_town", "s_region", "s_grid", "s_dept", "s_sub", "s_parent",
                              *[f"a_{k}" for k in ALL]])
            if i == 0:
                cur.execute(f"CREATE TEMPORARY TABLE {src} AS {sql}", params)
            else:
                cur.execute(f"INSERT INTO {src} ({cols}) {sql}", params)
        month = "date_trunc('month', s_day)::date" if connection.vendor == "postgresql" else "date(s_day, 'start of month')"
        sums = ", ".join(f"SUM(a_{k})" for k in ALL)
        for grain, day in ((Fact.Grain.DAY, "s_day"), (Fact.Grain.MONTH, month)):
            for dim, col in SRC_DIMS.items():
                cur.execute(
                    f"INSERT INTO {Fact._meta.db_table} (fresh, {_KEY}, {', '.join(ALL)}) "
                    f"SELECT %s, %s, {day}, %s, {col}, s_town, {sums} FROM {src} WHERE {col} IS NOT NULL "
                    f"GROUP BY {day}, {col}, s_town", [False, grain, dim])
        cur.execute(f"DROP TABLE {src}")
        return Fact.objects.count()


# ------------------------------------------------------------------------------------------ reads
def _dates(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """The local days [first, last] of a period, or None if it does not fall on midnights."""
    a, b = timezone.localtime(start), timezone.localtime(end)
    if a.time() != dt.time(0) or b.time() != dt.time(0) or b <= a:
        return None
    return a.date(), b.date() - dt.timedelta(days=1)


def period_segments(first: dt.date, last: dt.date) -> list[Q]:
    """Whole months inside [first, last] from month rows, the rest from day rows: each segment one
    grain and one contiguous range, so each read is one index range (dim, grain, day). Rows never
    move between segments (a fold merges rows of one key), so reading them one by one is exact."""
    m = first if first.day == 1 else (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    months = []
    while True:
        nxt = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        if nxt - dt.timedelta(days=1) > last:
            break
        months.append(m)
        m = nxt
    if not months:
        return [Q(grain=Fact.Grain.DAY, day__gte=first, day__lte=last)]
    head_end, tail_start = months[0], (months[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    out = [Q(grain=Fact.Grain.MONTH, day__gte=months[0], day__lte=months[-1])]
    if first < head_end:
        out.append(Q(grain=Fact.Grain.DAY, day__gte=first, day__lt=head_end))
    if tail_start <= last:
        out.append(Q(grain=Fact.Grain.DAY, day__gte=tail_start, day__lte=last))
    return out


def _segment_sql(dim: str, dates, towns) -> tuple[str, list]:
    parts, params = [], []
    for seg in period_segments(*dates):
        cond = dict(seg.children)
        lo = cond.get("day__gte")
        hi, op = (cond["day__lte"], "<=") if "day__lte" in cond else (cond["day__lt"], "<")
        sql = (f"SELECT key, registered, closed, closed_on_time FROM {Fact._meta.db_table} "
               f"WHERE dim = %s AND grain = %s AND day >= %s AND day {op} %s")
        params += [dim, cond["grain"], lo, hi]
        if towns is not None:
            sql += f" AND town IN ({', '.join(['%s'] * len(towns))})" if towns else " AND FALSE"
            params += list(towns)
        parts.append(sql)
    return " UNION ALL ".join(parts), params


def top_keys(dim: str, dates, towns, limit: int, extra=()) -> list[tuple]:
    """(key, registered, closed, closed_on_time) summed over the period for the top ``limit`` keys
    by registered (ties by key), and for the ``extra`` keys whatever their rank; one statement,
    each segment an index range."""
    inner, params = _segment_sql(dim, dates, towns)
    agg = f"agg AS (SELECT key, SUM(registered) AS n, SUM(closed) AS c, SUM(closed_on_time) AS o FROM ({inner}) t GROUP BY key)"
    top = "SELECT * FROM (SELECT key, n, c, o FROM agg WHERE n > 0 ORDER BY n DESC, key LIMIT %s) a"
    extra = [int(k) for k in extra]
    sql = f"WITH {agg} {top}"
    args = [*params, limit]
    if extra:
        sql += f" UNION SELECT key, n, c, o FROM agg WHERE key IN ({', '.join(['%s'] * len(extra))})"
        args += extra
    with connection.cursor() as cur:
        cur.execute(sql, args)
        out = {row[0]: row for row in cur.fetchall()}
    return [tuple(int(v or 0) for v in row) for row in out.values()]


def _sums() -> dict:
    return {c: Coalesce(Sum(c), 0) for c in FACT_COUNTERS} | {"handle_secs": Coalesce(Sum("handle_secs"), 0.0)}


def rollup_counts(area_q: Q, first: dt.date, last: dt.date) -> dict:
    total: dict = {}
    for seg in period_segments(first, last):
        total = add(total, Fact.objects.filter(area_q, seg).aggregate(**_sums()))
    return total


def add(a: dict, b: dict) -> dict:
    return {k: (a.get(k) or 0) + (b.get(k) or 0) for k in a.keys() | b.keys()}
