"""One team (一队伍): the power catalog of administrative penalties with its discretion bands.

A penalty item (行政处罚事项) names the origin department, the law and article that set the
penalty, the violation, the kinds of penalty the law allows, and the discretion bands (裁量基准):
for each circumstance, the range the fine may take and what else may be imposed. Items delegated to
a town (综合执法) are exercised by its comprehensive enforcement bureau; the rest stay with the
county's departments (专业执法).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import StepBase
from shanzhi.common.models import TimeStamped

from .states import Action as CaseAction
from .states import Outcome, PartyKind, Procedure, ServiceMethod, Source
from .states import Status as CaseStatus


class Domain(models.TextChoices):
    CITY = "city", _("城市管理")
    MARKET = "market", _("市场监管")
    ECOLOGY = "ecology", _("生态环境")
    LAND = "land", _("自然资源")
    BUILDING = "building", _("住房城乡建设")
    TRANSPORT = "transport", _("交通运输")
    WATER = "water", _("水利")
    SAFETY = "safety", _("应急管理")
    HEALTH = "health", _("卫生健康")
    CIVIL = "civil", _("民政")
    LABOUR = "labour", _("人力资源社会保障")
    POLICE = "police", _("公安")


class PenaltyType(models.TextChoices):
    """The kinds of administrative penalty (《行政处罚法》第九条)."""

    WARNING = "warning", _("警告")
    CRITICISM = "criticism", _("通报批评")
    FINE = "fine", _("罚款")
    CONFISCATE_GAINS = "gains", _("没收违法所得")
    CONFISCATE_PROPERTY = "property", _("没收非法财物")
    SUSPEND_LICENCE = "suspend", _("暂扣许可证件")
    DOWNGRADE = "downgrade", _("降低资质等级")
    REVOKE_LICENCE = "revoke", _("吊销许可证件")
    RESTRICT = "restrict", _("限制开展生产经营活动")
    STOP = "stop", _("责令停产停业")
    CLOSE = "close", _("责令关闭")
    BAR = "bar", _("限制从业")
    DETENTION = "detention", _("行政拘留")


class PenaltyItem(TimeStamped):
    """One penalty power of the catalog (权力清单 / 责任清单)."""

    code = models.CharField(_("事项编码"), max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    department = models.ForeignKey("accounts.Department", verbose_name=_("原实施部门"), on_delete=models.PROTECT,
                                   related_name="penalty_items")
    domain = models.CharField(_("执法领域"), max_length=12, choices=Domain.choices)
    law = models.CharField(_("法律依据"), max_length=120, help_text=_("法律、法规或规章的名称"))
    article = models.CharField(_("条款"), max_length=60)
    legal_basis = models.TextField(_("处罚依据（条文）"))
    violation = models.TextField(_("违法行为"))
    penalty_types = models.JSONField(_("处罚种类"), default=list)
    towns = models.ManyToManyField("geo.Region", verbose_name=_("赋权镇（街道）"), blank=True,
                                   related_name="penalty_items",
                                   help_text=_("由镇（街道）综合行政执法局行使；留空则由县级部门专业执法"))
    simple_procedure = models.BooleanField(_("可适用简易程序"), default=False,
                                           help_text=_("当场处罚：对个人 200 元、对单位 3,000 元以下罚款或警告"))
    first_violation_exempt = models.TextField(_("首违不罚情形"), blank=True)
    responsibility = models.TextField(_("责任事项"), blank=True,
                                      default="立案责任、调查责任、审查责任、告知责任、决定责任、送达责任、执行责任、其他法律法规规章文件规定应履行的责任")
    accountability = models.TextField(_("问责依据"), blank=True,
                                      default="《中华人民共和国行政处罚法》第七十六条至第八十三条；《中华人民共和国公务员法》；《行政机关公务员处分条例》")
    written_out = models.BooleanField(default=False, editable=False, help_text="the demo's hand-written items")
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政处罚事项")
        verbose_name_plural = _("行政处罚事项")
        indexes = [models.Index(fields=["department", "is_active"]), models.Index(fields=["domain", "is_active"])]

    def __str__(self):
        return self.name

    @property
    def penalty_labels(self) -> list[str]:
        labels = dict(PenaltyType.choices)
        return [str(labels.get(k, k)) for k in self.penalty_types]


class Basis(models.TextChoices):
    """What a band's range is counted in."""

    AMOUNT = "amount", _("元")
    COST_PERCENT = "cost_pct", _("% 建设工程造价")
    INVESTMENT_PERCENT = "invest_pct", _("% 项目总投资额")
    CONTRACT_PERCENT = "contract_pct", _("% 合同价款")
    VALUE_MULTIPLE = "value_x", _("倍 货值金额")
    GAINS_MULTIPLE = "gains_x", _("倍 违法所得")
    SALES_MULTIPLE = "sales_x", _("倍 销售金额")
    PER_SQUARE_METRE = "per_m2", _("元/平方米")
    PER_PERSON_MONTH = "per_person_month", _("元/人·月")


