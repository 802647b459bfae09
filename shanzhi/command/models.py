from django.db import models
from django.utils.translation import gettext_lazy as _


class AppraisalScheme(models.Model):
    """The weights one locality gives each indicator when scoring grids, staff or departments."""

    class Target(models.TextChoices):
        GRID = "grid", _("网格")
        STAFF = "staff", _("网格员")
        DEPARTMENT = "department", _("部门")
        CENTER = "center", _("镇（街道）指挥中心")

    target = models.CharField(_("考核对象"), max_length=12, choices=Target.choices, unique=True)
    weights = models.JSONField(_("指标权重"), help_text=_("指标键 → 权重，例如 {\"on_time_close_rate\": 40}"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self):
        return self.get_target_display()


class AppraisalResult(models.Model):
    month = models.DateField(_("月份"), db_index=True)
    target = models.CharField(_("考核对象"), max_length=12, choices=AppraisalScheme.Target.choices)
    object_id = models.BigIntegerField()
    label = models.CharField(_("名称"), max_length=120)
    town = models.ForeignKey("geo.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    rank = models.PositiveIntegerField(_("排名"))
    cases = models.PositiveIntegerField(_("事件数"))
    details = models.JSONField(_("指标明细"), default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month", "target", "rank"]
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        constraints = [models.UniqueConstraint(fields=["month", "target", "object_id"], name="uniq_appraisal")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.label} {self.score}"
