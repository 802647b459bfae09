from django.utils import timezone
from django_tasks import task

from .services.queue import close_day


@task()
def close_hall_days() -> dict:
    """Numbers and bookings left over from earlier days are closed (idempotent; runs hourly)."""
    return close_day(timezone.localdate())