class Level(models.TextChoices):
    EXEMPT = "exempt", _("不予处罚")
    MINOR = "minor", _("轻微")
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较重")
    SEVERE = "severe", _("严重")


class DiscretionBand(models.Model):
    """One circumstance of an item's discretion standard (裁量基准) and the range it allows."""

    item = models.ForeignKey(PenaltyItem, on_delete=models.CASCADE, related_name="bands")
    order = models.PositiveSmallIntegerField(_("序号"), default=1)
    level = models.CharField(_("违法程度"), max_length=10, choices=Level.choices)
    circumstances = models.TextField(_("适用情形"))
    basis = models.CharField(_("计罚方式"), max_length=20, choices=Basis.choices, default=Basis.AMOUNT)
    fine_min = models.DecimalField(_("罚款下限"), max_digits=14, decimal_places=2, null=True, blank=True)
    fine_max = models.DecimalField(_("罚款上限"), max_digits=14, decimal_places=2, null=True, blank=True)
    other = models.CharField(_("其他处罚或措施"), max_length=200, blank=True)

    class Meta:
        ordering = ["item", "order"]
        verbose_name = _("裁量基准")
        verbose_name_plural = _("裁量基准")

    def __str__(self):
        return f"{self.item_id} {self.get_level_display()}"


class Factor(models.Model):
    """A circumstance that moves the penalty within or below the band (从重、从轻、减轻、不予处罚)."""

    class Kind(models.TextChoices):
        AGGRAVATING = "aggravating", _("从重")
        MITIGATING = "mitigating", _("从轻或减轻")
        EXEMPTING = "exempting", _("不予处罚")

    item = models.ForeignKey(PenaltyItem, null=True, blank=True, on_delete=models.CASCADE, related_name="factors",
                             help_text=_("留空表示适用于全部事项（通用裁量规则）"))
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    text = models.CharField(_("情形"), max_length=300)
    basis = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("裁量情节")
        verbose_name_plural = _("裁量情节")

    def __str__(self):
        return self.text


