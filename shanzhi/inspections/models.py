"""Random inspections (双随机一公开) and credit: "一单两库一细则".

一单: the checklist of inspection matters (``InspectionMatter``). 两库: the register of inspectable
entities — the organisation registry plus what supervision needs to know of each (``EntityProfile``:
sector, risk, the unit that supervises it day to day) — and the register of inspectors
(``Inspector``, with their declared conflicts of interest, ``Relation``). 一细则: a plan
(``Plan``) draws entities and inspectors by a published, seeded method (``draw.py``), recorded
with its frozen input (``PlanInput``) so that anyone can run it again; every drawn entity is a
task (``Task``) whose result is recorded by an inspector of the task and published.

Credit (``CreditEvent``, ``CreditRecord``): penalties and inspection results feed an
organisation's credit record; its grade weights the sampling ratio of the next draw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import StepBase
from shanzhi.common.models import TimeStamped

from .states import PlanAction, PlanStatus, TaskAction, TaskStatus


class Sector(models.TextChoices):
    """The supervision sector an entity is listed under (检查对象类别)."""

    FOOD = "food", _("食品生产经营")
    PRODUCT = "product", _("产品质量")
    EQUIPMENT = "equipment", _("特种设备")
    TRADE = "trade", _("一般经营主体")
    ECOLOGY = "ecology", _("生态环境（排污单位）")
    SAFETY = "safety", _("安全生产（工贸企业）")
    HAZCHEM = "hazchem", _("危险化学品")
    CITY = "city", _("市容环境（沿街商户）")
    BUILDING = "building", _("建筑施工")
    TRANSPORT = "transport", _("道路运输")
    LABOUR = "labour", _("劳动用工")
    SOCIAL = "social", _("社会组织")


class Risk(models.IntegerChoices):
    LOW = 1, _("低风险")
    MEDIUM = 2, _("一般风险")
    HIGH = 3, _("较高风险")
    SEVERE = 4, _("高风险")


class Grade(models.TextChoices):
    A = "A", _("A 级（守信）")
    B = "B", _("B 级（一般）")
    C = "C", _("C 级（较差）")
    D = "D", _("D 级（失信）")


class Method(models.TextChoices):
    ON_SITE = "on_site", _("现场检查")
    DOCUMENTS = "documents", _("书面检查")
    ONLINE = "online", _("网络监测")
    SAMPLING = "sampling", _("抽样检测")


# --------------------------------------------------------------------------- 一单
class InspectionMatter(TimeStamped):
    """One matter of the random-inspection checklist (随机抽查事项清单)."""

    code = models.CharField(_("事项编码"), max_length=30, unique=True)
    name = models.CharField(_("抽查事项"), max_length=120)
    department = models.ForeignKey("accounts.Department", verbose_name=_("实施部门"), on_delete=models.PROTECT,
                                   related_name="inspection_matters")
    sector = models.CharField(_("检查对象类别"), max_length=12, choices=Sector.choices)
    content = models.TextField(_("检查内容"), blank=True)
    legal_basis = models.TextField(_("检查依据"))
    method = models.CharField(_("检查方式"), max_length=12, choices=Method.choices, default=Method.ON_SITE)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("抽查事项")
        verbose_name_plural = _("抽查事项")

    def __str__(self):
        return self.name


# --------------------------------------------------------------------------- 两库
class EntityProfile(TimeStamped):
    """An organisation as an inspection target (检查对象名录库): what the registry does not say."""

    organisation = models.OneToOneField("registry.Organisation", verbose_name=_("单位"), on_delete=models.CASCADE,
                                        related_name="inspection_profile")
    sector = models.CharField(_("检查对象类别"), max_length=12, choices=Sector.choices)
    risk = models.PositiveSmallIntegerField(_("风险等级"), choices=Risk.choices, default=Risk.MEDIUM)
    supervisor = models.ForeignKey("accounts.Department", verbose_name=_("日常监管单位"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="supervised_entities",
                                   help_text=_("该单位的检查人员不参加对本对象的随机检查（回避）"))
    is_active = models.BooleanField(_("在册"), default=True, help_text=_("注销、吊销或迁出的对象不再参加抽取"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["organisation_id"]
        verbose_name = _("检查对象")
        verbose_name_plural = _("检查对象名录")
        indexes = [models.Index(fields=["sector", "is_active"], name="insp_entity_sector")]

    def __str__(self):
        return f"{self.organisation_id} {self.get_sector_display()}"


class Inspector(TimeStamped):
    """A person who may be drawn to inspect (执法检查人员名录库). ``code`` is what the public sees
    (never the name); the certificate is the officer's own when the inspector is an officer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.PROTECT,
                                related_name="inspector")
    code = models.CharField(_("检查人员编号"), max_length=30, unique=True)
    department = models.ForeignKey("accounts.Department", verbose_name=_("所属单位"), on_delete=models.PROTECT,
                                   related_name="inspectors")
    officer = models.OneToOneField("enforcement.Officer", verbose_name=_("执法队员"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="inspector")
    certificate_number = models.CharField(_("执法证号"), max_length=30, blank=True)
    certificate_valid_until = models.DateField(_("执法证有效期至"), null=True, blank=True)
    fields = models.JSONField(_("专业领域"), default=list, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        ordering = ["department", "code"]
        verbose_name = _("检查人员")
        verbose_name_plural = _("检查人员名录")
        indexes = [models.Index(fields=["department", "is_active"], name="insp_inspector_dept")]

    def __str__(self):
        return f"{self.user} {self.code}"


class Relation(TimeStamped):
    """A declared conflict of interest (回避申报): the inspector is never drawn for this entity."""

    class Kind(models.TextChoices):
        KIN = "kin", _("近亲属在该单位任职或持股")
        FORMER = "former", _("本人曾在该单位任职")
        INTEREST = "interest", _("本人与该单位有投资或经济往来")
        OTHER = "other", _("其他可能影响公正检查的关系")

    inspector = models.ForeignKey(Inspector, verbose_name=_("检查人员"), on_delete=models.CASCADE,
                                  related_name="relations")
    organisation = models.ForeignKey("registry.Organisation", verbose_name=_("单位"), on_delete=models.CASCADE,
                                     related_name="inspector_relations")
    kind = models.CharField(_("关系"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申报人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["inspector", "organisation"]
        verbose_name = _("回避申报")
        verbose_name_plural = _("回避申报")
        constraints = [models.UniqueConstraint(fields=["inspector", "organisation"], condition=Q(is_active=True),
                                               name="uniq_active_relation")]

    def __str__(self):
        return f"{self.inspector_id}↔{self.organisation_id}"


# --------------------------------------------------------------------------- plans and tasks
class Plan(TimeStamped):
    """A random-inspection plan (抽查计划) and, once drawn, the record of its draw."""

    class Mode(models.TextChoices):
        RATIO = "ratio", _("按比例")
        COUNT = "count", _("按数量")

    number = models.CharField(_("计划编号"), max_length=30, unique=True)
    name = models.CharField(_("计划名称"), max_length=120)
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT,
                              db_index=True)
    region = models.ForeignKey("geo.Region", verbose_name=_("抽查范围"), on_delete=models.PROTECT, related_name="+",
                               help_text=_("一个镇（街道）或全县"))
    department = models.ForeignKey("accounts.Department", verbose_name=_("组织实施部门"), on_delete=models.PROTECT,
                                   related_name="inspection_plans")
    units = models.ManyToManyField("accounts.Department", verbose_name=_("参加抽取的执法单位"), related_name="+")
    matters = models.ManyToManyField(InspectionMatter, verbose_name=_("抽查事项"), related_name="plans")
    sectors = models.JSONField(_("检查对象类别"), default=list, blank=True, help_text=_("留空为全部类别"))
    mode = models.CharField(_("抽取方式"), max_length=6, choices=Mode.choices, default=Mode.RATIO)
    ratio_bp = models.PositiveIntegerField(_("基准抽查比例（万分之）"), null=True, blank=True)
    count = models.PositiveIntegerField(_("抽取数量"), null=True, blank=True)
    weights = models.JSONField(_("分级抽查系数（%）"), default=dict)
    team_size = models.PositiveSmallIntegerField(_("每组检查人员"), default=2)
    cross_units = models.BooleanField(_("检查组成员来自不同单位"), default=True)
    recent_days = models.PositiveIntegerField(_("近期已检查的对象不重复抽取（天）"), default=180)
    period_start = models.DateField(_("检查开始"))
    period_end = models.DateField(_("检查结束"))
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The record of the draw (set once, by the draw).
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("抽取人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    seed = models.CharField(_("随机种子"), max_length=64, blank=True)
    method = models.CharField(_("抽取方法"), max_length=30, blank=True)
    input_hash = models.CharField(_("抽取底册摘要（SHA-256）"), max_length=64, blank=True)
    result_hash = models.CharField(_("抽取结果摘要（SHA-256）"), max_length=64, blank=True)
    draw_stats = models.JSONField(_("抽取统计"), default=dict, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("抽查计划")
        verbose_name_plural = _("抽查计划")
        indexes = [models.Index(fields=["region", "status"], name="insp_plan_region"),
                   models.Index(fields=["department", "status"], name="insp_plan_dept")]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def ratio_percent(self):
        return None if self.ratio_bp is None else self.ratio_bp / 100


class PlanInput(models.Model):
    """The frozen input of a draw (抽取底册) in its canonical text form, compressed: what the method
    ran on, so that the draw can be run again and give the same result whatever changed since."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="frozen")
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("抽取底册")
        verbose_name_plural = _("抽取底册")

    def __str__(self):
        return f"{self.plan_id}: {self.size} bytes"


class PlanStep(StepBase):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=PlanAction.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("计划环节")
        verbose_name_plural = _("计划环节")


class Result(models.TextChoices):
    """What an inspection found (the published wording of 检查结果)."""

    OK = "ok", _("未发现问题")
    CORRECTED = "corrected", _("发现问题已责令改正")
    PROBLEM = "problem", _("发现问题待后续处理")
    NOT_FOUND = "not_found", _("未发现该市场主体（通过登记的住所或经营场所无法联系）")
    NO_ACTIVITY = "no_activity", _("未发现开展本次抽查涉及的经营活动")
    REFUSED = "refused", _("不配合检查情节严重")


# A result that needs a penalty procedure becomes a lead (案源).
LEAD_RESULTS = frozenset({Result.PROBLEM, Result.REFUSED})


class Task(TimeStamped):
    """One drawn entity of a plan and its inspectors: the inspection and its result."""

    class Referral(models.TextChoices):
        NONE = "", _("—")
        LEAD = "lead", _("已登记执法案源")
        REFERRED = "referred", _("已移交，待执法中队登记案源")

    # A county draw writes ten thousand tasks and twenty thousand team rows at once: only the
    # indexes the reads use (the plan's tasks by the unique (plan, seq); an entity's by (entity,
    # status); referred ones, partial), and no database-level check of references the draw itself
    # has just read under the plan's lock (the plan, the entity, the town; the task and inspector
    # of a team row) — checking sixty thousand of them at commit cost more than the draw itself.
    # Deletes stay guarded by the ORM (PROTECT, CASCADE), and none of these rows is ever deleted
    # in use (regions and inspectors retire, entities leave the register, plans are cancelled).
    plan = models.ForeignKey(Plan, verbose_name=_("抽查计划"), on_delete=models.CASCADE, related_name="tasks",
                             db_index=False, db_constraint=False)
    seq = models.PositiveIntegerField(_("序号"))
    entity = models.ForeignKey("registry.Organisation", verbose_name=_("检查对象"), on_delete=models.PROTECT,
                               related_name="inspection_tasks", db_index=False, db_constraint=False)
    # As drawn: the name and code at the time (what was published stays what was inspected).
    entity_name = models.CharField(_("对象名称"), max_length=120)
    entity_uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    level = models.PositiveSmallIntegerField(_("抽取层级"), default=2)
    rank = models.CharField(_("随机序值"), max_length=16)
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", db_index=False, db_constraint=False)
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    due = models.DateTimeField(_("检查期限"))
    result = models.CharField(_("检查结果"), max_length=12, choices=Result.choices, blank=True)
    severity = models.CharField(_("问题程度"), max_length=10, blank=True)
    findings = models.TextField(_("检查情况"), blank=True)
    done_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", db_index=False)
    referral = models.CharField(_("后续处理"), max_length=10, choices=Referral.choices, blank=True, default="")
    lead = models.ForeignKey("enforcement.PenaltyCase", verbose_name=_("执法案源"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="inspection_tasks", db_index=False)
    referral_note = models.CharField(_("移交说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "seq"]
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        constraints = [models.UniqueConstraint(fields=["plan", "entity"], name="uniq_task_entity"),
                       models.UniqueConstraint(fields=["plan", "seq"], name="uniq_task_seq")]
        indexes = [models.Index(fields=["entity", "status"], name="insp_task_entity"),
                   models.Index(fields=["referral"], name="insp_task_referral", condition=Q(referral="referred"))]

    def __str__(self):
        return f"{self.plan.number}-{self.seq:04d}" if self.plan_id else f"#{self.seq}"

    @property
    def number(self) -> str:
        return str(self)


class TaskMember(models.Model):
    """An inspector drawn for a task; the first (``order`` 1) leads the team."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="members", db_index=False,
                             db_constraint=False)
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="memberships", db_index=False,
                                  db_constraint=False)
    order = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["task", "order"]
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        constraints = [models.UniqueConstraint(fields=["task", "inspector"], name="uniq_task_member")]
        indexes = [models.Index(fields=["inspector", "task"], name="insp_member_inspector")]

    def __str__(self):
        return f"{self.task_id}#{self.order} {self.inspector_id}"


class TaskStep(StepBase):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=TaskAction.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("任务环节")
        verbose_name_plural = _("任务环节")


# --------------------------------------------------------------------------- credit
class Source(models.TextChoices):
    PENALTY = "penalty", _("行政处罚")
    INSPECTION = "inspection", _("双随机检查")


class Severity(models.TextChoices):
    OK = "ok", _("良好")
    MINOR = "minor", _("轻微")
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较重")
    SEVERE = "severe", _("严重")


class CreditEvent(models.Model):
    """One fact on an organisation's credit record; idempotent on (source, ref)."""

    organisation = models.ForeignKey("registry.Organisation", verbose_name=_("单位"), on_delete=models.CASCADE,
                                     related_name="credit_events")
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    ref = models.CharField(_("来源编号"), max_length=60)
    at = models.DateTimeField(_("发生时间"))
    severity = models.CharField(_("程度"), max_length=10, choices=Severity.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        constraints = [models.UniqueConstraint(fields=["source", "ref"], name="uniq_credit_source_ref")]
        indexes = [models.Index(fields=["organisation", "at"], name="insp_credit_org_at")]

    def __str__(self):
        return f"{self.source}:{self.ref} {self.severity}"


class CreditRecord(models.Model):
    """An organisation's current grade, derived from its events and kept for the draw and lists.
    ``review_at`` is when the grade changes by itself (the earliest expiry of an event that counts)."""

    organisation = models.OneToOneField("registry.Organisation", on_delete=models.CASCADE, related_name="credit")
    grade = models.CharField(_("信用等级"), max_length=1, choices=Grade.choices, default=Grade.B)
    score = models.SmallIntegerField(_("信用分"), default=100)
    review_at = models.DateTimeField(_("等级复核时间"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("信用等级")
        verbose_name_plural = _("信用等级")
        indexes = [models.Index(fields=["grade"], name="insp_credit_grade")]

    def __str__(self):
        return f"{self.organisation_id} {self.grade}"
