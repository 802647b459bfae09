"""One window benchmarks on PostgreSQL, on the default demo county with its history:

1. Catalog search and guide pages with 5,000 handling items (target p95 < 50 ms server time):
   the public guide list (searches people type), guide pages and the REST catalog, timed inside the
   process (middleware, scoping, templates — everything but the socket), with queries per request.
2. A busy town hall day (the sources: 240+ cases a day) replayed at 100× over HTTP against
   gunicorn: numbers from the kiosks, clerks calling them at their windows, applications taken in
   at the window and online (with files), correction notices answered, departments reviewing
   (jointly where the item says so), grants with SM2 certificates, delivery and ratings. Every
   request must succeed; throughput, latency per kind of request, commits and server CPU per
   case are printed.
3. The deadline job over 1,000,000 open timers of every kind (target: one scan < 5 s): the
   scan's selection on the full table, then one real scan with a minute's worth of due clocks
   (the scheduler runs it every 60 s), with queries and commits per handled timer.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_window python bench/window.py [--reuse]
      [--speed 100] [--cases 240] [--timers 1000000] [--only catalog,replay,scan]
The database is dropped and recreated unless --reuse.
"""

import argparse
import base64
import heapq
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)
os.environ.setdefault("SHANZHI_TRUSTED_PROXIES", "127.0.0.1")

PASSWORD = "Shanzhi@2026"
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n").decode()
QUALIFIERS = ["个人", "企业", "延续", "补证", "变更法定代表人", "变更名称", "变更地址", "注销", "遗失补办", "分支机构",
              "农村", "城镇", "首次", "换证", "增项", "减项", "临时", "年度", "异地", "委托"]
SEARCHES = ["食品", "宅基地", "营业执照", "证明", "登记", "许可", "社保", "残疾", "养老", "户外广告", "排水", "建房",
            "占道", "医保", "就业", "渔业", "烟草", "个体", "农机", "林木", "", "准生", "低保", "殡葬"]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else 0.0


def line(label, ms, queries=None, target=None):
    extra = f" · {statistics.mean(queries):.1f} queries/request" if queries else ""
    verdict = f" · target p95 < {target} ms: {'met' if pct(ms, 95) < target else 'NOT met'}" if target else ""
    print(f"  {label:<42} n={len(ms):<5} p50 {pct(ms, 50):6.1f} ms · p95 {pct(ms, 95):6.1f} ms · "
          f"max {max(ms):6.1f} ms{extra}{verdict}")


# --------------------------------------------------------------------------- 1. the catalog
def grow_catalog(total: int) -> int:
    from django.db import transaction

    from shanzhi.onewindow.models import Material, ServiceItem

    handling = ServiceItem.objects.filter(level="handling")
    have = handling.count()
    if have >= total:
        return have
    rng = random.Random(11)
    bases = list(handling.prefetch_related("materials"))
    with transaction.atomic():
        new, mats = [], []
        for n in range(total - have):
            base = rng.choice(bases)
            q = QUALIFIERS[n % len(QUALIFIERS)]
            item = ServiceItem(**{f.attname: getattr(base, f.attname) for f in ServiceItem._meta.concrete_fields
                                  if f.name not in ("id", "created_at", "updated_at")})
            item.code = f"{base.code[:28]}B{n:06d}"
            item.name = f"{base.name}（{q}）"
            item.keywords = f"{base.keywords},{q}"[:200]
            new.append((item, list(base.materials.all())))
        ServiceItem.objects.bulk_create([i for i, _m in new], batch_size=1000)
        for item, materials in new:
            for m in materials:
                mats.append(Material(item=item, order=m.order, name=m.name, required=m.required, form=m.form,
                                     source=m.source, copies=m.copies, certificate_type=m.certificate_type,
                                     note=m.note))
        Material.objects.bulk_create(mats, batch_size=5000)
    return handling.count()


