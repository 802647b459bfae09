"""The command center's dashboard for any period and any area: county, town, village, grid,
department or class, each resolved through the viewer's jurisdiction.

Figures, trend and rankings come from the rollups (``facts``) plus the live part for open cases
when the viewer sees the whole area; otherwise (a grid chief, a department) they are counted
from the viewer's own scoped incidents — small cohorts — with the same definitions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import Department
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Grid, Region
from shanzhi.incidents.models import Incident, IncidentClass

from . import facts, indicators, selectors
from .models import Fact

FILTERS = ("town", "village", "grid", "dept", "cls")
D = Fact.Dim


@dataclass
class Area:
    incidents: Q = field(default_factory=Q)  # the area over incidents (live part and drill)
    fact: Q | None = None  # the area over fact rows; None: count the viewer's scoped incidents
    by_town: bool = True  # rankings can come from the rollups (a county or a town)
    names: list[str] = field(default_factory=list)
    chosen: dict = field(default_factory=dict)  # filter → the object chosen
    towns: list[int] | None = None  # the town keys of a county/town fact area (None: every town)

    @property
    def label(self) -> str:
        if self.names:
            return " · ".join(self.names)
        return _("全县") if self.fact is not None else _("本人管辖范围")


def _missing(name: str, what: str):
    # Missing and outside the viewer's jurisdiction read the same.
    raise ValidationError({name: _("找不到该%(w)s，或不在您的管辖范围内") % {"w": what}})


def resolve(actor, get) -> Area:
    """The area named by ?town= ?village= ?grid= ?dept= ?cls= (codes), through the actor's scope."""
    scope = scope_for(actor)
    area = Area()
    values = {k: (get.get(k) or "").strip()[:40] for k in FILTERS}
    town = village = grid = None
    if values["town"]:
        town = scope.regions(Region.objects.filter(level=Region.Level.TOWN, code=values["town"])).first()
        if town is None:
            _missing("town", _("镇（街道）"))
        area.incidents &= Q(town_id=town.id)
        area.names.append(town.name)
    if values["village"]:
        qs = Region.objects.filter(level=Region.Level.VILLAGE, code=values["village"])
        village = scope.regions(qs.filter(parent=town) if town else qs).first()
        if village is None:
            _missing("village", _("村（社区）"))
        area.incidents &= Q(region_id=village.id)
        area.names.append(village.name)
    if values["grid"]:
        qs = Grid.objects.filter(code=values["grid"])
        grid = scope.grids(qs.filter(town=town) if town else qs).filter(
            **({"region": village} if village else {})).first()
        if grid is None:
            _missing("grid", _("网格"))
        # A grid and the grids under it (a grid chief's grid holds its workers' cells).
        grid.subtree = list(Grid.objects.filter(path__startswith=grid.path).values_list("id", flat=True)) \
            if grid.path else [grid.id]
        area.incidents &= Q(grid_id__in=grid.subtree)
        area.names.append(grid.name)
    dept = cls = None
    if values["dept"]:
        qs = Department.objects.filter(code=values["dept"])
        if not scope.unrestricted:
            qs = qs.filter(Q(pk__in=scope.department_ids)
                           | Q(region_id__in=scope.region_ids | scope.dept_region_ids)
                           | Q(region__level=Region.Level.COUNTY))
        if town:
            qs = qs.filter(~Q(region__level=Region.Level.TOWN) | Q(region=town))  # another town's office: not here
        dept = qs.first()
        if dept is None:
            _missing("dept", _("部门"))
        area.incidents &= Q(department_id=dept.id)
        area.names.append(dept.name)
    if values["cls"]:
        cls = IncidentClass.objects.filter(code=values["cls"]).first()
        if cls is None:
            _missing("cls", _("分类"))
        area.incidents &= Q(subclass_id=cls.id) if cls.parent_id else Q(subclass__parent_id=cls.id)
        area.names.append(cls.name)
    area.chosen = {"town": town, "village": village, "grid": grid, "dept": dept, "cls": cls}
    area.fact = _fact_area(scope, town, village, grid, dept, cls)
    if area.fact is not None and town:
        area.towns = [town.id]
    elif area.fact is not None and not scope.unrestricted:
        area.towns = list(Region.objects.filter(level=Region.Level.TOWN, pk__in=scope.region_ids)
                          .values_list("id", flat=True))
    area.by_town = area.fact is not None and not (village or grid or dept or cls)
    return area


def _fact_area(scope, town, village, grid, dept, cls) -> Q | None:
    """The area over fact rows when the viewer sees all of it and one dimension names it."""
    fine = [x for x in (village, grid, dept, cls) if x is not None]
    if len(fine) > 1:
        return None  # two fine filters at once: no single dimension answers it
    enclosing = (grid.region_id if grid else village.id if village else town.id if town else None)
    if not scope.unrestricted:
        if enclosing is None:
            county = Region.objects.filter(level=Region.Level.COUNTY).only("id").first()
            if county is None or county.id not in scope.region_ids:
                return None
        elif enclosing not in scope.region_ids:
            return None
    cut = Q(town=town.id) if town else Q()
    if grid:
        return Q(dim=D.GRID, key__in=grid.subtree)
    if village:
        return Q(dim=D.VILLAGE, key=village.id)
    if dept:
        return Q(dim=D.DEPARTMENT, key=dept.id) & cut
    if cls:
        return Q(dim=D.SUBCLASS if cls.parent_id else D.CLASS, key=cls.id) & cut
    if town:
        return Q(dim=D.TOWN, key=town.id)
    if scope.unrestricted:
        return Q(dim=D.TOWN)
    towns = Region.objects.filter(level=Region.Level.TOWN, pk__in=scope.region_ids).values_list("id", flat=True)
    return Q(dim=D.TOWN, key__in=list(towns))


