"""Assistance applications and early-warning checks as kinds of case on the kernel.

Assistance records are for civil-affairs posts only, each inside its own region subtree: a
village aide (村民政协理员) sees their village, the town's assistance office (社会救助所) the town,
the county bureau the county. Leaders see the figures (command center), not the families. Who
submitted an application (a resident online, a window clerk at the one-door counter) still sees
that application, nothing else.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.accounts.roles import Role
from shanzhi.cases.kinds import CaseKind, register
from shanzhi.cases.transition import open_move
from shanzhi.common.jurisdiction import scope_for

from .models import Alert, AlertStep, AssistApplication, AssistStep
from .states import ALERT_MOVES, MOVES, STAGE_LABELS, Action, AlertAction, AlertStatus, Status

COUNTY, TOWN, VILLAGE = 3, 4, 5


def _roles(actor) -> set[str]:
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


def level(actor) -> int | None:
    """The highest region level of the actor's civil-affairs posts (3 county, 4 town, 5 village),
    None without one."""
    if getattr(actor, "is_superuser", False):
        return COUNTY
    cached = getattr(actor, "_assist_level", 0)
    if cached != 0:
        return cached
    from shanzhi.accounts.models import Post

    levels = list(Post.objects.filter(user_id=getattr(actor, "pk", None), role=Role.CIVIL_AFFAIRS, is_active=True,
                                      region__isnull=False).values_list("region__level", flat=True))
    value = min(levels) if levels else None
    actor._assist_level = value
    return value


def civil_region_ids(actor) -> frozenset[int] | None:
    """The regions under the actor's civil-affairs posts only (another post of the same person —
    a dispatcher's, say — widens nothing here); None means unrestricted."""
    scope = scope_for(actor)
    if scope.unrestricted:
        return None
    cached = getattr(actor, "_assist_regions", None)
    if cached is not None:
        return cached
    ids: frozenset[int] = frozenset()
    if Role.CIVIL_AFFAIRS in scope.roles:
        from shanzhi.accounts.models import Post
        from shanzhi.common.jurisdiction import _subtree_ids
        from shanzhi.geo.models import Region

        paths = set(Post.objects.filter(user_id=actor.pk, role=Role.CIVIL_AFFAIRS, is_active=True,
                                        region__isnull=False).values_list("region__path", flat=True))
        ids = frozenset(_subtree_ids(Region, paths))
    actor._assist_regions = ids
    return ids


def staff_q(actor, *, region: str = "region") -> Q:
    """Assistance records in the actor's civil-affairs jurisdiction (nothing for other posts)."""
    ids = civil_region_ids(actor)
    if ids is None:
        return Q()
    if not ids:
        return Q(pk__in=[])
    return Q(**{f"{region}_id__in": ids})


def in_staff_scope(actor, region_id) -> bool:
    ids = civil_region_ids(actor)
    return ids is None or region_id in ids


def _need(actor, at_most: int, message: str) -> None:
    lv = level(actor)
    if lv is None or lv > at_most:
        raise PermissionDenied(message)


TOWN_MOVES = {Action.ACCEPT, Action.NOT_ACCEPT, Action.PROPOSE, Action.ANSWER, Action.RECHECK, Action.NOTICE_END}
FIELD_MOVES = {Action.VISIT, Action.ASSESS, Action.OBJECT}


class CivilAffairsClocks:
    """Warnings and overdue marks of a civil-affairs case kind: a step on the case and a message to
    the civil-affairs staff of its village and town (and the county's, for an overdue one if
    ``overdue_county``). The kind names its messages."""

    warn_title = ""  # "…：%(n)s", the case's number
    overdue_title = ""
    overdue_county = False

    def timer_warn(self, case, timer, now):
        m = open_move(self, case.pk, "warn", actor=None, at=now, locked=case)
        m.finish(note=_("「%(s)s」临近期限") % {"s": self.stage_labels.get(timer.stage, timer.stage)}, due=timer.due)
        _tell(case, str(self.warn_title) % {"n": case.number}, self.url(case), case.region_id)

    def timer_overdue(self, case, timer, now):
        m = open_move(self, case.pk, "overdue", actor=None, at=now, locked=case)
        m.finish(note=_("已超过「%(s)s」") % {"s": self.stage_labels.get(timer.stage, timer.stage)}, due=timer.due)
        _tell(case, str(self.overdue_title) % {"n": case.number}, self.url(case), case.region_id,
              county=self.overdue_county)


