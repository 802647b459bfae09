"""Reads of the inspection registers, always through the actor's jurisdiction. The querysets here
are also what services resolve references from, so that a matter, an organisation, an inspector
or a department outside the actor's reach is answered exactly like one that does not exist."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shanzhi.accounts.models import Department
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Region
from shanzhi.registry.models import Organisation

from .kind import LEADERS, roles_of
from .models import EntityProfile, InspectionMatter, Inspector, Plan, Relation, Task
from .states import PlanStatus


def _reach(actor) -> tuple[bool, frozenset[int], frozenset[int]]:
    """(unrestricted, region ids, department ids) that the actor's posts reach."""
    scope = scope_for(actor)
    return scope.unrestricted, scope.region_ids | scope.dept_region_ids, scope.department_ids


def _ancestor_ids(region_ids) -> set[int]:
    """The towns and county above the actor's regions (their checklists apply below them)."""
    if not region_ids:
        return set()
    codes: set[str] = set()
    for path in Region.objects.filter(pk__in=region_ids, level__lte=Region.Level.TOWN).values_list("path", flat=True):
        codes.update(p for p in path.split("/") if p)
    return set(Region.objects.filter(code__in=codes).values_list("pk", flat=True))


def departments_for(actor) -> QuerySet:
    """Departments the actor may name: their own, and those of the regions they cover."""
    unrestricted, regions, departments = _reach(actor)
    qs = Department.objects.filter(is_active=True).select_related("region")
    if unrestricted:
        return qs
    return qs.filter(Q(pk__in=departments) | Q(region_id__in=regions))


def organiser_departments(actor) -> QuerySet:
    """Departments the actor may organise a plan for: their own department, or (leaders) any of
    their region's — never an enforcement squad (its officers are the ones drawn)."""
    from .kind import organiser_department_ids

    scope = scope_for(actor)
    qs = Department.objects.filter(is_active=True, squad__isnull=True).select_related("region")
    if scope.unrestricted:
        return qs
    cond = Q(pk__in=organiser_department_ids(actor))
    if roles_of(actor) & LEADERS:
        cond |= Q(region_id__in=scope.region_ids)
    return qs.filter(cond)


def plan_regions(actor) -> QuerySet:
    """Where a plan may draw: a town or the county the actor covers."""
    unrestricted, regions, _d = _reach(actor)
    qs = Region.objects.filter(level__in=[Region.Level.COUNTY, Region.Level.TOWN])
    return qs if unrestricted else qs.filter(pk__in=regions)


def matters_for(actor) -> QuerySet:
    """The checklist items the actor may use: those of departments they reach, and those of the
    departments above them (a county department's matter is inspected in every town)."""
    qs = InspectionMatter.objects.filter(is_active=True).select_related("department")
    unrestricted, regions, departments = _reach(actor)
    if unrestricted:
        return qs
    above = _ancestor_ids(regions)
    return qs.filter(Q(department_id__in=departments) | Q(department__region_id__in=regions | above))


def organisations_for(actor) -> QuerySet:
    """Organisations as inspection targets: places, seen from region, grid and department posts."""
    return scope_for(actor).places(Organisation.objects.all())


def entities_for(actor) -> QuerySet:
    return EntityProfile.objects.select_related(
        "organisation", "organisation__region", "organisation__credit", "supervisor").filter(
        organisation__in=organisations_for(actor))


def inspectors_for(actor) -> QuerySet:
    """Inspectors of the departments the actor reaches, and the actor's own record."""
    qs = Inspector.objects.select_related("user", "department", "officer")
    unrestricted, regions, departments = _reach(actor)
    if unrestricted:
        return qs
    return qs.filter(Q(department_id__in=departments) | Q(department__region_id__in=regions) |
                     Q(user_id=getattr(actor, "pk", None)))


def relations_for(actor) -> QuerySet:
    return Relation.objects.select_related("inspector__user", "organisation").filter(
        inspector__in=inspectors_for(actor), is_active=True)


def plans_for(actor) -> QuerySet:
    from .kind import PLAN

    return PLAN.visible(actor)


def tasks_for(actor) -> QuerySet:
    from .kind import TASK

    return TASK.visible(actor)


def my_tasks(actor) -> QuerySet:
    return (Task.objects.select_related("plan", "entity", "town")
            .filter(members__inspector__user_id=getattr(actor, "pk", None))
            .exclude(plan__status=PlanStatus.CANCELLED))


# --------------------------------------------------------------------------- public
def published_plans() -> QuerySet:
    return Plan.objects.select_related("region", "department").filter(status=PlanStatus.PUBLISHED) \
        .order_by("-published_at", "-id")


def figures(actor, start, end) -> dict:
    """Random inspections done against plan, for the command center's one-team page: the tasks of
    the plans the actor may see whose inspection period overlaps [start, end)."""
    from django.db.models import Count
    from django.db.models import Q as _Q

    from .kind import TASK
    from .states import TaskStatus

    tasks = TASK.visible(actor).filter(plan__period_start__lt=end.date(), plan__period_end__gte=start.date())
    counts = tasks.aggregate(planned=Count("id"), done=Count("id", filter=_Q(status=TaskStatus.DONE)),
                             problems=Count("id", filter=_Q(status=TaskStatus.DONE) & ~_Q(result="ok")),
                             leads=Count("id", filter=_Q(lead__isnull=False)))
    counts["rate"] = round(counts["done"] * 100 / counts["planned"], 1) if counts["planned"] else None
    return counts
