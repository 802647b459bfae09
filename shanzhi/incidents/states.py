"""Incident statuses and the moves allowed between them (DOMAIN.md §4, the nine-step loop).

Nothing else assigns ``Incident.status``: every move goes through the case kernel's transition
path (``shanzhi.cases.transition``) with this table.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move


class Status(models.TextChoices):
    REPORTED = "reported", _("待受理")
    REGISTERED = "registered", _("已立案待派遣")
    DISPATCHED = "dispatched", _("已派遣待签收")
    HANDLING = "handling", _("处置中")
    SHELVED = "shelved", _("挂账")
    REPLIED = "replied", _("已反馈待核查")
    CLOSED = "closed", _("已结案")
    ARCHIVED = "archived", _("已归档")
    VOIDED = "voided", _("不予立案")
    MERGED = "merged", _("已合并")


class Action(models.TextChoices):
    REPORT = "report", _("上报")
    LOCATE = "locate", _("确定位置")
    REGISTER = "register", _("受理立案")
    VOID = "void", _("不予立案")
    MERGE = "merge", _("合并重复")
    DISPATCH = "dispatch", _("派遣")
    WHISTLE = "whistle", _("网格吹哨")
    ESCALATE = "escalate", _("上报上级")
    ACCEPT = "accept", _("签收")
    RETURN = "return", _("回退")
    EXTEND_REQUEST = "extend_request", _("申请延期")
    EXTEND_APPROVE = "extend_approve", _("同意延期")
    EXTEND_REFUSE = "extend_refuse", _("不同意延期")
    SHELVE = "shelve", _("挂账")
    RESUME = "resume", _("恢复处置")
    REPLY = "reply", _("处置反馈")
    VERIFY_PASS = "verify_pass", _("核查通过")
    VERIFY_FAIL = "verify_fail", _("核查不通过（返工）")
    RATE = "rate", _("评价")
    ARCHIVE = "archive", _("归档")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")
    CHECK_IN = "check_in", _("部门报到")
    TO_LEAD = "to_lead", _("转为执法案源")


S = Status
OPEN = frozenset({S.REPORTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.SHELVED, S.REPLIED})
DONE = frozenset({S.CLOSED, S.ARCHIVED})
# Statuses in which a clock runs (a shelved case's clock is paused).
TIMED = frozenset({S.REPORTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.REPLIED})


def _move(action: Action, sources, target=None, **kw) -> Move:
    return Move(frozenset(sources), target, str(action.label), **kw)


A = Action
MOVES: dict[str, Move] = {
    A.LOCATE: _move(A.LOCATE, {S.REPORTED}),
    A.REGISTER: _move(A.REGISTER, {S.REPORTED}, S.REGISTERED),
    A.VOID: _move(A.VOID, {S.REPORTED}, S.VOIDED),
    A.MERGE: _move(A.MERGE, {S.REPORTED, S.REGISTERED}, S.MERGED),
    A.DISPATCH: _move(A.DISPATCH, {S.REGISTERED}, S.DISPATCHED),
    A.WHISTLE: _move(A.WHISTLE, {S.REGISTERED}, S.DISPATCHED),
    A.ESCALATE: _move(A.ESCALATE, {S.REGISTERED, S.DISPATCHED, S.HANDLING}, S.REGISTERED),
    A.ACCEPT: _move(A.ACCEPT, {S.DISPATCHED}, S.HANDLING),
    A.RETURN: _move(A.RETURN, {S.DISPATCHED, S.HANDLING}, S.REGISTERED),
    A.EXTEND_REQUEST: _move(A.EXTEND_REQUEST, {S.HANDLING}),
    A.EXTEND_APPROVE: _move(A.EXTEND_APPROVE, {S.HANDLING}),
    A.EXTEND_REFUSE: _move(A.EXTEND_REFUSE, {S.HANDLING}),
    A.SHELVE: _move(A.SHELVE, {S.HANDLING}, S.SHELVED),
    A.RESUME: _move(A.RESUME, {S.SHELVED}, S.HANDLING),
    A.REPLY: _move(A.REPLY, {S.HANDLING}, S.REPLIED),
    A.VERIFY_PASS: _move(A.VERIFY_PASS, {S.REPLIED}, S.CLOSED),
    A.VERIFY_FAIL: _move(A.VERIFY_FAIL, {S.REPLIED}, S.DISPATCHED),
    A.RATE: _move(A.RATE, {S.CLOSED, S.ARCHIVED}),
    A.ARCHIVE: _move(A.ARCHIVE, {S.CLOSED}, S.ARCHIVED),
    # 督办 reaches whoever holds the case now: the center while it waits to be registered or
    # dispatched, the department while it is handled, the grid while it waits for verification.
    A.SUPERVISE: _move(A.SUPERVISE, TIMED),
    A.WARN: _move(A.WARN, TIMED, system_only=True),
    A.OVERDUE: _move(A.OVERDUE, TIMED, system_only=True),
    A.CHECK_IN: _move(A.CHECK_IN, {S.DISPATCHED, S.HANDLING}),
}

# Which stage's clock runs in each status (deadlines are mirrored per stage on the incident).
STAGE_OF = {S.REPORTED: "register", S.REGISTERED: "dispatch", S.DISPATCHED: "handle", S.HANDLING: "handle",
            S.REPLIED: "verify"}
STAGE_LABELS = {"register": _("受理立案"), "dispatch": _("派遣"), "handle": _("处置"), "verify": _("核查")}
