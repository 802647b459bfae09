"""差评整改: a rating of 不满意 or 非常不满意 opens a rectification case on the kernel — the hall (or
the department whose review the applicant complained of) states what was put right within 15
working days, and someone else calls the applicant back (回访). An unsatisfied return visit
sends it back to be put right again; the clock keeps running."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from shanzhi.accounts.models import User
from shanzhi.accounts.roles import Role
from shanzhi.cases.kinds import CaseKind, Move, register
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters
from shanzhi.common.jurisdiction import scope_for
from shanzhi.notify.services import notifications_suppressed, queue

from .models import RAction, Rectification, RectificationStep, RStatus

DAYS = 15  # working days to put it right

S, A = RStatus, RAction
HALL = {Role.TOWN_LEADER, Role.BACKOFFICE_REVIEWER, Role.COUNTY_LEADER}
LEADERS = {Role.TOWN_LEADER, Role.COUNTY_LEADER, Role.DISPATCHER}


def _roles(actor):
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


class RectificationKind(CaseKind):
    key = "rectification"
    label = _l("差评整改")
    model = Rectification
    step_model = RectificationStep
    step_fk = "rectification"
    moves = {
        A.RECTIFY: Move(frozenset({S.OPEN}), S.RECTIFIED, str(A.RECTIFY.label)),
        A.VISIT: Move(frozenset({S.RECTIFIED}), None, str(A.VISIT.label)),  # to closed, or back to open
        A.SUPERVISE: Move(frozenset({S.OPEN, S.RECTIFIED}), None, str(A.SUPERVISE.label)),
        A.WARN: Move(frozenset({S.OPEN, S.RECTIFIED}), None, str(A.WARN.label), system_only=True),
        A.OVERDUE: Move(frozenset({S.OPEN, S.RECTIFIED}), None, str(A.OVERDUE.label), system_only=True),
    }
    status_labels = {k: str(v) for k, v in RStatus.choices}
    stage_labels = {"rectify": _("整改（15 个工作日）")}
    tracked = ("measures", "visit_note", "satisfied", "rounds", "due")
    assignment = ()

    def _q(self, actor):
        scope = scope_for(actor)
        if scope.unrestricted:
            return Q()
        cond = Q(pk__in=[])
        if scope.region_ids and _roles(actor) & (HALL | LEADERS | {Role.WINDOW_CLERK}):
            cond |= Q(town_id__in=scope.region_ids) | Q(town__parent_id__in=scope.region_ids)
        if scope.department_ids:
            cond |= Q(department_id__in=scope.department_ids)
        return cond

    def visible(self, actor):
        return Rectification.objects.select_related("application__item", "town", "department").filter(self._q(actor))

    def actionable(self, actor):
        return self.visible(actor)

    def acts_on(self, actor, case):
        return self.visible(actor).filter(pk=case.pk).exists()

    def permit(self, actor, action, case):
        roles = _roles(actor)
        if action == A.RECTIFY:
            scope = scope_for(actor)
            if roles & HALL or (case.department_id and case.department_id in scope.department_ids):
                return
            raise PermissionDenied(_("只有便民服务中心负责人、后台审批人员或事项实施部门可以反馈整改"))
        if action == A.VISIT:
            if not roles & HALL:
                raise PermissionDenied(_("只有便民服务中心负责人或后台审批人员可以回访"))
            if case.rectified_by_id == getattr(actor, "pk", None):
                raise PermissionDenied(_("整改人不能自己回访，请由其他人员回访"))
            return
        if action == A.SUPERVISE and roles & LEADERS:
            return
        raise PermissionDenied(_("您的岗位不能执行此操作"))

    def calendar_code(self, case):
        from shanzhi.incidents.services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        case.due = due

    def clock_stopped(self, case, timer):
        if timer.late:
            case.ran_late = True

    def timer_warn(self, case, timer, now):
        m = open_move(self, case.pk, A.WARN, actor=None, at=now, locked=case)
        m.finish(note=_("整改临近期限"), due=timer.due)
        _tell(case, _("整改临期：%(n)s") % {"n": case.number})

    def timer_overdue(self, case, timer, now):
        m = open_move(self, case.pk, A.OVERDUE, actor=None, at=now, locked=case)
        m.finish(note=_("已超过 15 个工作日整改期限"), due=timer.due)
        _tell(case, _("督办：差评整改 %(n)s 已超期") % {"n": case.number}, leaders=True)

    def work(self, actor):
        roles, scope = _roles(actor), scope_for(actor)
        seen = self.visible(actor)
        queues = []
        if roles & HALL or scope.department_ids:
            queues.append((_("待整改的差评"), seen.filter(status=S.OPEN)))
        if roles & HALL:
            queues.append((_("待回访的差评"), seen.filter(status=S.RECTIFIED).exclude(rectified_by=actor)))
        return [(label, qs.order_by("opened_at")) for label, qs in queues]

    def title(self, case):
        return _("差评整改：%(i)s") % {"i": case.application.item.name}

    def current_due(self, case):
        return case.due if case.status != S.CLOSED else None

    def audit_region_id(self, case):
        return case.town_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/window/rectifications/{case.pk}/"


RECTIFICATION = register(RectificationKind())


def _tell(case, title, *, leaders=False):
    if notifications_suppressed():
        return
    roles = [Role.BACKOFFICE_REVIEWER] + ([Role.TOWN_LEADER] if leaders else [])
    users = set(User.objects.filter(posts__region_id=case.town_id, posts__is_active=True, posts__role__in=roles))
    if case.department_id:
        users |= set(User.objects.filter(posts__department_id=case.department_id, posts__is_active=True))
    for user in users:
        queue(channel="inapp", user=user, title=title, body=case.application.item.name, link=RECTIFICATION.url(case),
              topic="rectification", object_ref=f"rectification:{case.pk}")


def open_for(application, *, level: int, comment: str, at: dt.datetime) -> Rectification:
    """Called inside the rating's transaction: the case, its clock and its first step."""
    from shanzhi.cases.clocks import Clocks

    day = f"{timezone.localtime(at):%Y%m%d}"
    case = Rectification.objects.create(
        number=f"ZG{day}{counters.next_value(f'rectification:{day}'):04d}", application=application, level=level,
        comment=comment[:500], town_id=application.town_id, department_id=application.item.department_id,
        clerk_id=application.clerk_id, window_id=application.window_id, opened_at=at)
    Clocks(RECTIFICATION, case, at).start("rectify", DAYS, "working_days", fresh=True)
    case.save(update_fields=["due"])
    RectificationStep.objects.create(rectification=case, action=A.OPEN, at=at, actor_label=_("系统"),
                                     to_status=S.OPEN, due=case.due,
                                     note=_("评价「%(l)s」：%(c)s") % {"l": level, "c": comment[:200] or "—"})
    audit.record(actor=None, action="create", obj=case, at=at, region_id=case.town_id,
                 after={"number": case.number, "application": application.number, "level": level})
    _tell(case, _("差评待整改：%(n)s") % {"n": application.number}, leaders=True)
    return case


@transaction.atomic
def rectify(*, actor, case_id, measures: str, expected_version=None, at=None) -> Rectification:
    measures = (measures or "").strip()
    if not measures:
        raise ValidationError({"measures": ValidationError(_("请写明整改措施"), code="required")})
    m = open_move(RECTIFICATION, case_id, A.RECTIFY, actor=actor, at=at, expected_version=expected_version)
    case = m.case
    case.measures, case.rectified_by, case.rectified_at = measures[:2000], actor, m.at
    m.finish(note=measures[:500])
    return case


@transaction.atomic
def visit(*, actor, case_id, satisfied: bool, note: str, expected_version=None, at=None) -> Rectification:
    """回访: satisfied closes it (and stops the clock); not satisfied sends it back to be put right."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(_("请记录回访情况"), code="required")})
    m = open_move(RECTIFICATION, case_id, A.VISIT, actor=actor, at=at, expected_version=expected_version)
    case = m.case
    case.visit_note, case.visited_at, case.satisfied = note[:2000], m.at, satisfied
    if satisfied:
        case.status = S.CLOSED
        m.clocks.stop("rectify")
    else:
        case.status = S.OPEN
        case.rounds += 1
    m.finish(note=note[:500], data={"satisfied": satisfied})
    return case
