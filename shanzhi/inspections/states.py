"""Statuses and moves of inspection plans and tasks, on the case kernel.

Plan: 草拟 → 已抽取 (the draw, once; 复核抽取 any number of times, no change) → 已公示 (once
every task has its result) | 草拟 → 已取消.
Task: 待检查 → 已检查 (the result, once, by an inspector of the task); a problem that went to a
squad for registration as a lead is marked on the task when registered (no status change).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.kinds import Move


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    DRAWN = "drawn", _("已抽取（检查中）")
    PUBLISHED = "published", _("已公示")
    CANCELLED = "cancelled", _("已取消")


class PlanAction(models.TextChoices):
    CREATE = "create", _("制定计划")
    DRAW = "draw", _("随机抽取")
    VERIFY = "verify", _("复核抽取")
    PUBLISH = "publish", _("结果公示")
    CANCEL = "cancel", _("取消计划")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("未检查")
    DONE = "done", _("已检查")


class TaskAction(models.TextChoices):
    RECORD = "record", _("录入检查结果")
    REGISTER_LEAD = "register_lead", _("登记执法案源")


P, PA, T, TA = PlanStatus, PlanAction, TaskStatus, TaskAction

PLAN_MOVES = {
    PA.DRAW: Move(frozenset({P.DRAFT}), P.DRAWN, str(PA.DRAW.label)),
    PA.VERIFY: Move(frozenset({P.DRAWN, P.PUBLISHED}), None, str(PA.VERIFY.label)),
    PA.PUBLISH: Move(frozenset({P.DRAWN}), P.PUBLISHED, str(PA.PUBLISH.label)),
    PA.CANCEL: Move(frozenset({P.DRAFT}), P.CANCELLED, str(PA.CANCEL.label)),
}

TASK_MOVES = {
    TA.RECORD: Move(frozenset({T.PENDING}), T.DONE, str(TA.RECORD.label)),
    TA.REGISTER_LEAD: Move(frozenset({T.DONE}), None, str(TA.REGISTER_LEAD.label)),
}
