"""Assistance applications (救助申请) and early-warning checks (预警核查): statuses and moves.

After the Ministry of Civil Affairs' 最低生活保障审核确认办法 (2021) as Jiangsu applies it:
申请 (counter, online, or a village agent) → 乡镇受理 (or 不予受理 with the reason) → 入户调查 and
家庭经济状况核对 (the means test of the household file) → 乡镇审核意见 within 15 working days of
intake → 公示 7 days in the village, objections recorded and answered → 县级确认 within 10
working days → 次月起发放; every refusal is written with its reason.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move

REVIEW_DAYS = 15  # working days, intake → township opinion
NOTICE_DAYS = 7  # calendar days of public notice in the village
CONFIRM_DAYS = 10  # working days for the county's confirmation
INTAKE_DAYS = 5  # working days to accept or refuse an application
VERIFY_DAYS = 5  # working days for a village worker to verify an alert at home


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    REVIEWING = "reviewing", _("调查审核中")
    NOTICE = "notice", _("公示中")
    CONFIRMING = "confirming", _("待县级确认")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予救助")
    WITHDRAWN = "withdrawn", _("已撤回")


class Action(models.TextChoices):
    SUBMIT = "submit", _("提出申请")
    ACCEPT = "accept", _("受理")
    NOT_ACCEPT = "not_accept", _("不予受理")
    VISIT = "visit", _("入户调查")
    ASSESS = "assess", _("家庭经济状况核对")
    PROPOSE = "propose", _("乡镇审核同意，张榜公示")
    OBJECT = "object", _("登记公示异议")
    ANSWER = "answer", _("答复异议")
    RECHECK = "recheck", _("异议成立，重新调查")
    NOTICE_END = "notice_end", _("公示期满，报县级确认")
    CONFIRM = "confirm", _("县级确认批准")
    REFUSE = "refuse", _("不予救助")
    WITHDRAW = "withdraw", _("撤回申请")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


S, A = Status, Action
OPEN = frozenset({S.SUBMITTED, S.REVIEWING, S.NOTICE, S.CONFIRMING})


def _move(action, sources, target=None, **kw) -> Move:
    return Move(frozenset(sources), target, str(action.label), **kw)


MOVES: dict[str, Move] = {
    A.ACCEPT: _move(A.ACCEPT, {S.SUBMITTED}, S.REVIEWING),
    A.NOT_ACCEPT: _move(A.NOT_ACCEPT, {S.SUBMITTED}, S.NOT_ACCEPTED),
    A.VISIT: _move(A.VISIT, {S.REVIEWING}),
    A.ASSESS: _move(A.ASSESS, {S.REVIEWING}),
    A.PROPOSE: _move(A.PROPOSE, {S.REVIEWING}, S.NOTICE),
    A.OBJECT: _move(A.OBJECT, {S.NOTICE}),
    A.ANSWER: _move(A.ANSWER, {S.NOTICE}),
    A.RECHECK: _move(A.RECHECK, {S.NOTICE}, S.REVIEWING),
    A.NOTICE_END: _move(A.NOTICE_END, {S.NOTICE}, S.CONFIRMING),
    A.CONFIRM: _move(A.CONFIRM, {S.CONFIRMING}, S.APPROVED),
    A.REFUSE: _move(A.REFUSE, {S.REVIEWING, S.CONFIRMING}, S.REFUSED),
    A.WITHDRAW: _move(A.WITHDRAW, {S.SUBMITTED, S.REVIEWING, S.NOTICE}, S.WITHDRAWN),
    A.SUPERVISE: _move(A.SUPERVISE, OPEN),
    A.WARN: _move(A.WARN, OPEN, system_only=True),
    A.OVERDUE: _move(A.OVERDUE, OPEN, system_only=True),
}
STAGE_OF = {S.SUBMITTED: "intake", S.REVIEWING: "review", S.NOTICE: "notice", S.CONFIRMING: "confirm"}
STAGE_LABELS = {"intake": _("受理（5 个工作日）"), "review": _("乡镇调查审核（15 个工作日）"),
                "notice": _("公示（7 日）"), "confirm": _("县级确认（10 个工作日）")}


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    VERIFIED = "verified", _("已核实，需救助")
    APPLIED = "applied", _("已转救助申请")
    DISMISSED = "dismissed", _("核查无需救助")


class AlertAction(models.TextChoices):
    RAISE = "raise", _("预警生成")
    VERIFY = "verify", _("入户核查")
    APPLY = "apply", _("转为救助申请")
    DISMISS = "dismiss", _("核查无需救助")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


AS, AA = AlertStatus, AlertAction
ALERT_OPEN = frozenset({AS.OPEN, AS.VERIFIED})
ALERT_MOVES: dict[str, Move] = {
    AA.VERIFY: _move(AA.VERIFY, {AS.OPEN}, AS.VERIFIED),
    AA.DISMISS: _move(AA.DISMISS, {AS.OPEN}, AS.DISMISSED),
    AA.APPLY: _move(AA.APPLY, {AS.OPEN, AS.VERIFIED}, AS.APPLIED),
    AA.SUPERVISE: _move(AA.SUPERVISE, ALERT_OPEN),
    AA.WARN: _move(AA.WARN, ALERT_OPEN, system_only=True),
    AA.OVERDUE: _move(AA.OVERDUE, ALERT_OPEN, system_only=True),
}
