from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.common.models import TimeStamped

from .roles import Role


class User(AbstractUser):
    """A person who logs in. Mobile numbers work as an alternative login name."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号"), max_length=11, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username


class Department(TimeStamped):
    """A county department or a town office that handles cases."""

    code = models.CharField(_("部门代码"), max_length=30, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    region = models.ForeignKey("geo.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT,
                               related_name="departments")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self):
        return self.name


class Post(TimeStamped):
    """A user's post: a role held in one region, grid or department. A user may hold several."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="posts")
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    region = models.ForeignKey("geo.Region", verbose_name=_("区划"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="posts")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("网格"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="posts")
    department = models.ForeignKey(Department, verbose_name=_("部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="posts")
    title = models.CharField(_("职务"), max_length=50, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        ordering = ["user_id", "id"]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        indexes = [models.Index(fields=["grid", "role"]), models.Index(fields=["region", "role"])]

    def __str__(self):
        where = self.grid or self.department or self.region or ""
        return f"{self.get_role_display()} · {where}"


class LoginThrottle(models.Model):
    """Failed logins of one account from one source address. The lock holds for that pair only,
    so a stranger who guesses at someone's account cannot lock its owner out."""

    account = models.CharField(max_length=64)  # the user's id, or a keyed hash of an unknown login name
    ip = models.CharField(max_length=45)
    failures = models.PositiveSmallIntegerField(default=0)
    first_failed_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        constraints = [models.UniqueConstraint(fields=["account", "ip"], name="uniq_login_throttle")]

    def __str__(self):
        return f"{self.account}@{self.ip} ×{self.failures}"
