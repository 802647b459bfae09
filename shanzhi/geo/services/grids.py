"""Writing grids: every polygon is valid, lies inside its parent and overlaps no sibling."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import mapping
from shapely.validation import explain_validity

from shanzhi.common import audit

from ..models import Grid, Region
from ..spatial import area_km2, geometry_from_geojson


def _check_polygon(geojson: dict):
    try:
        geom = geometry_from_geojson(geojson)
    except Exception as exc:  # noqa: BLE001 — any parse failure is the user's input
        raise ValidationError({"geometry": _("边界不是有效的 GeoJSON：%(err)s") % {"err": exc}}) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValidationError({"geometry": _("边界必须是面（Polygon 或 MultiPolygon），收到 %(t)s") % {"t": geom.geom_type}})
    if geom.is_empty:
        raise ValidationError({"geometry": _("边界为空")})
    if not geom.is_valid:
        raise ValidationError({"geometry": _("边界无效：%(why)s") % {"why": explain_validity(geom)}})
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError({"geometry": _("坐标超出经纬度范围")})
    return geom


def validate_placement(geom, *, parent_geom, siblings: list[tuple[str, object]], tolerance: float) -> None:
    """Inside the parent (within tolerance) and no overlap with any sibling beyond tolerance."""
    errors = []
    if parent_geom is not None and not parent_geom.buffer(tolerance).covers(geom):
        outside = geom.difference(parent_geom)
        errors.append(_("网格超出上级范围约 %(a).0f 平方米") % {"a": area_km2(outside) * 1e6})
    min_overlap = tolerance * tolerance * 100
    for code, other in siblings:
        inter = geom.intersection(other)
        if not inter.is_empty and inter.area > min_overlap:
            errors.append(_("与同级网格 %(code)s 重叠约 %(a).0f 平方米") % {"code": code, "a": area_km2(inter) * 1e6})
    if errors:
        raise ValidationError({"geometry": errors})


def _parent_geometry(parent: Grid | None, town: Region):
    if parent is not None:
        return geometry_from_geojson(parent.geometry)
    if town.geometry:
        return geometry_from_geojson(town.geometry)
    return None


def _siblings(parent: Grid | None, town: Region, exclude_id: int | None):
    qs = Grid.objects.filter(is_active=True, parent=parent)
    if parent is None:
        qs = qs.filter(town=town)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return [(g.code, geometry_from_geojson(g.geometry)) for g in qs.only("code", "geometry")]


def fill_derived(grid: Grid, geom) -> None:
    grid.geometry = mapping(geom)
    grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat = geom.bounds
    point = geom.representative_point()
    grid.center_lon, grid.center_lat = point.x, point.y
    grid.area_km2 = round(area_km2(geom), 4)
    grid.path = (grid.parent.path if grid.parent else f"/{grid.town.code}/") + grid.code + "/"


@transaction.atomic
def grid_create(
    *, actor, code: str, name: str, level: int, region: Region, geometry: dict,
    parent: Grid | None = None, kind: str = Grid.Kind.COMPREHENSIVE, special_type: str = "",
    validate: bool = True,
) -> Grid:
    """Create a grid. Rules: valid polygon; inside its parent (or its town's outline); no sibling
    overlap; its village belongs to the parent's town; level is one finer than the parent's."""
    errors = {}
    if Grid.objects.filter(code=code).exists():
        errors["code"] = _("网格编码 %(code)s 已存在") % {"code": code}
    if region.level not in (Region.Level.TOWN, Region.Level.VILLAGE):
        errors["region"] = _("网格必须属于镇（街道）或村（社区）")
    town = region if region.level == Region.Level.TOWN else region.parent
    if parent is not None:
        if parent.level + 1 != level:
            errors["level"] = _("层级应为上级网格层级加一（%(n)d）") % {"n": parent.level + 1}
        if parent.town_id != town.id:
            errors["parent"] = _("上级网格不在同一镇（街道）")
    elif level != 1:
        errors["level"] = _("没有上级网格时只能是一级网格")
    if errors:
        raise ValidationError(errors)
    geom = _check_polygon(geometry)
    if validate:
        validate_placement(
            geom, parent_geom=_parent_geometry(parent, town), siblings=_siblings(parent, town, None),
            tolerance=settings.GRID_TOLERANCE_DEG,
        )
    grid = Grid(code=code, name=name, level=level, kind=kind, special_type=special_type, parent=parent,
                region=region, town=town)
    fill_derived(grid, geom)
    grid.save()
    audit.record(actor=actor, action="create", obj=grid, after=audit.snapshot(grid, exclude=("geometry",)))
    return grid


@transaction.atomic
def grid_update_geometry(*, actor, grid: Grid, geometry: dict, expected_version: int | None = None) -> Grid:
    """Redraw a grid's outline under the same rules; a stale version is refused."""
    locked = Grid.objects.select_for_update(of=("self",)).select_related("parent", "town").get(pk=grid.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError({"version": _("该网格已被他人修改，请刷新后重试")}, code="conflict")
    geom = _check_polygon(geometry)
    validate_placement(
        geom, parent_geom=_parent_geometry(locked.parent, locked.town),
        siblings=_siblings(locked.parent, locked.town, locked.pk), tolerance=settings.GRID_TOLERANCE_DEG,
    )
    children = [geometry_from_geojson(c.geometry) for c in locked.children.filter(is_active=True)]
    if children and not geom.buffer(settings.GRID_TOLERANCE_DEG).covers(shapely.union_all(children)):
        raise ValidationError({"geometry": _("新边界未覆盖全部下级网格")})
    before = {"area_km2": locked.area_km2, "bounds": [locked.min_lon, locked.min_lat, locked.max_lon, locked.max_lat]}
    fill_derived(locked, geom)
    locked.version += 1
    locked.save()
    audit.record(actor=actor, action="update", obj=locked, before=before,
                 after={"area_km2": locked.area_km2, "bounds": [locked.min_lon, locked.min_lat, locked.max_lon, locked.max_lat]},
                 note="geometry")
    return locked


@dataclass
class Gap:
    container: str
    area_m2: float
    lon: float
    lat: float


def coverage_report(*, town: Region, min_area_m2: float = 100.0) -> list[Gap]:
    """Gaps: parts of the town (or of a grid) that none of its comprehensive child grids covers."""
    gaps: list[Gap] = []

    def collect(label: str, container, children):
        if container is None or not children:
            return
        rest = container.difference(shapely.union_all(children))
        parts = getattr(rest, "geoms", [rest])
        for part in parts:
            if part.is_empty:
                continue
            m2 = area_km2(part) * 1e6
            if m2 >= min_area_m2:
                p = part.representative_point()
                gaps.append(Gap(label, round(m2), round(p.x, 6), round(p.y, 6)))

    # Only comprehensive grids must tile their parent; special grids are carved out inside them.
    grids = list(Grid.objects.filter(town=town, is_active=True, kind=Grid.Kind.COMPREHENSIVE)
                 .only("id", "code", "name", "parent_id", "geometry"))
    by_parent: dict[int | None, list[Grid]] = {}
    for g in grids:
        by_parent.setdefault(g.parent_id, []).append(g)
    town_geom = geometry_from_geojson(town.geometry) if town.geometry else None
    collect(town.name, town_geom, [geometry_from_geojson(g.geometry) for g in by_parent.get(None, [])])
    for g in grids:
        kids = by_parent.get(g.id)
        if kids:
            collect(str(g), geometry_from_geojson(g.geometry), [geometry_from_geojson(k.geometry) for k in kids])
    gaps.sort(key=lambda x: -x.area_m2)
    return gaps
