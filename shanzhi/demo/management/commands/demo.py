"""`shanzhi demo`: migrate, build the demo county once, then run web + worker + scheduler."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from shanzhi.demo.builder import DEMO_PASSWORD, DemoBuilder, demo_exists


class Command(BaseCommand):
    help = "建立演示县（江阴市）并启动网页服务、后台任务、定时调度和模拟运行"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--scale", choices=["default", "full", "tiny"], default="default")
        parser.add_argument("--rebuild", action="store_true", help="清空数据库后重新生成")
        parser.add_argument("--no-serve", action="store_true", help="只生成数据，不启动服务")

    def handle(self, *args, seed, scale, rebuild, no_serve, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if rebuild:
            from shanzhi.common.audit_chain import guard_suspended

            with guard_suspended():  # the only place an audit row is ever removed: a demo rebuilt from scratch
                call_command("flush", interactive=False, verbosity=0)
        if not demo_exists():
            started = time.monotonic()
            self.stdout.write(f"生成演示县（江阴市，规模 {scale}，种子 {seed}）…")
            counts = DemoBuilder(seed=seed, scale=scale, log=lambda m: self.stdout.write("  " + m)).build()
            self.stdout.write(self.style.SUCCESS(
                f"完成，用时 {time.monotonic() - started:.1f} 秒：" + "，".join(f"{k} {v}" for k, v in counts.items())))
        else:
            self.stdout.write("演示数据已存在（使用 --rebuild 重新生成）。")
        self.print_logins()
        if not no_serve:
            self.serve()

    def print_logins(self):
        from shanzhi.accounts.models import Post, User
        from shanzhi.accounts.roles import Role

        port = os.environ.get("SHANZHI_PORT", "8000")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"善治演示平台： http://127.0.0.1:{port}/"))
        self.stdout.write(f"所有演示账号的密码：{DEMO_PASSWORD}（也可用手机号登录）")
        self.stdout.write(f"{'用户名':<16}{'姓名':<8}{'角色':<14}{'手机号':<13}岗位")
        for username in ["admin", "county_leader", "county_dispatcher", "town_leader", "dispatcher", "dept_handler", "grid_chief",
                         "grid_worker", "informant", "grid_inspector", "liaison", "patroller", "window_clerk",
                         "reviewer", "officer", "civil_affairs", "village_aide", "county_civil", "auditor", "citizen",
                         "outsider"]:
            user = User.objects.filter(username=username).first()
            if user is None:
                continue
            post = Post.objects.filter(user=user).select_related("region", "grid", "department").first()
            role = Role(post.role).label if post else "系统管理员"
            where = (post.grid or post.department or post.region or "") if post else "全县"
            self.stdout.write(f"{username:<19}{user.display_name:<7}{role:<12}{user.mobile or '':<15}{where}")
        from shanzhi.onewindow.models import ServiceHall

        hall = ServiceHall.objects.select_related("town").filter(town__name="徐霞客镇").first()
        if hall:
            base = f"http://127.0.0.1:{port}/window/halls/{hall.town.code}"
            self.stdout.write(f"{hall.name}：叫号屏 {base}/screen/ · 取号机 {base}/kiosk/")
        root = f"http://127.0.0.1:{port}"
        self.stdout.write(f"公开页面：办事指南 {root}/window/guide/ · 权责清单 {root}/team/powers/ · "
                          f"行政处罚公示 {root}/team/public/ · 双随机抽查结果 {root}/inspections/public/ · "
                          f"随手拍 {root}/report/ · 注册网上办事账号 {root}/signup/")
        aide = Post.objects.filter(user__username="village_aide").select_related("region").first()
        if aide and aide.region:
            self.stdout.write(f"村务公开：社会救助公示 {root}/assistance/notice/{aide.region.code}/ · "
                              f"福村宝互助公示 {root}/mutualaid/public/{aide.region.code}/")
        self.stdout.write("")

    def serve(self):
        port = os.environ.get("SHANZHI_PORT", "8000")
        # The demo's key may live in its data directory (shanzhi.common.keys refuses that elsewhere).
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shanzhi.config.settings", "SHANZHI_DEMO": "1"}
        call_command("collectstatic", interactive=False, verbosity=0)
        py = sys.executable
        procs = [
            subprocess.Popen([py, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                              "--workers", "2", "--threads", "4", "--access-logfile", "-", "--log-level", "warning"],
                             env=env),
            subprocess.Popen([py, "-m", "shanzhi.cli", "worker"], env=env),
            subprocess.Popen([py, "-m", "shanzhi.cli", "scheduler"], env=env),
            subprocess.Popen([py, "-m", "shanzhi.cli", "simulate"], env=env),
        ]
        self.stdout.write(f"网页服务、后台任务、定时调度、模拟运行已启动（数据目录 {settings.DATA_DIR}），按 Ctrl+C 停止。")

        def stop(*_):
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            for p in procs:
                if p.poll() is not None:
                    self.stderr.write(f"子进程 {p.args[2] if len(p.args) > 2 else p.args} 已退出（{p.returncode}），正在停止全部服务。")
                    stop()
            time.sleep(1)
