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
