"""One outbox for every notification: SMS, in-app and webhook. Rows are written in the same
transaction as the business change, then delivered by the worker with retries: nothing is lost."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outbox(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        INAPP = "inapp", _("站内消息")
        WEBHOOK = "webhook", _("接口推送")

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    phone_sealed = models.TextField(blank=True, default="", editable=False)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    # A secret to deliver (a one-time code): sealed at rest, the readable body has it masked, and it
    # is erased once delivered.
    secret_sealed = models.TextField(blank=True, default="", editable=False)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    topic = models.CharField(_("事由"), max_length=40, blank=True, db_index=True)
    object_ref = models.CharField(_("关联对象"), max_length=60, blank=True, db_index=True)
    dedup_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), db_index=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("消息发件箱")
        verbose_name_plural = _("消息发件箱")
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"{self.channel}:{self.title}"


class Message(models.Model):
    """An in-app message as the recipient sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")

    def __str__(self):
        return self.title
