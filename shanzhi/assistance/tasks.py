"""Scheduled assistance work."""

from django.utils import timezone
from django_tasks import task

BUILD_FROM_DAY = 25  # next month's lists are built from the 25th, in time for the county's approval


@task()
def build_next_month_lists() -> dict:
    """From the 25th, build next month's payment lists once (for the towns and programs that have
    none yet). A list a town has already built, released holds on or that the county approved is
    left as it is: a rebuild is a person's decision on the list's page."""
    from . import payments
    from .models import Beneficiary, PaymentList
    from .services import next_month

    today = timezone.localdate()
    if today.day < BUILD_FROM_DAY:
        return {"skipped": "before the 25th"}
    month = next_month(today)
    have = set(PaymentList.objects.filter(month=month).values_list("town_id", flat=True))
    towns = set(Beneficiary.objects.filter(state=Beneficiary.State.ACTIVE).values_list("town_id", flat=True)) - have
    if not towns:
        return {"month": f"{month:%Y-%m}", "lists": 0}
    return payments.run(month=month, actor=None, towns=sorted(towns))