def bench_catalog(items_target: int, n: int = 300):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shanzhi.onewindow.models import ServiceItem

    total = grow_catalog(items_target)
    print(f"catalog: {total:,} handling items")
    rng = random.Random(3)
    codes = list(ServiceItem.objects.filter(level="handling", is_active=True).values_list("code", flat=True))
    client = Client()

    def timed(path, params=None):
        ip = f"10.9.{rng.randrange(256)}.{rng.randrange(1, 255)}"  # visitors from many addresses
        connection.queries_log.clear()  # a full log would make the count wrong
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            resp = client.get(path, params or {}, REMOTE_ADDR=ip, HTTP_HOST="127.0.0.1")
            ms = (time.perf_counter() - t) * 1000
        assert resp.status_code == 200, (path, params, resp.status_code)
        return ms, len(ctx.captured_queries)

    for _ in range(20):  # warm the process (templates, catalog caches)
        timed("/window/guide/", {"q": rng.choice(SEARCHES)})
    results = {}
    for label, fn in [
        ("guide search page (/window/guide/?q=…)", lambda: timed("/window/guide/", {"q": rng.choice(SEARCHES)})),
        ("guide list, later pages", lambda: timed("/window/guide/", {"page": rng.randint(2, 150)})),
        ("guide item page (/window/guide/<code>/)", lambda: timed(f"/window/guide/{rng.choice(codes)}/")),
        ("REST catalog search (/api/v1/window/items)",
         lambda: timed("/api/v1/window/items", {"q": rng.choice(SEARCHES), "limit": 50})),
        ("REST item detail (/api/v1/window/items/<code>)", lambda: timed(f"/api/v1/window/items/{rng.choice(codes)}")),
    ]:
        rows = [fn() for _ in range(n)]
        results[label] = rows
        line(label, [r[0] for r in rows], [r[1] for r in rows], target=50)
    return results


# --------------------------------------------------------------------------- 2. the hall day
class Http:
    """A logged-in browser: a requests session with the CSRF token Django set."""

    def __init__(self, base, ip):
        import requests

        self.base, self.s = base, requests.Session()
        self.s.headers["X-Forwarded-For"] = ip

    def login(self, username):
        self.s.get(f"{self.base}/login/")
        r = self.s.post(f"{self.base}/login/", data={"username": username, "password": PASSWORD,
                                                     "csrfmiddlewaretoken": self.s.cookies["csrftoken"]},
                        headers={"Referer": f"{self.base}/login/"}, allow_redirects=False)
        assert r.status_code == 302, f"login {username}: {r.status_code}"
        return self

    def _csrf(self):
        return {"X-CSRFToken": self.s.cookies.get("csrftoken", ""), "Referer": f"{self.base}/"}

    def api(self, method, path, body=None):
        return self.s.request(method, f"{self.base}/api/v1{path}", data=json.dumps(body) if body is not None else None,
                              headers={"Content-Type": "application/json", **self._csrf()})

    def form(self, path, data):
        if "csrftoken" not in self.s.cookies:
            self.s.get(f"{self.base}/login/")
        return self.s.post(f"{self.base}{path}", data={**data, "csrfmiddlewaretoken": self.s.cookies["csrftoken"]},
                           headers={"Referer": f"{self.base}{path}"}, allow_redirects=False)


