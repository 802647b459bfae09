"""`shanzhi export KIND FILE --as-user NAME`: export a registry to xlsx through a user's scope."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from shanzhi.accounts.models import User
from shanzhi.registry.services.exports import EXPORTS, registry_export


class Command(BaseCommand):
    help = "导出基础信息为 xlsx（按用户管辖范围，默认脱敏）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("file")
        parser.add_argument("--as-user", required=True)
        parser.add_argument("--plain", action="store_true", help="导出明文（需相应岗位，记入审计）")

    def handle(self, *args, kind, file, as_user, plain, **opts):
        actor = User.objects.filter(username=as_user).first()
        if actor is None:
            raise CommandError(f"用户 {as_user} 不存在")
        try:
            data = registry_export(actor=actor, kind=kind, plain=plain)
        except (PermissionDenied, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        with open(file, "wb") as fh:
            fh.write(data)
        self.stdout.write(self.style.SUCCESS(f"已导出到 {file}"))
