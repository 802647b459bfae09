"""Social assistance (社会救助): programs and standards, household files (一户一档), applications
on the case kernel, beneficiaries, monthly payment lists, and the early-warning feed (防返贫监测)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import StepBase
from shanzhi.common import crypto
from shanzhi.common.models import TimeStamped

from .states import Action, AlertAction, AlertStatus, Status

MONEY = {"max_digits": 12, "decimal_places": 2}


class Klass(models.TextChoices):
    """The 8 + 1 classes of 社会救助暂行办法 (Jiangyin merged 12 units' duties into them)."""

    DIBAO = "dibao", _("最低生活保障")
    TEKUN = "tekun", _("特困人员供养")
    DISASTER = "disaster", _("受灾人员救助")
    MEDICAL = "medical", _("医疗救助")
    EDUCATION = "education", _("教育救助")
    HOUSING = "housing", _("住房救助")
    EMPLOYMENT = "employment", _("就业救助")
    TEMPORARY = "temporary", _("临时救助")
    SOCIAL = "social", _("社会力量参与")


class Group(models.TextChoices):
    """Target groups (救助对象类别) a household is in; early-warning thresholds differ by group."""

    DIBAO = "dibao", _("低保对象")
    TEKUN = "tekun", _("特困人员")
    EDGE = "edge", _("低保边缘")
    EXPENSE = "expense", _("刚性支出困难")
    MONITOR = "monitor", _("防返贫监测对象")
    GENERAL = "general", _("一般群众")


class Formula(models.TextChoices):
    GAP = "gap", _("补差：（保障标准－人均收入）×保障人数")
    PER_PERSON = "per_person", _("按人：标准×保障人数")
    FIXED = "fixed", _("定额")
    MONTHS = "months", _("一次性：若干月低保标准×人数")
    EXPENSE_RATIO = "expense_ratio", _("费用救助：（自付费用－起付线）×比例，封顶")
    TIERED = "tiered", _("支出型分档：按刚性支出分档救助，封顶")


class Test(models.TextChoices):
    """Which result of the means test the program requires."""

    DIBAO = "dibao", _("人均收入低于低保标准，财产符合规定")
    EDGE = "edge", _("人均收入低于低保标准的 1.5 倍")
    EXPENSE = "expense", _("扣除刚性支出后人均收入低于低保标准的 1.5 倍")
    TEKUN = "tekun", _("无劳动能力、无生活来源、无法定赡养抚养扶养义务人")
    NONE = "none", _("不作收入核对（按事实认定）")


class Program(models.Model):
    """A class's item (救助事项): who is eligible, what is paid, how often."""

    code = models.CharField(_("事项编码"), max_length=20, unique=True)
    klass = models.CharField(_("救助类别"), max_length=12, choices=Klass.choices)
    name = models.CharField(_("事项名称"), max_length=80)
    description = models.TextField(_("说明"), blank=True)
    eligibility = models.TextField(_("申请条件"), blank=True)
    test = models.CharField(_("核对要求"), max_length=10, choices=Test.choices, default=Test.NONE)
    formula = models.CharField(_("救助标准计算方式"), max_length=16, choices=Formula.choices)
    # Formula parameters: {"standard": "dibao"}, {"amount": "500"}, {"months": 3}, {"deductible":
    # "3000", "ratio": "0.7", "cap": "50000"}, {"tiers": [["50000", "0.3"], …], "cap": "150000"}.
    params = models.JSONField(_("计算参数"), default=dict, blank=True)
    monthly = models.BooleanField(_("按月发放"), default=False)
    # Programs of one group exclude each other in the same month (特困 is not also paid 低保).
    exclusive = models.CharField(_("互斥组"), max_length=20, blank=True)
    department = models.CharField(_("主管部门"), max_length=40, default="民政局")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("救助事项")
        verbose_name_plural = _("救助事项")

    def __str__(self):
        return self.name


class Standard(models.Model):
    """A standard (低保标准 …) for a locality from a date. A new standard is a new row: history is
    never overwritten, and an assessment records which row it used."""

    class Code(models.TextChoices):
        DIBAO = "dibao", _("城乡低保标准（元/人·月）")
        TEKUN = "tekun", _("特困人员基本生活标准（元/人·月）")

    code = models.CharField(_("标准"), max_length=10, choices=Code.choices)
    region = models.ForeignKey("geo.Region", verbose_name=_("适用区划"), on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField(_("执行日期"))
    amount = models.DecimalField(_("金额"), **MONEY)
    basis = models.CharField(_("文件依据"), max_length=120, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    set_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["code", "region", "-effective_from"]
        verbose_name = _("救助标准")
        verbose_name_plural = _("救助标准")
        constraints = [models.UniqueConstraint(fields=["code", "region", "effective_from"], name="uniq_standard")]

    def __str__(self):
        return f"{self.get_code_display()} {self.amount} ({self.effective_from})"


class Family(TimeStamped):
    """一户一档: the household assessed together (共同生活家庭成员), which may differ from the
    registered household."""

    number = models.CharField(_("档案编号"), max_length=24, unique=True)
    head = models.ForeignKey("registry.Person", verbose_name=_("申请人（户主）"), on_delete=models.PROTECT,
                             related_name="+")
    household = models.ForeignKey("registry.Household", verbose_name=_("户籍户"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    region = models.ForeignKey("geo.Region", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("居住地址"), max_length=200, blank=True)
    group = models.CharField(_("救助对象类别"), max_length=10, choices=Group.choices, default=Group.GENERAL,
                             db_index=True)
    needs = models.TextField(_("困难与需求"), blank=True, help_text=_("需求库：生活、医疗、教育、住房、就业、照护等"))
    payee = models.ForeignKey("registry.Person", verbose_name=_("收款人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    bank = models.CharField(_("开户银行"), max_length=40, blank=True)
    account_sealed = models.TextField(_("银行账号（密文）"), blank=True, default="", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(_("家庭信息最近变更"), null=True, blank=True)
    account_changed_at = models.DateTimeField(_("收款人或账户最近变更"), null=True, blank=True)
    # A change of where the money goes, asked by the village and waiting for the town's check:
    # {"payee": person id or None, "bank": …, "account_sealed": …, "by": user id, "at": iso}.
    account_pending = models.JSONField(_("待审核的收款信息变更"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("救助家庭档案")
        verbose_name_plural = _("救助家庭档案")
        indexes = [models.Index(fields=["town", "group"]), models.Index(fields=["region", "group"])]

    def __str__(self):
        return f"{self.head.name}家（{self.number}）"

    @property
    def account(self) -> str:
        return crypto.unseal(self.account_sealed) if self.account_sealed else ""

    @property
    def account_masked(self) -> str:
        value = self.account
        return f"**** **** {value[-4:]}" if value else ""


class Member(models.Model):
    class Work(models.TextChoices):
        ABLE = "able", _("有劳动能力")
        PARTIAL = "partial", _("部分丧失劳动能力")
        NONE = "none", _("无劳动能力")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("registry.Person", verbose_name=_("成员"), on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("与申请人关系"), max_length=10, default="本人")
    lives_together = models.BooleanField(_("共同生活"), default=True)
    work = models.CharField(_("劳动能力"), max_length=8, choices=Work.choices, default=Work.ABLE)
    health = models.CharField(_("健康状况"), max_length=60, blank=True)
    disability = models.CharField(_("残疾类别等级"), max_length=30, blank=True)
    joined_at = models.DateTimeField(_("加入时间"), auto_now_add=True)
    left_at = models.DateTimeField(_("迁出时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        # A person is in one assessed household at a time.
        constraints = [models.UniqueConstraint(fields=["person"], condition=Q(left_at__isnull=True),
                                               name="uniq_assistance_member")]

    def __str__(self):
        return f"{self.person.name}（{self.relation}）"


class Income(models.Model):
    class Kind(models.TextChoices):
        WAGE = "wage", _("工资性收入")
        BUSINESS = "business", _("经营净收入")
        PROPERTY = "property", _("财产净收入")
        TRANSFER = "transfer", _("转移净收入")
        OTHER = "other", _("其他收入")

    class Source(models.TextChoices):
        DECLARED = "declared", _("申报")
        VERIFIED = "verified", _("核对")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="incomes")
    member = models.ForeignKey(Member, verbose_name=_("成员"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    kind = models.CharField(_("收入类型"), max_length=10, choices=Kind.choices)
    start = models.DateField(_("起"))
    end = models.DateField(_("止"))
    amount = models.DecimalField(_("期间金额"), **MONEY)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.DECLARED)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("家庭收入")
        verbose_name_plural = _("家庭收入")

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Asset(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("存款及理财")
        SECURITIES = "securities", _("有价证券")
        VEHICLE = "vehicle", _("机动车辆")
        HOUSE = "house", _("非唯一住房")
        OTHER = "other", _("其他财产")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("财产类型"), max_length=12, choices=Kind.choices)
    value = models.DecimalField(_("价值"), **MONEY)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("家庭财产")
        verbose_name_plural = _("家庭财产")

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"


class Expense(models.Model):
    """Rigid expenses (刚性支出) after reimbursement: what the family paid itself."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", _("医疗")
        EDUCATION = "education", _("教育")
        REHAB = "rehab", _("康复")
        DISASTER = "disaster", _("灾害")
        OTHER = "other", _("其他刚性支出")

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="expenses")
    member = models.ForeignKey(Member, verbose_name=_("成员"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    kind = models.CharField(_("支出类型"), max_length=10, choices=Kind.choices)
    incurred_on = models.DateField(_("发生日期"))
    total = models.DecimalField(_("总费用"), **MONEY)
    self_paid = models.DecimalField(_("个人自付"), **MONEY)
    source = models.CharField(_("来源"), max_length=40, default="申报")
    signal = models.ForeignKey("Signal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-incurred_on", "id"]
        verbose_name = _("刚性支出")
        verbose_name_plural = _("刚性支出")

    def __str__(self):
        return f"{self.get_kind_display()} {self.self_paid}"


class FamilyDocument(models.Model):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("材料名称"), max_length=100)
    file = models.FileField(upload_to="assistance/%Y/%m/")
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("档案材料")
        verbose_name_plural = _("档案材料")

    def __str__(self):
        return self.title


class Assessment(models.Model):
    """One run of the means test, kept with every input and line so it can be shown again exactly
    as it was, even after the standard or the household file changes."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="assessments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey("AssistApplication", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assessments")
    at = models.DateTimeField(_("核对时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    standard = models.ForeignKey(Standard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    members = models.PositiveSmallIntegerField(_("保障人数"))
    per_capita = models.DecimalField(_("月人均收入"), **MONEY)
    per_capita_after = models.DecimalField(_("扣除刚性支出后月人均收入"), **MONEY)
    eligible = models.BooleanField(_("符合条件"))
    group = models.CharField(_("认定类别"), max_length=10, choices=Group.choices)
    benefit = models.DecimalField(_("救助金额"), **MONEY)
    lines = models.JSONField(_("计算过程"), default=list)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("家庭经济状况核对")
        verbose_name_plural = _("家庭经济状况核对")

    def __str__(self):
        return f"{self.family.number} {self.program.name} {self.at:%Y-%m-%d}"


class Channel(models.TextChoices):
    COUNTER = "counter", _("一门受理窗口")
    ONLINE = "online", _("网上申请")
    AGENT = "agent", _("村（社区）代办")
    ALERT = "alert", _("预警主动发现")


class AssistApplication(TimeStamped):
    """An assistance application: a case of the kernel."""

    number = models.CharField(_("申请编号"), max_length=24, unique=True)
    family = models.ForeignKey(Family, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="applications")
    program = models.ForeignKey(Program, verbose_name=_("救助事项"), on_delete=models.PROTECT,
                                related_name="applications")
    status = models.CharField(_("状态"), max_length=14, choices=Status.choices, default=Status.SUBMITTED,
                              db_index=True)
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices, default=Channel.COUNTER)
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("geo.Region", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申请理由"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("申请时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    notice_from = models.DateTimeField(_("公示开始"), null=True, blank=True)
    notice_until = models.DateTimeField(_("公示截止"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    assessment = models.ForeignKey(Assessment, verbose_name=_("采用的核对结果"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    benefit = models.DecimalField(_("救助金额"), null=True, blank=True, **MONEY)
    start_month = models.DateField(_("发放起始月"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    intake_due = models.DateTimeField(null=True, blank=True)
    review_due = models.DateTimeField(null=True, blank=True)
    notice_due = models.DateTimeField(null=True, blank=True)
    confirm_due = models.DateTimeField(null=True, blank=True)
    alert = models.ForeignKey("Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ran_late = models.BooleanField(_("超时"), default=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("救助申请")
        verbose_name_plural = _("救助申请")
        indexes = [models.Index(fields=["town", "status"]), models.Index(fields=["program", "status"])]

    def __str__(self):
        return f"{self.number} {self.program.name if self.program_id else ''}"

    @property
    def current_due(self):
        from .states import STAGE_OF

        stage = STAGE_OF.get(self.status)
        return getattr(self, f"{stage}_due") if stage else None


class AssistStep(StepBase):
    application = models.ForeignKey(AssistApplication, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("救助办理环节")
        verbose_name_plural = _("救助办理环节")


class Visit(models.Model):
    """入户调查 record: who went, who was home, what they saw."""

    application = models.ForeignKey(AssistApplication, on_delete=models.CASCADE, related_name="visits", null=True,
                                    blank=True)
    alert = models.ForeignKey("Alert", on_delete=models.CASCADE, related_name="visits", null=True, blank=True)
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField(_("调查时间"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    companions = models.CharField(_("同行人员"), max_length=100, blank=True)
    present = models.CharField(_("在场家庭成员"), max_length=200)
    housing = models.CharField(_("居住情况"), max_length=200)
    findings = models.TextField(_("调查情况"))
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("入户调查")
        verbose_name_plural = _("入户调查")

    def __str__(self):
        return f"入户调查 {self.at:%Y-%m-%d}"


class Objection(models.Model):
    application = models.ForeignKey(AssistApplication, on_delete=models.CASCADE, related_name="objections")
    received_at = models.DateTimeField(_("收到时间"))
    text = models.TextField(_("异议内容"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.TextField(_("核实与答复"), blank=True)
    upheld = models.BooleanField(_("异议成立"), null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")

    def __str__(self):
        return f"异议 {self.received_at:%Y-%m-%d}"


class Beneficiary(TimeStamped):
    """A family enrolled in a program (保障对象): what the monthly list pays, from which month."""

    class State(models.TextChoices):
        ACTIVE = "active", _("正常发放")
        STOPPED = "stopped", _("停发")
        ENDED = "ended", _("已退出")

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="enrolments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrolments")
    application = models.ForeignKey(AssistApplication, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    town = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    members = models.PositiveSmallIntegerField(_("保障人数"))
    amount = models.DecimalField(_("月救助金额"), **MONEY)
    start_month = models.DateField(_("起始月"))
    end_month = models.DateField(_("终止月"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.ACTIVE, db_index=True)
    history = models.JSONField(_("停发、恢复与调整记录"), default=list, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("保障对象")
        verbose_name_plural = _("保障对象")
        indexes = [models.Index(fields=["program", "town", "state"])]

    def __str__(self):
        return f"{self.family.number} {self.program.name}"


class PaymentList(TimeStamped):
    """The monthly payment list of one program in one town (发放花名册)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("待审核")
        APPROVED = "approved", _("已审核")
        RECONCILED = "reconciled", _("已对账")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="payment_lists")
    town = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("发放月份"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    lines_count = models.PositiveIntegerField(_("笔数"), default=0)
    total = models.DecimalField(_("金额合计"), max_digits=14, decimal_places=2, default=Decimal(0))
    held = models.PositiveIntegerField(_("暂缓笔数"), default=0)
    built_at = models.DateTimeField(_("生成时间"))
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reconciled_at = models.DateTimeField(null=True, blank=True)
    paid = models.PositiveIntegerField(_("成功笔数"), default=0)
    failed = models.PositiveIntegerField(_("失败笔数"), default=0)

    class Meta:
        ordering = ["-month", "program", "town"]
        verbose_name = _("发放花名册")
        verbose_name_plural = _("发放花名册")
        constraints = [models.UniqueConstraint(fields=["program", "town", "month"], name="uniq_payment_list")]

    def __str__(self):
        return f"{self.program.name} {self.month:%Y-%m}"


class PaymentLine(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待发放")
        HELD = "held", _("暂缓（疑似重复）")
        PAID = "paid", _("已到账")
        FAILED = "failed", _("发放失败")
        VOID = "void", _("已更正作废")

    plist = models.ForeignKey(PaymentList, on_delete=models.CASCADE, related_name="lines")
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="lines")
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    payee_name = models.CharField(_("收款人"), max_length=50)
    bank = models.CharField(_("开户银行"), max_length=40, blank=True)
    account_sealed = models.TextField(blank=True, default="", editable=False)
    amount = models.DecimalField(_("金额"), **MONEY)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.PENDING)
    flag = models.CharField(_("核查提示"), max_length=200, blank=True)
    bank_ref = models.CharField(_("银行流水"), max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        constraints = [models.UniqueConstraint(fields=["beneficiary", "month"], condition=~Q(state="void"),
                                               name="uniq_payment_per_month")]
        indexes = [models.Index(fields=["family", "month"])]

    def __str__(self):
        return f"{self.payee_name} {self.amount}"

    @property
    def account_masked(self) -> str:
        """The last four digits, for the approver to compare with the file (never the number)."""
        value = crypto.unseal(self.account_sealed) if self.account_sealed else ""
        return f"****{value[-4:]}" if value else ""


class Correction(models.Model):
    """A recorded change to an approved list: the only way one changes."""

    plist = models.ForeignKey(PaymentList, on_delete=models.CASCADE, related_name="corrections")
    line = models.ForeignKey(PaymentLine, on_delete=models.PROTECT, related_name="corrections")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    before = models.JSONField()
    after = models.JSONField()
    reason = models.CharField(_("更正原因"), max_length=300)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("花名册更正")
        verbose_name_plural = _("花名册更正")

    def __str__(self):
        return f"更正 {self.line_id}"


# ------------------------------------------------------------------------- early warning
class Signal(models.Model):
    """One record of another department's feed: a medical-insurance settlement, a disability
    certificate, an unemployment registration, a school-aid case. Unique per source and the
    source's own id, so a record sent twice counts once."""

    class Source(models.TextChoices):
        MEDICAL = "medical", _("医保结算")
        DISABILITY = "disability", _("残联：残疾人证")
        UNEMPLOYMENT = "unemployment", _("人社：失业登记")
        SCHOOL = "school", _("教育：学生资助")

    source = models.CharField(_("来源"), max_length=14, choices=Source.choices)
    external_id = models.CharField(_("来源编号"), max_length=64)
    id_bidx = models.CharField(max_length=64, db_index=True, editable=False)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="signals")
    occurred_on = models.DateField(_("发生日期"))
    total = models.DecimalField(_("总费用"), null=True, blank=True, **MONEY)
    self_paid = models.DecimalField(_("个人自付"), null=True, blank=True, **MONEY)
    detail = models.JSONField(_("内容"), default=dict, blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    via = models.CharField(max_length=10, default="api")
    batch = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("部门数据")
        verbose_name_plural = _("部门数据")
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="uniq_signal")]
        indexes = [models.Index(fields=["person", "source", "occurred_on"])]

    def __str__(self):
        return f"{self.get_source_display()} {self.external_id}"


class AlertRule(models.Model):
    """When a signal raises an alert: per locality, population group and source. A change is a new
    row from a date (the rule an alert used stays as it was)."""

    region = models.ForeignKey("geo.Region", verbose_name=_("适用区划"), on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("人群"), max_length=10, choices=Group.choices)
    source = models.CharField(_("数据来源"), max_length=14, choices=Signal.Source.choices)
    threshold = models.DecimalField(_("个人自付累计达到（元）"), null=True, blank=True, **MONEY,
                                    help_text=_("留空：收到即预警（如新发残疾人证）"))
    window_days = models.PositiveSmallIntegerField(_("累计天数"), default=365)
    effective_from = models.DateField(_("执行日期"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["region", "source", "group", "-effective_from"]
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")

    def __str__(self):
        return f"{self.get_source_display()} {self.get_group_display()} {self.threshold}"


class Alert(TimeStamped):
    """An early warning (预警): a case of the kernel — a verification task for the village worker."""

    number = models.CharField(_("预警编号"), max_length=24, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN,
                              db_index=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    town = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("人群"), max_length=10, choices=Group.choices)
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    signal = models.ForeignKey(Signal, on_delete=models.PROTECT, related_name="alerts")
    amount = models.DecimalField(_("累计自付"), null=True, blank=True, **MONEY)
    reason = models.CharField(_("预警原因"), max_length=300)
    raised_at = models.DateTimeField(_("预警时间"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核查人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    verify_due = models.DateTimeField(_("核查期限"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    finding = models.TextField(_("核查结论"), blank=True)
    application = models.ForeignKey(AssistApplication, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    ran_late = models.BooleanField(default=False)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("救助预警")
        verbose_name_plural = _("救助预警")
        indexes = [models.Index(fields=["town", "status"]), models.Index(fields=["person", "rule"])]

    @property
    def current_due(self):
        return self.verify_due if self.status == AlertStatus.OPEN else None

    def __str__(self):
        return self.number


class AlertStep(StepBase):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=AlertAction.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("预警处理环节")
        verbose_name_plural = _("预警处理环节")
