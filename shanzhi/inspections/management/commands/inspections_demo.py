"""`shanzhi inspections_demo`: the random-inspection demo (checklist, registers, three plans) on a
demo county that does not have it yet; does nothing when it is there already."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = "Add the 双随机一公开 demo (matters, registers, plans) to an existing demo county"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        from shanzhi.demo.builder import demo_exists
        from shanzhi.inspections import demo

        if not demo_exists():
            self.stderr.write("没有演示县：请先运行 shanzhi demo")
            return
        started = time.perf_counter()
        counts = demo.build(now=timezone.now(), seed=seed, log=self.stdout.write)
        if not counts:
            self.stdout.write("双随机一公开演示数据已存在")
            return
        self.stdout.write("双随机一公开：" + "，".join(f"{k} {v}" for k, v in counts.items()) +
                          f"（{time.perf_counter() - started:.1f} 秒）")
