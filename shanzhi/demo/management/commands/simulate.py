"""`shanzhi simulate`: keep incidents flowing through the loop while the demo runs."""

from django.core.management.base import BaseCommand

from shanzhi.demo.simulate import Simulator


class Command(BaseCommand):
    help = "模拟运行：持续产生新事件并推进办理流程"

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=20.0, help="每轮间隔秒数")
        parser.add_argument("--ticks", type=int, default=None, help="运行轮数（默认一直运行）")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, interval, ticks, seed, **opts):
        Simulator(seed=seed).run(interval, log=self.stdout.write, ticks=ticks)
