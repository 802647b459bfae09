"""What a phone sent from its offline queue: one row per item, unique per person and the key the
phone generated, written in the same transaction as what the item did — so an item sent twice
(a flaky network, a retry after a lost answer) is carried out once and answered the same way."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Submission(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("上报事件")
        PATROL_START = "patrol_start", _("开始巡查")
        PATROL_CHECK = "patrol_check", _("巡查打卡")
        TRACK = "track", _("巡查轨迹")
        PATROL_FINISH = "patrol_finish", _("结束巡查")
        ACTION = "action", _("办理动作")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT,
                             related_name="field_submissions")
    key = models.CharField(_("手机端编号"), max_length=64)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    made_at = models.DateTimeField(_("手机上的时间"))
    received_at = models.DateTimeField(_("送达时间"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict)

    class Meta:
        verbose_name = _("离线提交")
        verbose_name_plural = _("离线提交")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_field_submission")]

    def __str__(self):
        return f"{self.user} {self.get_kind_display()} {self.key[:8]}"
