"""Penalty case (行政处罚案件) statuses and moves, after the Administrative Penalty Law 2021
(DOMAIN.md §6; 《行政处罚法》 articles cited where a rule comes from one).

General procedure (普通程序):
案源登记 → 立案 (approved within 15 working days of the lead) | 不予立案 (written reason)
→ 调查取证 (≥ 2 certified officers, art. 42; evidence with its SHA-256)
→ 审核 (法制审核 before a decision in a major case, art. 58)
→ 告知 (intended penalty, the right to state a defence and to a hearing, art. 44–45;
   a hearing is asked for within 5 days of the notice, art. 64)
→ [听证: noticed 7 days ahead; the decision clock paused meanwhile]
→ 决定 (within the discretion band or by the exception path; within 90 days of 立案, art. 60,
   the periods the law excludes — hearing, testing and appraisal — paused)
→ 送达 (on the spot, or within 7 days, art. 61)
→ 执行 (pay within 15 days; a late charge of 3 % a day capped at the fine, art. 67 and 72)
→ 结案 → 归档; an enterprise's penalty published within 20 working days of the decision.

Simple procedure (简易程序, art. 51): a warning, or a fine of at most ¥200 on a person or
¥3,000 on an organisation, decided, served and (if paid at once) closed on the spot.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move


class Status(models.TextChoices):
    LEAD = "lead", _("案源待核查")
    FILED = "filed", _("调查取证")
    REVIEW = "review", _("审核")
    NOTICE = "notice", _("已告知（陈述申辩期）")
    HEARING = "hearing", _("听证")
    HEARD = "heard", _("听证结束待决定")
    DECIDED = "decided", _("已决定待送达")
    EXECUTING = "executing", _("执行中")
    EXECUTED = "executed", _("执行完毕待结案")
    CLOSED = "closed", _("已结案")
    ARCHIVED = "archived", _("已归档")
    NOT_FILED = "not_filed", _("不予立案")


class Source(models.TextChoices):
    INCIDENT = "incident", _("网格事件")
    PATROL = "patrol", _("巡查发现")
    COMPLAINT = "complaint", _("投诉举报")
    INSPECTION = "inspection", _("双随机检查")
    REFERRAL = "referral", _("部门移送")


class Procedure(models.TextChoices):
    GENERAL = "general", _("普通程序")
    SIMPLE = "simple", _("简易程序")


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "org", _("法人或其他组织")


class Outcome(models.TextChoices):
    PENALTY = "penalty", _("给予行政处罚")
    EXEMPT = "exempt", _("首违不罚（不予行政处罚）")
    NO_PENALTY = "no_penalty", _("不予行政处罚")


class ServiceMethod(models.TextChoices):
    DIRECT = "direct", _("直接送达")
    LEFT = "left", _("留置送达")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达（当事人同意）")
    PUBLIC = "public", _("公告送达")


class Action(models.TextChoices):
    REGISTER = "register", _("案源登记")
    FILE = "file", _("批准立案")
    DECLINE = "decline", _("不予立案")
    ASSIGN = "assign", _("指派办案人员")
    EVIDENCE = "evidence", _("登记证据")
    SUBMIT = "submit", _("调查终结提交审核")
    LEGAL_REVIEW = "legal_review", _("法制审核")
    RETURN = "return", _("退回补充调查")
    NOTIFY = "notify", _("告知拟处罚")
    STATEMENT = "statement", _("记录陈述申辩")
    HEARING_REQUEST = "hearing_request", _("当事人申请听证")
    HEARING_NOTICE = "hearing_notice", _("通知听证")
    HEARING_HELD = "hearing_held", _("举行听证")
    SUSPEND = "suspend", _("中止（检测、检验、鉴定）")
    RESUME = "resume", _("恢复办理")
    DECIDE = "decide", _("作出处罚决定")
    SERVE = "serve", _("送达")
    PAY = "pay", _("缴纳罚款")
    CLOSE = "close", _("结案")
    ARCHIVE = "archive", _("归档")
    PUBLISH = "publish", _("公示")
    SIMPLE = "simple", _("当场处罚（简易程序）")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


S, A = Status, Action
OPEN = frozenset({S.LEAD, S.FILED, S.REVIEW, S.NOTICE, S.HEARING, S.HEARD, S.DECIDED, S.EXECUTING, S.EXECUTED})
BEFORE_DECISION = frozenset({S.FILED, S.REVIEW, S.NOTICE, S.HEARING, S.HEARD})
DECIDED_ON = frozenset({S.DECIDED, S.EXECUTING, S.EXECUTED, S.CLOSED, S.ARCHIVED})


def _move(action, sources, target=None, **kw) -> Move:
    return Move(frozenset(sources), target, str(action.label), **kw)


MOVES = {
    A.FILE: _move(A.FILE, {S.LEAD}, S.FILED),
    A.DECLINE: _move(A.DECLINE, {S.LEAD}, S.NOT_FILED),
    A.ASSIGN: _move(A.ASSIGN, {S.FILED}),
    A.EVIDENCE: _move(A.EVIDENCE, {S.FILED}),
    A.SUBMIT: _move(A.SUBMIT, {S.FILED}, S.REVIEW),
    A.LEGAL_REVIEW: _move(A.LEGAL_REVIEW, {S.REVIEW, S.HEARD}),
    A.RETURN: _move(A.RETURN, {S.REVIEW, S.HEARD}, S.FILED),
    A.NOTIFY: _move(A.NOTIFY, {S.REVIEW}, S.NOTICE),
    A.STATEMENT: _move(A.STATEMENT, {S.NOTICE, S.HEARING}),
    A.HEARING_REQUEST: _move(A.HEARING_REQUEST, {S.NOTICE}, S.HEARING),
    A.HEARING_NOTICE: _move(A.HEARING_NOTICE, {S.HEARING}),
    A.HEARING_HELD: _move(A.HEARING_HELD, {S.HEARING}, S.HEARD),
    A.SUSPEND: _move(A.SUSPEND, {S.FILED, S.REVIEW, S.NOTICE, S.HEARD}),
    A.RESUME: _move(A.RESUME, {S.FILED, S.REVIEW, S.NOTICE, S.HEARD}),
    # From HEARING too, so that a decision while a requested hearing is pending gets its own answer.
    A.DECIDE: _move(A.DECIDE, {S.NOTICE, S.HEARING, S.HEARD}, S.DECIDED),
    A.SERVE: _move(A.SERVE, {S.DECIDED}),  # to 执行中, or 执行完毕 when nothing is to be paid
    A.PAY: _move(A.PAY, {S.EXECUTING}, S.EXECUTED),
    A.CLOSE: _move(A.CLOSE, {S.EXECUTED}, S.CLOSED),
    A.ARCHIVE: _move(A.ARCHIVE, {S.CLOSED}, S.ARCHIVED),
    A.PUBLISH: _move(A.PUBLISH, DECIDED_ON),
    A.SUPERVISE: _move(A.SUPERVISE, OPEN),
    A.WARN: _move(A.WARN, OPEN | {S.CLOSED, S.ARCHIVED}, system_only=True),
    A.OVERDUE: _move(A.OVERDUE, OPEN | {S.CLOSED, S.ARCHIVED}, system_only=True),
}
# The clock a status is measured against (the list's "due" column).
STAGE_OF = {S.LEAD: "file", S.FILED: "decide", S.REVIEW: "decide", S.NOTICE: "decide", S.HEARING: "decide",
            S.HEARD: "decide", S.DECIDED: "serve", S.EXECUTING: "pay"}
STAGE_LABELS = {"file": _("核查立案（15 个工作日）"), "decide": _("作出决定（立案之日起 90 日）"),
                "serve": _("送达（决定之日起 7 日）"), "pay": _("缴纳罚款（送达之日起 15 日）"),
                "publish": _("公示（决定之日起 20 个工作日）")}
FILE_DAYS = 15
DECIDE_DAYS = 90
HEARING_REQUEST_DAYS = 5
HEARING_NOTICE_DAYS = 7
SERVE_DAYS = 7
PAY_DAYS = 15
PUBLISH_DAYS = 20
LATE_RATE = Decimal("0.03")
SIMPLE_MAX = {PartyKind.PERSON: Decimal(200), PartyKind.ORGANISATION: Decimal(3000)}
# A major case (重大执法决定) needs legal review before its decision: a fine at or above these,
# or a penalty kind that stops a business or takes a licence (Jiangsu's 重大执法决定法制审核 list).
MAJOR_FINE = {PartyKind.PERSON: Decimal(10000), PartyKind.ORGANISATION: Decimal(100000)}
MAJOR_TYPES = frozenset({"suspend", "downgrade", "revoke", "restrict", "stop", "close", "bar", "detention"})
