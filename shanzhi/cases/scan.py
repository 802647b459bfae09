"""The one periodic deadline scan for every kind of case.

Each timer is handled in its own transaction: a case whose handling fails is logged, counted and
backed off (after MAX_ERRORS failures it waits for an administrator), and never stops the rest.
Lock order matches every person's move — the case first, then its clock — so the scan and a
handler acting at the same moment cannot deadlock.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .kinds import KINDS
from .models import Timer
from .transition import lock

log = logging.getLogger("shanzhi.cases")
MAX_ERRORS = 5
BATCH = 2000


def _due_now(now):
    running = Timer.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, scan_errors__lt=MAX_ERRORS)
    overdue = list(running.filter(overdue_at__isnull=True, due__lt=now).order_by("due")
                   .values_list("id", flat=True)[:BATCH])
    warn = list(running.filter(warned_at__isnull=True, warn_at__lte=now, due__gte=now).order_by("warn_at")
                .values_list("id", flat=True)[:BATCH])
    return [(pk, "overdue") for pk in overdue] + [(pk, "warn") for pk in warn]


def _handle(timer_id: int, what: str, now) -> bool:
    with transaction.atomic():
        head = Timer.objects.filter(pk=timer_id).values("kind", "case_id").first()
        if head is None:
            return False
        kind = KINDS[head["kind"]]
        case = lock(kind, None, head["case_id"])
        timer = Timer.objects.select_for_update().filter(pk=timer_id, stopped_at__isnull=True,
                                                         paused_at__isnull=True).first()
        if timer is None:
            return False
        if what == "overdue":
            if timer.overdue_at is not None or not timer.due or timer.due >= now:
                return False
            timer.overdue_at = now
            timer.warned_at = timer.warned_at or now  # a warning after the deadline says nothing new
            timer.save(update_fields=["overdue_at", "warned_at"])
            kind.timer_overdue(case, timer, now)
        else:
            if timer.warned_at is not None or not timer.warn_at or timer.warn_at > now:
                return False
            timer.warned_at = now
            timer.save(update_fields=["warned_at"])
            kind.timer_warn(case, timer, now)
        return True


def scan_timers(now=None) -> dict[str, int]:
    """Warn, mark overdue and supervise every kind's clocks that are due; returns the counts."""
    now = now or timezone.now()
    counts = {"warned": 0, "overdue": 0, "failed": 0}
    for timer_id, what in _due_now(now):
        try:
            if _handle(timer_id, what, now):
                counts["warned" if what == "warn" else "overdue"] += 1
        except Exception as exc:  # noqa: BLE001 — one bad case must never stop the others
            log.exception("deadline scan: timer %s (%s) failed", timer_id, what)
            Timer.objects.filter(pk=timer_id).update(scan_errors=F("scan_errors") + 1,
                                                     last_error=f"{type(exc).__name__}: {exc}"[:300])
            counts["failed"] += 1
    return counts
