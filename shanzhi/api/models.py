import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LOOKUP_CACHE_SECONDS = 10
_recent: dict[str, tuple["ApiKey", float]] = {}


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    """A key for Open311 and REST clients (12345 hotline, sensors, apps). Only its hash is stored;
    requests act as the key's service user, whose posts decide what it may read."""

    name = models.CharField(_("名称"), max_length=80, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("服务账号"), on_delete=models.PROTECT,
                                related_name="api_key")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    # Status callbacks for the cases this client created (12345 wants to know when its work order moves).
    webhook_url = models.URLField(_("回调地址"), blank=True, help_text=_("办理状态变化时以 POST JSON 通知，带 HMAC-SHA256 签名"))
    webhook_secret = models.CharField(_("回调签名密钥"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, name: str) -> tuple["ApiKey", str]:
        from shanzhi.accounts.models import User

        raw = "sz_" + secrets.token_urlsafe(32)
        user = User.objects.create(username=f"api:{name}"[:150], display_name=f"接口：{name}", is_active=True)
        user.set_unusable_password()
        user.save()
        key = cls.objects.create(name=name, prefix=raw[:8], key_hash=hash_key(raw), user=user)
        return key, raw

    @staticmethod
    def forget_recent() -> None:
        """Drop this process's remembered keys (other processes forget within LOOKUP_CACHE_SECONDS)."""
        _recent.clear()

    @classmethod
    def lookup(cls, raw: str | None) -> "ApiKey | None":
        """The active key for a raw value. Hits are remembered for LOOKUP_CACHE_SECONDS per process,
        so a busy client does not cost a query per request; a revocation takes effect within that time."""
        if not raw:
            return None
        digest = hash_key(raw.strip())
        hit = _recent.get(digest)
        if hit and time.monotonic() - hit[1] < LOOKUP_CACHE_SECONDS:
            return hit[0]
        key = cls.objects.select_related("user").filter(key_hash=digest, revoked_at__isnull=True).first()
        if key is None:
            _recent.pop(digest, None)
            return None
        _recent[digest] = (key, time.monotonic())
        now = timezone.now()
        # Record use at most once a minute: a busy client must not turn every request into a
        # write on the same row.
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
            cls.objects.filter(pk=key.pk).update(last_used_at=now)
        return key
