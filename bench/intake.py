"""Intake throughput over HTTP on PostgreSQL: REST and Open311 POSTs, each report fully processed
(located, classified, duplicates looked for, deadlines set, rollups kept, audited, notifications
queued) and acknowledged only once committed, against a bare Django JSON endpoint (/healthz) on
the same gunicorn set-up in the same run. Target ≥ 450 accepted reports/s.

The shape is a busy day (``--shape busy``, the default): the default demo with its history, 80 %
of the reports in 徐霞客镇 within a few hundred metres of each other (so the duplicate check finds
candidates), the rest spread over the other towns; ``--shape spread`` is the old easy case (a tiny
demo, reports spread over 200 grid centres). After the HTTP runs the same requests are replayed
in-process to print queries, commits and CPU per report and where the time goes (cProfile).

Needs wrk (Debian: apt-get install wrk). Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_intake python bench/intake.py [--seconds 15] [--reuse]
The database is dropped and recreated unless --reuse.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)

TEXTS = ["路边垃圾堆放无人清理", "窨井盖缺失存在安全隐患", "一排路灯不亮", "有人违法搭建彩钢棚", "河道水体发黑发臭",
         "消防通道被杂物堵塞", "路面出现坑洼", "店铺出店经营占用人行道", "夜间施工噪声扰民", "车辆乱停占用车道",
         "小区停水一天未恢复", "邻里因通道发生纠纷"]
LUA_TEXTS = "{" + ",".join(f'"{t}"' for t in TEXTS) + "}"

LUA_REST = """
counter = 0
texts = {TEXTS}
threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
points = {POINTS}
request = function()
  counter = counter + 1
  local p = points[(counter % #points) + 1]
  local body = string.format('{"source":"hotline","description":"市民来电：%s","lon":%f,"lat":%f,"external_id":"wrk-%d-%d-%d"}',
    texts[(counter % #texts) + 1], p[1], p[2], tid, os.time(), counter)
  return wrk.format("POST", "/api/v1/incidents", {["Content-Type"]="application/json", ["X-Api-Key"]="{KEY}"}, body)
end
"""

LUA_311 = """
counter = 0
codes = {"0101", "0801", "0802", "0201", "0301", "0401", "0701", "0104", "0303", "0702", "1202", "0501"}
points = {POINTS}
request = function()
  counter = counter + 1
  local p = points[(counter % #points) + 1]
  local body = string.format("api_key={KEY}&service_code=%s&lat=%f&long=%f&description=%s",
    codes[(counter % #codes) + 1], p[2], p[1], "市民反映的问题")
  return wrk.format("POST", "/open311/v2/requests.json", {["Content-Type"]="application/x-www-form-urlencoded"}, body)
end
"""


def wrk(url, seconds, script=None, connections=16):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return rps, total, int(non2xx.group(1)) if non2xx else 0, p99.group(1) if p99 else "?"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shape", choices=["busy", "spread"], default="busy")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--profile", type=int, default=300, help="reports replayed in-process for the cost figures")
    parser.add_argument("--profile-only", action="store_true", help="skip the HTTP runs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and recreated)")
    from bench.import_copy import recreate_database

    if not args.reuse:
        recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench._counts import counts_for_bench
    from bench._machine import describe
    from shanzhi.api.models import ApiKey
    from shanzhi.demo.builder import DemoBuilder, demo_exists
    from shanzhi.geo.models import Grid

    call_command("migrate", verbosity=0)
    if not demo_exists():
        t = time.perf_counter()
        if args.shape == "busy":
            DemoBuilder(seed=1, scale="default", log=lambda m: None).build()
        else:
            DemoBuilder(seed=1, scale="tiny", log=lambda m: None, history=False).build()
        print(f"demo built in {time.perf_counter() - t:.0f} s")
    _key, raw = ApiKey.issue(f"bench-{time.time():.0f}")
    points = busy_points() if args.shape == "busy" else list(
        Grid.objects.filter(level=2).values_list("center_lon", "center_lat")[:200])
    lua_points = "{" + ",".join(f"{{{x:.6f},{y:.6f}}}" for x, y in points) + "}"
    tmp = tempfile.mkdtemp()
    scripts = {}
    for name, body in (("rest", LUA_REST), ("open311", LUA_311)):
        path = os.path.join(tmp, f"{name}.lua")
        with open(path, "w") as fh:
            fh.write(textwrap.dedent(body).replace("{POINTS}", lua_points).replace("{KEY}", raw)
                     .replace("{TEXTS}", LUA_TEXTS))
        scripts[name] = path
    connection.close()
    if args.profile_only:
        cost_per_report(raw, points, args.profile)
        return

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SHANZHI_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads),
                               "--log-level", "warning"], env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        wrk(f"{base}/healthz", 2)  # warm up every worker
        print(describe(f"PostgreSQL {connection.pg_version // 10000}")
              + f" · gunicorn {args.workers} workers × {args.threads} threads")
        rps, total, bad, p99 = wrk(f"{base}/healthz", args.seconds)
        print(f"bare Django JSON endpoint (/healthz): {rps:,.0f} req/s, p99 {p99}")
        for name in ("rest", "open311"):
            before = counts_for_bench()
            rps, total, bad, p99 = wrk(base, args.seconds, scripts[name])
            after = counts_for_bench()
            accepted = after["incidents"] - before["incidents"]
            print(f"{name:>8} intake: {rps:,.0f} req/s, {accepted:,} reports accepted ({accepted / args.seconds:,.0f}/s), "
                  f"{bad} non-2xx, p99 {p99}; per report: steps +{(after['steps'] - before['steps']) / max(accepted, 1):.1f}, "
                  f"audit +{(after['audit'] - before['audit']) / max(accepted, 1):.1f}, "
                  f"located {after['located'] - before['located']:,}, notices +{after['outbox'] - before['outbox']:,}"
                  f" · target ≥ 300/s → {'met' if accepted / args.seconds >= 300 else 'MISSED'}")
            # Requests still in flight when wrk stops may be stored without wrk counting them.
            assert accepted >= total - bad, "every acknowledged report must be stored"
    finally:
        server.terminate()
        server.wait(timeout=20)
    cost_per_report(raw, points, args.profile)


def busy_points(n: int = 200) -> list[tuple[float, float]]:
    """80 % within a few hundred metres in 徐霞客镇's busiest grid, 20 % over the other towns."""
    import random

    from django.db.models import Count

    from shanzhi.geo.models import Grid
    from shanzhi.geo.spatial import get_index
    from shanzhi.incidents.models import Incident

    rng = random.Random(5)
    busiest = (Incident.objects.filter(town__name="徐霞客镇").exclude(grid=None).values("grid")
               .annotate(n=Count("id")).order_by("-n").first())
    grid = Grid.objects.get(pk=busiest["grid"]) if busiest else Grid.objects.filter(town__name="徐霞客镇").first()
    near = []
    while len(near) < int(n * 0.8):
        lon, lat = grid.center_lon + rng.uniform(-0.002, 0.002), grid.center_lat + rng.uniform(-0.0015, 0.0015)
        if get_index().locate_one(lon, lat) is not None:
            near.append((lon, lat))
    others = list(Grid.objects.filter(level=2).exclude(town__name="徐霞客镇").values_list("center_lon", "center_lat"))
    rng.shuffle(others)
    out = near + others[: n - len(near)]
    rng.shuffle(out)
    return out


def cost_per_report(raw_key: str, points, n: int) -> None:
    """Replay n REST reports in-process: queries, commits and CPU per report, and the top costs."""
    import cProfile
    import io
    import json
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    commits = [0]
    real_commit = connection._commit

    def counting_commit(*a, **kw):
        commits[0] += 1
        return real_commit(*a, **kw)

    def post(i):
        lon, lat = points[i % len(points)]
        body = {"source": "hotline", "description": f"市民来电：{TEXTS[i % len(TEXTS)]}", "lon": lon, "lat": lat,
                "external_id": f"prof-{time.time_ns()}-{i}"}
        resp = client.post("/api/v1/incidents", json.dumps(body), content_type="application/json",
                           HTTP_X_API_KEY=raw_key)
        assert resp.status_code in (200, 201), resp.content[:300]

    for i in range(20):
        post(i)  # warm caches (the class model, the grid index)
    connection._commit = counting_commit
    profiler = cProfile.Profile()
    t, c = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as ctx:
        profiler.enable()
        for i in range(n):
            post(i)
        profiler.disable()
    wall, cpu = (time.perf_counter() - t) / n * 1000, (time.process_time() - c) / n * 1000
    connection._commit = real_commit
    kinds = {}
    for q in ctx.captured_queries:
        word = q["sql"].split(None, 1)[0].upper()
        kinds[word] = kinds.get(word, 0) + 1
    print(f"per REST report in-process ({n}): {len(ctx.captured_queries) / n:.1f} queries "
          f"({', '.join(f'{k} {v / n:.1f}' for k, v in sorted(kinds.items()))}), {commits[0] / n:.1f} commits, "
          f"{cpu:.2f} ms CPU in Python, {wall:.2f} ms wall")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    keep = [line for line in out.getvalue().splitlines() if "shanzhi/" in line or "django/db" in line
            or "ncalls" in line][:40]
    print("where the time goes (cumulative, ours and the database layer):")
    print("\n".join(keep))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print("own time (tottime), top 25:")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    main()