class AssistanceKind(CivilAffairsClocks, CaseKind):
    key = "assistance"
    label = _("救助申请")
    model = AssistApplication
    step_model = AssistStep
    step_fk = "application"
    moves = MOVES
    status_labels = {k: str(v) for k, v in Status.choices}
    stage_labels = {k: str(v) for k, v in STAGE_LABELS.items()}
    tracked = ("benefit", "start_month", "decision_reason", "notice_until", "assessment_id")
    assignment = ()
    warn_title = gettext_lazy("救助申请临期：%(n)s")
    overdue_title = gettext_lazy("督办：救助申请 %(n)s 已超期")
    overdue_county = True

    def visible(self, actor):
        qs = AssistApplication.objects.select_related("program", "family", "family__head", "town", "region")
        return qs.filter(staff_q(actor) | Q(submitted_by_id=getattr(actor, "pk", None)))

    def actionable(self, actor):
        return AssistApplication.objects.select_related("program", "family").filter(
            staff_q(actor) | Q(submitted_by_id=getattr(actor, "pk", None)))

    def acts_on(self, actor, case):
        if case.submitted_by_id == getattr(actor, "pk", None):
            return True
        return in_staff_scope(actor, case.region_id)

    def permit(self, actor, action, case):
        if action == Action.WITHDRAW:
            if case.submitted_by_id == actor.pk or level(actor) is not None:
                return
            raise PermissionDenied(_("只有申请人或民政工作人员可以撤回申请"))
        if level(actor) is None or not in_staff_scope(actor, case.region_id):
            raise PermissionDenied(_("须由民政（社会救助）工作人员办理"))
        if action in FIELD_MOVES:
            return
        if action in TOWN_MOVES or (action == Action.REFUSE and case.status == Status.REVIEWING):
            _need(actor, TOWN, _("须由镇（街道）社会救助经办人员办理"))
            return
        if action in (Action.CONFIRM, Action.REFUSE, Action.SUPERVISE):
            _need(actor, COUNTY, _("须由县级民政部门确认"))
            return
        raise PermissionDenied(_("您的岗位不能执行此操作"))

    def calendar_code(self, case):
        from shanzhi.incidents.services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        setattr(case, f"{stage}_due", due)

    def clock_stopped(self, case, timer):
        if timer.late:
            case.ran_late = True


    def work(self, actor):
        lv = level(actor)
        if lv is None:
            return []
        staff = AssistApplication.objects.select_related("program", "family__head").filter(staff_q(actor))
        queues = [(_("待入户调查、核对"), staff.filter(status=Status.REVIEWING))]
        if lv <= TOWN:
            queues = [(_("待受理的救助申请"), staff.filter(status=Status.SUBMITTED)), *queues,
                      (_("公示中"), staff.filter(status=Status.NOTICE))]
        if lv <= COUNTY:
            queues.append((_("待县级确认"), staff.filter(status=Status.CONFIRMING)))
        return [(label, qs.order_by("submitted_at")) for label, qs in queues]

    def title(self, case):
        return f"{case.program.name}：{case.family.head.name}"

    def current_due(self, case):
        return case.current_due

    def audit_region_id(self, case):
        return case.region_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/assistance/applications/{case.pk}/"


class AlertKind(CaseKind):
    key = "assist_alert"
    label = _("救助预警")
    model = Alert
    step_model = AlertStep
    step_fk = "alert"
    moves = ALERT_MOVES
    status_labels = {k: str(v) for k, v in AlertStatus.choices}
    stage_labels = {"verify": _("入户核查")}
    tracked = ("finding", "assignee_id", "application_id")
    assignment = ("assignee_id",)

    def visible(self, actor):
        return Alert.objects.select_related("person", "family", "rule", "signal", "town", "region").filter(
            staff_q(actor))

    def actionable(self, actor):
        return Alert.objects.filter(staff_q(actor))

    def acts_on(self, actor, case):
        return in_staff_scope(actor, case.region_id)

    def permit(self, actor, action, case):
        if level(actor) is None:
            raise PermissionDenied(_("须由民政（社会救助）工作人员核查"))
        if action == AlertAction.SUPERVISE:
            _need(actor, TOWN, _("须由镇（街道）或县级民政部门督办"))

    def calendar_code(self, case):
        from shanzhi.incidents.services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        case.verify_due = due

    def clock_stopped(self, case, timer):
        if timer.late:
            case.ran_late = True

    def timer_warn(self, case, timer, now):
        m = open_move(self, case.pk, AlertAction.WARN, actor=None, at=now, locked=case)
        m.finish(note=_("入户核查临近期限"), due=timer.due)
        _tell(case, _("预警核查临期：%(n)s") % {"n": case.number}, self.url(case), case.region_id)

    def timer_overdue(self, case, timer, now):
        m = open_move(self, case.pk, AlertAction.OVERDUE, actor=None, at=now, locked=case)
        m.finish(note=_("入户核查已超期"), due=timer.due)
        _tell(case, _("督办：预警 %(n)s 核查超期") % {"n": case.number}, self.url(case), case.region_id, county=True)

    def work(self, actor):
        if level(actor) is None:
            return []
        seen = Alert.objects.select_related("person").filter(staff_q(actor))
        return [(_("待入户核查的预警"), seen.filter(status=AlertStatus.OPEN).order_by("raised_at")),
                (_("已核实待申请救助"), seen.filter(status=AlertStatus.VERIFIED).order_by("raised_at"))]

    def title(self, case):
        return f"{case.reason}：{case.person.name}"

    def current_due(self, case):
        return case.current_due

    def audit_region_id(self, case):
        return case.region_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/assistance/alerts/{case.pk}/"


def _tell(case, title, link, region_id, *, county=False):
    """Civil-affairs staff of the village and its town (and the county's for 督办)."""
    from shanzhi.accounts.models import Post
    from shanzhi.geo.models import Region
    from shanzhi.notify.services import notifications_suppressed, queue

    if notifications_suppressed():
        return
    region = Region.objects.filter(pk=region_id).select_related("parent__parent").first()
    if region is None:
        return
    places = [region.pk, region.parent_id]
    if county and region.parent_id:
        places.append(region.parent.parent_id)
    users = set(Post.objects.filter(role=Role.CIVIL_AFFAIRS, is_active=True, region_id__in=places)
                .values_list("user_id", flat=True))
    for pk in users:
        queue(channel="inapp", user_id=pk, title=title, body=title, topic="assistance", link=link,
              object_ref=f"{link}")


ASSISTANCE = register(AssistanceKind())
ALERT = register(AlertKind())