def _server(env, port):
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"], env=env)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def _cpu_ms(pid) -> float:
    """User + system CPU of gunicorn's workers (children of the master), in ms."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split():
        try:
            with open(f"/proc/{child}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total * 1000 / tick


def _commits() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return cur.fetchone()[0]


def prepare_hall():
    """Open the showcase hall all day today (the replay runs whenever the benchmark does)."""
    import datetime as dt

    from django.utils import timezone

    from shanzhi.common.models import CalendarDay
    from shanzhi.onewindow.models import ServiceHall

    hall = ServiceHall.objects.select_related("town").get(town__name="徐霞客镇")
    ServiceHall.objects.filter(pk=hall.pk).update(am_open=dt.time(0, 0), am_close=dt.time(23, 59, 59),
                                                  pm_open=dt.time(23, 59, 59), pm_close=dt.time(23, 59, 59))
    # The start of the day: nobody is at a window yet, yesterday's numbers are closed.
    hall.windows.update(clerk=None)
    today = timezone.localdate()
    CalendarDay.objects.update_or_create(date=today, region_code="", defaults={"is_workday": True,
                                                                               "note": "benchmark"})
    return hall


def plan_cases(n, rng):
    """The day's mix, after 徐霞客镇's figures: most at the window, a third online, a few agents."""
    from django.db.models import Count

    from shanzhi.onewindow.models import ServiceItem
    from shanzhi.registry.models import Organisation, Person

    items = list(ServiceItem.objects.filter(level="handling", is_active=True).exclude(code__regex=r"B[0-9]{6}$")
                 .annotate(groups=Count("review_steps__parallel_group", distinct=True))
                 .prefetch_related("materials", "review_steps__department"))
    online = [i for i in items if i.online_depth >= 3]
    people = list(Person.objects.filter(region__parent__name="徐霞客镇").order_by("?")[:n])
    orgs = list(Organisation.objects.filter(region__parent__name="徐霞客镇").order_by("?")[:n])
    cases = []
    for k in range(n):
        channel = "online" if rng.random() < 0.33 else "window"
        item = rng.choice(online if channel == "online" else items)
        if item.applicant_kind == "organisation" or (item.applicant_kind == "both" and rng.random() < 0.4):
            org = orgs[k % len(orgs)]
            applicant = {"applicant_name": org.name, "applicant_id": org.uscc, "applicant_kind": "organisation"}
        else:
            p = people[k % len(people)]
            applicant = {"applicant_name": p.name, "applicant_id": p.id_number, "applicant_kind": "person"}
        cases.append({"k": k, "channel": channel, "item": item, "applicant": applicant,
                      "forget": rng.random() < 0.12, "rate": rng.random() < 0.6,
                      "at": rng.uniform(0, 7.5 * 3600)})  # seconds into the 7.5-hour day
    return sorted(cases, key=lambda c: c["at"])


def bench_replay(n_cases: int, speed: float):
    import django.db

    from shanzhi.accounts.models import User

    hall = prepare_hall()
    rng = random.Random(240)
    cases = plan_cases(n_cases, rng)
    clerks = list(User.objects.filter(posts__role="window_clerk", posts__region=hall.town).distinct()
                  .values_list("username", flat=True))
    deciders = list(User.objects.filter(posts__role="backoffice_reviewer", posts__region=hall.town).distinct()
                    .values_list("username", flat=True))
    handlers = {}
    for u in User.objects.filter(posts__role="dept_handler").values("username", "posts__department_id"):
        handlers.setdefault(u["posts__department_id"], u["username"])
    windows = list(hall.windows.filter(is_active=True).order_by("number").values_list("pk", flat=True))
    django.db.connections.close_all()

    port = 8700 + os.getpid() % 200
    env = {**os.environ, "SHANZHI_TRUSTED_PROXIES": "127.0.0.1"}
    proc = _server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        sessions = {u: Http(base, f"10.20.0.{i + 10}").login(u) for i, u in enumerate(clerks + deciders)}
        for dept, u in handlers.items():
            sessions.setdefault(u, Http(base, f"10.21.{dept % 250}.1").login(u))
        citizen = Http(base, "10.30.0.1").login("citizen")
        kiosks = [Http(base, f"10.40.0.{i}") for i in (1, 2, 3)]
        for i, clerk in enumerate(clerks[: len(windows)]):
            sessions[clerk].form("/window/desk/sign_in/", {"window": windows[i]})

        stats = defaultdict(list)
        errors = []
        heap, lock, done = [], threading.Lock(), threading.Event()
        pending = [0]
        t0 = time.perf_counter()

        def call(kind, fn, ok=(200, 201, 302)):
            t = time.perf_counter()
            r = fn()
            stats[kind].append((time.perf_counter() - t) * 1000)
            if r.status_code not in ok:
                errors.append(f"{kind}: {r.status_code} {r.text[:160]}")
                raise RuntimeError(kind)
            return r

        def schedule(at, step, case):
            with lock:
                heapq.heappush(heap, (at, case["k"], id(step), step, case))

        def clerk_for(case):
            return sessions[clerks[case["k"] % len(windows)]]

        def materials(case, skip):
            ms = list(case["item"].materials.all())
            if skip and len(ms) > 1:
                ms = ms[:-1]
            if case["channel"] == "online":
                return [{"material_id": m.pk, "kind": "file", "filename": f"{m.name[:20]}.pdf", "content_base64": PDF}
                        for m in ms]
            return [{"material_id": m.pk, "kind": "paper"} for m in ms]

        # Each case is a chain of steps; each step schedules the next at its (scaled) time.
        def s_arrive(case):
            if case["channel"] == "window":
                kiosk = kiosks[case["k"] % len(kiosks)]
                call("kiosk: take a number", lambda: kiosk.form(f"/window/halls/{hall.town.code}/kiosk/",
                                                                 {"lane": "normal"}))
                call("desk: call the next number", lambda: clerk_for(case).form("/window/desk/call/", {}))
                who = clerk_for(case)
            else:
                who = citizen
            r = call(f"apply ({case['channel']})", lambda: who.api("POST", "/window/applications", {
                "item_code": case["item"].code, "town": hall.town.code, **case["applicant"],
                "channel": case["channel"], "materials": materials(case, case["forget"])}), ok=(201,))
            case["id"], case["v"] = r.json()["id"], r.json()["version"]
            schedule(case["at"] + 600, s_intake, case)

        def act(case, who, action, body=None, kind=None):
            r = call(kind or action, lambda: who.api("POST", f"/window/applications/{case['id']}/actions/{action}",
                                                     {"version": case["v"], **(body or {})}))
            data = r.json()
            case["v"] = data["version"]
            return data

        def s_intake(case):
            clerk = clerk_for(case)
            if case.pop("forget", False):
                act(case, clerk, "request_correction", {"problems": {}}, kind="correction notice")
                who = citizen if case["channel"] == "online" else clerk
                missing = case["item"].materials.all()[len(case["item"].materials.all()) - 1]
                body = {"materials": [{"material_id": missing.pk, "kind": "file", "filename": "补正.pdf",
                                       "content_base64": PDF}] if case["channel"] == "online"
                        else [{"material_id": missing.pk, "kind": "paper"}]}
                act(case, who, "resubmit", body, kind="answer the notice")
            data = act(case, clerk, "accept")
            case["reviews"] = data["reviews"]
            schedule(case["at"] + 3600, s_review, case)

        def s_review(case):
            detail = case["reviews"]
            pending = [r for r in detail if r["state"] == "pending"]
            if pending:
                group = min(r["parallel_group"] for r in pending)
                for r in [r for r in pending if r["parallel_group"] == group]:
                    dept_id = _dept_ids[r["department_code"]]
                    who = sessions.get(handlers.get(dept_id)) or sessions[deciders[0]]
                    data = act(case, who, "review", {"approve": True, "note": "材料齐全，符合条件",
                                                     "department_code": r["department_code"]}, kind="review")
                case["reviews"] = data["reviews"]
                schedule(case["at"] + 5400, s_review, case)
                return
            act(case, sessions[deciders[case["k"] % len(deciders)]], "grant", {"note": "准予"})
            schedule(case["at"] + 7200, s_deliver, case)

        def s_deliver(case):
            act(case, clerk_for(case), "deliver", {"method": "pickup"})
            if case["rate"] and case["channel"] == "online":
                call("rate", lambda: citizen.api("POST", f"/window/applications/{case['id']}/rate",
                                                 {"level": 5 if case["k"] % 10 else 2, "comment": "办事很快"}))

        from shanzhi.accounts.models import Department

        _dept_ids = dict(Department.objects.values_list("code", "pk"))
        django.db.connections.close_all()
        for case in cases:
            schedule(case["at"], s_arrive, case)
        pending[0] = len(cases)
        cpu0, commits0 = _cpu_ms(proc.pid), _commits()
        django.db.connections.close_all()
        finished = [0]

        def worker():
            while not done.is_set():
                with lock:
                    item = heap[0] if heap else None
                    if item is not None and (item[0] / speed) <= time.perf_counter() - t0:
                        heapq.heappop(heap)
                    else:
                        item = None
                if item is None:
                    with lock:
                        if not heap and finished[0] >= len(cases):
                            done.set()
                    time.sleep(0.01)
                    continue
                _at, _k, _id, step, case = item
                try:
                    step(case)
                except Exception as exc:  # noqa: BLE001 — counted, the day goes on
                    errors.append(f"{step.__name__}: {exc}")
                    with lock:
                        finished[0] += 1
                    continue
                if step is s_deliver:
                    with lock:
                        finished[0] += 1

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        cpu = _cpu_ms(proc.pid) - cpu0
        commits = _commits() - commits0
        django.db.connections.close_all()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    requests_total = sum(len(v) for v in stats.values())
    print(f"hall day: {len(cases)} cases ({sum(c['channel'] == 'online' for c in cases)} online, "
          f"{sum(1 for c in cases if 'id' in c and c['channel'] == 'window')} at the window with a number) "
          f"replayed at {speed:g}× in {wall:.0f} s (the 7.5-hour day would take {7.5 * 3600 / speed:.0f} s)")
    print(f"  {requests_total} requests, {len(errors)} errors · {requests_total / wall:.1f} requests/s · "
          f"server CPU {cpu / len(cases):.0f} ms per case ({cpu / requests_total:.1f} ms per request) · "
          f"{commits / len(cases):.1f} PostgreSQL transactions per case (every autocommit read counts as one)")
    for kind, ms in sorted(stats.items()):
        line(kind, ms)
    for e in errors[:10]:
        print("  ERROR", e)
    return errors


# --------------------------------------------------------------------------- 3. the deadline scan
def bench_scan(total: int):
    import datetime as dt
    import io

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from shanzhi.cases.models import Timer
    from shanzhi.cases.scan import _due_now, scan_timers
    from shanzhi.incidents.models import Incident
    from shanzhi.onewindow.models import Application

    now = timezone.now()
    scan_timers(now=now)  # what the demo left due is handled first, as the scheduler would have
    have = Timer.objects.filter(stopped_at__isnull=True).count()
    need = max(0, total - have)
    rng = random.Random(1)
    if need:
        t = time.perf_counter()
        buf = io.StringIO()
        kinds = ["incident", "application", "rectification"]
        for n in range(need):
            start = now - dt.timedelta(seconds=rng.uniform(0, 5 * 86400))
            due = now + dt.timedelta(seconds=rng.uniform(120, 20 * 86400))  # none due this minute
            warn = max(now + dt.timedelta(seconds=90), due - (due - start) / 5)  # nothing warns this minute
            paused = r"\N" if n % 20 else (now - dt.timedelta(hours=1)).isoformat()
            buf.write(f"{kinds[n % 3]}\t{10**9 + n}\tbench\t1\t5\tworking_days\t\t{start.isoformat()}\t"
                      f"{due.isoformat()}\t{warn.isoformat()}\t{paused}\t[]\t[]\tf\t0\t\n")
        with connection.cursor() as cur, cur.copy(
                "COPY cases_timer (kind, case_id, stage, round, amount, unit, calendar, started_at, due, warn_at, "
                "paused_at, pauses, extensions, late, scan_errors, last_error) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        with connection.cursor() as cur:
            cur.execute("ANALYZE cases_timer")
        print(f"scan: inserted {need:,} open timers in {time.perf_counter() - t:.0f} s")
    open_total = Timer.objects.filter(stopped_at__isnull=True).count()
    # A minute's worth of real clocks falls due: open cases of the demo, incidents and applications.
    incidents = list(Incident.objects.filter(status__in=["dispatched", "handling", "registered"])
                     .values_list("pk", flat=True)[:300])
    applications = list(Application.objects.filter(status__in=["reviewing", "submitted"]).values_list("pk", flat=True)[:100])
    due_ids = list(Timer.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, overdue_at__isnull=True,
                                        kind="incident", case_id__in=incidents).values_list("pk", flat=True)[:150])
    due_ids += list(Timer.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, overdue_at__isnull=True,
                                         kind="application", case_id__in=applications).values_list("pk", flat=True)[:50])
    Timer.objects.filter(pk__in=due_ids[: len(due_ids) // 2]).update(due=now - dt.timedelta(seconds=30))
    Timer.objects.filter(pk__in=due_ids[len(due_ids) // 2:]).update(warn_at=now - dt.timedelta(seconds=30),
                                                                     due=now + dt.timedelta(hours=2), warned_at=None)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        picked = _due_now(now)
        times.append((time.perf_counter() - t) * 1000)
    print(f"scan over {open_total:,} open timers: selecting the due ones ({len(picked)}) "
          f"p50 {pct(times, 50):.1f} ms · max {max(times):.1f} ms")
    commits0 = _commits()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        counts = scan_timers(now=now)
        wall = time.perf_counter() - t
    handled = counts["warned"] + counts["overdue"]
    commits = _commits() - commits0
    print(f"  one scan: {wall:.2f} s for {handled} due clocks ({counts}) · "
          f"{wall * 1000 / max(handled, 1):.1f} ms, {len(ctx.captured_queries) / max(handled, 1):.1f} queries and "
          f"{commits / max(handled, 1):.1f} commits per handled clock · target < 5 s: "
          f"{'met' if wall < 5 else 'NOT met'}")
    t = time.perf_counter()
    idle = scan_timers(now=now)
    print(f"  the next scan with nothing due: {(time.perf_counter() - t) * 1000:.0f} ms ({idle})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--cases", type=int, default=240)
    parser.add_argument("--speed", type=float, default=100)
    parser.add_argument("--timers", type=int, default=1_000_000)
    parser.add_argument("--only", default="catalog,replay,scan")
    parser.add_argument("--scale", default="default", help="tiny for a quick check of the script itself")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and recreated unless --reuse)")
    os.environ.setdefault("SHANZHI_DATA_DIR", tempfile.mkdtemp(prefix="shanzhi-bench-"))
    if not args.reuse:
        from bench.import_copy import recreate_database

        recreate_database(url)
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files needed here
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench._machine import describe
    from shanzhi.demo.builder import DemoBuilder, demo_exists

    call_command("migrate", verbosity=0)
    if not demo_exists():
        t = time.perf_counter()
        DemoBuilder(seed=2026, scale=args.scale, log=lambda m: None).build()
        print(f"built the {args.scale} demo county with its history in {time.perf_counter() - t:.0f} s")
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    from shanzhi.incidents.models import Incident
    from shanzhi.onewindow.models import Application

    print(f"demo: {Incident.objects.count():,} incidents, {Application.objects.count():,} applications")
    only = set(args.only.split(","))
    if "catalog" in only:
        bench_catalog(args.items)
    failed = []
    if "replay" in only:
        failed = bench_replay(args.cases, args.speed)
    if "scan" in only:
        bench_scan(args.timers)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
