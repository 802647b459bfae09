from django_tasks import task

from .scan import scan_timers


@task()
def check_deadlines() -> dict:
    return scan_timers()