def _live_incidents(area: Area):
    return Incident.objects.filter(area.incidents, status__in=facts.LIVE)


def figures(actor, area: Area, start, end, now=None) -> dict:
    now = now or timezone.now()
    dates = facts._dates(start, end)
    if area.fact is None or dates is None:
        qs = selectors.scoped_incidents(actor).filter(area.incidents)
        return indicators.compute(qs, start, end, now)
    settled = facts.rollup_counts(area.fact, *dates)
    live = indicators.counts(_live_incidents(area), start, end, now)
    return indicators.finish(facts.add(settled, live))


def trend(actor, area: Area, start, end) -> dict:
    dates = facts._dates(start, end)
    if area.fact is None or dates is None:
        return selectors.trend(selectors.scoped_incidents(actor).filter(area.incidents), start, end)
    rows = (Fact.objects.filter(area.fact, grain=Fact.Grain.DAY, day__gte=dates[0], day__lte=dates[1])
            .values("day").annotate(r=facts._sums()["reported"], c=facts._sums()["closed_flow"]).order_by())
    by_day = {r["day"]: r for r in rows}
    days, day = [], dates[0]
    while day <= dates[1]:
        days.append(day)
        day += dt.timedelta(days=1)
    return {"days": [f"{d:%m-%d}" for d in days], "reported": [by_day.get(d, {}).get("r", 0) for d in days],
            "closed": [by_day.get(d, {}).get("c", 0) for d in days]}


def _names(model, ids, fields=("name",)) -> dict:
    return {r["id"]: r for r in model.objects.filter(pk__in=ids).values("id", *fields)}


def rankings(actor, area: Area, start, end) -> dict:
    dates = facts._dates(start, end)
    if not area.by_town or dates is None:
        return selectors.rankings(selectors.scoped_incidents(actor).filter(area.incidents), start, end)
    tally: dict[str, dict[int, dict]] = defaultdict(lambda: defaultdict(lambda: {"n": 0, "closed": 0, "on_time": 0}))
    live = indicators.cohort(_live_incidents(area), start, end).values(
        "subclass__parent_id", "grid_id", "department_id").annotate(n=Count("id")).order_by()
    for r in live:
        for dim, key in ((D.CLASS, r["subclass__parent_id"]), (D.GRID, r["grid_id"]), (D.DEPARTMENT, r["department_id"])):
            if key is not None:
                tally[dim][key]["n"] += r["n"]
    # Exact top N without reading every key: the settled top N by the rollups, plus every key that
    # has open cases (only those can move up). A key in neither cannot beat the settled top N.
    for dim, limit in ((D.CLASS, 10), (D.GRID, 10), (D.DEPARTMENT, 12)):
        for key, n, closed, on_time in facts.top_keys(dim, dates, area.towns, limit, extra=list(tally[dim])):
            t = tally[dim][key]
            t["n"] += n
            t["closed"] += closed
            t["on_time"] += on_time

    def top(dim, n):
        return sorted(((k, v) for k, v in tally[dim].items() if v["n"]), key=lambda kv: (-kv[1]["n"], kv[0]))[:n]

    classes = top(D.CLASS, 10)
    names = _names(IncidentClass, [k for k, _v in classes])
    by_class = [{"subclass__parent__name": names.get(k, {}).get("name", "—"), "n": v["n"]} for k, v in classes]
    grids = top(D.GRID, 10)
    gnames = {g["id"]: g for g in Grid.objects.filter(pk__in=[k for k, _v in grids]).values("id", "name", "code",
                                                                                         "region__name")}
    by_grid = [{"grid__name": gnames.get(k, {}).get("name", "—"), "grid__code": gnames.get(k, {}).get("code", ""),
                "grid__region__name": gnames.get(k, {}).get("region__name", ""), "n": v["n"]} for k, v in grids]
    depts = top(D.DEPARTMENT, 12)
    dnames = _names(Department, [k for k, _v in depts])
    by_dept = [{"department__name": dnames.get(k, {}).get("name", "—"), "n": v["n"], "closed": v["closed"],
                "on_time": v["on_time"], "on_time_rate": round(v["on_time"] * 100 / v["closed"], 1) if v["closed"]
                else None} for k, v in depts]
    return {"classes": by_class, "grids": by_grid, "departments": by_dept}


def _whole_or_scoped(actor, area: Area):
    """A viewer who sees the whole area reads it by the area's own key (a county leader's scope
    is every village of the county: a list of ids longer than the query needs)."""
    if area.fact is not None:
        return Incident.objects.filter(area.incidents)
    return selectors.scoped_incidents(actor).filter(area.incidents)


def dashboard_data(actor, area: Area, start, end, label: str) -> dict:
    return {"figures": figures(actor, area, start, end), "trend": trend(actor, area, start, end),
            "rankings": rankings(actor, area, start, end),
            "points": selectors.map_points(_whole_or_scoped(actor, area)),
            "label": label, "updated": timezone.now().isoformat()}
