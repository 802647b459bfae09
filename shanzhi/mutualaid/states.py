"""Mutual-aid claims (互助申请): statuses, moves and who may make each.

After the Jiangyin 福村宝 practice: a member (or the village aide for them) files a claim with the
hospital's settlement sheet → the village checks it (村级审核: membership, disease, the self-paid
amount after medical insurance) → the town's civil-affairs office approves (镇级审批) → the village
pays from its fund and the payment is published on the village's public page. A claim may be
refused at any stage before payment, always with the reason written down.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move

VILLAGE, TOWN, COUNTY = 5, 4, 3


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待村级审核")
    REVIEWED = "reviewed", _("待镇级审批")
    APPROVED = "approved", _("已批准待支付")
    PAID = "paid", _("已支付")
    REFUSED = "refused", _("不予补助")


class Action(models.TextChoices):
    SUBMIT = "submit", _("提出申请")
    REVIEW = "review", _("村级审核通过")
    APPROVE = "approve", _("镇级审批通过")
    PAY = "pay", _("支付补助")
    REFUSE = "refuse", _("不予补助")
    PUBLISH = "publish", _("公示")
    UNPUBLISH = "unpublish", _("撤下公示")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


S, A = Status, Action
OPEN = (Status.SUBMITTED, Status.REVIEWED, Status.APPROVED)


def _move(action, sources, target=None, **kw) -> Move:
    return Move(frozenset(sources), target, str(action.label), **kw)


# The kernel's moves table (``shanzhi.cases``): the village checks and pays, the town approves.
MOVES: dict[str, Move] = {
    A.REVIEW: _move(A.REVIEW, {S.SUBMITTED}, S.REVIEWED),
    A.APPROVE: _move(A.APPROVE, {S.REVIEWED}, S.APPROVED),
    A.PAY: _move(A.PAY, {S.APPROVED}, S.PAID),
    A.REFUSE: _move(A.REFUSE, {S.SUBMITTED, S.REVIEWED, S.APPROVED}, S.REFUSED),
    A.PUBLISH: _move(A.PUBLISH, {S.PAID}),
    A.UNPUBLISH: _move(A.UNPUBLISH, {S.PAID}),
    A.SUPERVISE: _move(A.SUPERVISE, OPEN),
    A.WARN: _move(A.WARN, OPEN, system_only=True),
    A.OVERDUE: _move(A.OVERDUE, OPEN, system_only=True),
}
# The highest region level (5 village, 4 town, 3 county) a post must have to make each move.
AT_MOST = {A.REVIEW: VILLAGE, A.APPROVE: TOWN, A.PAY: VILLAGE, A.REFUSE: VILLAGE, A.PUBLISH: VILLAGE,
           A.UNPUBLISH: VILLAGE, A.SUPERVISE: TOWN}
# Each stage's limit in working days, on the kernel's clocks (the village checks a claim within 5,
# the town decides within 5, the village pays within 5 of the approval).
REVIEW_DAYS, APPROVE_DAYS, PAY_DAYS = 5, 5, 5
STAGE_OF = {S.SUBMITTED: "review", S.REVIEWED: "approve", S.APPROVED: "pay"}
STAGE_LABELS = {"review": _("村级审核（5 个工作日）"), "approve": _("镇级审批（5 个工作日）"),
                "pay": _("支付（5 个工作日）")}


# What each stage's money means for the fund: approved claims are committed, paid ones are spent.
COMMITTED = (Status.APPROVED,)
COUNTED = (Status.APPROVED, Status.PAID)  # count against a member's annual cap