# --------------------------------------------------------------------------- squads and officers
class Squad(models.Model):
    """An all-round squad (综合执法中队) of a town's comprehensive enforcement bureau, owning an area
    of first-level grids. Its department is what the incident loop dispatches to, so a problem the
    grid finds goes straight to the squad that patrols there."""

    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="squads")
    department = models.OneToOneField("accounts.Department", verbose_name=_("派遣单位"), on_delete=models.PROTECT,
                                      related_name="squad")
    name = models.CharField(_("中队名称"), max_length=80)
    grids = models.ManyToManyField("geo.Grid", verbose_name=_("责任网格"), blank=True, related_name="squads")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("中队长"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["town", "name"]
        verbose_name = _("执法中队")
        verbose_name_plural = _("执法中队")

    def __str__(self):
        return self.name


class Officer(models.Model):
    """An enforcement officer and the certificate that lets them act (行政执法证). An officer whose
    certificate has expired, or is not yet valid, cannot investigate, decide or sign."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="officer")
    squad = models.ForeignKey(Squad, verbose_name=_("所属中队"), on_delete=models.PROTECT, related_name="officers")
    certificate_number = models.CharField(_("执法证号"), max_length=30, unique=True)
    certificate_issued = models.DateField(_("发证日期"))
    certificate_valid_until = models.DateField(_("有效期至"))
    fields = models.JSONField(_("执法领域"), default=list, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)
    legal_reviewer = models.BooleanField(_("法制审核人员"), default=False,
                                         help_text=_("可对重大执法决定进行法制审核（不得审核本人承办的案件）"))

    class Meta:
        ordering = ["squad", "certificate_number"]
        verbose_name = _("执法队员")
        verbose_name_plural = _("执法队员")

    def __str__(self):
        return f"{self.user} {self.certificate_number}"

    def certified(self, on) -> bool:
        return self.is_active and self.certificate_issued <= on <= self.certificate_valid_until


class DutyShift(models.Model):
    """One officer's shift on the squad's duty roster (排班)."""

    class Shift(models.TextChoices):
        DAY = "day", _("白班 08:30–17:30")
        EVENING = "evening", _("夜班 17:30–22:00")

    squad = models.ForeignKey(Squad, on_delete=models.CASCADE, related_name="shifts")
    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField(_("日期"))
    shift = models.CharField(_("班次"), max_length=8, choices=Shift.choices, default=Shift.DAY)

    class Meta:
        ordering = ["day", "shift", "officer"]
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        constraints = [models.UniqueConstraint(fields=["officer", "day", "shift"], name="uniq_duty_shift")]

    def __str__(self):
        return f"{self.day} {self.shift} {self.officer_id}"


# --------------------------------------------------------------------------- penalty cases
class PenaltyCase(TimeStamped):
    """A penalty case (行政处罚案件) on the case kernel, from its lead on."""

    number = models.CharField(_("案件编号"), max_length=30, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.LEAD, db_index=True)
    source = models.CharField(_("案源"), max_length=12, choices=Source.choices)
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+")
    squad = models.ForeignKey(Squad, verbose_name=_("承办中队"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="cases")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    item = models.ForeignKey(PenaltyItem, verbose_name=_("处罚事项"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="cases")
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("来源事件"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="penalty_cases")
    patrol = models.ForeignKey("incidents.PatrolRound", verbose_name=_("巡查发现"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="penalty_cases")
    party_name = models.CharField(_("当事人"), max_length=120, blank=True)
    facts = models.TextField(_("案情摘要"))
    address = models.CharField(_("地点"), max_length=200, blank=True)
    registered_at = models.DateTimeField(_("登记时间"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    decline_reason = models.TextField(_("不予立案理由"), blank=True)
    file_due = models.DateTimeField(_("立案期限"), null=True, blank=True)
    decide_due = models.DateTimeField(_("决定期限"), null=True, blank=True)
    procedure = models.CharField(_("程序"), max_length=8, choices=Procedure.choices, default=Procedure.GENERAL)
    party_kind = models.CharField(_("当事人类型"), max_length=6, choices=PartyKind.choices, default=PartyKind.PERSON)
    party_org = models.ForeignKey("registry.Organisation", verbose_name=_("当事单位"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="penalty_cases")
    investigators = models.ManyToManyField(Officer, verbose_name=_("办案人员"), blank=True, related_name="cases")
    # Investigation's proposal (调查终结报告), legal review
    level = models.CharField(_("违法程度"), max_length=10, choices=Level.choices, blank=True)
    base_amount = models.DecimalField(_("计罚基数"), max_digits=16, decimal_places=2, null=True, blank=True)
    proposed_fine = models.DecimalField(_("拟罚款"), max_digits=14, decimal_places=2, null=True, blank=True)
    proposed_types = models.JSONField(_("拟处罚种类"), default=list, blank=True)
    findings = models.TextField(_("调查认定的事实"), blank=True)
    major = models.BooleanField(_("重大案件"), default=False)
    legal_opinion = models.TextField(_("法制审核意见"), blank=True)
    legal_passed = models.BooleanField(_("法制审核通过"), null=True, blank=True)
    legal_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    # Notice and hearing
    notice_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    hearing_window_until = models.DateTimeField(_("听证申请期限"), null=True, blank=True)
    rights_waived = models.BooleanField(_("当事人放弃陈述申辩和听证"), default=False)
    hearing_requested_at = models.DateTimeField(_("申请听证时间"), null=True, blank=True)
    hearing_at = models.DateTimeField(_("听证时间"), null=True, blank=True)
    hearing_place = models.CharField(_("听证地点"), max_length=120, blank=True)
    hearing_held_at = models.DateTimeField(_("听证举行时间"), null=True, blank=True)
    suspended = models.CharField(_("中止原因"), max_length=200, blank=True)
    # Decision, service, execution
    outcome = models.CharField(_("处理结果"), max_length=12, choices=Outcome.choices, blank=True)
    penalty_types = models.JSONField(_("处罚种类"), default=list, blank=True)
    fine = models.DecimalField(_("罚款金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    exception_reason = models.TextField(_("超出裁量基准的理由"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    service_method = models.CharField(_("送达方式"), max_length=12, choices=ServiceMethod.choices, blank=True)
    paid_at = models.DateTimeField(_("缴款时间"), null=True, blank=True)
    paid_amount = models.DecimalField(_("实缴金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    late_charge = models.DecimalField(_("加处罚款"), max_digits=14, decimal_places=2, null=True, blank=True)
    receipt_number = models.CharField(_("缴款凭证号"), max_length=40, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    serve_due = models.DateTimeField(_("送达期限"), null=True, blank=True)
    pay_due = models.DateTimeField(_("缴款期限"), null=True, blank=True)
    publish_due = models.DateTimeField(_("公示期限"), null=True, blank=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("行政处罚案件")
        verbose_name_plural = _("行政处罚案件")
        indexes = [models.Index(fields=["town", "status"]), models.Index(fields=["squad", "status"]),
                   models.Index(fields=["town", "-registered_at"], name="penalty_town_recent"),
                   models.Index(fields=["published_at"], name="penalty_published")]

    def __str__(self):
        return self.number


class PenaltyStep(StepBase):
    """One move of a penalty case (the kernel's step row)."""

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=CaseAction.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("案件环节")
        verbose_name_plural = _("案件环节")


class Evidence(models.Model):
    """An evidence item (证据) collected in the investigation. Its SHA-256 is taken when it is
    recorded — of the file, or of the text of a record of inquiry or an on-site record — so a later
    change to the stored bytes shows on the case page."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("现场照片")
        INQUIRY = "inquiry", _("询问笔录")
        INSPECTION = "inspection", _("现场检查（勘验）笔录")
        DOCUMENT = "document", _("书证")
        AUDIOVISUAL = "audiovisual", _("视听资料")
        EXPERT = "expert", _("鉴定意见")
        OTHER = "other", _("其他")

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("证据种类"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("证据名称"), max_length=120)
    text = models.TextField(_("笔录内容"), blank=True)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=80, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    place = models.CharField(_("取证地点"), max_length=200, blank=True)
    collected_at = models.DateTimeField(_("取证时间"))
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    officers = models.JSONField(_("取证人员"), default=list)

    class Meta:
        ordering = ["case", "collected_at", "id"]
        verbose_name = _("证据")
        verbose_name_plural = _("证据")

    def __str__(self):
        return self.title

    def current_digest(self) -> str:
        """The SHA-256 of what is stored now (compare with ``sha256``)."""
        import hashlib

        if self.file:
            h = hashlib.sha256()
            try:
                with self.file.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 16), b""):
                        h.update(chunk)
            except OSError:
                return ""
            return h.hexdigest()
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class PenaltyDocument(models.Model):
    """A numbered enforcement document (执法文书), numbered per bureau, kind and year, e.g.
    徐霞客综执罚决〔2026〕12号. ``data`` keeps what the document said when it was issued."""

    class Kind(models.TextChoices):
        FILING = "filing", _("立案审批表")
        NOTICE = "notice", _("行政处罚告知书")
        HEARING = "hearing", _("听证通知书")
        DECISION = "decision", _("行政处罚决定书")
        NO_PENALTY = "no_penalty", _("不予行政处罚决定书")
        SERVICE = "service", _("送达回证")
        SIMPLE = "simple", _("当场行政处罚决定书")

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文书种类"), max_length=12, choices=Kind.choices)
    number = models.CharField(_("文书编号"), max_length=40, unique=True)
    issued_at = models.DateTimeField(_("制作时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["case", "issued_at", "id"]
        verbose_name = _("执法文书")
        verbose_name_plural = _("执法文书")

    def __str__(self):
        return self.number
