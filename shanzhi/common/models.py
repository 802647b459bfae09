from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    """Base for every record a service writes: timestamps and a version for optimistic locking."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """Append-only: who did what to which record, with before → after, and every reveal."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        REVEAL = "reveal", _("查看明文")
        LOOKUP = "lookup", _("按号码查找")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED = "locked", _("账号锁定")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    # The place the row is about (a case's village or town, a person's village): auditors bound to
    # a town read only their town's rows; rows about no place are for county-wide auditors.
    region = models.ForeignKey("geo.Region", verbose_name=_("所属区划"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+", db_constraint=False)
    # The hash chain (see common/audit_chain.py): set once by the sealer, then frozen by the
    # database's triggers like every other column.
    seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True, editable=False)
    chain = models.CharField(_("链哈希"), max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit rows are append-only")


class CalendarDay(models.Model):
    """An administrator's override of the official calendar for one date (and optionally one locality)."""

    date = models.DateField(_("日期"))
    is_workday = models.BooleanField(_("是否工作日"))
    region_code = models.CharField(
        _("适用区划代码"), max_length=12, blank=True, default="",
        help_text=_("留空表示全县适用"),
    )
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date", "region_code"], name="uniq_calendar_day")]
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")

    def __str__(self):
        return f"{self.date} {'工作日' if self.is_workday else '休息日'} {self.note}"


class ChangeCounter(models.Model):
    """A named counter bumped on commit when shared reference data changes (e.g. grids).

    Every process compares it with the value its in-memory structure was built from, so no
    process keeps a stale spatial index and nothing relies on in-process signals.
    """

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("变更计数")
        verbose_name_plural = _("变更计数")

    def __str__(self):
        return f"{self.name}={self.value}"


class ScheduledRun(models.Model):
    """When each periodic job was last enqueued: several schedulers may run, one enqueues."""

    name = models.CharField(max_length=80, primary_key=True)
    last_enqueued = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self):
        return self.name
