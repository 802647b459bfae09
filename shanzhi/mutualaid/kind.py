"""Mutual-aid claims on the case kernel: one transition path (scoped lock, version, step and audit
rows), the stage clocks on the working calendar with warnings and 督办, and the claims waiting
for someone on their 我的待办 page — the same spine as incidents, applications and assistance."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shanzhi.assistance.kind import CivilAffairsClocks, in_staff_scope, level, staff_q
from shanzhi.cases.kinds import CaseKind, register

from .models import Claim, ClaimStep
from .states import AT_MOST, MOVES, OPEN, STAGE_LABELS, TOWN, Action, Status


class MutualAidKind(CivilAffairsClocks, CaseKind):
    key = "mutualaid"
    label = _("互助申请")
    model = Claim
    step_model = ClaimStep
    step_fk = "claim"
    moves = MOVES
    status_labels = {k: str(v) for k, v in Status.choices}
    stage_labels = {k: str(v) for k, v in STAGE_LABELS.items()}
    tracked = ("payout", "refuse_reason")
    assignment = ()
    warn_title = gettext_lazy("互助申请临期：%(n)s")
    overdue_title = gettext_lazy("督办：互助申请 %(n)s 已超期")

    def visible(self, actor):
        return Claim.objects.select_related("membership__person", "rule", "fund__region").filter(
            staff_q(actor))

    def actionable(self, actor):
        return Claim.objects.filter(staff_q(actor))

    def acts_on(self, actor, case):
        return in_staff_scope(actor, case.region_id)

    def permit(self, actor, action, case):
        lv = level(actor)
        if lv is None or not in_staff_scope(actor, case.region_id):
            raise PermissionDenied(_("福村宝由民政（社会救助）工作人员办理，您的岗位不能使用"))
        need = TOWN if action == Action.REFUSE and case.status == Status.APPROVED else AT_MOST[action]
        if lv > need:
            raise PermissionDenied(_("须由镇（街道）或县级民政部门审批") if need == TOWN
                                   else _("您的岗位不能办理此申请"))
        if action == Action.APPROVE and actor.pk in (case.submitted_by_id, case.reviewed_by_id):
            raise PermissionDenied(_("提出或审核该申请的工作人员不能审批同一申请"))

    def calendar_code(self, case):
        from shanzhi.incidents.services.loop import town_code

        return town_code(case.town_id)

    def mirror_due(self, case, stage, due):
        case.due = due

    def clock_stopped(self, case, timer):
        if timer.late:
            case.ran_late = True

    def work(self, actor):
        lv = level(actor)
        if lv is None:
            return []
        seen = self.visible(actor)
        out = [(_("待村级审核的互助申请"), seen.filter(status=Status.SUBMITTED))]
        if lv <= TOWN:
            out.append((_("待镇级审批的互助申请"), seen.filter(status=Status.REVIEWED)))
        out.append((_("已批准待支付的互助申请"), seen.filter(status=Status.APPROVED)))
        return [(label, qs.order_by("submitted_at")) for label, qs in out]

    def title(self, case):
        return f"{case.rule.name}：{case.membership.person.name}"

    def current_due(self, case):
        return case.due if case.status in OPEN else None

    def audit_region_id(self, case):
        return case.region_id

    def number(self, case):
        return case.number

    def url(self, case):
        return f"/mutualaid/claims/{case.pk}/"


MUTUALAID = register(MutualAidKind())
