from django_tasks import task

from .services import deliver_due


@task()
def deliver_outbox() -> dict:
    return deliver_due()
