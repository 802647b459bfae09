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
from .states import Source
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

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("行政处罚案件")
        verbose_name_plural = _("行政处罚案件")
        indexes = [models.Index(fields=["town", "status"]), models.Index(fields=["squad", "status"])]

    def __str__(self):
        return self.number


class PenaltyStep(StepBase):
    """One move of a penalty case (the kernel's step row)."""

    case = models.ForeignKey(PenaltyCase, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=CaseAction.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("案件环节")
        verbose_name_plural = _("案件环节")
