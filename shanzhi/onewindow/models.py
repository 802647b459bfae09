"""One window: the service item catalog (事项), applications (办件) on the case kernel, their
materials, correction notices and reviews, and signed electronic certificates (电子证照)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shanzhi.cases.models import StepBase
from shanzhi.common import crypto, masking
from shanzhi.common.models import TimeStamped

from .states import Action, Status


class ItemType(models.TextChoices):
    LICENSE = "license", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    ADJUDICATION = "adjudication", _("行政裁决")
    BENEFIT = "benefit", _("行政给付")
    REWARD = "reward", _("行政奖励")
    FILING = "filing", _("行政备案")
    OTHER = "other", _("其他行政权力")
    SERVICE = "service", _("公共服务")


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口")
    ONLINE = "online", _("网上办")
    MOBILE = "mobile", _("掌上办")
    AGENT = "agent", _("村（社区）代办")
    KIOSK = "kiosk", _("自助终端")


class ServiceItem(TimeStamped):
    """One handling item (办理项) of the catalog with the elements of DOMAIN.md §5. Items nest:
    a main item (主项) → sub-items (子项) → handling items (办理项: 新办/变更/延续/注销); only
    handling items are applied for."""

    class Level(models.TextChoices):
        MAIN = "main", _("主项")
        SUB = "sub", _("子项")
        HANDLING = "handling", _("办理项")

    class Authority(models.TextChoices):
        STATUTORY = "statutory", _("法定")
        AUTHORISED = "authorised", _("授权")
        ENTRUSTED = "entrusted", _("委托")

    class Exercise(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("设区市级")
        COUNTY = "county", _("县级")
        TOWN = "town", _("乡镇（街道）级")
        VILLAGE = "village", _("村（社区）级")

    class Applicant(models.TextChoices):
        PERSON = "person", _("自然人")
        ORGANISATION = "organisation", _("法人和其他组织")
        BOTH = "both", _("自然人、法人和其他组织")

    code = models.CharField(_("实施编码"), max_length=40, unique=True)
    base_code = models.CharField(_("基本编码"), max_length=30, db_index=True)
    name = models.CharField(_("事项名称"), max_length=120)
    item_type = models.CharField(_("事项类型"), max_length=14, choices=ItemType.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, default=Level.HANDLING)
    parent = models.ForeignKey("self", verbose_name=_("上级事项"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    variant = models.CharField(_("办理项类型"), max_length=10, blank=True, help_text=_("新办、变更、延续、注销"))
    department = models.ForeignKey("accounts.Department", verbose_name=_("实施主体"), on_delete=models.PROTECT,
                                   related_name="service_items")
    authority = models.CharField(_("权力来源"), max_length=12, choices=Authority.choices, default=Authority.STATUTORY)
    exercise_level = models.CharField(_("行使层级"), max_length=10, choices=Exercise.choices, default=Exercise.COUNTY)
    delegated = models.BooleanField(_("赋权镇（街道）"), default=False, help_text=_("列入镇（街道）权责清单，由镇便民服务中心办理"))
    legal_basis = models.TextField(_("设定依据"), blank=True)
    applicant_kind = models.CharField(_("服务对象"), max_length=14, choices=Applicant.choices, default=Applicant.BOTH)
    immediate = models.BooleanField(_("即办件"), default=False)
    statutory_days = models.DecimalField(_("法定办结时限（工作日）"), max_digits=5, decimal_places=1, default=20)
    promised_days = models.DecimalField(_("承诺办结时限（工作日）"), max_digits=5, decimal_places=1, default=5)
    conditions = models.TextField(_("受理条件"), blank=True)
    fee = models.CharField(_("收费"), max_length=200, blank=True, default="不收费")
    result_name = models.CharField(_("办理结果"), max_length=120, blank=True)
    certificate_type = models.CharField(_("证照类型代码"), max_length=40, blank=True,
                                        help_text=_("准予后签发的电子证照类型（GB/T 36903）；留空则不签发证照"))
    certificate_years = models.PositiveSmallIntegerField(_("证照有效期（年）"), null=True, blank=True)
    channels = models.JSONField(_("办理渠道"), default=list, blank=True)
    visits = models.PositiveSmallIntegerField(_("到现场次数"), default=1, help_text=_("0 = 不见面办理，1 = 最多跑一次"))
    online_depth = models.PositiveSmallIntegerField(_("网上办理深度"), default=1, help_text=_("1 信息公开 … 4 全程网办"))
    county_wide = models.BooleanField(_("全县通办"), default=True)
    contact = models.CharField(_("咨询电话"), max_length=40, blank=True)
    keywords = models.CharField(_("检索关键词"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        indexes = [models.Index(fields=["level", "is_active"]), models.Index(fields=["department", "level"])]

    def __str__(self):
        return f"{self.name}（{self.variant}）" if self.variant else self.name


class Material(models.Model):
    """A material an item asks for. ``certificate_type`` lets an e-certificate the applicant already
    holds stand in for it, so nobody brings the same paper twice."""

    class Form(models.TextChoices):
        PAPER = "paper", _("纸质")
        ELECTRONIC = "electronic", _("电子")
        BOTH = "both", _("纸质或电子")

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("申请人自备")
        GOVERNMENT = "government", _("政府部门核发")
        INTERMEDIARY = "intermediary", _("中介机构出具")

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveSmallIntegerField(_("序号"), default=1)
    name = models.CharField(_("材料名称"), max_length=120)
    required = models.BooleanField(_("必要"), default=True)
    form = models.CharField(_("材料形式"), max_length=10, choices=Form.choices, default=Form.BOTH)
    source = models.CharField(_("来源渠道"), max_length=12, choices=Source.choices, default=Source.APPLICANT)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    certificate_type = models.CharField(_("可用证照代替"), max_length=40, blank=True)
    note = models.CharField(_("填报须知"), max_length=300, blank=True)

    class Meta:
        ordering = ["item", "order"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self):
        return self.name


class ReviewStep(models.Model):
    """A step of an item's back-office process; steps sharing ``parallel_group`` are reviewed at
    the same time by their departments (联合审查)."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="review_steps")
    order = models.PositiveSmallIntegerField(_("顺序"), default=1)
    name = models.CharField(_("环节"), max_length=60)
    department = models.ForeignKey("accounts.Department", verbose_name=_("审查部门"), on_delete=models.PROTECT,
                                   related_name="+")
    parallel_group = models.PositiveSmallIntegerField(_("并联组"), default=1)

    class Meta:
        ordering = ["item", "parallel_group", "order"]
        verbose_name = _("审查环节")
        verbose_name_plural = _("审查环节")

    def __str__(self):
        return f"{self.item_id} {self.name}"


