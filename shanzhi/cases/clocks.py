"""Clocks of one case inside a move: start, stop, pause, resume and extend a stage's timer.

Deadlines come from the working calendar of the case's locality and are stored; a paused clock
keeps the time that was left and continues with it when resumed.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.conf import settings

from shanzhi.common.workcal import WorkingCalendar

from .models import Timer

WARN_MIN = dt.timedelta(minutes=30)


def warn_at(start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """Warn in the last part of a stage (SHANZHI_WARN_FRACTION, at least half an hour before)."""
    return due - max(WARN_MIN, (due - start) * settings.WARN_FRACTION)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


class Clocks:
    def __init__(self, kind, case, at: dt.datetime):
        self.kind, self.case, self.at = kind, case, at
        self.changes: list[dict] = []

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.kind.calendar_code(self.case))

    @cached_property
    def _timers(self) -> dict[str, Timer]:
        """The case's open timers, loaded (and locked) once per move."""
        rows = Timer.objects.select_for_update().filter(kind=self.kind.key, case_id=self.case.pk,
                                                        stopped_at__isnull=True)
        return {t.stage: t for t in rows}

    def running(self, stage: str) -> Timer | None:
        """The stage's open timer (running or paused), locked."""
        return self._timers.get(stage)

    def _note(self, stage: str, what: str, **facts) -> None:
        self.changes.append({"stage": stage, "what": what, **{k: _iso(v) if isinstance(v, dt.datetime) else v
                                                             for k, v in facts.items()}})

    def start(self, stage: str, amount: float, unit: str, *, round: int = 1, fresh: bool = False) -> Timer:
        """Start a stage's clock now; a clock of the same stage still open is stopped first
        (``fresh``: the case was just created and has none)."""
        if fresh:
            self.__dict__["_timers"] = {}
        else:
            self.stop(stage)
        due = self.calendar.add(self.at, float(amount), unit)
        timer = Timer.objects.create(
            kind=self.kind.key, case_id=self.case.pk, stage=stage, round=round, amount=amount, unit=unit,
            calendar=self.calendar.region_code, started_at=self.at, due=due, warn_at=warn_at(self.at, due))
        self._timers[stage] = timer
        self.kind.mirror_due(self.case, stage, due)
        self._note(stage, "start", due=due, amount=float(amount), unit=unit)
        return timer

    def stop(self, stage: str) -> Timer | None:
        """End a stage (its work is done, or the case left it). Late if after the deadline."""
        timer = self.running(stage)
        if timer is None:
            return None
        if timer.paused_at is not None:
            timer.late = timer.left is not None and timer.left < dt.timedelta()
            self._close_pause(timer)
        else:
            timer.late = timer.due is not None and self.at > timer.due
        timer.stopped_at = self.at
        timer.save(update_fields=["late", "stopped_at", "paused_at", "pauses"])
        del self._timers[stage]
        self.kind.clock_stopped(self.case, timer)
        self._note(stage, "stop", late=timer.late)
        return timer

    def stop_all(self) -> None:
        for stage in list(self._timers):
            self.stop(stage)

    def pause(self, stage: str, reason: str) -> Timer | None:
        """Stop the clock without ending the stage (挂账, 补正, a hearing, an expert review)."""
        timer = self.running(stage)
        if timer is None or timer.paused_at is not None:
            return timer
        timer.left = self.calendar.remaining(self.at, timer.due, timer.unit)
        timer.paused_at = self.at
        timer.pauses = [*timer.pauses, {"from": _iso(self.at), "to": None, "reason": reason[:200]}]
        timer.save(update_fields=["left", "paused_at", "pauses"])
        self._note(stage, "pause", left_hours=round(timer.left.total_seconds() / 3600, 2))
        return timer

    def _close_pause(self, timer: Timer) -> None:
        if timer.pauses:
            timer.pauses = [*timer.pauses[:-1], {**timer.pauses[-1], "to": _iso(self.at)}]
        timer.paused_at = None

    def resume(self, stage: str) -> Timer | None:
        """Continue a paused clock with the time that was left when it paused."""
        timer = self.running(stage)
        if timer is None or timer.paused_at is None:
            return timer
        left = timer.left or dt.timedelta()
        timer.due = self.calendar.resume(self.at, left, timer.unit)
        self._close_pause(timer)
        timer.left = None
        timer.warn_at = warn_at(self.at, timer.due)
        if timer.due > self.at:
            timer.warned_at = timer.overdue_at = None
        timer.save(update_fields=["due", "paused_at", "pauses", "left", "warn_at", "warned_at", "overdue_at"])
        self.kind.mirror_due(self.case, stage, timer.due)
        self._note(stage, "resume", due=timer.due)
        return timer

    def extend(self, stage: str, amount: float, unit: str) -> Timer:
        """Move a running clock's deadline by an approved extension."""
        timer = self.running(stage)
        if timer is None or timer.due is None:
            raise ValueError(f"no running {stage} clock")
        old = timer.due
        timer.due = self.calendar.add(old, float(amount), unit)
        timer.extensions = [*timer.extensions, {"at": _iso(self.at), "amount": float(amount), "unit": unit,
                                                "from": _iso(old), "to": _iso(timer.due)}]
        timer.warn_at = warn_at(self.at, timer.due)
        timer.warned_at = None
        if timer.due > self.at:
            timer.overdue_at = None
        timer.save(update_fields=["due", "extensions", "warn_at", "warned_at", "overdue_at"])
        self.kind.mirror_due(self.case, stage, timer.due)
        self._note(stage, "extend", due=timer.due, amount=float(amount), unit=unit)
        return timer
