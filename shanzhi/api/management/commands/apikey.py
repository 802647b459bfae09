from django.core.management.base import BaseCommand, CommandError

from shanzhi.api.models import ApiKey


class Command(BaseCommand):
    help = "接口密钥：shanzhi apikey create NAME（打印新密钥，仅显示一次）| list | revoke NAME"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("name", nargs="?")

    def handle(self, *args, action, name, **opts):
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
            _key, raw = ApiKey.issue(name)
            self.stdout.write(raw)
            return
        from django.utils import timezone

        if not ApiKey.objects.filter(name=name, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            raise CommandError(f"没有名为 {name} 的有效密钥")
        ApiKey.forget_recent()
        self.stdout.write(f"已吊销 {name}")
