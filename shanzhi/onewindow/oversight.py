"""督着办: the window's figures against its limits, per item, department, window and clerk.

Two cohorts over a period: applications *submitted* in it (channels, visits, corrections) and
applications *completed* in it (time used against the statutory and the promised limit, on time,
ratings). Time used is the statutory clock's running time from acceptance to completion in
working days, without special procedures (``Application.handling_days``); "compressed by" is
1 − used ÷ statutory limit over the cohort. Everything is read through the actor's scope.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from .kind import APPLICATION
from .models import RStatus, ServiceTarget

GROUPS = {
    "department": ("item__department_id", "item__department__name"),
    "item": ("item_id", "item__name"),
    "window": ("window_id", "window__number"),
    "clerk": ("clerk_id", "clerk__display_name"),
}


def _span(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def _ratio(a, b) -> float | None:
    return round(100.0 * a / b, 1) if b else None


def _num(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _submitted_figures(qs):
    return dict(
        submitted=Count("id"),
        online=Count("id", filter=Q(channel="online")),
        no_visit=Count("id", filter=Q(visits=0)),
        visits_sum=Sum("visits"),
        corrected=Count("id", filter=Q(corrections__gt=0)),
        agent=Count("id", filter=Q(acting_for=True)),
    )


def _completed_figures():
    return dict(
        completed=Count("id"),
        used=Avg("handling_days"),
        statutory=Avg("item__statutory_days"),
        promised=Avg("item__promised_days"),
        on_time=Count("id", filter=Q(ran_late=False)),
        within_statute=Count("id", filter=Q(broke_statute=False)),
        rated=Count("id", filter=Q(rating__isnull=False)),
        rating_avg=Avg("rating"),
        bad=Count("id", filter=Q(rating__lte=2)),
    )


def _row(sub: dict, done: dict) -> dict:
    submitted, completed = sub.get("submitted", 0), done.get("completed", 0)
    used, statutory = done.get("used"), done.get("statutory")
    return {
        "submitted": submitted, "completed": completed,
        "online_share": _ratio(sub.get("online", 0), submitted),
        "no_visit_share": _ratio(sub.get("no_visit", 0), submitted),
        "visits_per_case": round((sub.get("visits_sum") or 0) / submitted, 2) if submitted else None,
        "correction_rate": _ratio(sub.get("corrected", 0), submitted),
        "agent_share": _ratio(sub.get("agent", 0), submitted),
        "used_days": _num(used), "statutory_days": _num(statutory), "promised_days": _num(done.get("promised")),
        "compressed": round(100.0 * (1 - float(used) / float(statutory)), 1) if used is not None and statutory else None,
        "on_time_rate": _ratio(done.get("on_time", 0), completed),
        "within_statute_rate": _ratio(done.get("within_statute", 0), completed),
        "rated": done.get("rated", 0), "rating": _num(done.get("rating_avg")),
        "satisfaction": _ratio(done.get("rated", 0) - done.get("bad", 0), done.get("rated", 0)),
        "bad": done.get("bad", 0),
    }


def cohorts(actor, start: dt.date, end: dt.date, *, town=None, department=None, item=None):
    begin, stop = _span(start, end)
    seen = APPLICATION.visible(actor)
    if town is not None:
        seen = seen.filter(town=town)
    if department is not None:
        seen = seen.filter(item__department_id=department)
    if item is not None:
        seen = seen.filter(item_id=item)
    return (seen.filter(submitted_at__gte=begin, submitted_at__lt=stop),
            seen.filter(completed_at__gte=begin, completed_at__lt=stop, completed_at__isnull=False))


def figures(actor, start: dt.date, end: dt.date, *, group: str = "department", town=None, department=None,
            item=None) -> dict:
    """Totals and one row per group (department, item, window or clerk)."""
    submitted, completed = cohorts(actor, start, end, town=town, department=department, item=item)
    key, label = GROUPS[group]
    totals = _row(submitted.aggregate(**_submitted_figures(submitted)),
                  completed.aggregate(**_completed_figures()))
    subs = {r[key]: r for r in submitted.values(key, label).annotate(**_submitted_figures(submitted)).order_by()}
    dones = {r[key]: r for r in completed.values(key, label).annotate(**_completed_figures()).order_by()}
    rows = []
    for k in set(subs) | set(dones):
        name = (subs.get(k) or dones.get(k))[label]
        if group == "window":
            name = f"{name}号窗口" if name else "（网上、代办及未经窗口）"
        elif group == "clerk" and not name:
            name = "（未经窗口人员）"
        rows.append({"key": k, "name": name or "—", **_row(subs.get(k, {}), dones.get(k, {}))})
    rows.sort(key=lambda r: (-(r["submitted"] + r["completed"]), str(r["name"])))
    return {"totals": totals, "rows": rows, "group": group}


def targets(actor, start: dt.date, end: dt.date, *, town=None) -> list[dict]:
    """Each county target (2440): completed cases of its items, average time used, share within."""
    _submitted, completed = cohorts(actor, start, end, town=town)
    out = []
    for target in ServiceTarget.objects.prefetch_related("items"):
        qs = completed.filter(item__in=target.items.all(), handling_days__isnull=False)
        agg = qs.aggregate(n=Count("id"), used=Avg("handling_days"),
                           within=Count("id", filter=Q(handling_days__lte=target.limit_days)))
        out.append({"target": target, "completed": agg["n"], "used_days": _num(agg["used"]),
                    "within_rate": _ratio(agg["within"], agg["n"]),
                    "met": agg["n"] > 0 and agg["used"] is not None and Decimal(agg["used"]) <= target.limit_days})
    return out


def open_cases(actor, *, town=None, now=None, limit: int = 50):
    """Open applications against their current limit, the most pressing first (督办 list)."""
    now = now or timezone.now()
    qs = APPLICATION.visible(actor).filter(status__in=["submitted", "reviewing", "suspended", "completed"],
                                           delivered_at__isnull=True)
    if town is not None:
        qs = qs.filter(town=town)
    qs = qs.exclude(status="completed", granted__isnull=True)
    late = qs.filter(Q(promise_due__lt=now, status="reviewing") | Q(accept_due__lt=now, status="submitted")).count()
    near = qs.filter(status="reviewing", promise_due__gte=now, promise_due__lt=now + dt.timedelta(days=2)).count()
    rows = list(qs.filter(status__in=["submitted", "reviewing"]).select_related("item", "window")
                .order_by(F("promise_due").asc(nulls_last=True), "accept_due")[:limit])
    return {"late": late, "near": near, "rows": rows}


def rectifications(actor, *, town=None):
    from .rectification import RECTIFICATION

    qs = RECTIFICATION.visible(actor)
    if town is not None:
        qs = qs.filter(town=town)
    now = timezone.now()
    return {"open": qs.exclude(status=RStatus.CLOSED).count(),
            "late": qs.exclude(status=RStatus.CLOSED).filter(due__lt=now).count(),
            "closed": qs.filter(status=RStatus.CLOSED).count(),
            "on_time": qs.filter(status=RStatus.CLOSED, ran_late=False).count(),
            "rows": list(qs.exclude(status=RStatus.CLOSED).select_related("application__item", "clerk")
                         .order_by("due")[:20])}
