"""Patrols (巡查): a grid worker walks the grid, checks the patrol items, and reports what is wrong."""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common import audit, references
from shanzhi.common.coords import CoordinateError, to_wgs84
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Grid

from .. import permissions
from ..models import PatrolCheck, PatrolItem, PatrolRound
from .intake import incident_report
from .loop import Conflict

MAX_POINTS = 5000


def _haversine(a, b) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def track_length(track) -> float:
    return sum(_haversine(track[i - 1], track[i]) for i in range(1, len(track)))


def items_for(grid) -> list[PatrolItem]:
    return list(PatrolItem.objects.filter(Q(grid__isnull=True) | Q(grid=grid), town_id=grid.town_id, is_active=True)
                .order_by("code"))


def sheets(grids) -> list[tuple]:
    """Each grid with the items to check there (the town's and the grid's own), in two queries:
    the phone keeps them, so a round can be started and checked without a signal."""
    grids = list(grids)
    items = list(PatrolItem.objects.filter(town_id__in={g.town_id for g in grids}, is_active=True).order_by("code"))
    return [(g, [i for i in items if i.town_id == g.town_id and i.grid_id in (None, g.pk)]) for g in grids]


def _own_round(actor, round_id: int, *, lock: bool = True) -> PatrolRound:
    qs = PatrolRound.objects.select_for_update() if lock else PatrolRound.objects
    patrol = qs.filter(pk=round_id, user=actor).first()
    if patrol is None:
        raise PermissionDenied(_("这不是您的巡查记录"))
    if patrol.ended_at:
        raise Conflict(_("该次巡查已于 %(t)s 结束") % {"t": f"{timezone.localtime(patrol.ended_at):%H:%M}"})
    return patrol


@transaction.atomic
def patrol_start(*, actor, grid, at=None) -> PatrolRound:
    """Start a round in a grid of one's own (resolved through the actor's posts); an unfinished
    round of the same person is reused. ``at``: when it began on the phone (a round started
    without a signal is sent later)."""
    from shanzhi.enforcement.squads import patrol_grids

    officer_grids = patrol_grids(actor)  # an enforcement officer patrols the squad's area
    if officer_grids is None and not permissions.roles_of(actor) & permissions.GRID_SIDE:
        raise PermissionDenied(_("只能在自己负责的网格巡查"))
    allowed = Grid.objects.filter(pk__in=scope_for(actor).grid_ids) if officer_grids is None else officer_grids
    cell = references.resolve(allowed.filter(is_active=True), field="grid", label=_("巡查网格"), pk=grid)
    open_round = PatrolRound.objects.filter(user=actor, ended_at__isnull=True).first()
    if open_round:
        return open_round
    patrol = PatrolRound.objects.create(user=actor, grid=cell, started_at=at or timezone.now())
    audit.record(actor=actor, action="create", obj=patrol, region_id=cell.region_id,
                 after={"grid": cell.code, "started_at": patrol.started_at})
    return patrol


@transaction.atomic
def patrol_track(*, actor, round_id: int, points: list[dict]) -> int:
    """Append GPS points ({lon, lat, t?, crs?}); bad points are refused as a whole."""
    patrol = _own_round(actor, round_id)
    if not isinstance(points, list) or not points:
        raise ValidationError({"points": _("没有轨迹点")})
    clean = []
    now = timezone.now().timestamp()
    for i, p in enumerate(points):
        try:
            lon, lat = to_wgs84(p["lon"], p["lat"], p.get("crs", "wgs84"))
            t = float(p.get("t") or now)
            # A phone's clock may lag; a point from before the round or from the future is not one of its.
            if not (math.isfinite(t) and patrol.started_at.timestamp() - 600 <= t <= now + 600):
                raise ValueError("time outside the round")
        except (KeyError, TypeError, ValueError, AttributeError, CoordinateError) as exc:
            raise ValidationError({"points": _("第 %(n)d 个轨迹点无效（坐标或时间不对）") % {"n": i + 1}}) from exc
        clean.append([round(lon, 7), round(lat, 7), int(t)])
    if len(patrol.track) + len(clean) > MAX_POINTS:
        raise ValidationError({"points": _("轨迹点过多")})
    patrol.track = patrol.track + clean
    patrol.distance_m = int(track_length(patrol.track))
    patrol.save(update_fields=["track", "distance_m"])
    return len(patrol.track)


@transaction.atomic
def patrol_check(*, actor, round_id: int, item_id: int, ok: bool, note: str = "", lon=None, lat=None,
                 photos=(), at=None) -> PatrolCheck:
    """Check one item; a problem found becomes an incident reported from the patrol. ``at``: when
    it was checked on the phone (never before the round began)."""
    patrol = _own_round(actor, round_id)
    at = max(at, patrol.started_at) if at else timezone.now()
    item_id = references.as_id(item_id)
    item = PatrolItem.objects.filter(pk=item_id, town_id=patrol.grid.town_id, is_active=True).first() if item_id else None
    if item is None or (item.grid_id and item.grid_id != patrol.grid_id):
        raise ValidationError({"item": _("该巡查事项不属于本网格")})
    if PatrolCheck.objects.filter(round=patrol, item=item).exists():
        raise Conflict(_("本次巡查已检查过该事项"))
    incident = lead = None
    if not ok:
        if not note.strip():
            raise ValidationError({"note": _("发现问题时请描述问题")})
        from shanzhi.enforcement.squads import patrol_grids

        if patrol_grids(actor) is not None:  # an officer's finding is a lead of the squad at once
            from shanzhi.enforcement.cases import lead_register

            lead = lead_register(actor=actor, source="patrol", facts=f"【巡查·{item.name}】{note.strip()}",
                                 town=patrol.grid.town_id, grid=patrol.grid, address=patrol.grid.name, patrol=patrol)
    if not ok and lead is None:
        point = (lon, lat) if lon is not None and lat is not None else (
            tuple(patrol.track[-1][:2]) if patrol.track else (patrol.grid.center_lon, patrol.grid.center_lat))
        incident, _created = incident_report(
            actor=actor, source="patrol", description=f"【巡查·{item.name}】{note.strip()}",
            subclass_code=item.subclass.code if item.subclass_id else "", lon=point[0], lat=point[1], photos=photos,
            reported_at=at, received_at=timezone.now())
    check = PatrolCheck.objects.create(round=patrol, item=item, checked_at=at, ok=ok, note=note[:200],
                                       incident=incident)
    audit.record(actor=actor, action="create", obj=check, region_id=patrol.grid.region_id,
                 object_repr=f"{patrol.grid.name} {item.name}",
                 after={"round": patrol.pk, "item": item.code, "ok": ok, "incident": incident.number if incident else None,
                        "lead": lead.number if lead else None})
    return check


@transaction.atomic
def patrol_finish(*, actor, round_id: int, at=None) -> PatrolRound:
    patrol = _own_round(actor, round_id)
    patrol.ended_at = max(at, patrol.started_at) if at else timezone.now()
    patrol.duration_s = int((patrol.ended_at - patrol.started_at).total_seconds())
    patrol.distance_m = int(track_length(patrol.track))
    patrol.save()
    audit.record(actor=actor, action="update", obj=patrol, region_id=patrol.grid.region_id,
                 after={"ended_at": patrol.ended_at, "distance_m": patrol.distance_m, "duration_s": patrol.duration_s,
                        "points": len(patrol.track)})
    return patrol
