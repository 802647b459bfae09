"""Command-center dashboard with 10 million incidents on PostgreSQL (targets: county p95 < 300 ms,
town p95 < 150 ms), timing the same code the page runs (indicators, trend, rankings, map points).

Incidents are generated in SQL (generate_series) over the demo county's grids and classes, arriving
in time order over --years (as they do in use), with realistic state and lateness mixes. Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_dash python bench/dashboard.py [--rows 10000000] [--reuse]
"""

import argparse
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
    from django.db import connection
    from django.test import RequestFactory

    from bench._machine import describe
    from shanzhi.accounts.models import User
    from shanzhi.command import indicators, selectors
    from shanzhi.command.views import dashboard as dashboard_view
    from shanzhi.demo.builder import DemoBuilder, demo_exists
    from shanzhi.incidents.models import Incident

    call_command("migrate", verbosity=0)
    if not demo_exists():
        DemoBuilder(seed=1, scale="default", log=lambda m: None, history=False).build()
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
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    print(f"incidents: {Incident.objects.count():,} over {args.years} years")

    from django.core.cache import cache

    from shanzhi.command import snapshots

    # 1. What the refresh job costs: live figures for the county and for one town.
    cache.clear()
    for label, qs in (("county", Incident.objects.all()),
                      ("town (徐霞客镇)", Incident.objects.filter(town__name="徐霞客镇"))):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            snapshots._compute(qs, 30)
            times.append((time.perf_counter() - t) * 1000)
        start, end, _label = selectors.period({"days": 30})
        cohort = indicators.cohort(qs, start, end).count()
        print(f"live computation, {label:<14} 30-day cohort {cohort:>9,}: median {statistics.median(times):6.0f} ms")
    for periods, every in ((snapshots.FREQUENT, 60), (snapshots.SLOW, 600)):
        t = time.perf_counter()
        n = snapshots.refresh_all(periods)
        print(f"refresh job for {periods} days (county + every town = {n} snapshots): "
              f"{time.perf_counter() - t:.1f} s per run, every {every} s on the worker")

    # 2. What a leader's page load costs (the view's data path, snapshots warm as the job keeps them).
    rf = RequestFactory()
    for username, target in (("county_leader", 300), ("town_leader", 150)):
        actor = User.objects.get(username=username)
        town = "" if username == "county_leader" else actor.posts.first().region.code
        client_times = []
        for _ in range(args.samples):
            actor.__dict__.pop("_shanzhi_scope", None)
            request = rf.get("/center/", {"days": 30, "town": town})
            request.user = actor
            request.htmx = False
            t = time.perf_counter()
            dashboard_view(request)
            client_times.append((time.perf_counter() - t) * 1000)
        client_times.sort()
        p95 = client_times[int(len(client_times) * 0.95) - 1]
        print(f"{username:<14} dashboard page (rendered): p50 {statistics.median(client_times):6.1f} ms, "
              f"p95 {p95:6.1f} ms · target < {target} ms → {'met' if p95 < target else 'MISSED'}")


if __name__ == "__main__":
    main()
