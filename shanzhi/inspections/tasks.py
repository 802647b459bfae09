"""Background work of 双随机一公开: telling drawn inspectors, keeping credit grades current."""

from __future__ import annotations

from django_tasks import task


@task()
def tell_drawn_inspectors(plan_id: int) -> int:
    """One in-app message per drawn inspector (not per task), after the draw committed; the
    dedup key makes a retried run send nothing twice."""
    from django.utils.translation import gettext as _

    from shanzhi.notify.services import queue

    from .models import Plan, TaskMember

    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None:
        return 0
    counts: dict[int, int] = {}
    for user_id in TaskMember.objects.filter(task__plan=plan).values_list("inspector__user_id", flat=True):
        counts[user_id] = counts.get(user_id, 0) + 1
    for user_id, n in sorted(counts.items()):
        queue(channel="inapp", user_id=user_id, title=_("双随机检查任务：%(p)s") % {"p": plan.name[:60]},
              body=_("您被随机抽中参加 %(n)d 项检查任务，检查期限至 %(d)s。") % {"n": n, "d": plan.period_end},
              topic="inspection", link="/inspections/tasks/", object_ref=f"inspection_plan:{plan.pk}",
              dedup_key=f"inspection-draw:{plan.pk}:{user_id}")
    return len(counts)


@task()
def refresh_credit_grades() -> int:
    """Grades whose events stopped counting (daily; the draw does it too before reading)."""
    from . import credit

    return credit.refresh_due()


@task()
def fill_entity_register() -> int:
    """Daily: organisations the registry gained (a new company, an import) enter the register of
    inspectable entities with the defaults of their industry."""
    from .services.registers import profiles_fill

    return profiles_fill()
