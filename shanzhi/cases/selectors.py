"""Reads across every kind of case: my work (我的待办) and the supervision desk, both through
each kind's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .kinds import KINDS, CaseKind
from .models import Timer

LIMIT = 200


@dataclass
class Item:
    kind: str
    kind_label: str
    queue: str
    case_id: int
    number: str
    title: str
    status: str
    status_label: str
    due: dt.datetime | None
    url: str

    def late(self, now=None) -> bool:
        return bool(self.due and self.due < (now or timezone.now()))


def _item(kind: CaseKind, queue: str, case) -> Item:
    return Item(kind.key, str(kind.label), queue, case.pk, kind.number(case), kind.title(case), case.status,
                kind.status_labels.get(case.status, case.status), kind.current_due(case), kind.url(case))


def my_work(actor, limit: int = LIMIT) -> tuple[list[dict], list[Item]]:
    """(queues with their counts, the items themselves — soonest deadline first)."""
    queues, items = [], []
    for kind in KINDS.values():
        for label, qs in kind.work(actor):
            queues.append({"kind": kind.key, "kind_label": str(kind.label), "label": label, "count": qs.count()})
            items += [_item(kind, label, c) for c in qs[:limit]]
    far = timezone.now() + dt.timedelta(days=3650)
    items.sort(key=lambda i: (i.due or far, i.number))
    return queues, items[:limit]


@dataclass
class DeskRow:
    item: Item
    timer: Timer | None


def _timed(kind: CaseKind, actor, timers) -> list[DeskRow]:
    visible = kind.visible(actor)
    rows = list(timers.filter(kind=kind.key).filter(
        Exists(visible.filter(pk=OuterRef("case_id")))).order_by("due")[:LIMIT])
    cases = {c.pk: c for c in visible.filter(pk__in=[t.case_id for t in rows])}
    return [DeskRow(_item(kind, "", cases[t.case_id]), t) for t in rows if t.case_id in cases]


def supervision_desk(actor, *, within_hours: float = 4, now=None) -> dict:
    """Every kind's running clocks past or near their deadline, and paused ones, in the actor's
    scope; plus each kind's own lists."""
    now = now or timezone.now()
    running = Timer.objects.filter(stopped_at__isnull=True, paused_at__isnull=True)
    desk = {"overdue": [], "soon": [], "paused": [], "extras": []}
    for kind in KINDS.values():
        desk["overdue"] += _timed(kind, actor, running.filter(due__lt=now))
        desk["soon"] += _timed(kind, actor, running.filter(due__gte=now, due__lte=now + dt.timedelta(hours=within_hours)))
        desk["paused"] += _timed(kind, actor, Timer.objects.filter(stopped_at__isnull=True, paused_at__isnull=False))
        for label, qs in kind.desk_extras(actor):
            desk["extras"].append({"kind": kind.key, "label": label, "count": qs.count(),
                                   "items": [_item(kind, label, c) for c in qs[:LIMIT]]})
    for key in ("overdue", "soon"):
        desk[key].sort(key=lambda r: r.timer.due)
    return desk
