"""What every kind's figures ask of the kernel's clocks: whether a case's stage has fallen due, and
whether it was done in time — one rule for incidents' peers, penalty cases, assistance and the rest.

A stage is due once its clock stopped, or its deadline passed while it ran (a paused clock is not
due); on time = its clock stopped by the deadline (``late`` is decided when the step stops it)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from .models import Timer


def _timers(kind: str, stage: str, **filters):
    return Timer.objects.filter(kind=kind, case_id=OuterRef("pk"), stage=stage, **filters)


def stage_due(kind: str, stage: str, now) -> Q:
    return Q(Exists(_timers(kind, stage, stopped_at__isnull=False))) | Q(
        Exists(_timers(kind, stage, stopped_at__isnull=True, paused_at__isnull=True, due__lt=now)))


def stage_on_time(kind: str, stage: str) -> Q:
    return Q(Exists(_timers(kind, stage, stopped_at__isnull=False, late=False)))
