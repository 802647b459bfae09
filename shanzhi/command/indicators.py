"""The indicators of DOMAIN.md §4 with their exact denominators, as one set of definitions that
both the figures and the drill-down lists use.

The cohort is every case *registered* in the period (voided and merged reports are not cases).
One rule makes a case due for a measure: it has finished that stage, or its deadline for the
stage has come; shelved (挂账) cases, whose clock is paused, are not due.
- 应结案数 (due to close) = cohort − shelved − open cases whose current deadline has not come.
- 结案率 = closed / due to close; 按期结案率 = closed with no stage finished after its deadline /
  due to close; 返工率 = reworked at least once / due to close.
- 应处置数 (due to handle) = dispatched cases − shelved − cases still with the handler whose
  handling deadline has not come.
- 处置率 = replied or closed / due to handle; 按期处置率 = replied or closed with every handling
  round finished by its deadline / due to handle; 延期率 = extended / due to handle;
  超期待处置率 = still with the handler past the handling deadline / due to handle;
  准确派遣率 = never returned by a handler / due to handle.
- 应派遣数 (due to dispatch) = dispatched cases + cases still waiting past their dispatch deadline;
  及时派遣率 = dispatched within the dispatch deadline / due to dispatch.
- 平均处置时长 = mean clock hours from dispatch to the last reply, over replied cases.
- 满意率 = rated 基本满意 or better / rated.
"Late" is decided when a stage's clock stops, from the step's time and the stored deadline —
never from whether the deadline scan ran.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Func, Q, Sum
from django.utils import timezone

from shanzhi.incidents.states import STAGE_OF, Status

CLOSED = [Status.CLOSED, Status.ARCHIVED]
WITH_HANDLER = [Status.DISPATCHED, Status.HANDLING]


def _not_yet_due(now) -> Q:
    cond = Q(pk__in=[])
    for status, stage in STAGE_OF.items():
        cond |= Q(status=status, **{f"{stage}_due__gte": now})
    return cond


def definitions(now: dt.datetime) -> dict[str, Q]:
    """Named subsets of the cohort; each indicator is one of these over another."""
    shelved = Q(status=Status.SHELVED)
    due_to_handle = Q(dispatched_at__isnull=False) & ~shelved & ~Q(status__in=WITH_HANDLER, handle_due__gte=now)
    handled = due_to_handle & (Q(replied_at__isnull=False) | Q(status__in=CLOSED))
    due_to_close = ~shelved & ~_not_yet_due(now)
    return {
        "registered": Q(),
        "due_to_close": due_to_close,
        "closed": Q(status__in=CLOSED),
        "closed_on_time": Q(status__in=CLOSED, ran_late=False),
        "reworked": Q(rework_count__gt=0) & due_to_close,
        "due_to_handle": due_to_handle,
        "handled": handled,
        "handled_on_time": handled & Q(handled_late=False),
        "extended": due_to_handle & Q(extended=True),
        "overdue_open": Q(status__in=WITH_HANDLER, handle_due__lt=now),
        "due_to_dispatch": Q(dispatched_at__isnull=False) | Q(status=Status.REGISTERED, dispatch_due__lt=now),
        "dispatched_on_time": Q(dispatched_at__isnull=False, dispatched_at__lte=F("dispatch_due")),
        "dispatched_right": due_to_handle & Q(returned_count=0),
        "rated": Q(rating__isnull=False),
        "satisfied": Q(rating__gte=3),
        "open": Q(status__in=[Status.REGISTERED, *WITH_HANDLER, Status.REPLIED]),
    }


# What each named subset is called on screen (the drill-down's heading).
SUBSET_LABELS = {
    "registered": "立案事件", "due_to_close": "应结案事件", "closed": "已结案事件",
    "closed_on_time": "按期结案事件", "reworked": "返工事件", "due_to_handle": "应处置事件",
    "handled": "已处置事件", "handled_on_time": "按期处置事件", "extended": "延期事件",
    "overdue_open": "超期待处置事件", "due_to_dispatch": "应派遣事件", "dispatched_on_time": "及时派遣事件",
    "dispatched_right": "一次派准事件", "rated": "已评价事件", "satisfied": "满意事件", "open": "在办事件",
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    numerator: str
    denominator: str | None  # None: a count


INDICATORS = [
    Indicator("registered", "立案数", "registered", None),
    Indicator("close_rate", "结案率", "closed", "due_to_close"),
    Indicator("on_time_close_rate", "按期结案率", "closed_on_time", "due_to_close"),
    Indicator("rework_rate", "返工率", "reworked", "due_to_close"),
    Indicator("handle_rate", "处置率", "handled", "due_to_handle"),
    Indicator("on_time_handle_rate", "按期处置率", "handled_on_time", "due_to_handle"),
    Indicator("extension_rate", "延期率", "extended", "due_to_handle"),
    Indicator("overdue_open_rate", "超期待处置率", "overdue_open", "due_to_handle"),
    Indicator("timely_dispatch_rate", "及时派遣率", "dispatched_on_time", "due_to_dispatch"),
    Indicator("accurate_dispatch_rate", "准确派遣率", "dispatched_right", "due_to_handle"),
    Indicator("satisfaction_rate", "满意率", "satisfied", "rated"),
]


def cohort(qs, start: dt.datetime, end: dt.datetime):
    return qs.filter(registered_at__gte=start, registered_at__lt=end).exclude(status__in=[Status.VOIDED, Status.MERGED])


class Epoch(Func):
    """Seconds since 1970 of a timestamp column, in SQL (PostgreSQL and SQLite)."""

    output_field = FloatField()

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra)


HANDLED_TIMED = Q(replied_at__isnull=False, dispatched_at__isnull=False)


def counts(qs, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> dict:
    """The named subsets of the cohort counted, plus the handling time summed (one query)."""
    defs = definitions(now or timezone.now())
    aggs = {name: Count("id", filter=q) for name, q in defs.items()}
    aggs["handle_n"] = Count("id", filter=HANDLED_TIMED)
    aggs["handle_secs"] = Sum(Epoch("replied_at") - Epoch("dispatched_at"), filter=HANDLED_TIMED)
    out = cohort(qs, start, end).aggregate(**aggs)
    out["handle_secs"] = out["handle_secs"] or 0.0
    return out


def finish(counts: dict) -> dict:
    """The figures from the counts: each indicator with its numerator and denominator."""
    n = counts.get("handle_n") or 0
    result = {"counts": {k: v for k, v in counts.items() if k != "handle_secs"}, "avg_handle_hours": round(counts["handle_secs"] / n / 3600, 1) if n else None,
              "indicators": []}
    for ind in INDICATORS:
        num = counts[ind.numerator]
        den = counts[ind.denominator] if ind.denominator else None
        value = num if den is None else (round(num * 100 / den, 1) if den else None)
        result["indicators"].append({"key": ind.key, "label": ind.label, "value": value, "numerator": num,
                                     "denominator": den, "num_key": ind.numerator, "den_key": ind.denominator,
                                     "is_rate": den is not None})
    return result


def compute(qs, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None) -> dict:
    """All indicators for the cohort, counted from the incidents themselves."""
    return finish(counts(qs, start, end, now))


def drill(qs, key: str, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None):
    """The cases behind one named subset (numerator or denominator) of a figure."""
    defs = definitions(now or timezone.now())
    if key not in defs:
        raise KeyError(key)
    return cohort(qs, start, end).filter(defs[key])
