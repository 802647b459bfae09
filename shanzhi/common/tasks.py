import datetime as dt
import logging

import chinese_calendar
from django.utils import timezone
from django_tasks import task

from .models import CalendarDay

log = logging.getLogger(__name__)


@task()
def check_calendar_coverage() -> dict:
    """Warn when next year's official holidays are neither in chinesecalendar nor entered as data."""
    year = timezone.localdate().year + 1
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
        known = True
    except NotImplementedError:
        known = CalendarDay.objects.filter(date__year=year).exists()
    if not known:
        log.warning("working calendar: no holiday data for %s; add CalendarDay rows in the admin", year)
    return {"year": year, "known": known}


@task()
def prune_task_results() -> int:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(days=14)
    deleted, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def seal_audit_log() -> int:
    """Chain the audit rows written since the last run (see common/audit_chain.py)."""
    from . import audit_chain

    total = 0
    while n := audit_chain.seal():
        total += n
    return total
