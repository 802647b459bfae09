"""Results of inspection tasks: recorded once, by an inspector drawn for the task; each result
writes a credit event; a problem that needs a penalty becomes a lead (案源) of the town's
enforcement bureau — registered at once when the inspector is a certified officer of that town,
otherwise referred (移交) so that one of the town's officers registers it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import open_move
from shanzhi.common.errors import error_text

from .. import credit
from ..kind import TASK
from ..models import LEAD_RESULTS, Result, Severity, Task
from ..states import TaskAction

MAX_FINDINGS = 2000
# The credit weight of each result; a problem's own weight is the inspector's call.
RESULT_SEVERITY = {
    Result.OK: Severity.OK, Result.NO_ACTIVITY: Severity.OK, Result.CORRECTED: Severity.MINOR,
    Result.NOT_FOUND: Severity.GENERAL, Result.REFUSED: Severity.SERIOUS,
}
PROBLEM_SEVERITIES = (Severity.MINOR, Severity.GENERAL, Severity.SERIOUS, Severity.SEVERE)


def _bad(field_: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field_: ValidationError(message, code=code)})


def _facts(task: Task, findings: str) -> str:
    plan = task.plan
    matters = "、".join(plan.matters.values_list("name", flat=True)[:6])
    return (_("双随机抽查（%(p)s %(n)s，检查事项：%(m)s）发现：%(f)s") % {
        "p": plan.number, "n": plan.name, "m": matters, "f": findings})[:4000]


def _lead(task: Task, actor, at: dt.datetime, findings: str):
    from shanzhi.enforcement.cases import lead_register

    org = task.entity
    return lead_register(actor=actor, source="inspection", facts=_facts(task, findings), town=task.town_id,
                         grid=org.grid, party_name=org.name, address=org.address.full_text if org.address_id else "",
                         at=at)


@transaction.atomic
def task_record(*, actor, task_id, result: str, findings: str = "", severity: str | None = None,
                expected_version: int | None = None, at: dt.datetime | None = None) -> Task:
    """录入检查结果, once, by an inspector of the task while the plan is being worked."""
    m = open_move(TASK, task_id, TaskAction.RECORD, actor=actor, at=at, expected_version=expected_version)
    task, at = m.case, m.at
    if result not in Result.values:
        raise _bad("result", _("请选择检查结果"), "required")
    findings = (findings or "").strip()
    if len(findings) > MAX_FINDINGS:
        raise _bad("findings", _("检查情况不能超过 %(n)d 字") % {"n": MAX_FINDINGS}, "too_long")
    if any(ch < " " and ch not in "\n\t\r" for ch in findings):
        raise _bad("findings", _("检查情况含有非法字符"))
    if result != Result.OK and not findings:
        raise _bad("findings", _("请写明检查情况（发现的问题、现场情形）"), "required")
    if timezone.localtime(at).date() < task.plan.period_start:
        raise _bad("result", _("检查期间 %(d)s 开始，尚不能录入结果") % {"d": task.plan.period_start}, "too_early")
    if result == Result.PROBLEM:
        severity = severity or Severity.GENERAL
        if severity not in PROBLEM_SEVERITIES:
            raise _bad("severity", _("请选择问题程度"))
    else:
        severity = RESULT_SEVERITY[result]
    task.result, task.severity, task.findings = result, severity, findings
    task.done_at, task.done_by = at, actor
    lead_number = ""
    if result in LEAD_RESULTS:
        try:
            case = _lead(task, actor, at, findings)
        except (PermissionDenied, ValidationError) as exc:
            # Not an officer of the town (or no longer certified): the finding goes to the town's
            # squads, whose officers register it (see ``task_register_lead``).
            task.referral = Task.Referral.REFERRED
            reason = error_text(exc) if isinstance(exc, ValidationError) else str(exc)
            task.referral_note = (_("移交执法中队登记案源（录入人不能直接登记：%(r)s）") % {"r": reason})[:300]
            transaction.on_commit(lambda: _tell_squads(task))
        else:
            task.referral, task.lead, lead_number = Task.Referral.LEAD, case, case.number
    label = dict(Result.choices)[result]
    m.finish(note=(f"{label}：{findings}" if findings else str(label))[:500],
             data={"result": result, "severity": severity, "lead": lead_number or None,
                   "referred": task.referral == Task.Referral.REFERRED})
    credit.record(organisation=task.entity_id, source="inspection", ref=task.number, at=at, severity=severity,
                  note=f"{task.plan.name}：{label}"[:300], actor=actor)
    return task


def _tell_squads(task: Task) -> None:
    from shanzhi.enforcement.models import Squad
    from shanzhi.notify.services import notifications_suppressed, queue

    if notifications_suppressed() or not task.town_id:
        return
    for leader_id in Squad.objects.filter(town_id=task.town_id, leader__isnull=False).values_list("leader_id", flat=True):
        queue(channel="inapp", user_id=leader_id, title=_("双随机检查发现问题待登记案源"),
              body=_("%(e)s：%(f)s") % {"e": task.entity_name, "f": task.findings[:150]}, topic="inspection",
              link=f"/inspections/tasks/{task.pk}/", object_ref=f"inspection_task:{task.pk}",
              dedup_key=f"inspection-referral:{task.pk}:{leader_id}")


@transaction.atomic
def task_register_lead(*, actor, task_id, expected_version: int | None = None,
                       at: dt.datetime | None = None) -> Task:
    """登记执法案源 from a referred finding, by a certified officer of the entity's town."""
    m = open_move(TASK, task_id, TaskAction.REGISTER_LEAD, actor=actor, at=at, expected_version=expected_version)
    task = m.case
    if task.referral != Task.Referral.REFERRED:
        if task.lead_id:
            raise Conflict(_("该检查发现已登记为执法案源 %(n)s") % {"n": task.lead.number}, code="already_done")
        raise Conflict(_("该任务没有待登记案源的检查发现"), code="not_allowed_in_state")
    case = _lead(task, actor, m.at, task.findings)
    task.lead, task.referral = case, Task.Referral.LEAD
    m.finish(note=_("登记执法案源 %(n)s") % {"n": case.number}, data={"lead": case.number})
    return task
