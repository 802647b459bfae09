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


# The counters a fact row carries: the named subsets of ``indicators.definitions`` over settled
# cases, the summed handling time, and two daily flows (reported, closed) for the trend.
FACT_COUNTERS = (
    "registered", "due_to_close", "closed", "closed_on_time", "reworked", "due_to_handle", "handled",
    "handled_on_time", "extended", "overdue_open", "due_to_dispatch", "dispatched_on_time", "dispatched_right",
    "rated", "satisfied", "open", "handle_n", "reported", "closed_flow",
)


class Fact(models.Model):
    """Rollup of the incident cohort: counters per day (and per month) × one dimension.

    Each move of an incident writes the change of its contribution as new ("fresh") rows in the
    same transaction: plain inserts, so a busy town's intake never waits on a hot counter row. A job
    folds fresh rows into one row per key (``facts.compact``). A read sums every row of its keys,
    fresh or folded, in one statement, so it is exact whether or not the job has run.
    """

    class Grain(models.TextChoices):
        DAY = "d", _("日")
        MONTH = "m", _("月")

    class Dim(models.TextChoices):
        TOWN = "T", _("镇（街道）")
        VILLAGE = "R", _("村（社区）")
        GRID = "G", _("网格")
        DEPARTMENT = "D", _("部门")
        CLASS = "C", _("大类")
        SUBCLASS = "S", _("小类")

    fresh = models.BooleanField(default=True, db_default=True)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    day = models.DateField()
    dim = models.CharField(max_length=1, choices=Dim.choices)
    key = models.BigIntegerField()  # the town, village, grid, department or class id; 0 = none
    town = models.BigIntegerField()  # the case's town id (0 = none): every dimension can be cut by town
    registered = models.IntegerField(default=0, db_default=0)
    due_to_close = models.IntegerField(default=0, db_default=0)
    closed = models.IntegerField(default=0, db_default=0)
    closed_on_time = models.IntegerField(default=0, db_default=0)
    reworked = models.IntegerField(default=0, db_default=0)
    due_to_handle = models.IntegerField(default=0, db_default=0)
    handled = models.IntegerField(default=0, db_default=0)
    handled_on_time = models.IntegerField(default=0, db_default=0)
    extended = models.IntegerField(default=0, db_default=0)
    overdue_open = models.IntegerField(default=0, db_default=0)
    due_to_dispatch = models.IntegerField(default=0, db_default=0)
    dispatched_on_time = models.IntegerField(default=0, db_default=0)
    dispatched_right = models.IntegerField(default=0, db_default=0)
    rated = models.IntegerField(default=0, db_default=0)
    satisfied = models.IntegerField(default=0, db_default=0)
    open = models.IntegerField(default=0, db_default=0)
    handle_n = models.IntegerField(default=0, db_default=0)
    handle_secs = models.FloatField(default=0, db_default=0.0)
    reported = models.IntegerField(default=0, db_default=0)
    closed_flow = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("统计事实")
        verbose_name_plural = _("统计事实")
        indexes = [
            # Covering on PostgreSQL: rankings and trends read only these counters (index-only scans).
            models.Index(fields=["dim", "grain", "day", "key", "town"], name="fact_read",
                         include=["registered", "closed", "closed_on_time", "reported", "closed_flow"]),
            models.Index(fields=["grain", "day", "dim", "key", "town"], name="fact_fold",
                         condition=models.Q(fresh=True)),
        ]

    def __str__(self):
        return f"{self.grain}{self.day} {self.dim}{self.key}"
