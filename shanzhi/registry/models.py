"""The base registries (一标三实): people, households, houses, organisations and components,
each attached to a standard address and so to a grid and a village."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.common import crypto, masking
from shanzhi.common.models import TimeStamped


class Placed(TimeStamped):
    """Where a record belongs: copied from its address (or located from its point) on write."""

    address = models.ForeignKey("geo.Address", verbose_name=_("标准地址"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("geo.Region", verbose_name=_("村（社区）"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class Person(Placed):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class Residence(models.TextChoices):
        REGISTERED = "registered", _("户籍人口")
        FLOATING = "floating", _("流动人口")
        OVERSEAS = "overseas", _("境外人员")

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_sealed = models.TextField(_("身份证号（密文）"), editable=False)
    id_bidx = models.CharField(_("身份证号索引"), max_length=64, editable=False)
    phone_sealed = models.TextField(_("手机号（密文）"), blank=True, default="", editable=False)
    phone_bidx = models.CharField(_("手机号索引"), max_length=64, blank=True, default="", editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True, default="汉族")
    residence = models.CharField(_("人口类型"), max_length=12, choices=Residence.choices, default=Residence.REGISTERED)
    household = models.ForeignKey("Household", verbose_name=_("所属户"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="members")
    relation_to_head = models.CharField(_("与户主关系"), max_length=10, blank=True)
    tags = models.CharField(_("标签"), max_length=200, blank=True, help_text=_("如：独居老人、残疾人、重点人员，用逗号分隔"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        # Blind indexes are matched exactly: plain b-tree indexes (a unique constraint, not
        # unique=True, which on PostgreSQL would add a second, pattern-ops index we never use).
        constraints = [models.UniqueConstraint(fields=["id_bidx"], name="uniq_person_id_bidx")]
        indexes = [models.Index(fields=["phone_bidx"], name="person_phone_bidx"),
                   models.Index(fields=["region", "name"]), models.Index(fields=["grid", "name"])]

    def __str__(self):
        return self.name

    @property
    def id_number(self) -> str:
        return crypto.unseal(self.id_sealed)

    @property
    def phone(self) -> str:
        return crypto.unseal(self.phone_sealed)

    @property
    def id_masked(self) -> str:
        return masking.mask_id_number(self.id_number)

    @property
    def birth_year(self) -> int:
        """What pages, exports and the API show instead of the birth date (see masking). Not the
        age: an age watched from day to day gives the birthday away."""
        return self.birth_date.year

    @property
    def phone_masked(self) -> str:
        return masking.mask_phone(self.phone)


class Household(Placed):
    class Kind(models.TextChoices):
        REGISTERED = "registered", _("户籍户")
        FLOATING = "floating", _("流动户")

    number = models.CharField(_("户号"), max_length=30, unique=True)
    kind = models.CharField(_("户类型"), max_length=12, choices=Kind.choices, default=Kind.REGISTERED)
    head_name = models.CharField(_("户主姓名"), max_length=50, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self):
        return f"{self.head_name}户（{self.number}）"


class House(Placed):
    class Use(models.TextChoices):
        SELF = "self", _("自住")
        RENTAL = "rental", _("出租")
        BUSINESS = "business", _("经营")
        VACANT = "vacant", _("空置")

    code = models.CharField(_("房屋编码"), max_length=30, unique=True)
    use = models.CharField(_("用途"), max_length=12, choices=Use.choices, default=Use.SELF)
    is_rental = models.BooleanField(_("出租房"), default=False, db_index=True)
    area_m2 = models.DecimalField(_("面积（平方米）"), max_digits=9, decimal_places=2, null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    owner = models.ForeignKey(Person, verbose_name=_("产权人"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_houses")
    owner_org = models.ForeignKey("Organisation", verbose_name=_("产权单位"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="owned_houses")

    class Meta:
        ordering = ["id"]
        verbose_name = _("实有房屋")
        verbose_name_plural = _("实有房屋")

    def __str__(self):
        return f"{self.address or self.code}"


class Occupancy(TimeStamped):
    class Relation(models.TextChoices):
        OWNER = "owner", _("产权人")
        FAMILY = "family", _("家庭成员")
        TENANT = "tenant", _("承租人")
        OTHER = "other", _("其他居住人")

    house = models.ForeignKey(House, verbose_name=_("房屋"), on_delete=models.CASCADE, related_name="occupancies")
    person = models.ForeignKey(Person, verbose_name=_("居住人"), on_delete=models.CASCADE, related_name="occupancies")
    relation = models.CharField(_("居住关系"), max_length=10, choices=Relation.choices)
    since = models.DateField(_("入住日期"), null=True, blank=True)
    until = models.DateField(_("迁出日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("居住关系")
        verbose_name_plural = _("居住关系")
        constraints = [models.UniqueConstraint(fields=["house", "person", "relation"], name="uniq_occupancy")]


class Organisation(Placed):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        INDIVIDUAL = "individual", _("个体工商户")
        SOCIAL = "social", _("社会组织")
        PUBLIC = "public", _("机关事业单位")

    name = models.CharField(_("单位名称"), max_length=120, db_index=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    kind = models.CharField(_("单位类型"), max_length=12, choices=Kind.choices, default=Kind.ENTERPRISE)
    industry = models.CharField(_("行业"), max_length=40, blank=True)
    legal_rep = models.CharField(_("法定代表人"), max_length=50, blank=True)
    phone_sealed = models.TextField(_("联系电话（密文）"), blank=True, default="", editable=False)
    phone_bidx = models.CharField(_("联系电话索引"), max_length=64, blank=True, default="", editable=False)
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    is_key = models.BooleanField(_("重点单位"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        indexes = [models.Index(fields=["phone_bidx"], name="org_phone_bidx")]

    def __str__(self):
        return self.name

    @property
    def phone(self) -> str:
        return crypto.unseal(self.phone_sealed)

    @property
    def phone_masked(self) -> str:
        return masking.mask_phone(self.phone)


class Component(Placed):
    """A city component (部件, GB/T 30428.2): manhole cover, street lamp, hydrant, …"""

    class Status(models.TextChoices):
        GOOD = "good", _("完好")
        DAMAGED = "damaged", _("破损")
        MISSING = "missing", _("丢失")
        OCCUPIED = "occupied", _("占用")

    code = models.CharField(_("部件编码"), max_length=30, unique=True)
    class_code = models.CharField(_("部件小类代码"), max_length=6, db_index=True)
    class_name = models.CharField(_("部件名称"), max_length=40)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.GOOD)
    owner_department = models.ForeignKey("accounts.Department", verbose_name=_("主管部门"), null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="components")
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("部件")
        verbose_name_plural = _("部件")

    def __str__(self):
        return f"{self.class_name} {self.code}"
