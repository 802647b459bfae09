"""One grid + one center: incident classes with time limits, incidents and their steps."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import UNIT_CHOICES, StepBase
from shanzhi.common.models import TimeStamped
from shanzhi.common.workcal import TimeUnit

from .states import Action, Status


class Tier(models.TextChoices):
    VILLAGE = "village", _("村（社区）")
    TOWN = "town", _("镇（街道）")
    COUNTY = "county", _("县级部门")


class OpenData(models.TextChoices):
    PUBLIC = "public", _("公开（精确位置）")
    COARSE = "coarse", _("公开（位置约百米）")
    PRIVATE = "private", _("不公开")


class IncidentClass(TimeStamped):
    """Two levels: a major class (parent is null) and its subclasses, which carry the standards."""

    class Kind(models.TextChoices):
        EVENT = "event", _("事件")
        COMPONENT = "component", _("部件")
        GOVERNANCE = "governance", _("基层治理")

    code = models.CharField(_("分类代码"), max_length=10, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("大类"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="subclasses")
    filing_standard = models.TextField(_("立案标准"), blank=True)
    closing_standard = models.TextField(_("结案标准"), blank=True)
    department = models.ForeignKey("accounts.Department", verbose_name=_("默认责任部门"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    tier = models.CharField(_("默认处置层级"), max_length=8, choices=Tier.choices, default=Tier.TOWN)
    register_limit = models.DecimalField(_("受理立案时限"), max_digits=6, decimal_places=1, default=1)
    register_unit = models.CharField(max_length=16, choices=UNIT_CHOICES, default=TimeUnit.WORKING_HOURS)
    dispatch_limit = models.DecimalField(_("派遣时限"), max_digits=6, decimal_places=1, default=1)
    dispatch_unit = models.CharField(max_length=16, choices=UNIT_CHOICES, default=TimeUnit.WORKING_HOURS)
    handle_limit = models.DecimalField(_("处置时限"), max_digits=6, decimal_places=1, default=3)
    handle_unit = models.CharField(max_length=16, choices=UNIT_CHOICES, default=TimeUnit.WORKING_DAYS)
    verify_limit = models.DecimalField(_("核查时限"), max_digits=6, decimal_places=1, default=4)
    verify_unit = models.CharField(max_length=16, choices=UNIT_CHOICES, default=TimeUnit.WORKING_HOURS)
    keywords = models.CharField(_("识别关键词"), max_length=300, blank=True, help_text=_("逗号分隔，用于按描述推荐分类"))
    open_data = models.CharField(
        _("公开方式"), max_length=8, choices=OpenData.choices, default=OpenData.PUBLIC,
        help_text=_("Open311 公共接口是否发布此类事件：纠纷、困难救助、治安等类别不得公开；涉及住宅的类别只公开约百米精度的位置"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")

    def __str__(self):
        return f"{self.code} {self.name}"

    def limit(self, stage: str) -> tuple[float, str]:
        return float(getattr(self, f"{stage}_limit")), getattr(self, f"{stage}_unit")


class Incident(TimeStamped):
    class Source(models.TextChoices):
        PATROL = "patrol", _("网格巡查")
        CITIZEN = "citizen", _("随手拍")
        HOTLINE = "hotline", _("12345 热线")
        ALARM = "alarm", _("监测告警")
        CENTER = "center", _("中心录入")
        PETITION = "petition", _("信访")
        OPINION = "opinion", _("舆情")
        ASSIGNED = "assigned", _("上级交办")
        API = "api", _("外部系统")

    number = models.CharField(_("事件编号"), max_length=24, unique=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    external_id = models.CharField(_("外部编号"), max_length=64, null=True, blank=True)
    subclass = models.ForeignKey(IncidentClass, verbose_name=_("小类"), on_delete=models.PROTECT, related_name="+")
    class_suggested = models.BooleanField(_("分类由系统推荐"), default=False)
    description = models.TextField(_("问题描述"))
    address_text = models.CharField(_("位置描述"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    declared_crs = models.CharField(_("上报坐标系"), max_length=8, default="wgs84")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    region = models.ForeignKey("geo.Region", verbose_name=_("村（社区）"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上报人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_incidents")
    reporter_name = models.CharField(_("上报人姓名"), max_length=50, blank=True)
    reporter_phone_sealed = models.TextField(blank=True, default="", editable=False)
    reporter_phone_bidx = models.CharField(max_length=64, blank=True, default="", editable=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REPORTED, db_index=True)
    tier = models.CharField(_("处置层级"), max_length=8, choices=Tier.choices, default=Tier.TOWN)
    department = models.ForeignKey("accounts.Department", verbose_name=_("处置部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="incidents")
    round = models.PositiveSmallIntegerField(_("处置轮次"), default=1)
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, db_index=True)
    register_due = models.DateTimeField(_("立案期限"), null=True, blank=True)
    dispatch_due = models.DateTimeField(_("派遣期限"), null=True, blank=True)
    handle_due = models.DateTimeField(_("处置期限"), null=True, blank=True)
    verify_due = models.DateTimeField(_("核查期限"), null=True, blank=True)
    # Set when a stage's clock stops after its deadline — from the time of the step that stopped
    # it, never from whether the deadline scan ran. handled_late: the handling stage (any round).
    handled_late = models.BooleanField(_("处置超期"), default=False)
    ran_late = models.BooleanField(_("曾超期"), default=False)
    extended = models.BooleanField(_("曾延期"), default=False)
    returned_count = models.PositiveSmallIntegerField(_("回退次数"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    merged_into = models.ForeignKey("self", verbose_name=_("合并到"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged")
    possible_duplicate = models.ForeignKey("self", verbose_name=_("疑似重复"), null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    rating_token = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        # An external number is unique per client (the reporting service account): two systems
        # may both have a work order 0001, and one cannot squat on the other's numbers.
        # (Coalesce: a system channel without an account is one client too — NULLs would never meet.)
        constraints = [models.UniqueConstraint(F("source"), Coalesce("reporter", 0), F("external_id"),
                                               name="uniq_incident_external_per_client")]
        indexes = [
            models.Index(fields=["town", "status"]),
            models.Index(fields=["town", "reported_at"]),
            # Dashboards select a cohort by registration time, county-wide or per town.
            models.Index(fields=["registered_at"], name="incident_registered"),
            models.Index(fields=["town", "registered_at"], name="incident_town_registered"),
            # The dashboards' live part: the open cases of a cohort (a small index, only those).
            models.Index(fields=["registered_at"], name="incident_open_registered",
                         condition=Q(status__in=["registered", "dispatched", "handling", "replied"])),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["grid", "status"]),
            # The duplicate check at intake: same grid and subclass, recent (a busy grid holds thousands).
            models.Index(fields=["grid", "subclass", "reported_at"], name="incident_duplicate_probe"),
            models.Index(fields=["subclass", "reported_at"]),
            models.Index(fields=["reporter_phone_bidx"], name="incident_reporter_phone"),
            models.Index(fields=["rating_token"], name="incident_rating_token"),
        ]

    def __str__(self):
        return f"{self.number} {self.subclass.name if self.subclass_id else ''}"

    # --- the command center's rollups follow every write of a case (shanzhi.command.facts) ---
    @classmethod
    def from_db(cls, db, field_names, values):
        from shanzhi.command.facts import image

        inst = super().from_db(db, field_names, values)
        inst._facts_before = image(inst)
        return inst

    def save(self, *args, **kwargs):
        from shanzhi.command import facts

        adding = self._state.adding
        before = None if adding else getattr(self, "_facts_before", None)
        with transaction.atomic(savepoint=False):
            if before is None and not adding:
                before = facts.load_image(self.pk)
            super().save(*args, **kwargs)
            after = facts.image(self) or facts.load_image(self.pk)
            facts.record(before, after)
        self._facts_before = after

    def delete(self, *args, **kwargs):
        from shanzhi.command import facts

        with transaction.atomic(savepoint=False):
            before = facts.load_image(self.pk)
            result = super().delete(*args, **kwargs)
            facts.record(before, None)
        return result

    @property
    def current_due(self):
        from .states import STAGE_OF

        stage = STAGE_OF.get(self.status)
        return getattr(self, f"{stage}_due") if stage else None

    @property
    def stage_label(self) -> str:
        from .states import STAGE_LABELS, STAGE_OF

        stage = STAGE_OF.get(self.status)
        return str(STAGE_LABELS[stage]) if stage else ""


class IncidentStep(StepBase):
    """One move in the loop: the source of every SLA figure and indicator."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta(StepBase.Meta):
        verbose_name = _("处置环节")
        verbose_name_plural = _("处置环节")
        indexes = [models.Index(fields=["action", "at"])]

    def __str__(self):
        return f"{self.incident_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("上报照片")
        REPLY = "reply", _("处置照片")
        VERIFY = "verify", _("核查照片")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    step = models.ForeignKey(IncidentStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    image = models.ImageField(upload_to="incidents/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")

    def __str__(self):
        return self.image.name


class Summons(models.Model):
    """网格吹哨，部门报到: one row per summoned department."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="summons")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="summons")
    summoned_at = models.DateTimeField()
    due = models.DateTimeField(_("报到期限"))
    checked_in_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    part = models.CharField(_("承担任务"), max_length=200, blank=True)
    reply = models.TextField(_("处置情况"), blank=True)

    class Meta:
        verbose_name = _("吹哨报到")
        verbose_name_plural = _("吹哨报到")
        constraints = [models.UniqueConstraint(fields=["incident", "department"], name="uniq_summons")]

    def __str__(self):
        return f"{self.incident_id} → {self.department_id}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REFUSED = "refused", _("不同意")
        WITHDRAWN = "withdrawn", _("已撤回")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=6, decimal_places=1)
    unit = models.CharField(max_length=16, choices=UNIT_CHOICES)
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")

    def __str__(self):
        return f"{self.incident_id} +{self.amount}{self.unit} {self.state}"


class PhoneCode(models.Model):
    """A one-time code sent by SMS to confirm a citizen's mobile number (随手拍)."""

    phone_bidx = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self):
        return f"{self.phone_bidx[:8]}… {self.created_at:%H:%M}"


