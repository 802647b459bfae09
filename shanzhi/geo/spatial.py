"""Point → grid lookup over an in-memory STRtree of grid polygons.

Each process keeps one index and rebuilds it when the shared ``grids`` counter moves (checked at
most every GRID_INDEX_CHECK_SECONDS). Border rule: a point on a shared edge belongs to the finest
level, and among grids of that level to the one with the lowest code.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from shapely.geometry import shape

from shanzhi.common import counters
from shanzhi.common.coords import to_wgs84


def geometry_from_geojson(data: dict):
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError("not a GeoJSON geometry")
    if data["type"] == "Feature":
        data = data.get("geometry") or {}
    return shape(data)


def area_km2(geom) -> float:
    """Area on a local equirectangular projection: good to ~0.1 % at county scale."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    kx = 111.32 * math.cos(math.radians(lat))
    return geom.area * kx * 110.574


class GridIndex:
    def __init__(self, rows: list[tuple[int, str, int, dict]], info: dict[int, tuple] | None = None,
                 counties: list[tuple[int, dict]] | None = None):
        # rows: (id, code, level, geojson); info: id → (region_id, town_id) for lookups without a query
        self.info = info or {}
        # The service area: each county's outline, to tell "outside the county" from a gap in coverage.
        self.counties = [(pk, geometry_from_geojson(g)) for pk, g in (counties or []) if g]
        for _pk, geom in self.counties:
            shapely.prepare(geom)
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.codes = [r[1] for r in rows]
        self.levels = np.array([r[2] for r in rows], dtype=np.int64)
        self.geoms = np.array([geometry_from_geojson(r[3]) for r in rows], dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        # Rank: finer level first, then lowest code — the fixed border rule as one integer.
        order = sorted(range(len(rows)), key=lambda i: (-rows[i][2], rows[i][1]))
        self.rank = np.empty(len(rows), dtype=np.int64)
        self.rank[order] = np.arange(len(rows))

    def __len__(self):
        return len(self.ids)

    def county_of(self, lon: float, lat: float) -> int | None:
        point = shapely.Point(lon, lat)
        return next((pk for pk, geom in self.counties if geom.intersects(point)), None)

    def locate_many(self, lons, lats) -> np.ndarray:
        """Grid id of the finest grid for each point (0 where none), vectorised."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        result = np.zeros(len(points), dtype=np.int64)
        if not len(self.ids):
            return result
        pts_idx, tree_idx = self.tree.query(points, predicate="intersects")
        if not len(pts_idx):
            return result
        ranks = self.rank[tree_idx]
        # For each point keep the hit with the smallest rank.
        order = np.lexsort((ranks, pts_idx))
        pts_sorted = pts_idx[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = pts_sorted[1:] != pts_sorted[:-1]
        winners = order[first]
        result[pts_idx[winners]] = self.ids[tree_idx[winners]]
        return result

    def locate_one(self, lon: float, lat: float) -> int:
        point = shapely.Point(lon, lat)
        hits = self.tree.query(point, predicate="intersects")
        if not len(hits):
            return 0
        best = hits[np.argmin(self.rank[hits])]
        return int(self.ids[best])


class _Holder:
    def __init__(self):
        self.lock = threading.Lock()
        self.index: GridIndex | None = None
        self.version = -1
        self.checked_at = 0.0


_holder = _Holder()


def _load_index() -> GridIndex:
    from .models import Grid

    rows = list(Grid.objects.filter(is_active=True).values_list("id", "code", "level", "geometry", "region_id",
                                                                "town_id", "town__name"))
    from .models import Region

    counties = list(Region.objects.filter(level=Region.Level.COUNTY, geometry__isnull=False, valid_to__isnull=True)
                    .values_list("id", "geometry"))
    return GridIndex([r[:4] for r in rows], {r[0]: (r[4], r[5], r[1], r[6]) for r in rows}, counties)


def get_index(force_check: bool = False) -> GridIndex:
    """The process's index, rebuilt if grids changed since it was built."""
    now = time.monotonic()
    if (
        _holder.index is not None
        and not force_check
        and now - _holder.checked_at < settings.GRID_INDEX_CHECK_SECONDS
    ):
        return _holder.index
    with _holder.lock:
        version = counters.read("grids")
        if _holder.index is None or version != _holder.version:
            _holder.index = _load_index()
            _holder.version = version
        _holder.checked_at = time.monotonic()
        return _holder.index


def reset_index() -> None:
    with _holder.lock:
        _holder.index = None
        _holder.version = -1


@dataclass
class Location:
    lon: float
    lat: float
    crs: str
    grid: object | None
    ancestors: list
    region: object | None
    town: object | None

    def as_dict(self) -> dict:
        g = self.grid
        return {
            "lon": round(self.lon, 7),
            "lat": round(self.lat, 7),
            "declared_crs": self.crs,
            "grid": {"id": g.id, "code": g.code, "name": g.name, "level": g.level} if g else None,
            "ancestors": [{"id": a.id, "code": a.code, "name": a.name, "level": a.level} for a in self.ancestors],
            "region": {"code": self.region.code, "name": self.region.name} if self.region else None,
            "town": {"code": self.town.code, "name": self.town.name} if self.town else None,
        }


@dataclass
class Placement:
    lon: float
    lat: float
    grid_id: int | None
    region_id: int | None
    town_id: int | None
    # The county whose outline holds the point (only looked up when no grid does).
    county_id: int | None = None


def place(lon: float, lat: float, crs: str = "wgs84") -> Placement:
    """locate() without database queries: the ids the intake hot path stores."""
    wlon, wlat = to_wgs84(lon, lat, crs)
    index = get_index()
    grid_id = index.locate_one(wlon, wlat) or None
    if grid_id:
        region_id, town_id = index.info[grid_id][:2]
        return Placement(wlon, wlat, grid_id, region_id, town_id)
    return Placement(wlon, wlat, None, None, None, index.county_of(wlon, wlat))


def grid_facts(grid_id: int | None) -> tuple[str | None, str | None]:
    """(grid code, town name) from the process's index, without a query."""
    info = get_index().info.get(grid_id) if grid_id else None
    return (info[2], info[3]) if info else (None, None)


def locate(lon: float, lat: float, crs: str = "wgs84") -> Location:
    """The finest grid containing the point, its ancestors, village and town (WGS-84 out)."""
    from .models import Grid

    wlon, wlat = to_wgs84(lon, lat, crs)
    grid_id = get_index().locate_one(wlon, wlat)
    if not grid_id:
        return Location(wlon, wlat, crs, None, [], None, None)
    grid = Grid.objects.select_related("region", "town").get(pk=grid_id)
    codes = [c for c in grid.path.strip("/").split("/")[:-1] if c]
    ancestors = list(Grid.objects.filter(code__in=codes).order_by("level"))
    return Location(wlon, wlat, crs, grid, ancestors, grid.region, grid.town)
