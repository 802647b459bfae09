"""Intake throughput over HTTP on PostgreSQL: REST and Open311 POSTs, each report fully processed
(located, classified, deadlines set, audited, notifications queued), against a bare Django JSON
endpoint (/healthz) on the same gunicorn set-up in the same run. Target ≥ 300 accepted reports/s.

Needs wrk (Debian: apt-get install wrk). Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_intake python bench/intake.py [--seconds 15]
The database is dropped and recreated.
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
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and recreated)")
    from bench.import_copy import recreate_database

    recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench._counts import counts_for_bench
    from bench._machine import describe
    from shanzhi.api.models import ApiKey
    from shanzhi.demo.builder import DemoBuilder
    from shanzhi.geo.models import Grid

    call_command("migrate", verbosity=0)
    DemoBuilder(seed=1, scale="tiny", log=lambda m: None, history=False).build()
    _key, raw = ApiKey.issue("bench")
    points = list(Grid.objects.filter(level=2).values_list("center_lon", "center_lat")[:200])
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


if __name__ == "__main__":
    main()
