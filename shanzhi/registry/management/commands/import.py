"""`shanzhi import KIND FILE`: import a CSV/xlsx registry file with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from shanzhi.accounts.models import User
from shanzhi.registry.services.imports import IMPORTERS, registry_import


class Command(BaseCommand):
    help = "导入基础信息（户、人口、房屋、单位、部件）：shanzhi import person people.xlsx"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument("--as-user", default="", help="以该用户的管辖范围导入（默认：系统，全县范围）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, kind, file, as_user, dry_run, **opts):
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"用户 {as_user} 不存在")
        try:
            with open(file, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc}") from exc
        with tqdm(unit="行", desc=f"导入 {kind}", disable=None) as bar:
            result = registry_import(actor=actor, kind=kind, source=raw, filename=file, progress=bar.update,
                                     dry_run=dry_run)
        if result.header_error:
            raise CommandError(result.header_error)
        if result.error_count:
            for err in result.errors[:50]:
                self.stderr.write(str(err))
            raise CommandError(f"共 {result.total} 行，发现 {result.error_count} 处错误，未导入任何数据。")
        verb = "校验通过" if dry_run else "导入成功"
        self.stdout.write(self.style.SUCCESS(f"{verb}：{result.total} 行，写入 {result.created} 条。"))
