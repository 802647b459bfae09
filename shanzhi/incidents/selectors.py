"""Reads of incidents through the actor's jurisdiction: region and grid posts see their area's
cases; department posts see the cases sent to (or summoned from) their department."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shanzhi.common.jurisdiction import scope_for

from .models import Incident, Summons
from .states import STAGE_OF


def incident_list(*, actor) -> QuerySet:
    scope = scope_for(actor)
    qs = Incident.objects.select_related("subclass", "subclass__parent", "grid", "town", "department")
    if scope.unrestricted:
        return qs
    cond = scope.q(region="region", grid="grid", department="department")
    if scope.department_ids:
        cond |= Q(Exists(Summons.objects.filter(incident=OuterRef("pk"), department_id__in=scope.department_ids)))
    if getattr(actor, "pk", None):
        cond |= Q(reporter=actor)
    return qs.filter(cond)


def get_incident_for_actor(actor, pk) -> Incident:
    incident = incident_list(actor=actor).filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


def due_q(now=None, *, overdue: bool) -> Q:
    """Open incidents whose current stage deadline has passed (overdue) or not."""
    now = now or timezone.now()
    cond = Q(pk__in=[])
    for status, stage in STAGE_OF.items():
        field = f"{stage}_due"
        if overdue:
            cond |= Q(status=status, **{f"{field}__lt": now})
        else:
            cond |= Q(status=status, **{f"{field}__gte": now})
    return cond
