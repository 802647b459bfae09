import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from shapely.geometry import mapping

from shanzhi.accounts.models import Post
from shanzhi.accounts.roles import GRID_POSTS
from shanzhi.registry.selectors import grid_counts

from .selectors import get_grid_for_actor, grid_list, town_list
from .services.grids import coverage_report
from .spatial import geometry_from_geojson

# Simplification per level keeps the county map light (degrees; ~50 m, ~10 m, ~3 m).
SIMPLIFY = {1: 0.0005, 2: 0.0001, 3: 0.00003}


@login_required
def map_page(request):
    towns = town_list(actor=request.user)
    levels = sorted(set(grid_list(actor=request.user).values_list("level", flat=True)))
    return render(request, "geo/map.html", {
        "towns": towns, "levels": levels, "active": "grid",
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
    })


@login_required
@require_GET
def grids_geojson(request):
    try:
        level = int(request.GET.get("level", "0") or 0)
    except ValueError:
        return JsonResponse({"error": "level must be a number"}, status=400)
    qs = grid_list(actor=request.user, level=level or None, town_code=request.GET.get("town") or None)
    features = []
    for g in qs.only("id", "code", "name", "level", "kind", "geometry", "region__name", "town__name"):
        geom = geometry_from_geojson(g.geometry).simplify(SIMPLIFY.get(g.level, 0.00003), preserve_topology=True)
        features.append({
            "type": "Feature",
            "geometry": mapping(geom),
            "properties": {"id": g.id, "code": g.code, "name": g.name, "level": g.level, "kind": g.kind,
                           "village": g.region.name, "town": g.town.name},
        })
    return JsonResponse({"type": "FeatureCollection", "features": features},
                        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


@login_required
@require_GET
def towns_geojson(request):
    """Town outlines for orientation on the map (only the towns the user may see)."""
    features = []
    for town in town_list(actor=request.user).exclude(geometry=None):
        geom = geometry_from_geojson(town.geometry).simplify(0.0005, preserve_topology=True)
        features.append({"type": "Feature", "geometry": mapping(geom),
                         "properties": {"code": town.code, "name": town.name,
                                        "center": [town.center_lat, town.center_lon]}})
    return JsonResponse({"type": "FeatureCollection", "features": features},
                        json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


@login_required
def grid_card(request, pk: int):
    grid = get_grid_for_actor(request.user, pk)
    subtree = list(grid_list(actor=request.user).filter(path__startswith=grid.path).values_list("id", flat=True))
    staff = Post.objects.filter(grid=grid, is_active=True, role__in=GRID_POSTS).select_related("user").order_by("role")
    children = grid.children.filter(is_active=True).count()
    from shanzhi.incidents.selectors import incident_list
    from shanzhi.incidents.states import OPEN

    open_cases = incident_list(actor=request.user).filter(grid_id__in=subtree, status__in=OPEN).count()
    return render(request, "geo/partials/grid_card.html", {
        "grid": grid, "staff": staff, "counts": grid_counts(subtree), "children": children, "open_cases": open_cases,
    })


@login_required
@require_GET
def grid_here(request):
    """The card of the grid where the phone stands (lon/lat, WGS-84), for the field pages; a
    point outside the actor's grids gets the same short answer as a point in no grid at all."""
    import math

    from django.http import Http404, HttpResponse

    from .spatial import place

    try:
        lon, lat = float(request.GET.get("lon", "")), float(request.GET.get("lat", ""))
    except (TypeError, ValueError):
        lon = lat = math.nan
    found = place(lon, lat, crs="wgs84") if -180 <= lon <= 180 and -90 <= lat <= 90 else None
    if found is not None and found.grid_id:
        try:
            return grid_card(request, found.grid_id)
        except Http404:
            pass
    return HttpResponse('<p class="muted">' + _("当前位置不在您负责的网格内") + "</p>")


@login_required
def coverage(request):
    towns = list(town_list(actor=request.user).annotate(n=Count("town_grids")))
    selected = next((t for t in towns if t.code == request.GET.get("town")), towns[0] if towns else None)
    gaps = coverage_report(town=selected) if selected else []
    return render(request, "geo/coverage.html", {
        "towns": towns, "selected": selected, "gaps": gaps, "active": "grid",
        "gaps_json": json.dumps([{"lon": g.lon, "lat": g.lat, "area": g.area_m2, "container": g.container} for g in gaps],
                                ensure_ascii=False),
    })


@login_required
@require_GET
def address_search(request):
    """Address picker: standard addresses (门牌) in the user's jurisdiction matching the text."""
    from shanzhi.common.jurisdiction import scope_for

    from .models import Address

    q = request.GET.get("address_text", request.GET.get("q", "")).strip()
    rows = []
    if len(q) >= 2:
        rows = list(scope_for(request.user).places(Address.objects.filter(full_text__contains=q))
                    .only("code", "full_text", "lon", "lat")[:8])
    return render(request, "geo/partials/address_options.html", {"rows": rows, "q": q})
