"""The working calendar: China's official holidays and make-up working days (调休) from the
maintained ``chinesecalendar`` package, overridden by administrators' CalendarDay rows.

Deadlines are computed here and stored; nothing else guesses working time from a wall clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from functools import cached_property

import chinese_calendar
from django.conf import settings
from django.utils import timezone


class TimeUnit(enum.StrEnum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CLOCK_HOURS = "clock_hours"
    # Statutory periods (行政处罚法, 行政许可法, a 7-day public notice): whole days counted from the
    # day after the start; a period ending on a rest day ends on the next working day.
    CALENDAR_DAYS = "calendar_days"


UNIT_LABELS = {TimeUnit.WORKING_HOURS: "工作时", TimeUnit.WORKING_DAYS: "工作日", TimeUnit.CLOCK_HOURS: "小时",
               TimeUnit.CALENDAR_DAYS: "自然日"}
WORKING_UNITS = (TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS)
_MAX_DAYS = 3 * 366


def _parse_periods(spec: str) -> list[tuple[dt.time, dt.time]]:
    periods = []
    for part in spec.split(","):
        start, end = part.strip().split("-")
        periods.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return sorted(periods)


class _OverrideCache:
    """Administrators' calendar rows per locality, per process; reloaded when the shared
    'calendar' counter moves (checked at most every few seconds), so edits reach every process."""

    def __init__(self):
        self.version, self.checked, self.data = -1, 0.0, {}

    def get(self, region_code: str) -> dict[dt.date, bool]:
        from . import counters
        from .models import CalendarDay

        now = time.monotonic()
        if now - self.checked > getattr(settings, "GRID_INDEX_CHECK_SECONDS", 2):
            version = counters.read("calendar")
            if version != self.version:
                self.data, self.version = {}, version
            self.checked = now
        if region_code not in self.data:
            rows = CalendarDay.objects.filter(region_code__in=["", region_code]).order_by("region_code")
            # Locality rows come after county-wide ones and win.
            self.data[region_code] = {row.date: row.is_workday for row in rows}
        return self.data[region_code]

    def reset(self):
        self.version, self.checked, self.data = -1, 0.0, {}


_override_cache = _OverrideCache()


class WorkingCalendar:
    """One locality's calendar. Build it once per computation: it reads overrides in one query."""

    def __init__(self, region_code: str = "", periods: str | None = None):
        self.region_code = region_code
        self.periods = _parse_periods(periods or getattr(settings, "WORK_PERIODS", "08:30-12:00,13:30-17:30"))
        self.tz = timezone.get_default_timezone()

    @cached_property
    def _overrides(self) -> dict[dt.date, bool]:
        return _override_cache.get(self.region_code)

    def is_workday(self, day: dt.date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            # Years the package does not know yet: weekdays work until an administrator adds the
            # year's holidays as CalendarDay rows.
            return day.weekday() < 5

    def _at(self, day: dt.date, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, t, tzinfo=self.tz)

    @cached_property
    def day_length(self) -> dt.timedelta:
        """Working time in one working day (7.5 h with the default periods)."""
        return sum(((dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, begin))
                    for begin, end in self.periods), dt.timedelta())

    def add(self, start: dt.datetime, amount: float, unit: TimeUnit | str) -> dt.datetime:
        """The deadline ``amount`` units after ``start``. Fractions count: half a working day is
        half a day's working hours, added after the whole days."""
        unit = TimeUnit(unit)
        amount = float(amount)
        if amount < 0:
            raise ValueError("amount must not be negative")
        if timezone.is_naive(start):
            raise ValueError("start must be timezone-aware")
        if unit is TimeUnit.CLOCK_HOURS:
            return start + dt.timedelta(hours=amount)
        local = start.astimezone(self.tz)
        if unit is TimeUnit.CALENDAR_DAYS:
            return self._add_calendar_days(local, amount)
        if unit is TimeUnit.WORKING_DAYS:
            whole = int(amount)
            base = self._add_days(local, whole)
            fraction = amount - whole
            return self._add_hours(base, self.day_length * fraction) if fraction > 1e-9 else base
        return self._add_hours(local, dt.timedelta(hours=amount))

    def _add_calendar_days(self, local: dt.datetime, days: float) -> dt.datetime:
        """期间开始之日不计算在内; the period ends at the end of its last day, moved to the end of
        the next working day when that day is a rest day. Part days count as a whole day."""
        whole = int(days) + (1 if days - int(days) > 1e-9 else 0)
        if whole == 0:
            return local
        day = local.date() + dt.timedelta(days=whole)
        return self._end_of(self._next_workday(day))

    def _next_workday(self, day: dt.date) -> dt.date:
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no working days within three years; check the calendar")

    def _end_of(self, day: dt.date) -> dt.datetime:
        return self._at(day, dt.time(23, 59, 59))

    def remaining(self, at: dt.datetime, due: dt.datetime, unit: TimeUnit | str) -> dt.timedelta:
        """What is left of a running clock at ``at``: working time for the working units, clock
        time otherwise (negative when already past due). Used when a clock pauses."""
        unit = TimeUnit(unit)
        if unit in WORKING_UNITS:
            if due >= at:
                return dt.timedelta(hours=self.working_hours_between(at, due))
            return -dt.timedelta(hours=self.working_hours_between(due, at))
        return due - at

    def resume(self, at: dt.datetime, left: dt.timedelta, unit: TimeUnit | str) -> dt.datetime:
        """The new deadline of a clock resumed at ``at`` with ``left`` still to run."""
        unit = TimeUnit(unit)
        if left <= dt.timedelta():
            return at + left if unit not in WORKING_UNITS else at
        if unit in WORKING_UNITS:
            return self._add_hours(at.astimezone(self.tz), left)
        end = at + left
        if unit is TimeUnit.CALENDAR_DAYS:
            return self._end_of(self._next_workday(end.astimezone(self.tz).date()))
        return end

    def _add_hours(self, local: dt.datetime, remaining: dt.timedelta) -> dt.datetime:
        if remaining <= dt.timedelta():
            return local
        day = local.date()
        cursor = local
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                for begin, end in self.periods:
                    seg_start = max(cursor, self._at(day, begin))
                    seg_end = self._at(day, end)
                    if seg_start >= seg_end:
                        continue
                    available = seg_end - seg_start
                    if remaining <= available:
                        return seg_start + remaining
                    remaining -= available
            day += dt.timedelta(days=1)
            cursor = self._at(day, dt.time(0))
        raise ValueError("no working time within three years; check the calendar")

    def _add_days(self, local: dt.datetime, days: int) -> dt.datetime:
        """N working days counted from the day after the start (次日起算); due at close of business."""
        if days == 0:
            return local
        day = local.date()
        counted = 0
        for _ in range(_MAX_DAYS):
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
                if counted == days:
                    return self._at(day, self.periods[-1][1])
        raise ValueError("no working days within three years; check the calendar")

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working hours elapsed from start to end (0 if end is not after start)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_workday(day):
                for begin, finish in self.periods:
                    a = max(start, self._at(day, begin))
                    b = min(end, self._at(day, finish))
                    if b > a:
                        total += b - a
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600


def add_working_time(start: dt.datetime, amount: float, unit: TimeUnit | str, *, region_code: str = "") -> dt.datetime:
    """Deadline after ``amount`` working hours, working days or clock hours from ``start``."""
    return WorkingCalendar(region_code).add(start, amount, unit)
