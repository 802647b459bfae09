"""Monthly appraisal (考核) of grids, grid staff and departments from the loop's indicators.

Score = Σ weightᵢ × valueᵢ / Σ weightᵢ over the indicators a scheme weights, each value on a
0–100 scale where higher is better: rates as percentages, penalty rates (返工率, 超期待处置率,
延期率) as 100 − rate, and counts (主动发现数) relative to the best performer of the month.
Entities with fewer than APPRAISAL_MIN_CASES cases in the month are not ranked: one case closed on
time is not a 100-point month. Weights are data (AppraisalScheme).

Who pays for what: a dispatch decision is the town command center's (准确派遣率 and 及时派遣率 are
scored on the center, by town); a return is the returning department's (回退率 = its returns /
the cases dispatched to it in the month, from the step rows) — never the department that then
received the case.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from shanzhi.accounts.models import Department, Post, User
from shanzhi.geo.models import Grid, Region
from shanzhi.incidents.models import Incident, IncidentStep

from . import indicators
from .models import AppraisalResult, AppraisalScheme

DEFAULT_WEIGHTS = {
    "grid": {"on_time_close_rate": 30, "close_rate": 20, "satisfaction_rate": 20, "rework_rate": 10,
             "discovery_rate": 20},
    "department": {"on_time_handle_rate": 35, "handle_rate": 20, "return_rate": 10, "rework_rate": 15,
                   "overdue_open_rate": 10, "satisfaction_rate": 10},
    "center": {"accurate_dispatch_rate": 40, "timely_dispatch_rate": 40, "on_time_close_rate": 20},
    "staff": {"reports": 50, "verify_on_time_rate": 50},
}
PENALTIES = {"rework_rate", "overdue_open_rate", "extension_rate", "return_rate"}
LABELS = {i.key: i.label for i in indicators.INDICATORS} | {"discovery_rate": "主动发现率", "reports": "上报数",
                                                            "verify_on_time_rate": "按时核查率", "return_rate": "回退率"}


def weights_for(target: str) -> dict[str, float]:
    scheme = AppraisalScheme.objects.filter(target=target).first()
    return {k: float(v) for k, v in (scheme.weights if scheme else DEFAULT_WEIGHTS[target]).items() if float(v) > 0}


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


def _rates_by(group: str, start, end, now) -> dict:
    """Indicator counts grouped by a field of the incident (grid_id or department_id)."""
    defs = indicators.definitions(now)
    defs["patrol"] = Q(source="patrol")
    rows = (indicators.cohort(Incident.objects.exclude(**{group: None}), start, end).values(group)
            .annotate(**{name: Count("id", filter=q) for name, q in defs.items()}))
    out = {}
    for row in rows:
        values = {}
        for ind in indicators.INDICATORS:
            if ind.denominator and row[ind.denominator]:
                values[ind.key] = row[ind.numerator] * 100 / row[ind.denominator]
        if row["registered"]:
            values["discovery_rate"] = row["patrol"] * 100 / row["registered"]
        out[row[group]] = (row["registered"], values)
    return out


def _returns(start, end) -> dict:
    """回退率 per department: the returns it made over the cases dispatched to it, in the month."""
    steps = IncidentStep.objects.filter(at__gte=start, at__lt=end, department__isnull=False)
    received = dict(steps.filter(action__in=["dispatch", "whistle"]).values_list("department_id")
                    .annotate(n=Count("id")))
    returned = dict(steps.filter(action="return").values_list("department_id").annotate(n=Count("id")))
    return {d: returned.get(d, 0) * 100 / n for d, n in received.items() if n}


def _staff(start, end) -> dict:
    reports = dict(Incident.objects.filter(reported_at__gte=start, reported_at__lt=end, source="patrol",
                                           reporter__isnull=False).values_list("reporter").annotate(n=Count("id")))
    verifications = (IncidentStep.objects.filter(at__gte=start, at__lt=end, action__in=["verify_pass", "verify_fail"],
                                                 actor__isnull=False).select_related("incident")
                     .values_list("actor_id", "at", "incident__verify_due"))
    verify: dict[int, list[int]] = {}
    for actor_id, at, due in verifications:
        stats = verify.setdefault(actor_id, [0, 0])
        stats[0] += 1
        stats[1] += bool(due is None or at <= due)
    best = max(reports.values(), default=0)
    out = {}
    for user_id in set(reports) | set(verify):
        values = {}
        if best:
            values["reports"] = reports.get(user_id, 0) * 100 / best
        if user_id in verify:
            values["verify_on_time_rate"] = verify[user_id][1] * 100 / verify[user_id][0]
        out[user_id] = (reports.get(user_id, 0) + verify.get(user_id, [0])[0], values)
    return out


def _score(values: dict, weights: dict) -> tuple[float, dict]:
    total, used, details = 0.0, 0.0, {}
    for key, weight in weights.items():
        if key not in values:
            continue
        v = values[key]
        points = 100 - v if key in PENALTIES else v
        total += points * weight
        used += weight
        details[key] = {"label": LABELS.get(key, key), "value": round(v, 1), "weight": weight}
    return (round(total / used, 1) if used else 0.0), details


def may_recompute(actor) -> bool:
    """The league tables are the county's: only the county's command staff (or an administrator)
    recompute them; a town's staff read their town's rows."""
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.incidents import permissions

    if getattr(actor, "is_superuser", False):
        return True
    if not permissions.roles_of(actor) & permissions.COMMAND:
        return False
    county = Region.objects.filter(level=Region.Level.COUNTY).values_list("id", flat=True).first()
    return county in scope_for(actor).region_ids


@transaction.atomic
def appraise(month: dt.date, now: dt.datetime | None = None, *, actor=None) -> dict[str, int]:
    """Compute (or recompute) the month's league tables for every target; audited (the system
    when the hourly job runs, the person when recomputed by hand)."""
    from shanzhi.common import audit

    start, end = month_bounds(month)
    now = now or min(timezone.now(), end)
    month = start.date()
    results = {}
    staff_towns = dict(Post.objects.filter(grid__isnull=False, is_active=True).values_list("user_id", "grid__town_id"))
    departments = _rates_by("department_id", start, end, now)
    for dept_id, rate in _returns(start, end).items():
        if dept_id in departments:
            departments[dept_id][1]["return_rate"] = rate
    sources = {
        "grid": (_rates_by("grid_id", start, end, now),
                 {g.id: (str(g.name if g.name.startswith(g.region.name) else f"{g.region.name}{g.name}"), g.town_id)
                  for g in Grid.objects.select_related("region")}),
        "department": (departments,
                       {d.id: (d.name, d.region_id if d.region.level == 4 else None)
                        for d in Department.objects.select_related("region")}),
        "center": (_rates_by("town_id", start, end, now),
                   {t.id: (f"{t.name}指挥中心", t.id) for t in Region.objects.filter(level=Region.Level.TOWN)}),
        "staff": (_staff(start, end), {u.id: (str(u), staff_towns.get(u.id)) for u in User.objects.filter(is_active=True)}),
    }
    for target, (data, names) in sources.items():
        weights = weights_for(target)
        scored = []
        for object_id, (cases, values) in data.items():
            if cases < max(1, settings.APPRAISAL_MIN_CASES) or object_id not in names:
                continue
            score, details = _score(values, weights)
            scored.append((score, cases, object_id, details))
        scored.sort(key=lambda r: (-r[0], -r[1], r[2]))
        AppraisalResult.objects.filter(month=month, target=target).delete()
        AppraisalResult.objects.bulk_create([
            AppraisalResult(month=month, target=target, object_id=object_id, label=names[object_id][0][:120],
                            town_id=names[object_id][1], score=score, rank=rank, cases=cases, details=details)
            for rank, (score, cases, object_id, details) in enumerate(scored, start=1)])
        results[target] = len(scored)
    audit.record(actor=actor, action="update", object_type="command.appraisal", object_id=f"{month:%Y-%m}",
                 object_repr=f"{month:%Y-%m} 月度考核", after={"ranked": results}, note="重新计算月度考核")
    return results
