"""The field app on a phone, measured in Debian's chromium (Playwright) against the real server set-up
(gunicorn, 2 workers, whitenoise) on the default demo county with its 90-day history:

1. The field shell on a throttled 3G profile (Chromium DevTools emulation: 1.6 Mbps down, 750 kbps
   up, 150 ms round trip): the report page's first load with nothing on the phone (no HTTP cache,
   no service worker) until it is interactive (the queue script has run: the form is taken over)
   — target < 3 s; a repeat visit served by the service worker (HTTP cache cleared, so only the
   service worker's copies count) — target < 1 s. Printed beside: requests, bytes on the wire.
2. What the field pages ship: every script and style sheet the five field pages load, as the
   server sends them compressed (target JS + CSS < 300 KB).
3. Sync after a reconnect: 50 reports with 3 photos each (1600 × 1200, compressed on the phone)
   queued offline, then the signal returns: the time until all are accepted, checked exactly once
   in the database (50 cases, 150 photos, 50 keys), with the server's queries and CPU per report
   measured in-process on the same database.

Usage:
  python bench/field.py [--data-dir DIR] [--runs 5] [--reports 50]
      (DATABASE_URL=postgres://… for PostgreSQL; the demo is built once into the data directory)
"""

from __future__ import annotations

import argparse
import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._machine import describe  # noqa: E402

PASSWORD = "Shanzhi@2026"
CHROMIUM = os.environ.get("SHANZHI_CHROMIUM", "/usr/bin/chromium")
G3 = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
FIELD_PAGES = ["/incidents/new/", "/incidents/patrols/", "/work/", "/messages/", "/field/queue/"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server(data_dir: Path):
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir), "SHANZHI_SEAL_KEY": os.environ.get("SHANZHI_SEAL_KEY", "7c" * 32)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    marker = data_dir / ".bench-demo-built"
    if not marker.exists():
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "shanzhi.cli", "demo", "--scale", "default", "--no-serve"], env=env,
                       check=True, capture_output=True)
        marker.write_text("ok")
        print(f"  demo built in {time.perf_counter() - t:.0f} s")
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "collectstatic", "--noinput", "-v0"], env=env, check=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2"], env=env, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}", env


def login(context, base, username="grid_worker"):
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def phone(browser, **extra):
    return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN", service_workers="allow", **extra)


READY = """() => new Promise(done => {
  const t = () => (window.Shanzhi && Shanzhi.fieldReady) ? done(performance.now()) : setTimeout(t, 5);
  t();
})"""


def visit(page, cdp, url) -> dict:
    cdp.send("Network.clearBrowserCache")
    t = time.perf_counter()
    page.goto(url, wait_until="commit")
    interactive = page.evaluate(READY)
    wall = (time.perf_counter() - t) * 1000
    nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return {dcl: n.domContentLoadedEventEnd, bytes: n.transferSize}; }")
    res = page.evaluate("() => performance.getEntriesByType('resource').map(r => ({name: r.name, bytes: r.transferSize,"
                        " sw: r.workerStart > 0}))")
    return {"interactive": interactive, "wall": wall, "dcl": nav["dcl"], "requests": 1 + len(res),
            "bytes": nav["bytes"] + sum(r["bytes"] for r in res), "resources": [r["name"] for r in res]}


def bench_shell(browser, base, runs: int):
    print("1. the field shell on 3G (1.6 Mbps, 150 ms RTT), report page /incidents/new/")
    first, repeat, offline = [], [], []
    resources = set()
    for _ in range(runs):
        context = phone(browser)
        page = login(context, base)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", G3)
        a = visit(page, cdp, f"{base}/incidents/new/")
        first.append(a)
        resources.update(a["resources"])
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=60000)
        page.evaluate("() => caches.keys()")
        repeat.append(visit(page, cdp, f"{base}/incidents/new/"))
        # DevTools' emulation throttles the page, not the service worker's own fetch of the page
        # (network first): the same visit without any network is the service worker alone.
        context.set_offline(True)
        offline.append(visit(page, cdp, f"{base}/incidents/new/"))
        context.close()

    def show(label, rows, target):
        ms = [r["interactive"] for r in rows]
        print(f"  {label:<34} interactive median {statistics.median(ms):6.0f} ms · max {max(ms):6.0f} ms "
              f"(target < {target} ms: {'met' if max(ms) < target else 'NOT met'}) · DOMContentLoaded "
              f"{statistics.median(r['dcl'] for r in rows):5.0f} ms · {rows[0]['requests']} requests · "
              f"{statistics.median(r['bytes'] for r in rows) / 1024:5.1f} KB from the network")

    show("first visit (nothing on the phone)", first, 3000)
    show("repeat visit (service worker)", repeat, 1000)
    show("repeat visit, no signal at all", offline, 1000)
    return resources


