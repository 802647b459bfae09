"""Incidents as a kind of case: what the kernel needs to know about them."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from shanzhi.cases.kinds import CaseKind, register
from shanzhi.common.jurisdiction import scope_for

from . import permissions
from .models import Incident, IncidentStep, Summons
from .states import MOVES, STAGE_LABELS, Status


class IncidentKind(CaseKind):
    key = "incident"
    label = _("事件")
    model = Incident
    step_model = IncidentStep
    step_fk = "incident"
    moves = MOVES
    status_labels = {k: str(v) for k, v in Status.choices}
    stage_labels = {k: str(v) for k, v in STAGE_LABELS.items()}
    tracked = ("department_id", "tier", "subclass_id", "merged_into_id", "round", "town_id", "region_id", "grid_id",
               "register_due", "dispatch_due", "handle_due", "verify_due", "rating")
    assignment = ("department_id", "tier", "town_id", "grid_id")

    def visible(self, actor):
        from .selectors import incident_list

        return incident_list(actor=actor)

    def actionable(self, actor):
        """The jurisdiction (area, or the department's own and summoned cases) — not the reporter's
        sight of their own report."""
        scope = scope_for(actor)
        qs = Incident.objects.select_related("subclass", "town", "department")
        if scope.unrestricted:
            return qs
        cond = scope.q(region="region", grid="grid", department="department")
        if scope.department_ids:
            cond |= Q(Exists(Summons.objects.filter(incident=OuterRef("pk"), department_id__in=scope.department_ids)))
        return qs.filter(cond)

    def acts_on(self, actor, case):
        scope = scope_for(actor)
        if scope.contains(case, region="region", grid="grid", department="department"):
            return True
        return bool(scope.department_ids) and Summons.objects.filter(
            incident_id=case.pk, department_id__in=scope.department_ids).exists()

    def hydrate(self, case):
        from .services.intake import catalog

        cls = catalog.get().by_id.get(case.subclass_id)
        if cls is not None:
            case.subclass = cls

    def permit(self, actor, action, case):
        permissions.require(actor, action, case)

    def calendar_code(self, case):
        from .services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        setattr(case, f"{stage}_due", due)

    def clock_stopped(self, case, timer):
        if timer.late:
            case.ran_late = True
            if timer.stage == "handle":
                case.handled_late = True

    def timer_warn(self, case, timer, now):
        from .services import loop

        loop.system_warn(case, timer, now)

    def timer_overdue(self, case, timer, now):
        from .services import loop

        loop.system_overdue(case, timer, now)
        if settings.AUTO_ESCALATE_OVERDUE and timer.stage == "handle" and case.tier != "county":
            loop.incident_escalate(actor=None, incident_id=case.pk, reason=_("超期自动上报"), at=now, locked=case)

    def work(self, actor):
        """What waits for each post: the center registers and dispatches (and places what the
        county could not), departments accept and handle what they lead, the grid verifies,
        summoned departments report in."""
        from .models import ExtensionRequest
        from .permissions import COMMAND, GRID_SIDE, HANDLERS, roles_of

        roles, scope = roles_of(actor), scope_for(actor)
        mine = self.actionable(actor)
        queues = []
        if roles & COMMAND:
            queues += [(_("待定位"), mine.filter(status=Status.REPORTED, town__isnull=True)),
                       (_("待受理"), mine.filter(status=Status.REPORTED, town__isnull=False)),
                       (_("待派遣"), mine.filter(status=Status.REGISTERED)),
                       (_("待审批延期"), mine.filter(status=Status.HANDLING,
                                                 extensions__state=ExtensionRequest.State.PENDING).distinct())]
        if roles & HANDLERS and scope.department_ids:
            led = mine.filter(department_id__in=scope.department_ids)
            queues += [(_("待签收"), led.filter(status=Status.DISPATCHED)), (_("处置中"), led.filter(status=Status.HANDLING)),
                       (_("待报到"), mine.filter(summons__department_id__in=scope.department_ids,
                                                summons__checked_in_at__isnull=True,
                                                status__in=[Status.DISPATCHED, Status.HANDLING]).distinct())]
        if roles & GRID_SIDE:
            queues.append((_("待核查"), mine.filter(status=Status.REPLIED)))
        return [(label, qs.order_by("reported_at")) for label, qs in queues]

    def desk_extras(self, actor):
        from .models import ExtensionRequest

        seen = self.visible(actor)
        return [(_("待定位（未能自动落入网格的上报）"), seen.filter(status=Status.REPORTED, town__isnull=True)),
                (_("待审批延期"), seen.filter(extensions__state=ExtensionRequest.State.PENDING).distinct()),
                (_("挂账"), seen.filter(status=Status.SHELVED))]

    def title(self, case):
        return f"{case.subclass.name}：{case.description[:40]}"

    def current_due(self, case):
        return case.current_due

    def audit_region_id(self, case):
        return case.region_id or case.town_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/incidents/{case.pk}/"


INCIDENT = register(IncidentKind())
__all__ = ["INCIDENT"]
