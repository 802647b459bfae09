"""Coordinate systems. Everything is stored in WGS-84 (≈ CGCS2000); phones using Chinese map
SDKs send GCJ-02 (AMap, Tencent) or BD-09 (Baidu), converted here on intake."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from fast_geocn import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_gcj02

CRS_CHOICES = [
    ("wgs84", _("WGS-84 / CGCS2000")),
    ("gcj02", _("GCJ-02（高德、腾讯）")),
    ("bd09", _("BD-09（百度）")),
]
_ALIASES = {"wgs84": "wgs84", "wgs-84": "wgs84", "epsg:4326": "wgs84", "cgcs2000": "wgs84",
            "epsg:4490": "wgs84", "gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}


class CoordinateError(ValueError):
    pass


def normalise_crs(crs: str | None) -> str:
    key = (crs or "wgs84").strip().lower()
    if key not in _ALIASES:
        raise CoordinateError(f"坐标系 {str(crs)[:20]} 无法识别，应为 wgs84、gcj02 或 bd09")
    return _ALIASES[key]


def to_wgs84(lon: float, lat: float, crs: str | None = "wgs84") -> tuple[float, float]:
    lon, lat = float(lon), float(lat)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CoordinateError("经度应在 −180～180 之间，纬度应在 −90～90 之间")
    system = normalise_crs(crs)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    return lon, lat


__all__ = ["CRS_CHOICES", "CoordinateError", "normalise_crs", "to_wgs84", "wgs84_to_gcj02"]
