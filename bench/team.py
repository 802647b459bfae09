"""One team benchmark on PostgreSQL: the penalty case list and a case's page with 500,000 penalty
cases (target p95 < 100 ms server time).

The default demo county with its history is built, then its penalty cases are grown to the target
the way a busy county's bureau would have them after some years: 80 % in 徐霞客镇 (the showcase
town, its three squads), the rest spread over the other towns, every stage represented, each case
with its step rows. Timed inside the process (middleware, scoping, templates — everything but the
socket) for the users who open these pages: the town leader (sees the whole busy town), a squad
leader, an officer; with queries per request.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_team python bench/team.py [--reuse] [--cases 500000]
The database is dropped and recreated unless --reuse.
"""

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)

from bench.window import line, pct  # noqa: E402

STATUSES = [("lead", 3), ("filed", 6), ("review", 2), ("notice", 2), ("hearing", 1), ("heard", 1), ("decided", 2),
            ("executing", 4), ("executed", 3), ("closed", 30), ("archived", 40), ("not_filed", 6)]
FACTS = ["沿街商户占道经营", "未经审批搭建彩钢棚", "餐饮油烟直排", "工地扬尘未覆盖", "建筑垃圾乱倒", "擅自设置户外广告",
         "违法占用耕地建房", "渣土车沿途遗撒"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
RARE = ["欧阳", "司马", "诸葛", "上官", "江阴市霞光", "端木"]  # match nothing or a handful: the worst case for a scan


def grow(target: int) -> int:
    from django.db import connection, transaction
    from django.utils import timezone

    from shanzhi.enforcement.models import PenaltyCase, PenaltyItem, PenaltyStep, Squad
    from shanzhi.geo.models import Grid, Region

    have = PenaltyCase.objects.count()
    if have >= target:
        return have
    rng = random.Random(11)
    showcase = Region.objects.get(name="徐霞客镇", level=Region.Level.TOWN)
    towns = list(Region.objects.filter(level=Region.Level.TOWN).exclude(pk=showcase.pk))
    squads = list(Squad.objects.filter(town=showcase))
    grids = {s.pk: list(Grid.objects.filter(parent__in=s.grids.all()).values_list("pk", flat=True)) for s in squads}
    items = list(PenaltyItem.objects.filter(towns=showcase).values_list("pk", flat=True))
    other_items = {t.pk: list(PenaltyItem.objects.filter(towns=t).values_list("pk", flat=True)[:200]) for t in towns}
    weights = [w for _s, w in STATUSES]
    now = timezone.now()
    n, batch = have, 5000
    t0 = time.perf_counter()
    while n < target:
        rows = []
        for _ in range(min(batch, target - n)):
            n += 1
            status = rng.choices([s for s, _w in STATUSES], weights)[0]
            at = now - dt.timedelta(days=rng.uniform(0, 3 * 365))
            busy = rng.random() < 0.8
            squad = rng.choice(squads) if busy else None
            town = showcase if busy else rng.choice(towns)
            pool = items if busy else other_items[town.pk]
            decided = status in ("decided", "executing", "executed", "closed", "archived")
            party = rng.choice(SURNAMES) + "某" if rng.random() < 0.97 else \
                rng.choice(["江阴市", "无锡"]) + rng.choice(["徐霞客", "马镇", "峭岐"]) + rng.choice(["建材", "餐饮", "物流"]) + "有限公司"
            rows.append(PenaltyCase(
                number=f"XZCFB{n:09d}", status=status, source=rng.choice(["incident", "patrol", "complaint"]),
                town=town, squad=squad, grid_id=rng.choice(grids[squad.pk]) if squad and grids[squad.pk] else None,
                item_id=rng.choice(pool) if status != "lead" and pool else None,
                party_name=party, facts=rng.choice(FACTS), registered_at=at,
                filed_at=at + dt.timedelta(days=2) if status not in ("lead", "not_filed") else None,
                file_due=at + dt.timedelta(days=21), decide_due=at + dt.timedelta(days=92),
                decided_at=at + dt.timedelta(days=40) if decided else None, outcome="penalty" if decided else "",
                fine=rng.choice([500, 2000, 5000, 20000]) if decided else None, version=1))
        with transaction.atomic():
            made = PenaltyCase.objects.bulk_create(rows, batch_size=batch)
            PenaltyStep.objects.bulk_create(
                [PenaltyStep(case=c, action=a, at=c.registered_at + dt.timedelta(days=k * 2), actor_label="执法队员",
                             from_status="", to_status=c.status, note=c.facts)
                 for c in made for k, a in enumerate(["register", "file", "submit"][: rng.randint(1, 3)])],
                batch_size=batch)
        if n % 100_000 < batch:
            print(f"  … {n:,} cases ({time.perf_counter() - t0:.0f} s)")
    with connection.cursor() as cur:
        cur.execute("ANALYZE enforcement_penaltycase; ANALYZE enforcement_penaltystep")
    return n


def bench_pages(n: int = 200):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shanzhi.accounts.models import User
    from shanzhi.enforcement.models import PenaltyCase, Squad
    from shanzhi.geo.models import Region

    showcase = Region.objects.get(name="徐霞客镇", level=Region.Level.TOWN)
    squad = Squad.objects.filter(town=showcase).order_by("name").first()
    users = {"town leader": User.objects.get(username="town_leader"), "squad leader": squad.leader,
             "officer": squad.officers.exclude(user=squad.leader).first().user}
    rng = random.Random(5)
    ids = list(PenaltyCase.objects.filter(town=showcase).values_list("pk", flat=True)[:: 97])
    demo_ids = list(PenaltyCase.objects.filter(town=showcase, documents__isnull=False).values_list("pk", flat=True)
                    .distinct())
    from shanzhi.enforcement.listing import token

    tokens = [token(c) for c in PenaltyCase.objects.filter(pk__in=ids[::5]).only("pk", "registered_at")]
    days = [(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=rng.randint(1, 1000))).isoformat() for _ in range(100)]
    print(f"penalty cases: {PenaltyCase.objects.count():,} ({PenaltyCase.objects.filter(town=showcase).count():,} "
          f"in 徐霞客镇)")
    for who, user in users.items():
        client = Client()
        client.force_login(user)

        def timed(path, params=None, client=client):
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                resp = client.get(path, params or {}, HTTP_HOST="127.0.0.1")
                ms = (time.perf_counter() - t) * 1000
            assert resp.status_code == 200, (path, params, resp.status_code)
            return ms, len(ctx.captured_queries)

        for _ in range(10):
            timed("/team/cases/")
        cases = [
            ("case list, first page", lambda t=timed: t("/team/cases/")),
            ("case list by status", lambda t=timed: t("/team/cases/", {"status": rng.choice(["filed", "executing",
                                                                                             "archived"])})),
            ("case list, a deep page (older →)", lambda t=timed: t("/team/cases/", {"before": rng.choice(tokens)})),
            ("case list, newer ← from deep", lambda t=timed: t("/team/cases/", {"after": rng.choice(tokens)})),
            ("case list, jump to a date", lambda t=timed: t("/team/cases/", {"until": rng.choice(days)})),
            ("case list, search a party (2 chars)", lambda t=timed: t("/team/cases/", {"q": rng.choice(SURNAMES) + "某"})),
            ("case list, search a rare name", lambda t=timed: t("/team/cases/", {"q": rng.choice(RARE)})),
            ("case page (bulk case)", lambda t=timed: t(f"/team/cases/{rng.choice(ids)}/")),
            ("case page (demo case, full record)", lambda t=timed: t(f"/team/cases/{rng.choice(demo_ids)}/")),
            ("REST case list", lambda t=timed: t("/api/v1/team/cases", {"limit": 50})),
        ]
        print(f" as the {who}:")
        for label, fn in cases:
            rows = [fn() for _ in range(n)]
            line(label, [r[0] for r in rows], [r[1] for r in rows], target=100)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--scale", default="default")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and recreated unless --reuse)")
    os.environ.setdefault("SHANZHI_DATA_DIR", tempfile.mkdtemp(prefix="shanzhi-bench-"))
    if not args.reuse:
        from bench.import_copy import recreate_database

        recreate_database(url)
    import django

    warnings.filterwarnings("ignore", message="No directory at")
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
    t = time.perf_counter()
    total = grow(args.cases)
    print(f"grew to {total:,} penalty cases in {time.perf_counter() - t:.0f} s")
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    bench_pages(args.n)


if __name__ == "__main__":
    main()
    _ = pct
