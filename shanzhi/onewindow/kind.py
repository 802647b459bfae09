"""Applications (办件) as a kind of case: scope, posts, clocks and what the scan does."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from shanzhi.accounts.roles import Role
from shanzhi.cases.kinds import CaseKind, register
from shanzhi.common.jurisdiction import scope_for

from .models import Application, ApplicationStep, Review
from .states import MOVES, STAGE_LABELS, Action, Status

WINDOW = {Role.WINDOW_CLERK, Role.BACKOFFICE_REVIEWER}
DECIDERS = {Role.BACKOFFICE_REVIEWER}
AGENTS = {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CIVIL_AFFAIRS, Role.WINDOW_CLERK}
LEADERS = {Role.TOWN_LEADER, Role.COUNTY_LEADER, Role.DISPATCHER}
# Who may make each move (the applicant's own moves are checked against who submitted).
ROLES = {
    Action.ACCEPT: WINDOW, Action.REFUSE: WINDOW, Action.REQUEST_CORRECTION: WINDOW,
    Action.REVIEW: DECIDERS | {Role.DEPT_HANDLER}, Action.SUSPEND: DECIDERS, Action.RESUME: DECIDERS,
    Action.GRANT: DECIDERS, Action.DENY: DECIDERS, Action.DELIVER: WINDOW, Action.SUPERVISE: LEADERS,
}
APPLICANT_MOVES = {Action.RESUBMIT, Action.WITHDRAW}


def _roles(actor) -> set[str]:
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


class ApplicationKind(CaseKind):
    key = "application"
    label = _("办件")
    model = Application
    step_model = ApplicationStep
    step_fk = "application"
    moves = MOVES
    status_labels = {k: str(v) for k, v in Status.choices}
    stage_labels = {k: str(v) for k, v in STAGE_LABELS.items()}
    tracked = ("granted", "round", "accept_due", "promise_due", "statute_due", "deliver_due", "corrections",
               "decision_reason", "delivery", "courier_number", "rating")
    assignment = ("town_id",)

    # --- scope ----------------------------------------------------------------------------
    def _staff_q(self, actor) -> Q:
        scope = scope_for(actor)
        if scope.unrestricted:
            return Q()
        cond = Q(pk__in=[])
        if scope.region_ids:
            cond |= Q(town_id__in=scope.region_ids) | Q(region_id__in=scope.region_ids)
        if scope.department_ids:
            cond |= Q(Exists(Review.objects.filter(application=OuterRef("pk"), department_id__in=scope.department_ids)))
        return cond

    def visible(self, actor):
        qs = Application.objects.select_related("item", "item__department", "town")
        return qs.filter(self._staff_q(actor) | Q(submitted_by=actor))

    def actionable(self, actor):
        # The applicant acts on their own application (answer a correction, withdraw); the posts'
        # rights per move are checked in permit().
        return self.visible(actor)

    def acts_on(self, actor, case):
        scope = scope_for(actor)
        if scope.unrestricted or case.submitted_by_id == actor.pk:
            return True
        if case.town_id in scope.region_ids or case.region_id in scope.region_ids:
            return True
        return bool(scope.department_ids) and Review.objects.filter(
            application_id=case.pk, department_id__in=scope.department_ids).exists()

    def permit(self, actor, action, case):
        roles = _roles(actor)
        if action in APPLICANT_MOVES:
            if case.submitted_by_id == actor.pk or roles & WINDOW:
                return
            raise PermissionDenied(_("只有申请人或窗口人员可以执行此操作"))
        allowed = ROLES.get(action, set())
        if not roles & allowed:
            raise PermissionDenied(_("您的岗位不能执行此操作"))
        # A department reviews only its own pending review: the service finds it through the
        # actor's departments (none left is a conflict — someone already gave the opinion).

    # --- clocks ----------------------------------------------------------------------------
    def calendar_code(self, case):
        from shanzhi.incidents.services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        setattr(case, f"{stage}_due", due)

    def clock_stopped(self, case, timer):
        if timer.late and timer.stage == "promise":
            case.ran_late = True
        if timer.late and timer.stage == "statute":
            case.broke_statute = True

    def timer_warn(self, case, timer, now):
        from .services import applications

        applications.system_warn(case, timer, now)

    def timer_overdue(self, case, timer, now):
        from .services import applications

        if timer.stage == "accept":
            # 行政许可法 第三十二条: no correction notice within five days — it counts as accepted.
            applications.system_accept(case, now)
        else:
            applications.system_overdue(case, timer, now)

    # --- my work and supervision ------------------------------------------------------------
    def work(self, actor):
        roles, scope = _roles(actor), scope_for(actor)
        staff = Application.objects.select_related("item").filter(self._staff_q(actor))
        queues = []
        if roles & WINDOW:
            queues += [(_("待受理"), staff.filter(status=Status.SUBMITTED)),
                       (_("待送达"), staff.filter(status=Status.COMPLETED, delivered_at__isnull=True))]
        if roles & DECIDERS:
            queues.append((_("待决定"), staff.filter(status=Status.REVIEWING).exclude(
                reviews__state=Review.State.PENDING)))
        if scope.department_ids:
            queues.append((_("待审查"), staff.filter(status=Status.REVIEWING, reviews__state=Review.State.PENDING,
                                                    reviews__department_id__in=scope.department_ids).distinct()))
        mine = Application.objects.select_related("item").filter(submitted_by=actor)
        if mine.exists():
            queues.append((_("待我补正"), mine.filter(status=Status.CORRECTING)))
        return [(label, qs.order_by("submitted_at")) for label, qs in queues]

    def desk_extras(self, actor):
        seen = self.visible(actor)
        return [(_("补正中的办件"), seen.filter(status=Status.CORRECTING))]

    def title(self, case):
        return f"{case.item.name}：{case.applicant_name}"

    def current_due(self, case):
        return case.current_due

    def audit_region_id(self, case):
        return case.region_id or case.town_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/window/applications/{case.pk}/"


APPLICATION = register(ApplicationKind())
