from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from shanzhi.common.jurisdiction import scope_for

from .models import Grid, Region


def grid_list(*, actor, level: int | None = None, town_code: str | None = None) -> QuerySet:
    qs = scope_for(actor).grids(Grid.objects.filter(is_active=True)).select_related("region", "town")
    if level:
        qs = qs.filter(level=level)
    if town_code:
        qs = qs.filter(town__code=town_code)
    return qs.order_by("code")


def grids_for_actor(actor) -> QuerySet:
    """Active grids the actor may refer to in a write (locate a case, attach a record)."""
    return scope_for(actor).grids(Grid.objects.filter(is_active=True)).select_related("region", "town")


def get_grid_for_actor(actor, pk) -> Grid:
    """One grid the actor may see — the same rule as the map's (a department sees its area's grids)."""
    grid = scope_for(actor).grids(Grid.objects.select_related("region", "town", "parent")).filter(pk=pk).first()
    if grid is None:
        raise Http404
    return grid


def town_list(*, actor) -> QuerySet:
    return scope_for(actor).regions(Region.objects.filter(level=Region.Level.TOWN)).order_by("code")
