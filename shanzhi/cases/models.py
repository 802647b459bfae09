"""The case kernel's own tables: one clock (timer) per case, stage and round, for every kind of
case, and the abstract step row each kind's step table extends."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.common.workcal import UNIT_LABELS, TimeUnit

UNIT_CHOICES = [(u.value, UNIT_LABELS[u]) for u in TimeUnit]


class Timer(models.Model):
    """A stage's clock: started, possibly paused and resumed, extended, stopped.

    ``due`` is the stored deadline (working calendar of the case's locality); ``warn_at`` the
    moment the scan warns. A paused clock keeps what was left (``left``) and has no deadline
    until it resumes. A clock that stops after its deadline is ``late`` — decided by the time of
    the step that stopped it, never by whether the scan ran.
    """

    kind = models.CharField(_("办件类型"), max_length=20)
    case_id = models.BigIntegerField(_("办件"))
    stage = models.CharField(_("环节"), max_length=20)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    amount = models.DecimalField(_("时限"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=16, choices=UNIT_CHOICES)
    calendar = models.CharField(_("日历区划"), max_length=12, blank=True, default="")
    started_at = models.DateTimeField(_("开始"))
    due = models.DateTimeField(_("期限"), null=True, blank=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停于"), null=True, blank=True)
    left = models.DurationField(_("暂停时剩余"), null=True, blank=True)
    pauses = models.JSONField(_("暂停记录"), default=list, blank=True)
    extensions = models.JSONField(_("延期记录"), default=list, blank=True)
    warned_at = models.DateTimeField(_("已预警"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("已标记超期"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("结束"), null=True, blank=True)
    late = models.BooleanField(_("超期完成"), default=False)
    scan_errors = models.PositiveSmallIntegerField(_("扫描失败次数"), default=0)
    last_error = models.CharField(_("最近失败"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("环节时钟")
        verbose_name_plural = _("环节时钟")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["kind", "case_id"], name="timer_case"),
            # The scan reads only running clocks: two small partial indexes.
            models.Index(fields=["due"], name="timer_running_due",
                         condition=Q(stopped_at__isnull=True, paused_at__isnull=True, overdue_at__isnull=True)),
            models.Index(fields=["warn_at"], name="timer_running_warn",
                         condition=Q(stopped_at__isnull=True, paused_at__isnull=True, warned_at__isnull=True)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "case_id", "stage"], condition=Q(stopped_at__isnull=True),
                                    name="uniq_running_timer"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.case_id} {self.stage}#{self.round}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None


class StepBase(models.Model):
    """What every kind's step row holds: one move, by whom, when, from → to, with a note."""

    action = models.CharField(_("动作"), max_length=20)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    due = models.DateTimeField(_("本环节期限"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
