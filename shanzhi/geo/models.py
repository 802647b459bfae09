from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.common.models import TimeStamped


class Region(TimeStamped):
    """An administrative area (GB/T 2260 + 12-digit statistical code). Codes are never reused:
    a retired code keeps its row with ``valid_to`` set."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("县（市、区）")
        TOWN = 4, _("镇（街道）")
        VILLAGE = 5, _("村（社区）")

    class Kind(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("地级市")
        COUNTY = "county", _("县级市")
        STREET = "street", _("街道")
        TOWN = "town", _("镇")
        TOWNSHIP = "township", _("乡")
        COMMUNITY = "community", _("居委会")
        VILLAGE = "village", _("村委会")

    code = models.CharField(_("统计用区划代码"), max_length=12, unique=True)
    gb_code = models.CharField(_("GB/T 2260 代码"), max_length=6, blank=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(_("路径"), max_length=200, db_index=True, editable=False)
    geometry = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    center_lon = models.FloatField(_("中心经度"), null=True, blank=True)
    center_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self):
        return self.name

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class Grid(TimeStamped):
    """A grid: a polygon inside its parent, belonging to exactly one village/community (or town)."""

    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("综合网格")
        SPECIAL = "special", _("专属网格")

    class SpecialType(models.TextChoices):
        NONE = "", _("—")
        PARK = "park", _("园区")
        SCHOOL = "school", _("学校")
        HOSPITAL = "hospital", _("医院")
        ENTERPRISE = "enterprise", _("企业")
        MARKET = "market", _("市场")
        OTHER = "other", _("其他")

    code = models.CharField(_("网格编码"), max_length=20, unique=True)
    name = models.CharField(_("网格名称"), max_length=80)
    level = models.PositiveSmallIntegerField(_("网格层级"), help_text=_("1 = 一级网格，2 = 二级，3 = 三级，4 = 微网格"))
    kind = models.CharField(_("网格类型"), max_length=16, choices=Kind.choices, default=Kind.COMPREHENSIVE)
    special_type = models.CharField(_("专属类型"), max_length=16, choices=SpecialType.choices, blank=True, default="")
    parent = models.ForeignKey("self", verbose_name=_("上级网格"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    region = models.ForeignKey(Region, verbose_name=_("所属村（社区）"), on_delete=models.PROTECT, related_name="grids")
    town = models.ForeignKey(Region, verbose_name=_("所属镇（街道）"), on_delete=models.PROTECT, related_name="town_grids")
    path = models.CharField(_("路径"), max_length=200, db_index=True, editable=False)
    geometry = models.JSONField(_("边界（GeoJSON）"))
    min_lon = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    center_lon = models.FloatField(_("中心经度"), editable=False)
    center_lat = models.FloatField(_("中心纬度"), editable=False)
    area_km2 = models.FloatField(_("面积（平方公里）"), default=0, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        indexes = [models.Index(fields=["town", "level"]), models.Index(fields=["region", "level"])]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class Address(TimeStamped):
    """A standard address (门牌): one plate to which people, houses and organisations attach."""

    code = models.CharField(_("门牌编码"), max_length=24, unique=True)
    road = models.CharField(_("街路巷/自然村"), max_length=60)
    number = models.CharField(_("门牌号"), max_length=20)
    building = models.CharField(_("楼栋"), max_length=20, blank=True)
    room = models.CharField(_("室号"), max_length=20, blank=True)
    full_text = models.CharField(_("标准地址"), max_length=200, db_index=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="addresses")
    region = models.ForeignKey(Region, verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="addresses")

    class Meta:
        ordering = ["code"]
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")

    def __str__(self):
        return self.full_text
