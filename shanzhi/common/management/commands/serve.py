"""`shanzhi serve`: the production web server (gunicorn + whitenoise), as in the demo."""

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务（gunicorn）"

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=int(os.environ.get("SHANZHI_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('SHANZHI_PORT', '8000')}")

    def handle(self, *args, workers, threads, bind, **opts):
        call_command("collectstatic", interactive=False, verbosity=0)
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind", bind,
                                  "--workers", str(workers), "--threads", str(threads), "--access-logfile", "-"])
