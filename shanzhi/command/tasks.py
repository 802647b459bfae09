import datetime as dt

from django.utils import timezone
from django_tasks import task

from .appraisal import appraise


@task()
def appraise_months() -> dict:
    """Keep this month's league tables current; settle last month's during the first days."""
    today = timezone.localdate()
    done = {"current": appraise(today.replace(day=1))}
    if today.day <= 3:
        done["previous"] = appraise((today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    return done


@task()
def refresh_dashboards() -> int:
    from .snapshots import FREQUENT, refresh_all

    return refresh_all(FREQUENT)


@task()
def refresh_long_dashboards() -> int:
    from .snapshots import SLOW, refresh_all

    return refresh_all(SLOW)
