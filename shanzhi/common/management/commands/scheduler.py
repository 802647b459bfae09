"""`shanzhi scheduler`: enqueue periodic jobs when due. Safe to run on several machines: the
row lock on ScheduledRun lets exactly one scheduler enqueue each due job."""

import datetime as dt
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from shanzhi.common.models import ScheduledRun
from shanzhi.config.schedule import SCHEDULE


def run_due(now=None) -> list[str]:
    now = now or timezone.now()
    enqueued = []
    for name, every, path in SCHEDULE:
        with transaction.atomic():
            ScheduledRun.objects.get_or_create(name=name)
            row = ScheduledRun.objects.select_for_update().get(name=name)
            if row.last_enqueued and now - row.last_enqueued < dt.timedelta(seconds=every):
                continue
            task = import_string(path)
            transaction.on_commit(task.enqueue)
            row.last_enqueued = now
            row.save(update_fields=["last_enqueued"])
            enqueued.append(name)
    return enqueued


class Command(BaseCommand):
    help = "定时调度：按计划把周期任务放入后台任务队列"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, once, interval, **opts):
        while True:
            for name in run_due():
                self.stdout.write(f"{timezone.localtime():%H:%M:%S} 已排队 {name}")
            if once:
                return
            time.sleep(interval)