def bench_weight(browser, base):
    print("2. what the field pages ship (scripts and styles, compressed as served)")
    context = phone(browser)
    page = login(context, base)
    urls = set()
    for path in FIELD_PAGES:
        page.goto(f"{base}{path}")
        page.evaluate(READY)
        urls.update(page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)"))
    context.close()
    total = 0
    rows = []
    for url in sorted(u for u in urls if u.split("?")[0].endswith((".js", ".css")) and "/static/" in u):
        req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as resp:
            body = resp.read()
            encoding = resp.headers.get("Content-Encoding", "identity")
        raw = len(gzip.decompress(body)) if encoding == "gzip" else len(body)
        total += len(body)
        rows.append((url.split("/static/")[1], raw, len(body), encoding))
    for name, raw, sent, enc in rows:
        print(f"    {name:<40} {raw / 1024:7.1f} KB → {sent / 1024:6.1f} KB ({enc})")
    print(f"  JS + CSS of the field pages: {total / 1024:.1f} KB compressed "
          f"(target < 300 KB: {'met' if total < 300 * 1024 else 'NOT met'}) — {len(rows)} files")


MAKE = """async ({n, photos, lon, lat, marker}) => {
  const blobs = [];
  for (let p = 0; p < photos * 2; p++) {
    // A photograph-like picture: gradients and noise (random noise alone would not compress like a photo).
    const c = document.createElement('canvas'); c.width = 2400; c.height = 1800;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 2400, 1800);
    grad.addColorStop(0, `hsl(${p * 37 % 360},40%,55%)`); grad.addColorStop(1, `hsl(${p * 91 % 360},35%,30%)`);
    g.fillStyle = grad; g.fillRect(0, 0, 2400, 1800);
    for (let i = 0; i < 4000; i++) {
      g.fillStyle = `rgba(${i * 13 % 255},${i * 7 % 255},${i * 3 % 255},0.25)`;
      g.fillRect((i * 977) % 2400, (i * 631) % 1800, 6 + i % 40, 4 + i % 30);
    }
    const raw = await new Promise(ok => c.toBlob(ok, 'image/jpeg', 0.95));
    blobs.push(await Shanzhi.field.compress(new File([raw], 'p.jpg', {type: 'image/jpeg'})));
  }
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const mine = [0, 1, 2].map(k => blobs[(i * photos + k) % blobs.length]);
    mine.forEach(b => { bytes += b.size; });
    await Shanzhi.field.enqueue('report', {description: `${marker} 第${i + 1}条：小区门口垃圾桶满了没人清，味道很大`,
      source: 'patrol', lon: String(lon + (i % 10) * 0.0003), lat: String(lat + Math.floor(i / 10) * 0.0003), crs: 'wgs84'},
      {photos: mine, label: `bench ${i + 1}`});
  }
  return bytes;
}"""


