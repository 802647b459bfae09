"""Reads for the command center: figures, trends, rankings and map points, all scoped."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common import params
from shanzhi.incidents.selectors import incident_list
from shanzhi.incidents.states import OPEN, STAGE_OF

from . import indicators

MAX_SPAN_DAYS = 366


def period(request_get) -> tuple[dt.datetime, dt.datetime, str]:
    """From ?days=N (default 30) or ?from=YYYY-MM-DD&to=YYYY-MM-DD, in local days. A bad or
    too long period raises ValidationError with what is wrong."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    if request_get.get("from") or request_get.get("to"):
        if not (request_get.get("from") and request_get.get("to")):
            raise ValidationError({"from": _("请同时填写开始和结束日期")})
        start_d = params.day(request_get["from"], "from")
        end_d = params.day(request_get["to"], "to")
        if end_d < start_d:
            raise ValidationError({"to": _("结束日期不能早于开始日期")})
        if (end_d - start_d).days >= MAX_SPAN_DAYS:
            raise ValidationError({"to": _("统计周期最长 %(n)d 天") % {"n": MAX_SPAN_DAYS}})
        label = f"{start_d:%Y-%m-%d} 至 {end_d:%Y-%m-%d}"
    else:
        days = params.bounded_int(request_get.get("days"), "days", lo=1, hi=MAX_SPAN_DAYS, default=30)
        start_d, end_d = today - dt.timedelta(days=days - 1), today
        label = f"近 {days} 天"
    start = dt.datetime.combine(start_d, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(end_d + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end, label


def scoped_incidents(actor, town_code: str = ""):
    qs = incident_list(actor=actor)
    if town_code:
        qs = qs.filter(town__code=town_code)
    return qs


def trend(qs, start, end) -> dict:
    reported = dict(qs.filter(reported_at__gte=start, reported_at__lt=end).annotate(d=TruncDate("reported_at"))
                    .values_list("d").annotate(n=Count("id")).values_list("d", "n"))
    closed = dict(qs.filter(closed_at__gte=start, closed_at__lt=end).annotate(d=TruncDate("closed_at"))
                  .values_list("d").annotate(n=Count("id")).values_list("d", "n"))
    days, day = [], start.astimezone(timezone.get_current_timezone()).date()
    last = (end - dt.timedelta(seconds=1)).astimezone(timezone.get_current_timezone()).date()
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=1)
    return {"days": [f"{d:%m-%d}" for d in days], "reported": [reported.get(d, 0) for d in days],
            "closed": [closed.get(d, 0) for d in days]}


def rankings(qs, start, end) -> dict:
    base = indicators.cohort(qs, start, end)
    by_class = list(base.values("subclass__parent__name").annotate(n=Count("id"))
                    .order_by("-n", "subclass__parent_id")[:10])
    by_grid = list(base.exclude(grid=None).values("grid__name", "grid__code", "grid__region__name").annotate(n=Count("id"))
                   .order_by("-n", "grid_id")[:10])
    by_dept = list(base.exclude(department=None).values("department__name").annotate(
        n=Count("id"), closed=Count("id", filter=Q(status__in=indicators.CLOSED)),
        on_time=Count("id", filter=Q(status__in=indicators.CLOSED, ran_late=False))).order_by("-n", "department_id")[:12])
    for row in by_dept:
        row["on_time_rate"] = round(row["on_time"] * 100 / row["closed"], 1) if row["closed"] else None
    return {"classes": by_class, "grids": by_grid, "departments": by_dept}


def map_points(qs, limit: int = 3000) -> list[dict]:
    """Open cases with a location: state and lateness for the map's colours."""
    now = timezone.now()
    rows = qs.filter(status__in=OPEN, lon__isnull=False).values(
        "id", "number", "lon", "lat", "status", "subclass__name", *{f"{s}_due" for s in STAGE_OF.values()})[:limit]
    out = []
    for r in rows:
        stage = STAGE_OF.get(r["status"])
        due = r.get(f"{stage}_due") if stage else None
        out.append({"id": r["id"], "n": r["number"], "lon": round(r["lon"], 6), "lat": round(r["lat"], 6),
                    "s": r["status"], "c": r["subclass__name"], "late": bool(due and due < now)})
    return out
