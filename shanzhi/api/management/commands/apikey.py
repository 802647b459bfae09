from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shanzhi.api.models import ApiKey
from shanzhi.common import audit


class Command(BaseCommand):
    help = ("接口密钥：shanzhi apikey create NAME（打印新密钥，仅显示一次）| list | revoke NAME | "
            "webhook NAME URL（设置办理状态回调地址，打印签名密钥；URL 为空则取消）")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke", "webhook"])
        parser.add_argument("name", nargs="?")
        parser.add_argument("url", nargs="?", default="")

    def handle(self, *args, action, name, url="", **opts):
        if action == "list":
            for key in ApiKey.objects.order_by("name"):
                state = "已吊销" if key.revoked_at else "有效"
                self.stdout.write(f"{key.name}\t{key.prefix}…\t{state}\t最近使用 {key.last_used_at or '—'}")
            return
        if not name:
            raise CommandError("请提供密钥名称")
        if action == "create":
            if ApiKey.objects.filter(name=name).exists():
                raise CommandError(f"名称 {name} 已存在")
            key, raw = ApiKey.issue(name)
            audit.record(actor=None, actor_label="命令行", action="create", obj=key, note="签发接口密钥",
                         after={"name": name, "prefix": key.prefix})
            self.stdout.write(raw)
            return
        key = ApiKey.objects.filter(name=name, revoked_at__isnull=True).first()
        if key is None:
            raise CommandError(f"没有名为 {name} 的有效密钥")
        if action == "webhook":
            self._webhook(key, url)
            return
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record(actor=None, actor_label="命令行", action="update", obj=key, note="吊销接口密钥",
                     after={"revoked_at": key.revoked_at})
        ApiKey.forget_recent()
        self.stdout.write(f"已吊销 {name}")

    def _webhook(self, key, url: str) -> None:
        import secrets

        from django.core.exceptions import ValidationError
        from django.core.validators import URLValidator

        from shanzhi.api import webhooks

        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError as exc:
                raise CommandError(f"回调地址无效：{url}") from exc
        key.webhook_url = url
        key.webhook_secret = secrets.token_hex(32) if url else ""
        key.save(update_fields=["webhook_url", "webhook_secret"])
        audit.record(actor=None, actor_label="命令行", action="update", obj=key, note="设置回调地址",
                     after={"webhook_url": url})
        webhooks.forget()
        self.stdout.write(key.webhook_secret if url else f"已取消 {key.name} 的回调")
