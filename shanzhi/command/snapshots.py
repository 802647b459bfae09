"""Dashboard snapshots: the county's and each town's figures are computed by a job every minute
and kept in the shared cache, so a command center's page reads them instead of aggregating a
month of cases on every load. Users whose jurisdiction is not a whole town or the whole county
(a grid chief, a department) get the same figures computed live — their cohorts are small."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Region
from shanzhi.incidents.models import Incident

from . import indicators, selectors

PERIODS = (7, 30, 90)
# Short periods are refreshed every minute, the 90-day view every ten (its cohort is three times
# larger and moves slowly); each lives a little longer than its refresh interval.
TTL = {7: 150, 30: 150, 90: 900}
FREQUENT, SLOW = (7, 30), (90,)


def _key(area: str, days: int) -> str:
    return f"dash:{area}:{days}"


def _compute(qs, days: int) -> dict:
    start, end, label = selectors.period({"days": days})
    return {
        "figures": indicators.compute(qs, start, end), "trend": selectors.trend(qs, start, end),
        "rankings": selectors.rankings(qs, start, end), "points": selectors.map_points(qs), "label": label,
        "updated": timezone.now().isoformat(),
    }


def _area_for(actor, town_code: str) -> str | None:
    """'county' or a town code when the actor sees all of it; None otherwise (compute live)."""
    scope = scope_for(actor)
    if town_code:
        town = Region.objects.filter(code=town_code, level=Region.Level.TOWN).only("id").first()
        return town_code if town and (scope.unrestricted or town.id in scope.region_ids) else None
    county = Region.objects.filter(level=Region.Level.COUNTY).only("id").first()
    return "county" if county and (scope.unrestricted or county.id in scope.region_ids) else None


def dashboard_data(actor, town_code: str, days: int) -> dict:
    area = _area_for(actor, town_code) if days in PERIODS else None
    if area:
        data = cache.get(_key(area, days))
        if data is None:
            qs = Incident.objects.all() if area == "county" else Incident.objects.filter(town__code=area)
            data = _compute(qs, days)
            cache.set(_key(area, days), data, TTL[days])
        return data
    return _compute(selectors.scoped_incidents(actor, town_code), days)


def refresh_all(periods=PERIODS) -> int:
    """The job: recompute the county and every town for the given standard periods."""
    n = 0
    areas = [("county", Incident.objects.all())] + [
        (code, Incident.objects.filter(town__code=code))
        for code in Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True)]
    for area, qs in areas:
        for days in periods:
            cache.set(_key(area, days), _compute(qs, days), TTL[days])
            n += 1
    return n
