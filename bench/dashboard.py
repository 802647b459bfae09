"""Command-center dashboard with 10 million incidents over 3 years in 100 towns on PostgreSQL
(targets: county p95 < 300 ms, town p95 < 150 ms, with no snapshot), timing the rendered page
(figures, trend, rankings, map) for a 30-day, a 365-day and a custom period (last quarter).

The demo county is widened to --towns towns (each new town a copy of the showcase town's villages
and grids); incidents are generated in SQL (generate_series) over every town's grids and classes,
arriving in time order over --years, with realistic state and lateness mixes; the rollups are then
built set-based (``facts.rebuild``), as after a bulk import. Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_dash python bench/dashboard.py [--rows 10000000] [--reuse]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)

FILL = """
INSERT INTO incidents_incident (created_at, updated_at, version, number, source, external_id, subclass_id,
  class_suggested, description, address_text, lon, lat, declared_crs, grid_id, region_id, town_id, reporter_id,
  reporter_name, reporter_phone_sealed, reporter_phone_bidx, status, tier, department_id, round, reported_at,
  registered_at, dispatched_at, replied_at, closed_at, register_due, dispatch_due, handle_due, verify_due,
  handled_late, ran_late, extended, returned_count, rework_count, merged_into_id,
  possible_duplicate_id, rating, rating_token)
SELECT t, t, 1, 'B' || lpad(n::text, 10, '0'), (ARRAY['patrol','patrol','patrol','hotline','citizen','center'])[1 + n % 6],
  NULL, c.id, false, '批量生成的历史事件', '', g.center_lon, g.center_lat, 'wgs84', g.id, g.region_id, g.town_id, NULL,
  '', '', '',
  CASE WHEN t > now() - interval '3 days' AND n % 3 = 0 THEN 'handling'
       WHEN t > now() - interval '1 day' AND n % 3 = 1 THEN 'registered'
       WHEN n % 97 = 0 THEN 'shelved' WHEN t > now() - interval '9 days' THEN 'closed' ELSE 'archived' END,
  'town', d.id, 1 + (n % 20 = 0)::int, t - interval '40 minutes', t, t + interval '1 hour',
  CASE WHEN t > now() - interval '3 days' AND n % 3 < 2 THEN NULL ELSE t + ((n % 50) || ' hours')::interval END,
  CASE WHEN t > now() - interval '3 days' AND n % 3 < 2 OR n % 97 = 0 THEN NULL ELSE t + ((n % 50 + 3) || ' hours')::interval END,
  t, t + interval '2 hours', t + interval '40 hours', t + interval '60 hours',
  (n % 50) > 40, (n % 50) > 40, n % 13 = 0, (n % 33 = 0)::int, (n % 20 = 0)::int, NULL, NULL,
  CASE WHEN n % 5 < 3 THEN 5 - (n % 7 = 0)::int * 3 ELSE NULL END, ''
