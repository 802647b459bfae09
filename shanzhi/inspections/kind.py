"""Inspection plans and tasks as kinds of case on the kernel: who sees them, who acts on them,
and what waits in each person's work (我的待办).

Seeing a plan: the leaders, dispatchers, officers and auditors of its region; the organising
department and the units taking part; and the inspectors drawn for one of its tasks.
Acting on a plan (draw, publish, cancel): its organisers — the handlers of the organising
department and the town's (or county's) leaders.
Recording a task's result: an inspector of that task, nobody else. Registering a referred
finding as a lead: a certified enforcement officer of the entity's town.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from shanzhi.accounts.roles import Role
from shanzhi.cases.kinds import CaseKind, register
from shanzhi.common.jurisdiction import scope_for

from .models import Plan, PlanStep, Task, TaskMember, TaskStep
from .states import PLAN_MOVES, TASK_MOVES, PlanAction, PlanStatus, TaskAction, TaskStatus

LEADERS = {Role.TOWN_LEADER, Role.COUNTY_LEADER}
REGION_READERS = LEADERS | {Role.DISPATCHER, Role.ENFORCEMENT_OFFICER, Role.AUDITOR}
STAFF = REGION_READERS | {Role.DEPT_HANDLER}


def roles_of(actor) -> set[str]:
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


def is_inspector(actor) -> bool:
    from .models import Inspector

    return bool(getattr(actor, "pk", None)) and Inspector.objects.filter(user_id=actor.pk).exists()


def may_use(actor) -> bool:
    """Staff of the inspection pages (the public pages are for everyone)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return bool(actor.is_superuser or roles_of(actor) & STAFF or is_inspector(actor))


def organiser_department_ids(actor) -> frozenset[int]:
    """The departments the actor organises plans for: their department posts, less enforcement
    squads (a squad's officers inspect; its bureau and the town's leaders organise)."""
    scope = scope_for(actor)
    if not scope.department_ids:
        return frozenset()
    cached = getattr(actor, "_shanzhi_organiser_depts", None)
    if cached is None:
        from shanzhi.enforcement.models import Squad

        squads = set(Squad.objects.filter(department_id__in=scope.department_ids).values_list("department_id",
                                                                                             flat=True))
        cached = frozenset(scope.department_ids - squads)
        actor._shanzhi_organiser_depts = cached
    return cached


def organiser_q(actor, *, region: str = "region", department: str = "department") -> Q:
    """Plans (or, with other field names, places) the actor organises."""
    scope = scope_for(actor)
    if scope.unrestricted:
        return Q()
    cond = Q(pk__in=[])
    departments = organiser_department_ids(actor)
    if departments:
        cond |= Q(**{f"{department}_id__in": departments})
    if scope.region_ids and roles_of(actor) & LEADERS:
        cond |= Q(**{f"{region}_id__in": scope.region_ids})
    return cond


def may_organise(actor) -> bool:
    scope = scope_for(actor)
    return bool(scope.unrestricted or organiser_department_ids(actor) or
                (scope.region_ids and roles_of(actor) & LEADERS))


def _member_of(actor, task_ref: str = "pk"):
    return Exists(TaskMember.objects.filter(task_id=OuterRef(task_ref), inspector__user_id=getattr(actor, "pk", None)))


