from django.core.management.base import BaseCommand, CommandError

from shanzhi.common import audit_chain


class Command(BaseCommand):
    help = "审计日志：shanzhi audit seal（立即为新记录加链）| verify（逐条校验哈希链，报告第一处断链）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seal", "verify"])

    def handle(self, *args, action, **opts):
        if action == "seal":
            total = 0
            while n := audit_chain.seal():
                total += n
            self.stdout.write(f"已加链 {total} 条")
            return
        verdict = audit_chain.verify()
        if verdict.ok:
            self.stdout.write(self.style.SUCCESS(
                f"哈希链完整：已校验 {verdict.checked} 条；尚未加链 {verdict.unsealed} 条（每分钟自动加链）"))
            return
        raise CommandError(f"哈希链在第 {verdict.broken_at} 条（审计记录 #{verdict.broken_id}）断开："
                           f"该记录或其前一条在加链后被改动。此前 {verdict.checked} 条完好。")