FROM (SELECT n, now() - ((__DAYS__ * (1 - n::float / __ROWS__) + random() * 0.05) || ' days')::interval AS t,
             (n * 7919) % __GRIDS__ AS gi, (n * 104729) % __CLASSES__ AS ci, (n * 31) % __DEPTS__ AS di
      FROM generate_series(__START__::bigint, __STOP__::bigint) AS n) s
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS i, * FROM geo_grid WHERE level = 2) g ON g.i = s.gi
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM incidents_incidentclass WHERE parent_id IS NOT NULL) c ON c.i = s.ci
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM accounts_department) d ON d.i = s.di
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--towns", type=int, default=100)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and recreated unless --reuse)")
    if not args.reuse:
        from bench.import_copy import recreate_database

        recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench._machine import describe
    from shanzhi.accounts.models import User
    from shanzhi.command import board, facts, indicators, selectors
    from shanzhi.command.models import Fact
    from shanzhi.command.views import dashboard as dashboard_view
    from shanzhi.demo.builder import DemoBuilder, demo_exists
    from shanzhi.geo.models import Region
    from shanzhi.incidents.models import Incident

    call_command("migrate", verbosity=0)
    if not demo_exists():
        DemoBuilder(seed=1, scale="default", log=lambda m: None, history=False).build()
    widen(args.towns)
    have = Incident.objects.count()
    if have < args.rows:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM geo_grid WHERE level = 2")
            grids = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM incidents_incidentclass WHERE parent_id IS NOT NULL")
            classes = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM accounts_department")
            depts = cur.fetchone()[0]
            t = time.perf_counter()
            step = 1_000_000
            for start in range(have, args.rows, step):
                sql = FILL
                # Incidents arrive in time order, so the table is physically ordered by time, as in use.
                for key, value in {"DAYS": int(args.years * 365), "ROWS": args.rows, "GRIDS": grids,
                                   "CLASSES": classes, "DEPTS": depts,
                                   "START": start, "STOP": min(args.rows, start + step) - 1}.items():
                    sql = sql.replace(f"__{key}__", str(value))
                cur.execute(sql)
                print(f"  {min(args.rows, start + step):,} incidents …", flush=True)
            cur.execute("ANALYZE incidents_incident")
            print(f"generated {args.rows - have:,} incidents in {time.perf_counter() - t:.0f} s")
    if not Fact.objects.exists():
        t = time.perf_counter()
        n = facts.rebuild()
        with connection.cursor() as cur:
            cur.execute("ANALYZE command_fact")
        print(f"rollups rebuilt set-based: {n:,} fact rows in {time.perf_counter() - t:.0f} s")
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    towns = Region.objects.filter(level=Region.Level.TOWN).count()
    print(f"incidents: {Incident.objects.count():,} over {args.years} years in {towns} towns; "
          f"fact rows: {Fact.objects.count():,}")

    today = timezone.localdate()
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_end = q_start - dt.timedelta(days=1)
    last_start = dt.date(last_end.year, 3 * ((last_end.month - 1) // 3) + 1, 1)
    periods = [("30 days", {"days": 30}), ("365 days", {"days": 365}),
               (f"last quarter {last_start:%m-%d}–{last_end:%m-%d}", {"from": str(last_start), "to": str(last_end)})]
    rf = RequestFactory()
    for username, target in (("county_leader", 300), ("town_leader", 150)):
        actor = User.objects.get(username=username)
        town = "" if username == "county_leader" else actor.posts.first().region.code
        for name, params in periods:
            times, cpu, queries = [], [], []
            for i in range(args.samples + 2):
                actor.__dict__.pop("_shanzhi_scope", None)
                request = rf.get("/center/", {**params, **({"town": town} if town else {})})
                request.user = actor
                request.htmx = False
                t, c = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as ctx:
                    resp = dashboard_view(request)
                if i < 2:
                    continue  # warm-up
                assert resp.status_code == 200, resp.status_code
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
                queries.append(len(ctx.captured_queries))
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{username:<14} {name:<26} p50 {statistics.median(times):6.1f} ms, p95 {p95:6.1f} ms "
                  f"({statistics.median(queries):.0f} queries, {statistics.median(cpu):.0f} ms CPU in Python) · "
                  f"target < {target} ms → {'met' if p95 < target else 'MISSED'}")
    # Consistency at scale: the county's 365-day figures from the rollups equal a direct count.
    start, end, _label = selectors.period({"days": 365})
    county = User.objects.get(username="county_leader")
    area = board.resolve(county, {})
    now = timezone.now()
    t = time.perf_counter()
    direct = indicators.compute(Incident.objects.all(), start, end, now)
    direct_ms = (time.perf_counter() - t) * 1000
    same = board.figures(county, area, start, end, now)["indicators"] == direct["indicators"]
    print(f"county 365-day figures equal a direct count of the incidents: {same} "
          f"(the direct count takes {direct_ms:,.0f} ms)")
    # What a move adds: one INSERT of the contribution's change (a new report: its 上报 rows).
    inc = Incident.objects.filter(status="closed").order_by("-id").first()
    img = facts.image(inc)
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(200):
            with transaction.atomic():
                facts.record(None, img)
                transaction.set_rollback(True)
    print(f"rollup upkeep per closed case: {len(ctx.captured_queries) / 200 - 2:.0f} INSERT, "
          f"{(time.perf_counter() - t) * 1000 / 200:.2f} ms")


def widen(n_towns: int) -> None:
    """Copy the showcase town's villages and grids into new towns until the county has n_towns."""
    from shanzhi.geo.models import Grid, Region

    have = Region.objects.filter(level=Region.Level.TOWN).count()
    if have >= n_towns:
        return
    county = Region.objects.get(level=Region.Level.COUNTY)
    model = Region.objects.get(name="徐霞客镇")
    villages = list(Region.objects.filter(parent=model))
    grids = list(Grid.objects.filter(town=model))
    for i in range(have, n_towns):
        _town_copy(i, county, model, villages, grids)
    print(f"widened the county to {n_towns} towns ({len(grids)} grids each added)")


def _town_copy(i, county, model, villages, grids):
    from shanzhi.geo.models import Grid, Region

    code = f"9{i:03d}00000000"[:12]
    town = Region.objects.create(code=code, name=f"{TOWN_NAMES[i % len(TOWN_NAMES)]}{i:03d}", level=model.level,
                                 kind=model.kind, parent=county, path=f"{county.path}{code}/",
                                 center_lon=model.center_lon, center_lat=model.center_lat)
    new_v = {}
    for j, v in enumerate(villages):
        vcode = f"9{i:03d}1{j:07d}"
        new_v[v.id] = Region.objects.create(code=vcode, name=v.name, level=v.level, kind=v.kind, parent=town,
                                            path=f"{town.path}{vcode}/", center_lon=v.center_lon,
                                            center_lat=v.center_lat)
    copies = []
    for k, g in enumerate(grids):
        c = Grid(**{f.attname: getattr(g, f.attname) for f in Grid._meta.concrete_fields if f.attname != "id"})
        c.code, c.town_id, c.region_id, c.parent_id = f"B{i:03d}{k:04d}", town.id, new_v[g.region_id].id, None
        c.path = f"/{c.code}/"
        copies.append(c)
    Grid.objects.bulk_create(copies)


TOWN_NAMES = ["青阳镇", "璜土镇", "月城镇", "祝塘镇", "长泾镇", "顾山镇", "南闸镇", "云亭镇", "周庄镇", "新桥镇"]


if __name__ == "__main__":
    main()