class PatrolItem(models.Model):
    """A daily-patrol item (巡查事项); town-wide when grid is empty."""

    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="patrol_items")
    code = models.CharField(_("编号"), max_length=20)
    name = models.CharField(_("巡查事项"), max_length=100)
    category = models.CharField(_("类别"), max_length=20)
    subclass = models.ForeignKey(IncidentClass, verbose_name=_("发现问题时的事件分类"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["town", "code"]
        verbose_name = _("巡查事项")
        verbose_name_plural = _("巡查事项")
        constraints = [models.UniqueConstraint(fields=["town", "code"], name="uniq_patrol_item")]

    def __str__(self):
        return f"{self.code} {self.name}"


class PatrolRound(models.Model):
    """One patrol by a grid worker: check-ins, a GPS track, distance and duration."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("巡查人"), on_delete=models.PROTECT,
                             related_name="patrols")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="patrols")
    started_at = models.DateTimeField(_("开始"))
    ended_at = models.DateTimeField(_("结束"), null=True, blank=True)
    track = models.JSONField(_("轨迹"), default=list, help_text=_("[[经度, 纬度, 时间戳], …]，WGS-84"))
    distance_m = models.PositiveIntegerField(_("里程（米）"), default=0)
    duration_s = models.PositiveIntegerField(_("时长（秒）"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        indexes = [models.Index(fields=["grid", "started_at"])]

    def __str__(self):
        return f"{self.user} {self.started_at:%m-%d %H:%M}"


class PatrolCheck(models.Model):
    round = models.ForeignKey(PatrolRound, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(PatrolItem, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()
    ok = models.BooleanField(_("正常"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("巡查打卡")
        verbose_name_plural = _("巡查打卡")
        constraints = [models.UniqueConstraint(fields=["round", "item"], name="uniq_patrol_check")]

    def __str__(self):
        return f"{self.round_id} {self.item_id} {'✓' if self.ok else '✗'}"


class ClassifierModel(models.Model):
    """One trained version of the class suggester (``incidents.classify``): character n-grams with
    a linear classifier, learnt from the county's registered cases. The arrays are kept as numpy's
    own format (read without pickle)."""

    trained_at = models.DateTimeField(_("训练时间"))
    examples = models.PositiveIntegerField(_("样本数"))
    classes = models.JSONField(_("可识别的分类"), default=list)
    metrics = models.JSONField(_("留出集准确率"), default=dict)
    data = models.BinaryField(_("模型参数"))
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("分类推荐模型")
        verbose_name_plural = _("分类推荐模型")

    def __str__(self):
        return f"v{self.pk} · {self.examples} · {self.trained_at:%Y-%m-%d %H:%M}"


class ClassChoice(models.Model):
    """What the suggester offered for a case and what the dispatcher registered it as: the
    feedback of the next training, and the suggester's record in use."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="class_choice")
    model_version = models.PositiveIntegerField(_("模型版本"), null=True, blank=True)
    suggested = models.JSONField(_("推荐"), default=list, help_text=_("[[分类代码, 置信度], …]，前 3 个"))
    chosen = models.CharField(_("登记的分类"), max_length=10)
    rank = models.PositiveSmallIntegerField(_("在推荐中的名次"), default=0, help_text=_("0 = 不在前 3 个中"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("分类反馈")
        verbose_name_plural = _("分类反馈")

    def __str__(self):
        return f"{self.incident_id} → {self.chosen} ({self.rank})"
