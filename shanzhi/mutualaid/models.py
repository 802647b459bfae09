"""福村宝 village medical mutual aid: a fund per village, its yearly scheme (contribution per
person, rules per disease), voluntary members, the income ledger, claims and payments.

The fund's balance is what came in (member fees, the village collective's share, donations) less
what was paid out; nothing here is ever deleted — a wrong entry is corrected by a new one."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import StepBase
from shanzhi.common.models import TimeStamped

from .states import Action, Status

MONEY = {"max_digits": 12, "decimal_places": 2}


class Fund(TimeStamped):
    """One village's mutual-aid fund (村级医疗互助基金), run by the village's mutual-aid council
    under the town's civil-affairs office."""

    region = models.ForeignKey("geo.Region", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("基金名称"), max_length=80)
    manager = models.CharField(_("管理机构"), max_length=80, blank=True, default="村医疗互助理事会")
    established_on = models.DateField(_("设立日期"))
    is_active = models.BooleanField(_("运行中"), default=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["region__code"]
        verbose_name = _("福村宝基金")
        verbose_name_plural = _("福村宝基金")
        constraints = [models.UniqueConstraint(fields=["region"], name="uniq_mutualaid_fund_region")]

    def __str__(self):
        return self.name


class FundYear(TimeStamped):
    """A fund's scheme for one year (年度筹资与补助方案): the contribution per person, when people
    may join, the period covered and an optional overall cap per person."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="years")
    year = models.PositiveSmallIntegerField(_("年度"))
    contribution = models.DecimalField(_("个人缴费标准（元/人·年）"), **MONEY)
    collective_per_person = models.DecimalField(_("村集体配套（元/人·年）"), default=0, **MONEY)
    join_from = models.DateField(_("参保登记开始"), null=True, blank=True)
    join_until = models.DateField(_("参保登记截止"), null=True, blank=True)
    cover_from = models.DateField(_("保障期起"))
    cover_until = models.DateField(_("保障期止"))
    person_cap = models.DecimalField(_("年度个人补助封顶（各病种合计）"), null=True, blank=True, **MONEY,
                                     help_text=_("留空：只按各病种的封顶线"))
    basis = models.CharField(_("方案依据"), max_length=120, blank=True)

    class Meta:
        ordering = ["fund", "-year"]
        verbose_name = _("年度方案")
        verbose_name_plural = _("年度方案")
        constraints = [models.UniqueConstraint(fields=["fund", "year"], name="uniq_mutualaid_fund_year")]

    def __str__(self):
        return f"{self.fund.name} {self.year}年度"


class DiseaseRule(models.Model):
    """What a disease is paid (病种补助标准): (self-paid − deductible) × ratio, up to the annual
    cap per person. ``public_label`` is what the public page says instead of the name, where the
    name itself is too revealing (a severe mental illness is published as a serious illness)."""

    fund_year = models.ForeignKey(FundYear, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("病种"), max_length=40)
    public_label = models.CharField(_("公示用类别"), max_length=40, blank=True,
                                    help_text=_("留空：公示病种名称"))
    deductible = models.DecimalField(_("起付线（元）"), **MONEY)
    ratio = models.DecimalField(_("补助比例"), max_digits=5, decimal_places=4, help_text=_("如 0.5 表示 50%"))
    cap = models.DecimalField(_("年度个人封顶（元）"), **MONEY)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["fund_year", "order", "id"]
        verbose_name = _("病种补助标准")
        verbose_name_plural = _("病种补助标准")
        constraints = [models.UniqueConstraint(fields=["fund_year", "name"], name="uniq_mutualaid_rule")]

    def __str__(self):
        return f"{self.name}（起付 {self.deductible}，{self.ratio_percent}%，封顶 {self.cap}）"

    @property
    def ratio_percent(self) -> str:
        """50, 55.5 — the ratio as a percentage without trailing zeros."""
        from .payout import percent

        return percent(self.ratio).rstrip("%")

    @property
    def shown_as(self) -> str:
        return self.public_label or self.name


class Membership(TimeStamped):
    """A person's voluntary membership for one fund year: once per person and year."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="memberships")
    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey("registry.Person", verbose_name=_("参保人"), on_delete=models.PROTECT, related_name="+")
    contribution = models.DecimalField(_("个人缴费（元）"), **MONEY)
    paid_on = models.DateField(_("缴费日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["fund_year", "id"]
        verbose_name = _("参保登记")
        verbose_name_plural = _("参保登记")
        constraints = [models.UniqueConstraint(fields=["fund_year", "person"], name="uniq_mutualaid_member")]
        indexes = [models.Index(fields=["person", "fund_year"])]

    def __str__(self):
        return f"{self.person.name} {self.fund_year.year}年度"


class Income(models.Model):
    """One entry of the fund's income ledger (筹资台账)."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("个人缴费")
        COLLECTIVE = "collective", _("村集体补助")
        DONATION = "donation", _("社会捐赠")

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="incomes")
    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="incomes")
    kind = models.CharField(_("来源类型"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    received_on = models.DateField(_("到账日期"))
    source = models.CharField(_("缴款单位或个人"), max_length=100, blank=True)
    membership = models.OneToOneField(Membership, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="income")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("基金收入")
        verbose_name_plural = _("基金收入")
        indexes = [models.Index(fields=["fund", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Claim(TimeStamped):
    """A claim for one stay or course of treatment. ``lines`` keeps the computation as it was made
    (each line: label, value, note), so a worker can show the family how the payout came about."""

    number = models.CharField(_("申请编号"), max_length=24, unique=True)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="claims")
    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="claims")
    # The fund's village and town, copied on filing: the kernel locks the claim's own row and
    # checks scope and calendar on it without a join.
    region = models.ForeignKey("geo.Region", verbose_name=_("村（社区）"), null=True, on_delete=models.PROTECT,
                               related_name="+")
    town = models.ForeignKey("geo.Region", verbose_name=_("镇（街道）"), null=True, on_delete=models.PROTECT,
                             related_name="+")
    due = models.DateTimeField(_("本环节期限"), null=True, blank=True)
    ran_late = models.BooleanField(_("超时"), default=False)
    membership = models.ForeignKey(Membership, verbose_name=_("参保人"), on_delete=models.PROTECT,
                                   related_name="claims")
    rule = models.ForeignKey(DiseaseRule, verbose_name=_("病种"), on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED,
                              db_index=True)
    hospital = models.CharField(_("就诊医院"), max_length=80)
    admitted_on = models.DateField(_("入院（就诊）日期"))
    discharged_on = models.DateField(_("出院（结算）日期"))
    total_cost = models.DecimalField(_("医疗总费用"), null=True, blank=True, **MONEY)
    self_paid = models.DecimalField(_("个人自付（医保报销后）"), **MONEY)
    diagnosis = models.CharField(_("诊断"), max_length=200, blank=True)
    payout = models.DecimalField(_("补助金额"), **MONEY)
    lines = models.JSONField(_("计算过程"), default=list)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("申请时间"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    refused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    refused_at = models.DateTimeField(_("不予补助时间"), null=True, blank=True)
    refuse_reason = models.TextField(_("不予补助理由"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("互助申请")
        verbose_name_plural = _("互助申请")
        indexes = [models.Index(fields=["fund", "status"]), models.Index(fields=["membership", "status"])]

    def __str__(self):
        return f"{self.number} {self.rule.name if self.rule_id else ''}"


class ClaimStep(StepBase):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("互助申请办理环节")
        verbose_name_plural = _("互助申请办理环节")

    def __str__(self):
        return f"{self.get_action_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class Payment(models.Model):
    """The payout of an approved claim (补助发放), published on the village's page unless withdrawn
    from it with a reason."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payment")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("支付金额"), **MONEY)
    paid_at = models.DateTimeField(_("支付时间"))
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    reference = models.CharField(_("支付凭证号"), max_length=40, blank=True)
    published = models.BooleanField(_("已公示"), default=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    unpublish_reason = models.CharField(_("撤下公示原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("补助发放")
        verbose_name_plural = _("补助发放")
        indexes = [models.Index(fields=["fund", "published", "paid_at"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="mutualaid_payment_positive")]

    def __str__(self):
        return f"{self.claim.number} {self.amount}"