def bench_sync(browser, base, env, reports: int):
    print(f"3. sync after reconnecting: {reports} reports × 3 photos queued offline")
    context = phone(browser)
    page = login(context, base)
    page.goto(f"{base}/incidents/new/")
    page.evaluate(READY)
    con = _db(env)
    lon, lat = _one(con, "SELECT g.center_lon, g.center_lat FROM geo_grid g JOIN accounts_post p ON p.grid_id = g.id "
                         "JOIN accounts_user u ON u.id = p.user_id WHERE u.username = 'grid_worker'")
    marker = f"【bench {int(time.time())}】"
    context.set_offline(True)
    photo_bytes = page.evaluate(MAKE, {"n": reports, "photos": 3, "lon": lon, "lat": lat, "marker": marker})
    assert page.evaluate("() => Shanzhi.field.counts()")["pending"] == reports
    context.set_offline(False)
    t = time.perf_counter()
    page.evaluate("() => Shanzhi.field.sync()")
    while page.evaluate("() => Shanzhi.field.counts()")["pending"]:
        page.evaluate("() => Shanzhi.field.sync()")
    seconds = time.perf_counter() - t
    page.evaluate("() => Shanzhi.field.sync()")  # once more: nothing is sent twice
    like = f"{marker}%"
    cases = _one(con, "SELECT count(*) FROM incidents_incident WHERE description LIKE %s", (like,))[0]
    photos = _one(con, "SELECT count(*) FROM incidents_attachment a JOIN incidents_incident i ON i.id = a.incident_id "
                       "WHERE i.description LIKE %s", (like,))[0]
    distinct = _one(con, "SELECT count(DISTINCT description) FROM incidents_incident WHERE description LIKE %s",
                    (like,))[0]
    ok = cases == distinct == reports and photos == 3 * reports
    print(f"  {reports} reports, {photo_bytes / 1024 / 1024:.1f} MB of photos after compression on the phone "
          f"({photo_bytes / reports / 3 / 1024:.0f} KB each): all accepted in {seconds:.1f} s "
          f"({seconds / reports * 1000:.0f} ms per report on loopback) · in the database: {cases} cases, {photos} "
          f"photos, {distinct} distinct — exactly once: {'yes' if ok else 'NO'}")
    context.close()
    con.close()
    return ok


def _db(env):
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        return psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)
    import sqlite3

    return sqlite3.connect(Path(env["SHANZHI_DATA_DIR"]) / "shanzhi.sqlite3", timeout=30)


def _one(con, sql, args=()):
    cur = con.cursor()
    cur.execute(sql.replace("%s", "?") if not hasattr(con, "info") else sql, args)
    return cur.fetchone()


def bench_cost(env, n: int = 20):
    """Queries and CPU per queued report, in-process on the same database (the server's own code)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith(("SHANZHI_", "DATABASE_URL"))})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
    import io
    import json
    import uuid

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from PIL import Image

    from shanzhi.accounts.models import User
    from shanzhi.geo.models import Grid

    worker = User.objects.get(username="grid_worker")
    grid = Grid.objects.filter(posts__user=worker).first()
    client = Client()
    client.force_login(worker)
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (120, 150, 90)).save(buf, format="JPEG", quality=80)
    queries, cpu, photos_cpu = [], [], []
    for i in range(n + 3):
        data = {"key": uuid.uuid4().hex, "kind": "report", "made_at": str(int(timezone.now().timestamp() * 1000)),
                "fields": json.dumps({"description": f"bench cost {i}：路灯不亮", "source": "patrol",
                                      "lon": str(grid.center_lon), "lat": str(grid.center_lat)}),
                "photos": [SimpleUploadedFile(f"{k}.jpg", buf.getvalue(), "image/jpeg") for k in range(3)]}
        with CaptureQueriesContext(connection) as ctx:
            c0 = time.process_time()
            resp = client.post("/field/sync/", data, HTTP_HOST="127.0.0.1")
            spent = (time.process_time() - c0) * 1000
        assert resp.status_code == 201, resp.content
        if i >= 3:  # the first few warm the process
            queries.append(len(ctx.captured_queries))
            cpu.append(spent)
    from shanzhi.incidents.services.photos import clean_photo

    for _ in range(10):
        c0 = time.process_time()
        clean_photo(SimpleUploadedFile("p.jpg", buf.getvalue(), "image/jpeg"))
        photos_cpu.append((time.process_time() - c0) * 1000)
    print(f"  per queued report (3 photos), in-process: {statistics.mean(queries):.1f} queries · "
          f"{statistics.median(cpu):.0f} ms CPU, of which {3 * statistics.median(photos_cpu):.0f} ms the 3 photos "
          f"(checked, re-encoded, metadata stripped)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "shanzhi-bench-field"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reports", type=int, default=50)
    ap.add_argument("--only", default="shell,weight,sync,cost", help="comma-separated parts")
    args = ap.parse_args()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(describe(db))
    parts = set(args.only.split(","))
    proc, base, env = server(data_dir)
    ok = True
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                                        "--disable-background-networking"])
            if "shell" in parts:
                bench_shell(browser, base, args.runs)
            if "weight" in parts:
                bench_weight(browser, base)
            if "sync" in parts:
                ok = bench_sync(browser, base, env, args.reports)
            browser.close()
        if "cost" in parts:
            bench_cost(env)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
