"""Incident statuses and the moves allowed between them (DOMAIN.md §4, the nine-step loop).

Nothing else assigns ``Incident.status``: every move goes through ``services.loop.transition``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    CLOSE = "close", _("结案")
    RATE = "rate", _("评价")
    ARCHIVE = "archive", _("归档")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")
    CHECK_IN = "check_in", _("部门报到")


S = Status
# action → (allowed from-statuses, to-status); None keeps the status (a note on the record).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    Action.REGISTER: (frozenset({S.REPORTED}), S.REGISTERED),
    Action.VOID: (frozenset({S.REPORTED}), S.VOIDED),
    Action.MERGE: (frozenset({S.REPORTED, S.REGISTERED}), S.MERGED),
    Action.DISPATCH: (frozenset({S.REGISTERED}), S.DISPATCHED),
    Action.WHISTLE: (frozenset({S.REGISTERED}), S.DISPATCHED),
    Action.ESCALATE: (frozenset({S.REGISTERED, S.DISPATCHED, S.HANDLING}), S.REGISTERED),
    Action.ACCEPT: (frozenset({S.DISPATCHED}), S.HANDLING),
    Action.RETURN: (frozenset({S.DISPATCHED, S.HANDLING}), S.REGISTERED),
    Action.EXTEND_REQUEST: (frozenset({S.HANDLING}), None),
    Action.EXTEND_APPROVE: (frozenset({S.HANDLING}), None),
    Action.EXTEND_REFUSE: (frozenset({S.HANDLING}), None),
    Action.SHELVE: (frozenset({S.HANDLING}), S.SHELVED),
    Action.RESUME: (frozenset({S.SHELVED}), S.HANDLING),
    Action.REPLY: (frozenset({S.HANDLING}), S.REPLIED),
    Action.VERIFY_PASS: (frozenset({S.REPLIED}), S.CLOSED),
    Action.VERIFY_FAIL: (frozenset({S.REPLIED}), S.DISPATCHED),
    Action.RATE: (frozenset({S.CLOSED}), None),
    Action.ARCHIVE: (frozenset({S.CLOSED}), S.ARCHIVED),
    Action.SUPERVISE: (frozenset({S.REGISTERED, S.DISPATCHED, S.HANDLING, S.REPLIED}), None),
    Action.WARN: (frozenset({S.REPORTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.REPLIED}), None),
    Action.OVERDUE: (frozenset({S.REPORTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.REPLIED}), None),
    Action.CHECK_IN: (frozenset({S.DISPATCHED, S.HANDLING}), None),
}

OPEN = frozenset({S.REPORTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.SHELVED, S.REPLIED})
DONE = frozenset({S.CLOSED, S.ARCHIVED})

# Which stage's clock runs in each status (deadlines are stored per stage on the incident).
STAGE_OF = {S.REPORTED: "register", S.REGISTERED: "dispatch", S.DISPATCHED: "handle", S.HANDLING: "handle",
            S.REPLIED: "verify"}
