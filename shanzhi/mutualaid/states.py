"""Mutual-aid claims (互助申请): statuses, moves and who may make each.

After the Jiangyin 福村宝 practice: a member (or the village aide for them) files a claim with the
hospital's settlement sheet → the village checks it (村级审核: membership, disease, the self-paid
amount after medical insurance) → the town's civil-affairs office approves (镇级审批) → the village
pays from its fund and the payment is published on the village's public page. A claim may be
refused at any stage before payment, always with the reason written down.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

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


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str
    # The highest region level (5 village, 4 town, 3 county) a post must have to make the move.
    at_most: int


MOVES: dict[str, Move] = {
    Action.REVIEW: Move((Status.SUBMITTED,), Status.REVIEWED, VILLAGE),
    Action.APPROVE: Move((Status.REVIEWED,), Status.APPROVED, TOWN),
    Action.PAY: Move((Status.APPROVED,), Status.PAID, VILLAGE),
    Action.REFUSE: Move((Status.SUBMITTED, Status.REVIEWED, Status.APPROVED), Status.REFUSED, VILLAGE),
}

# What each stage's money means for the fund: approved claims are committed, paid ones are spent.
COMMITTED = (Status.APPROVED,)
OPEN = (Status.SUBMITTED, Status.REVIEWED, Status.APPROVED)
COUNTED = (Status.APPROVED, Status.PAID)  # count against a member's annual cap
