from django_tasks import task

from .services.deadlines import scan_deadlines


@task()
def check_deadlines() -> dict:
    return scan_deadlines()
