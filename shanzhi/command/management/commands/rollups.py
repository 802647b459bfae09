"""shanzhi rollups compact|rebuild|check — the command center's rollups (``command.facts``)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "整理（compact）、重建（rebuild，批量导入之后）或核对（check）指挥中心的统计汇总"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["compact", "rebuild", "check"])
        parser.add_argument("--days", type=int, default=365, help="check：核对最近多少天（默认 365）")

    def handle(self, *args, action, days, **opts):
        from django.db.models import Q

        from shanzhi.command import board, facts, indicators, selectors
        from shanzhi.incidents.models import Incident

        t = time.perf_counter()
        if action == "compact":
            self.stdout.write(f"folded into {facts.compact():,} rows in {time.perf_counter() - t:.1f} s")
        elif action == "rebuild":
            self.stdout.write(f"rebuilt {facts.rebuild():,} rows in {time.perf_counter() - t:.1f} s")
        else:
            start, end, label = selectors.period({"days": days})
            now = timezone.now()
            area = board.Area(fact=Q(dim="T"))
            got = indicators.finish(facts.add(facts.rollup_counts(area.fact, *facts._dates(start, end)),
                                              indicators.counts(board._live_incidents(area), start, end, now)))
            want = indicators.compute(Incident.objects.all(), start, end, now)
            bad = [(a["label"], a["numerator"], b["numerator"], a["denominator"], b["denominator"])
                   for a, b in zip(got["indicators"], want["indicators"], strict=True)
                   if (a["numerator"], a["denominator"]) != (b["numerator"], b["denominator"])]
            if bad:
                for row in bad:
                    self.stderr.write("{}: rollup {}/{}, direct {}/{}".format(*row))
                raise CommandError("汇总与直接统计不一致：请运行 shanzhi rollups rebuild")
            self.stdout.write(f"{label}: the rollups equal a direct count ({time.perf_counter() - t:.1f} s)")