class PlanKind(CaseKind):
    key = "inspection_plan"
    label = _l("抽查计划")
    model = Plan
    step_model = PlanStep
    step_fk = "plan"
    moves = PLAN_MOVES
    status_labels = {k: str(v) for k, v in PlanStatus.choices}
    tracked = ("seed", "input_hash", "result_hash", "published_at", "cancel_reason")
    assignment = ()

    def staff_q(self, actor) -> Q:
        """Plans seen by post (not by being drawn for one of their tasks)."""
        scope = scope_for(actor)
        if scope.unrestricted:
            return Q()
        cond = Q(pk__in=[])
        if scope.region_ids and roles_of(actor) & REGION_READERS:
            cond |= Q(region_id__in=scope.region_ids)
        if scope.department_ids:
            cond |= Q(department_id__in=scope.department_ids)
            cond |= Exists(Plan.units.through.objects.filter(plan_id=OuterRef("pk"),
                                                             department_id__in=scope.department_ids))
        return cond

    def _q(self, actor) -> Q:
        cond = self.staff_q(actor)
        if getattr(actor, "pk", None) and not scope_for(actor).unrestricted:
            cond |= Exists(TaskMember.objects.filter(task__plan_id=OuterRef("pk"), inspector__user_id=actor.pk))
        return cond

    def visible(self, actor):
        return Plan.objects.select_related("region", "department").filter(self._q(actor))

    def actionable(self, actor):
        return Plan.objects.select_related("region", "department").filter(organiser_q(actor))

    def acts_on(self, actor, case):
        return self.actionable(actor).filter(pk=case.pk).exists()

    def permit(self, actor, action, case):
        if action in (PlanAction.DRAW, PlanAction.PUBLISH, PlanAction.CANCEL):
            return  # the organisers: already what ``actionable`` lets through
        raise PermissionDenied(_("您的岗位不能执行此操作"))

    def timer_warn(self, case, timer, now):  # plans run no clocks of the kernel
        return None

    def timer_overdue(self, case, timer, now):
        return None

    def work(self, actor):
        if not may_organise(actor):
            return []
        mine = self.actionable(actor)
        pending = Task.objects.filter(plan_id=OuterRef("pk"), status=TaskStatus.PENDING)
        return [(_("待抽取的抽查计划"), mine.filter(status=PlanStatus.DRAFT)),
                (_("检查完毕待公示的计划"), mine.filter(status=PlanStatus.DRAWN).filter(~Exists(pending)))]

    def title(self, case):
        return case.name

    def audit_region_id(self, case):
        return case.region_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/inspections/plans/{case.pk}/"


class TaskKind(CaseKind):
    key = "inspection_task"
    label = _l("检查任务")
    model = Task
    step_model = TaskStep
    step_fk = "task"
    moves = TASK_MOVES
    status_labels = {k: str(v) for k, v in TaskStatus.choices}
    tracked = ("result", "severity", "referral", "lead_id")
    assignment = ()

    def _q(self, actor) -> Q:
        scope = scope_for(actor)
        if scope.unrestricted:
            return Q()
        # An inspector sees their own tasks; the plan's other tasks only by post.
        staff = Plan.objects.filter(PLAN.staff_q(actor)).values("pk")
        return Q(plan_id__in=staff) | Q(_member_of(actor))

    def visible(self, actor):
        return Task.objects.select_related("plan", "entity", "town", "lead").filter(self._q(actor))

    def actionable(self, actor):
        return self.visible(actor)

    def acts_on(self, actor, case):
        return self.visible(actor).filter(pk=case.pk).exists()

    def permit(self, actor, action, case):
        if action == TaskAction.RECORD:
            if case.plan.status != PlanStatus.DRAWN:
                raise PermissionDenied(_("计划已「%(s)s」，不能再录入结果") % {"s": case.plan.get_status_display()})
            if not TaskMember.objects.filter(task_id=case.pk, inspector__user_id=actor.pk,
                                             inspector__is_active=True).exists():
                raise PermissionDenied(_("只有本任务抽中的检查人员可以录入检查结果"))
            return
        if action == TaskAction.REGISTER_LEAD:
            from shanzhi.enforcement.squads import certified_officer

            scope = scope_for(actor)
            if not (Role.ENFORCEMENT_OFFICER in roles_of(actor) and
                    (scope.unrestricted or case.town_id in scope.region_ids)):
                raise PermissionDenied(_("只有该镇（街道）的执法队员可以登记执法案源"))
            certified_officer(actor)
            return
        raise PermissionDenied(_("您的岗位不能执行此操作"))

    def timer_warn(self, case, timer, now):  # a task's deadline is stored on it; no kernel clock
        return None

    def timer_overdue(self, case, timer, now):
        return None

    def work(self, actor):
        if not getattr(actor, "pk", None):
            return []
        queues = []
        mine = Task.objects.select_related("plan").filter(_member_of(actor), status=TaskStatus.PENDING,
                                                          plan__status=PlanStatus.DRAWN)
        queues.append((_("待检查的抽查任务"), mine))
        if Role.ENFORCEMENT_OFFICER in roles_of(actor):
            scope = scope_for(actor)
            referred = Task.objects.select_related("plan").filter(referral=Task.Referral.REFERRED)
            if not scope.unrestricted:
                referred = referred.filter(town_id__in=scope.region_ids)
            queues.append((_("检查发现待登记案源"), referred))
        return queues

    def title(self, case):
        return case.entity_name

    def current_due(self, case):
        return case.due if case.status == TaskStatus.PENDING else None

    def audit_region_id(self, case):
        return case.town_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/inspections/tasks/{case.pk}/"


PLAN = register(PlanKind())
TASK = register(TaskKind())
