"""Penalty case (行政处罚案件) statuses and moves, after the Administrative Penalty Law 2021
(DOMAIN.md §6). This part covers the lead and the decision to file; investigation, review,
notice and hearing, decision, service, execution and publication follow on the same table.

案源登记 → 立案 (approved within 15 working days of the lead) | 不予立案 (written reason).
Once filed, the 90-day decision limit (《行政处罚法》第六十条) runs in calendar days.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move


class Status(models.TextChoices):
    LEAD = "lead", _("案源待核查")
    FILED = "filed", _("已立案（调查取证）")
    NOT_FILED = "not_filed", _("不予立案")


class Source(models.TextChoices):
    INCIDENT = "incident", _("网格事件")
    PATROL = "patrol", _("巡查发现")
    COMPLAINT = "complaint", _("投诉举报")
    INSPECTION = "inspection", _("双随机检查")
    REFERRAL = "referral", _("部门移送")


class Action(models.TextChoices):
    REGISTER = "register", _("案源登记")
    FILE = "file", _("批准立案")
    DECLINE = "decline", _("不予立案")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


S, A = Status, Action
OPEN = frozenset({S.LEAD, S.FILED})


def _move(action, sources, target=None, **kw) -> Move:
    return Move(frozenset(sources), target, str(action.label), **kw)


MOVES = {
    A.FILE: _move(A.FILE, {S.LEAD}, S.FILED),
    A.DECLINE: _move(A.DECLINE, {S.LEAD}, S.NOT_FILED),
    A.SUPERVISE: _move(A.SUPERVISE, OPEN),
    A.WARN: _move(A.WARN, OPEN, system_only=True),
    A.OVERDUE: _move(A.OVERDUE, OPEN, system_only=True),
}
STAGE_OF = {S.LEAD: "file", S.FILED: "decide"}
STAGE_LABELS = {"file": _("核查立案（15 个工作日）"), "decide": _("作出决定（立案之日起 90 日）")}
FILE_DAYS = 15
DECIDE_DAYS = 90
