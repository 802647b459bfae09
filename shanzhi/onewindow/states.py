"""Application (办件) statuses and moves, after the Administrative Licensing Law (DOMAIN.md §5).

申请 → 受理 | 不予受理 (written reason) | 补正 (one complete notice; the clock pauses; without a
notice within 5 working days the application counts as accepted) → 审查 (one or several
departments, in parallel when they review jointly) → 决定 (准予/不予; hearings, tests and expert
review — 特别程序 — pause the clock) → 办结 → 送达/取件 → 评价.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    CORRECTING = "correcting", _("待补正")
    REFUSED = "refused", _("不予受理")
    REVIEWING = "reviewing", _("审查中")
    SUSPENDED = "suspended", _("特别程序中")
    COMPLETED = "completed", _("已办结")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")


class Action(models.TextChoices):
    SUBMIT = "submit", _("提交申请")
    ACCEPT = "accept", _("受理")
    AUTO_ACCEPT = "auto_accept", _("逾期未告知补正，视为受理")
    REFUSE = "refuse", _("不予受理")
    REQUEST_CORRECTION = "request_correction", _("一次性告知补正")
    RESUBMIT = "resubmit", _("补正材料")
    REVIEW = "review", _("审查意见")
    SUSPEND = "suspend", _("启动特别程序")
    RESUME = "resume", _("特别程序结束")
    GRANT = "grant", _("准予许可")
    DENY = "deny", _("不予许可")
    DELIVER = "deliver", _("送达")
    RATE = "rate", _("评价")
    WITHDRAW = "withdraw", _("撤回申请")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


S, A = Status, Action
OPEN = frozenset({S.SUBMITTED, S.CORRECTING, S.REVIEWING, S.SUSPENDED})
TIMED = frozenset({S.SUBMITTED, S.REVIEWING, S.COMPLETED})


def _move(action, sources, target=None, **kw) -> Move:
    return Move(frozenset(sources), target, str(action.label), **kw)


MOVES: dict[str, Move] = {
    A.ACCEPT: _move(A.ACCEPT, {S.SUBMITTED}, S.REVIEWING),
    A.AUTO_ACCEPT: _move(A.AUTO_ACCEPT, {S.SUBMITTED}, S.REVIEWING, system_only=True),
    A.REFUSE: _move(A.REFUSE, {S.SUBMITTED}, S.REFUSED),
    A.REQUEST_CORRECTION: _move(A.REQUEST_CORRECTION, {S.SUBMITTED}, S.CORRECTING),
    A.RESUBMIT: _move(A.RESUBMIT, {S.CORRECTING}, S.SUBMITTED),
    A.REVIEW: _move(A.REVIEW, {S.REVIEWING}),
    A.SUSPEND: _move(A.SUSPEND, {S.REVIEWING}, S.SUSPENDED),
    A.RESUME: _move(A.RESUME, {S.SUSPENDED}, S.REVIEWING),
    A.GRANT: _move(A.GRANT, {S.REVIEWING}, S.COMPLETED),
    A.DENY: _move(A.DENY, {S.REVIEWING}, S.COMPLETED),
    A.DELIVER: _move(A.DELIVER, {S.COMPLETED}, S.DELIVERED),
    A.RATE: _move(A.RATE, {S.COMPLETED, S.DELIVERED}),
    A.WITHDRAW: _move(A.WITHDRAW, {S.SUBMITTED, S.CORRECTING, S.REVIEWING}, S.WITHDRAWN),
    A.SUPERVISE: _move(A.SUPERVISE, TIMED),
    A.WARN: _move(A.WARN, TIMED, system_only=True),
    A.OVERDUE: _move(A.OVERDUE, TIMED, system_only=True),
}
# The stage whose clock a status shows; "promise" runs beside the hard "statute" clock.
STAGE_OF = {S.SUBMITTED: "accept", S.REVIEWING: "promise", S.COMPLETED: "deliver"}
STAGE_LABELS = {"accept": _("受理（5 个工作日内告知补正）"), "promise": _("承诺时限"), "statute": _("法定时限"),
                "deliver": _("送达")}