class Application(TimeStamped):
    """An application (办件): a case of the kernel. The applicant is a person or an organisation of
    the registries; an agent may apply for them (recorded as acting for them)."""

    number = models.CharField(_("办件编号"), max_length=24, unique=True)
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices, default=Channel.WINDOW)
    applicant_person = models.ForeignKey("registry.Person", verbose_name=_("申请人（自然人）"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="applications")
    applicant_org = models.ForeignKey("registry.Organisation", verbose_name=_("申请人（单位）"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="applications")
    applicant_name = models.CharField(_("申请人"), max_length=120)
    # The applicant's ID number or credit code, sealed like the registries' (found by blind index).
    applicant_id_sealed = models.TextField(blank=True, default="", editable=False)
    applicant_id_bidx = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    contact_phone_sealed = models.TextField(blank=True, default="", editable=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="submitted_applications")
    acting_for = models.BooleanField(_("代办"), default=False, help_text=_("由窗口、村（社区）代办员或网格员代为申请"))
    home_visit = models.BooleanField(_("上门办理"), default=False)
    region = models.ForeignKey("geo.Region", verbose_name=_("受理地（村/社区）"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("geo.Region", verbose_name=_("受理地（镇街）"), on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(default=1)
    submitted_at = models.DateTimeField(_("申请时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    accept_due = models.DateTimeField(_("受理期限"), null=True, blank=True)
    promise_due = models.DateTimeField(_("承诺期限"), null=True, blank=True)
    statute_due = models.DateTimeField(_("法定期限"), null=True, blank=True)
    deliver_due = models.DateTimeField(_("送达期限"), null=True, blank=True)
    corrections = models.PositiveSmallIntegerField(_("补正次数"), default=0)
    visits = models.PositiveSmallIntegerField(_("到现场次数"), default=0)
    granted = models.BooleanField(_("准予"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    ran_late = models.BooleanField(_("超承诺时限"), default=False)
    broke_statute = models.BooleanField(_("超法定时限"), default=False)
    delivery = models.CharField(_("领取方式"), max_length=8, choices=[("pickup", _("窗口领取")), ("courier", _("邮寄送达"))],
                                default="pickup")
    courier_number = models.CharField(_("邮件号"), max_length=40, blank=True)
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    handling_days = models.DecimalField(_("实际办理用时（工作日）"), max_digits=6, decimal_places=2, null=True, blank=True,
                                        help_text=_("受理至办结，扣除特别程序"))
    rating_token = models.CharField(max_length=40, blank=True, default="", editable=False)
    # Who took it in at which window (ratings and workload per clerk and window).
    window = models.ForeignKey("ServiceWindow", verbose_name=_("受理窗口"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="applications")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [models.Index(fields=["town", "status"]), models.Index(fields=["item", "submitted_at"]),
                   models.Index(fields=["submitted_by", "submitted_at"]), models.Index(fields=["rating_token"])]

    def __str__(self):
        return f"{self.number} {self.item.name if self.item_id else ''}"

    @property
    def applicant_id_masked(self) -> str:
        value = crypto.unseal(self.applicant_id_sealed)
        return value if self.applicant_org_id else masking.mask_id_number(value)

    @property
    def contact_phone_masked(self) -> str:
        return masking.mask_phone(crypto.unseal(self.contact_phone_sealed))

    @property
    def current_due(self):
        from .states import STAGE_OF

        stage = STAGE_OF.get(self.status)
        return getattr(self, f"{stage}_due") if stage else None


class ApplicationStep(StepBase):
    """One move of an application ("督着办": every node with its time and handler)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=Action.choices)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta(StepBase.Meta):
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")

    def __str__(self):
        return f"{self.application_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class SubmittedMaterial(models.Model):
    """A material as submitted: an uploaded file (kept outside the web root and served only to
    those who may see the application), an e-certificate the applicant holds, or a paper copy
    checked at the window."""

    class State(models.TextChoices):
        RECEIVED = "received", _("已提交")
        ACCEPTED = "accepted", _("审核通过")
        FAULTY = "faulty", _("需补正")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="applications/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=80, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    certificate = models.ForeignKey("Certificate", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    paper_checked = models.BooleanField(_("窗口已核验纸质件"), default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    problem = models.CharField(_("问题"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["application", "material__order", "id"]
        verbose_name = _("提交材料")
        verbose_name_plural = _("提交材料")

    def __str__(self):
        return f"{self.application_id} {self.material_id}"


class CorrectionNotice(models.Model):
    """一次性告知: every missing or faulty material in one notice, numbered and printable."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="corrections_issued")
    number = models.CharField(_("文书编号"), max_length=30, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    items = models.JSONField(_("补正内容"), default=list)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "issued_at"]
        verbose_name = _("补正告知书")
        verbose_name_plural = _("补正告知书")

    def __str__(self):
        return self.number


class Review(models.Model):
    """One department's review of an application (several run in parallel for a joint review)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审查")
        APPROVED = "approved", _("同意")
        REJECTED = "rejected", _("不同意")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    step = models.ForeignKey(ReviewStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="reviews")
    parallel_group = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    opinion = models.TextField(_("审查意见"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "parallel_group", "id"]
        verbose_name = _("审查意见")
        verbose_name_plural = _("审查意见")
        constraints = [models.UniqueConstraint(fields=["application", "department", "parallel_group"],
                                               name="uniq_review")]

    def __str__(self):
        return f"{self.application_id} {self.department_id} {self.state}"


class IssuerKey(models.Model):
    """An issuing department's SM2 key pair: the private key sealed with the platform's seal key,
    the public key published for verification."""

    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="issuer_keys")
    public_key = models.CharField(_("公钥"), max_length=130)
    private_key_sealed = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("签章密钥")
        verbose_name_plural = _("签章密钥")

    def __str__(self):
        return f"{self.department} {self.public_key[:12]}…"


class Certificate(models.Model):
    """An electronic certificate (电子证照, GB/T 36901–36906): what it says is signed with SM2 by
    the issuer; the public verification page checks the signature against the published key."""

    number = models.CharField(_("证照编号"), max_length=40, unique=True)
    type_code = models.CharField(_("证照类型代码"), max_length=40)
    name = models.CharField(_("证照名称"), max_length=120)
    application = models.OneToOneField(Application, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="certificate")
    holder_name = models.CharField(_("持证主体"), max_length=120)
    holder_id_sealed = models.TextField(editable=False)
    holder_id_bidx = models.CharField(max_length=64, db_index=True, editable=False)
    holder_person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="certificates")
    holder_org = models.ForeignKey("registry.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="certificates")
    issuer = models.ForeignKey("accounts.Department", verbose_name=_("发证机关"), on_delete=models.PROTECT,
                               related_name="certificates")
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="certificates")
    issued_at = models.DateTimeField(_("签发时间"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    payload = models.JSONField(_("证照内容"))
    signature = models.CharField(_("SM2 签名"), max_length=200)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("注销原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")

    def __str__(self):
        return f"{self.number} {self.name}"


# --------------------------------------------------------------------------- the hall and its queue
class ServiceHall(models.Model):
    """A town's service center (便民服务中心): its windows, opening hours and appointment slots."""

    town = models.OneToOneField("geo.Region", verbose_name=_("镇（街道）"), on_delete=models.PROTECT,
                                related_name="service_hall")
    name = models.CharField(_("名称"), max_length=80)
    address = models.CharField(_("地址"), max_length=160, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    am_open = models.TimeField(_("上午开始"), default="08:30")
    am_close = models.TimeField(_("上午结束"), default="12:00")
    pm_open = models.TimeField(_("下午开始"), default="13:30")
    pm_close = models.TimeField(_("下午结束"), default="17:00")
    slot_minutes = models.PositiveSmallIntegerField(_("预约时段（分钟）"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("每时段预约名额"), default=6)
    service_minutes = models.PositiveSmallIntegerField(_("平均办理时长（分钟，估算等候用）"), default=8)

    class Meta:
        verbose_name = _("便民服务中心")
        verbose_name_plural = _("便民服务中心")

    def __str__(self):
        return self.name


class ServiceWindow(models.Model):
    """A comprehensive window (综合窗口): any clerk signed in at it handles any item."""

    hall = models.ForeignKey(ServiceHall, on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("窗口名称"), max_length=40, default="综合受理")
    is_active = models.BooleanField(_("启用"), default=True)
    clerk = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("当前在岗"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="service_window")
    opened_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["hall", "number"]
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="uniq_window_number")]

    def __str__(self):
        return f"{self.number}号窗口（{self.name}）"


class Lane(models.TextChoices):
    PRIORITY = "priority", _("优先（老年人、残疾人、军人、孕妇）")
    APPOINTMENT = "appointment", _("预约")
    NORMAL = "normal", _("普通")


LANE_PREFIX = {Lane.PRIORITY: "Y", Lane.APPOINTMENT: "B", Lane.NORMAL: "A"}


class Appointment(models.Model):
    """A booked slot (预约办): the resident checks in with the code and is called in the appointment lane."""

    class State(models.TextChoices):
        BOOKED = "booked", _("已预约")
        ARRIVED = "arrived", _("已签到")
        CANCELLED = "cancelled", _("已取消")
        MISSED = "missed", _("爽约")

    hall = models.ForeignKey(ServiceHall, on_delete=models.CASCADE, related_name="appointments")
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    day = models.DateField(_("日期"))
    slot = models.TimeField(_("时段"))
    code = models.CharField(_("预约码"), max_length=8)
    name = models.CharField(_("预约人"), max_length=60)
    phone_sealed = models.TextField(blank=True, default="", editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="appointments")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BOOKED)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["day", "slot", "id"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        constraints = [models.UniqueConstraint(fields=["hall", "day", "code"], name="uniq_appointment_code")]
        indexes = [models.Index(fields=["hall", "day", "slot", "state"])]

    def __str__(self):
        return f"{self.day} {self.slot:%H:%M} {self.code}"


class Ticket(models.Model):
    """A queue number (取号). Called in lane order — priority, appointments due, then the rest — each
    lane first come, first served."""

    class State(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("办理中")
        DONE = "done", _("已办结")
        MISSED = "missed", _("过号")

    hall = models.ForeignKey(ServiceHall, on_delete=models.CASCADE, related_name="tickets")
    day = models.DateField()
    number = models.CharField(_("号码"), max_length=8)
    lane = models.CharField(_("类别"), max_length=12, choices=Lane.choices, default=Lane.NORMAL)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.WAITING)
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    appointment = models.OneToOneField(Appointment, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="ticket")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="tickets", help_text=_("线上取号的账号"))
    phone_sealed = models.TextField(blank=True, default="", editable=False)
    issued_at = models.DateTimeField(_("取号时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    calls = models.PositiveSmallIntegerField(_("呼叫次数"), default=0)
    announced_at = models.DateTimeField(null=True, blank=True, help_text=_("最近一次呼叫（大厅屏幕按此播报）"))
    window = models.ForeignKey(ServiceWindow, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="tickets")

    class Meta:
        ordering = ["day", "issued_at", "id"]
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        constraints = [models.UniqueConstraint(fields=["hall", "day", "number"], name="uniq_ticket_number")]
        indexes = [models.Index(fields=["hall", "day", "state", "lane", "issued_at"]),
                   models.Index(fields=["clerk", "day"])]

    def __str__(self):
        return self.number

    @property
    def wait_minutes(self) -> float | None:
        if not self.called_at:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60


# --------------------------------------------------------------------------- 差评整改
class RStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    RECTIFIED = "rectified", _("待回访")
    CLOSED = "closed", _("已办结")


class RAction(models.TextChoices):
    OPEN = "open", _("差评生成整改")
    RECTIFY = "rectify", _("整改反馈")
    VISIT = "visit", _("回访")
    SUPERVISE = "supervise", _("督办")
    WARN = "warn", _("临期预警")
    OVERDUE = "overdue", _("超期")


class Rectification(TimeStamped):
    number = models.CharField(_("整改编号"), max_length=24, unique=True)
    application = models.OneToOneField("onewindow.Application", on_delete=models.PROTECT, related_name="rectification")
    level = models.PositiveSmallIntegerField(_("评价"))
    comment = models.TextField(_("评价意见"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=RStatus.choices, default=RStatus.OPEN, db_index=True)
    town = models.ForeignKey("geo.Region", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("accounts.Department", verbose_name=_("事项实施部门"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    window = models.ForeignKey("onewindow.ServiceWindow", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    opened_at = models.DateTimeField(_("生成时间"))
    due = models.DateTimeField(_("整改期限"), null=True, blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    visit_note = models.TextField(_("回访情况"), blank=True)
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    satisfied = models.BooleanField(_("回访满意"), null=True, blank=True)
    rounds = models.PositiveSmallIntegerField(default=1)
    ran_late = models.BooleanField(_("超期整改"), default=False)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        indexes = [models.Index(fields=["town", "status"])]

    def __str__(self):
        return self.number


class RectificationStep(StepBase):
    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("动作"), max_length=20, choices=RAction.choices)

    class Meta(StepBase.Meta):
        verbose_name = _("整改环节")
        verbose_name_plural = _("整改环节")


class ServiceTarget(models.Model):
    """A time target for a group of items set by the county (江阴 "2440": 企业开办 2 个工作日、不动产
    登记 4 个工作日、工业建设项目施工许可 40 个工作日), measured from acceptance to completion."""

    name = models.CharField(_("目标名称"), max_length=60, unique=True)
    items = models.ManyToManyField(ServiceItem, verbose_name=_("适用事项"), related_name="targets")
    limit_days = models.DecimalField(_("目标时限（工作日）"), max_digits=5, decimal_places=1)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("办理时限目标")
        verbose_name_plural = _("办理时限目标")

    def __str__(self):
        return f"{self.name} ≤ {self.limit_days} 个工作日"
