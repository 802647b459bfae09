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
def compact_facts() -> int:
    """Fold the rollups' fresh rows (figures are exact either way; folding keeps reads short)."""
    from .facts import compact

    return compact()
