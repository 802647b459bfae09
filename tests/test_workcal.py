"""Working-time arithmetic on the edges of China's 2025 National Day holiday (Oct 1–8, with make-up
working days on Sunday Sep 28 and Saturday Oct 11) — the facts come from chinesecalendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shanzhi.common.models import CalendarDay
from shanzhi.common.workcal import TimeUnit, WorkingCalendar, add_working_time

TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


pytestmark = pytest.mark.django_db


def test_working_hours_skip_the_national_day_holiday():
    # One hour left on Sep 30, the next working hour is the morning of Oct 9.
    assert add_working_time(at(2025, 9, 30, 16, 30), 2, TimeUnit.WORKING_HOURS) == at(2025, 10, 9, 9, 30)


def test_working_hours_skip_the_lunch_break():
    assert add_working_time(at(2025, 9, 30, 11, 30), 1, "working_hours") == at(2025, 9, 30, 14, 0)


def test_a_report_after_hours_starts_counting_next_working_morning():
    assert add_working_time(at(2025, 9, 26, 20, 0), 4, "working_hours") == at(2025, 9, 28, 14, 0)  # 08:30–12:00 is 3.5 h, then 13:30–14:00


def test_a_make_up_sunday_is_a_working_day():
    # Friday Sep 26 + 1 working day = the make-up Sunday Sep 28, due at close of business.
    assert add_working_time(at(2025, 9, 26, 10, 0), 1, "working_days") == at(2025, 9, 28, 17, 30)


def test_working_days_after_the_holiday_land_on_the_make_up_saturday():
    assert add_working_time(at(2025, 9, 30, 10, 0), 3, "working_days") == at(2025, 10, 11, 17, 30)


def test_clock_hours_ignore_the_calendar():
    assert add_working_time(at(2025, 10, 1, 22, 0), 4, "clock_hours") == at(2025, 10, 2, 2, 0)


def test_an_administrator_override_moves_the_deadline():
    CalendarDay.objects.create(date=dt.date(2025, 10, 9), is_workday=False, note="本地调整")
    assert add_working_time(at(2025, 9, 30, 16, 30), 2, "working_hours") == at(2025, 10, 10, 9, 30)


def test_a_locality_override_applies_only_to_that_locality():
    CalendarDay.objects.create(date=dt.date(2025, 10, 9), is_workday=False, region_code="320281110000")
    assert add_working_time(at(2025, 9, 30, 17, 0), 1, "working_hours", region_code="320281110000") == at(2025, 10, 10, 9, 0)
    assert add_working_time(at(2025, 9, 30, 17, 0), 1, "working_hours") == at(2025, 10, 9, 9, 0)


def test_years_the_package_lacks_fall_back_to_weekdays_until_entered_as_data():
    cal = WorkingCalendar()
    assert cal.is_workday(dt.date(2099, 1, 5)) is True  # a Monday
    assert cal.is_workday(dt.date(2099, 1, 3)) is False  # a Saturday
    CalendarDay.objects.create(date=dt.date(2099, 1, 5), is_workday=False, note="元旦调休")
    assert WorkingCalendar().is_workday(dt.date(2099, 1, 5)) is False


def test_working_hours_between_counts_only_office_time():
    cal = WorkingCalendar()
    assert cal.working_hours_between(at(2025, 9, 30, 16, 30), at(2025, 10, 9, 9, 30)) == pytest.approx(2.0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        add_working_time(dt.datetime(2025, 9, 30, 10, 0), 1, "working_hours")  # noqa: DTZ001 — the point
    with pytest.raises(ValueError):
        add_working_time(at(2025, 9, 30), -1, "working_days")
    with pytest.raises(ValueError):
        add_working_time(at(2025, 9, 30), 1, "fortnights")


def test_half_a_working_day_is_half_the_days_working_hours():
    cal = WorkingCalendar("")
    start = at(2025, 9, 30, 10, 0)  # 3.75 h left in the day would run past 17:30 → continues after the holiday
    assert cal.add(start, 0.5, TimeUnit.WORKING_DAYS) == cal.add(start, 3.75, TimeUnit.WORKING_HOURS)
    assert cal.add(start, 0.5, TimeUnit.WORKING_DAYS) == at(2025, 9, 30, 15, 15)
    # One day is Oct 9 (close of business), the half more runs into Oct 10 after lunch.
    assert cal.add(start, 1.5, TimeUnit.WORKING_DAYS) == at(2025, 10, 10, 13, 45)
    assert cal.add(start, 2, TimeUnit.WORKING_DAYS) > cal.add(start, 1.5, TimeUnit.WORKING_DAYS)


def test_calendar_days_count_from_the_next_day_and_a_period_ending_on_a_holiday_moves_on():
    cal = WorkingCalendar("")
    # 7 days from Sep 24 end on Oct 1, National Day: the period ends with Oct 9, the first working day after.
    assert cal.add(at(2025, 9, 24, 15, 0), 7, TimeUnit.CALENDAR_DAYS) == at(2025, 10, 9, 23, 59) + dt.timedelta(seconds=59)
    # An ordinary week: Monday + 7 days = the next Monday, end of day.
    assert cal.add(at(2025, 11, 3, 9, 0), 7, TimeUnit.CALENDAR_DAYS) == at(2025, 11, 10, 23, 59) + dt.timedelta(seconds=59)


def test_a_paused_clock_keeps_the_working_time_that_was_left():
    cal = WorkingCalendar("")
    due = at(2025, 9, 30, 16, 0)
    left = cal.remaining(at(2025, 9, 30, 14, 0), due, TimeUnit.WORKING_HOURS)
    assert left == dt.timedelta(hours=2)
    # Resumed after the holiday: the two working hours continue from Oct 9 morning.
    assert cal.resume(at(2025, 10, 9, 8, 30), left, TimeUnit.WORKING_HOURS) == at(2025, 10, 9, 10, 30)
