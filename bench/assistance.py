"""Social assistance benchmarks on PostgreSQL, on the default demo county with its history:

1. The monthly payment run for the county (target < 30 s): 60,000 beneficiaries over 8 monthly
   programs, in every town, with the cross-program duplicate checks. The families are grown the
   way a county's rolls look (one basic program each — 低保, 低保边缘 or 特困 — and the
   supplements that go with it: 分类施保, 残疾人补贴, 照料护理, 困境儿童), and a known number of
   them are enrolled in two programs of one exclusive group by mistake: exactly those lines must
   be held. Timed twice: the first build of the month and a rebuild of the drafts (what a town
   does after correcting its rolls). Queries, CPU ms and ms per 1,000 lines beside the figure.
2. A feed of 100,000 medical-insurance settlements (target < 60 s), posted through the REST API
   as the insurance system does (20 requests of 5,000 records with the feed key): 70 % for people
   in the registry, the rest for people from outside the county. The feed is built so the right
   answer is known: a chosen set of people get bills far above every threshold, everyone else
   stays below the lowest; exactly one alert per chosen person must be raised, none for anyone
   else, and a replay of the whole feed must count everything as a duplicate and raise nothing.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_assist python bench/assistance.py [--reuse]
      [--beneficiaries 60000] [--settlements 100000] [--only run,feed]
The database is dropped and recreated unless --reuse.
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
import warnings
from collections import Counter
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)

SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文红玉凤梅琴云飞鹏辉志宏晓春燕"
BASIC = [("DB01", 55), ("DB03", 25), ("TK01", 15), ("TK02", 5)]
MONTHLY_8 = ["DB01", "DB02", "DB03", "DB04", "TK01", "TK02", "TK04", "JY09"]


class Counted:
    """Queries and commits of a block (PostgreSQL's own counters would include autovacuum)."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.queries = 0

    def __enter__(self):
        self.connection.execute_wrappers.append(self)
        self.cpu, self.t = time.process_time(), time.perf_counter()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self.connection.execute_wrappers.remove(self)
        self.seconds = time.perf_counter() - self.t
        self.cpu_ms = (time.process_time() - self.cpu) * 1000


def _id_numbers(n: int, rng: random.Random, taken: set[str], existing: frozenset[str] = frozenset()):
    """n valid, distinct ID numbers, none of them already in the registry (by blind index)."""
    from stdnum.cn import ric

    from shanzhi.common import crypto

    out = []
    while len(out) < n:
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
        body = f"320281{born:%Y%m%d}{rng.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number in taken:
            continue
        taken.add(number)
        if existing and crypto.blind_index("id", number) in existing:
            continue
        out.append((number, born))
    return out


def grow(target: int, seed: int = 17) -> dict:
    """Grow the county's rolls to ``target`` active beneficiaries of the 8 monthly programs."""
    from django.db import transaction
    from django.utils import timezone

    from shanzhi.assistance.models import Beneficiary, Family, Group, Member, Program
    from shanzhi.common import crypto
    from shanzhi.geo.models import Region
    from shanzhi.registry.models import Person

    have = Beneficiary.objects.filter(state="active", program__code__in=MONTHLY_8).count()
    if have >= target:
        return {"beneficiaries": have}
    rng = random.Random(seed + have)
    programs = {p.code: p for p in Program.objects.filter(code__in=MONTHLY_8)}
    villages = list(Region.objects.filter(level=Region.Level.VILLAGE).select_related("parent"))
    taken = set()
    existing = frozenset(Person.objects.values_list("id_bidx", flat=True))
    start = timezone.localdate().replace(day=1) - dt.timedelta(days=400)
    made, n_fam = have, Family.objects.count()
    t0 = time.perf_counter()
    while made < target:
        with transaction.atomic():
            people, fams, plan = [], [], []
            ids = _id_numbers(2000 * 3, rng, taken, existing)
            k = 0
            for _ in range(2000):
                village = rng.choice(villages)
                size = rng.choices([1, 2, 3, 4], [35, 30, 25, 10])[0]
                members = []
                for j in range(size):
                    number, born = ids[k % len(ids)]
                    k += 1
                    members.append(Person(name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)[:rng.randint(0, 1)],
                                          id_sealed=crypto.seal(number), id_bidx=crypto.blind_index("id", number),
                                          gender=rng.choice("MF"), birth_date=born, region=village,
                                          relation_to_head="户主" if j == 0 else "家庭成员"))
                    if k >= len(ids):
                        ids = _id_numbers(2000 * 3, rng, taken, existing)
                        k = 0
                people.append(members)
                basic = rng.choices([c for c, _w in BASIC], [w for _c, w in BASIC])[0]
                codes = [basic]
                if basic == "DB01" and rng.random() < 0.35:
                    codes.append("DB02")
                if basic in ("DB01", "DB03") and rng.random() < 0.12:
                    codes.append("DB04")
                if basic in ("TK01", "TK02") and rng.random() < 0.6:
                    codes.append("TK04")
                if rng.random() < 0.04:
                    codes.append("JY09")
                if rng.random() < 0.005:  # a second program of the same exclusive group, by mistake
                    codes.append("TK01" if basic != "TK01" else "DB01")
                plan.append((village, size, codes))
            Person.objects.bulk_create([p for ms in people for p in ms], batch_size=2000)
            for (village, _size, _codes), ms in zip(plan, people, strict=True):
                n_fam += 1
                account = f"6231{rng.randint(10**14, 10**15 - 1)}"
                fams.append(Family(number=f"JZB{n_fam:09d}", head=ms[0], region=village, town=village.parent,
                                   group=Group.DIBAO, bank="江苏江阴农村商业银行", account_sealed=crypto.seal(account),
                                   changed_at=timezone.now()))
            Family.objects.bulk_create(fams, batch_size=2000)
            Member.objects.bulk_create([Member(family=f, person=p, relation="本人" if i == 0 else "家庭成员")
                                        for f, ms in zip(fams, people, strict=True) for i, p in enumerate(ms)],
                                       batch_size=2000)
            bens = []
            for f, (village, size, codes) in zip(fams, plan, strict=True):
                for code in codes:
                    p = programs[code]
                    amount = Decimal(p.params.get("amount") or (1250 - rng.randint(200, 900)) * size)
                    bens.append(Beneficiary(family=f, program=p, town=village.parent, region=village, members=size,
                                            amount=amount, start_month=start.replace(day=1)))
            Beneficiary.objects.bulk_create(bens, batch_size=2000)
            made += len(bens)
        print(f"  … {made:,} beneficiaries ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"beneficiaries": made}


def expected_holds(month: dt.date) -> int:
    """Independently of the run: for each family, the enrolments of one exclusive group paid that
    month beyond the first (the run must hold exactly these)."""
    from shanzhi.assistance.models import Beneficiary

    groups = Counter(Beneficiary.objects.filter(state="active", start_month__lte=month).exclude(
        program__exclusive="").filter(models_q_end(month)).values_list("family_id", "program__exclusive"))
    return sum(n - 1 for n in groups.values() if n > 1)


def models_q_end(month):
    from django.db.models import Q

    return Q(end_month__isnull=True) | Q(end_month__gte=month)


def bench_run(month: dt.date) -> None:
    from shanzhi.assistance import payments
    from shanzhi.assistance.models import Beneficiary, PaymentLine, PaymentList

    PaymentList.objects.filter(month=month).delete()
    active = Beneficiary.objects.filter(state="active", start_month__lte=month).count()
    towns = Beneficiary.objects.filter(state="active").values("town").distinct().count()
    want = expected_holds(month)
    print(f"payment run for {month:%Y-%m}: {active:,} active beneficiaries in {towns} towns")
    for label in ("first build of the month", "rebuild of the drafts"):
        with Counted() as c:
            result = payments.run(month=month.isoformat()[:7], actor=None)
        held = PaymentLine.objects.filter(month=month, state="held").count()
        per_k = c.seconds * 1000 / max(result["lines"], 1) * 1000
        print(f"  {label:<28} {c.seconds:6.2f} s · {result['lines']:,} lines in {result['lists']} lists · "
              f"{result['held']} held · {c.queries} queries · CPU {c.cpu_ms:,.0f} ms · {per_k:.1f} ms per 1,000 lines"
              f" · target < 30 s: {'met' if c.seconds < 30 else 'NOT met'}")
    print(f"  enrolments beyond the first in one exclusive group (counted apart): {want}; held: {held} — "
          f"{'right' if held == want else 'WRONG'}")


def bench_feed(total: int, seed: int = 23) -> None:
    from django.test import Client
    from django.utils import timezone
    from stdnum.cn import ric

    from shanzhi.api.models import ApiKey
    from shanzhi.assistance.models import Alert, Signal
    from shanzhi.common import crypto
    from shanzhi.registry.models import Person

    rng = random.Random(seed)
    today = timezone.localdate()
    since = today - dt.timedelta(days=400)
    busy = set(Signal.objects.filter(occurred_on__gte=since).values_list("person_id", flat=True)) | set(
        Alert.objects.values_list("person_id", flat=True))
    pool = [p for p in Person.objects.filter(region__isnull=False).values_list("pk", "id_sealed").order_by("pk")
            if p[0] not in busy]
    rng.shuffle(pool)
    n_chosen = min(1500, len(pool) // 10)
    chosen, quiet = pool[:n_chosen], pool[n_chosen:]
    matched, outside = int(total * 0.7), total - int(total * 0.7)
    records = []
    run = f"B{int(time.time())}"

    def rec(i, number, paid):
        day = today - dt.timedelta(days=rng.randint(0, 300))
        return {"external_id": f"{run}-{i:07d}", "id_number": number, "occurred_on": day.isoformat(),
                "total": f"{paid * 3:.2f}", "self_paid": f"{paid:.2f}", "hospital": "江阴市人民医院",
                "diagnosis": rng.choice(["恶性肿瘤", "尿毒症", "脑梗死", "冠心病", "骨折"])}

    i = 0
    for _pk, sealed in chosen:  # 4 × 20,000 = 80,000: above every line, the general one (50,000) too
        number = crypto.unseal(sealed)
        for _ in range(4):
            records.append(rec(i, number, Decimal(20000)))
            i += 1
    numbers = [crypto.unseal(s) for _pk, s in quiet]
    per_quiet = -(-(matched - i) // len(numbers))  # bills per quiet person, at most
    cap = Decimal(1900 // per_quiet)  # … all of them together below the lowest line (2,000)
    j = 0
    while i < matched:
        records.append(rec(i, numbers[j % len(numbers)], Decimal(rng.randint(1, int(cap)))))
        i, j = i + 1, j + 1
    for number, _born in _id_numbers(outside, rng, set()):
        body = "110105" + number[6:17]  # people registered outside the county: kept, matched to no one
        records.append(rec(i, body + ric.calc_check_digit(body + "0"), Decimal(rng.randint(20, 30000))))
        i += 1
    rng.shuffle(records)

    from shanzhi.accounts.models import User

    name = "bench-yibao"
    ApiKey.objects.filter(name=name).delete()
    key, raw = ApiKey.issue(f"{name}-{run}")
    key.user.user_permissions.add(*User.objects.get(username="svc_yibao").user_permissions.all())
    client = Client()
    before = Alert.objects.count()
    print(f"feed: {len(records):,} settlements ({matched:,} for registry people, {outside:,} from outside), "
          f"{len(chosen):,} people with bills above every threshold")
    for label in ("first delivery", "the same feed again"):
        answers, samples = Counter(), []
        with Counted() as c:
            for start in range(0, len(records), 5000):
                body = {"source": "medical", "batch": f"{run}-{start // 5000}", "records": records[start:start + 5000]}
                resp = client.post("/api/v1/assistance/signals", json.dumps(body), content_type="application/json",
                                   HTTP_X_API_KEY=raw, HTTP_HOST="127.0.0.1")
                assert resp.status_code == 200, resp.content[:500]
                for k, v in resp.json().items():
                    if isinstance(v, int):
                        answers[k] += v
                errors = resp.json()["errors"]
                answers["errors"] += len(errors)
                samples.extend(errors[: 3 - len(samples)] if len(samples) < 3 else [])
        per_k = c.seconds * 1000 / len(records) * 1000
        print(f"  {label:<22} {c.seconds:6.2f} s · accepted {answers['accepted']:,} · duplicates "
              f"{answers['duplicates']:,} · unmatched {answers['unmatched']:,} · alerts {answers['alerts']:,} · "
              f"{c.queries:,} queries · CPU {c.cpu_ms:,.0f} ms · {per_k:.0f} ms per 1,000 settlements · "
              f"target < 60 s: {'met' if c.seconds < 60 else 'NOT met'}")
        if answers["errors"]:
            print(f"    {answers['errors']:,} records refused, e.g. {samples}")
    raised = Alert.objects.count() - before
    wrong = Alert.objects.filter(signal__external_id__startswith=run).exclude(
        person_id__in=[pk for pk, _s in chosen]).count()
    per_person = Alert.objects.filter(signal__external_id__startswith=run).values("person_id").distinct().count()
    ok = raised == len(chosen) and wrong == 0 and per_person == len(chosen)
    print(f"  alerts raised {raised:,} for {per_person:,} people, expected {len(chosen):,}; for anyone else: {wrong}"
          f" — {'right' if ok else 'WRONG'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--beneficiaries", type=int, default=60_000)
    parser.add_argument("--settlements", type=int, default=100_000)
    parser.add_argument("--only", default="run,feed")
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
    from django.utils import timezone

    from bench._machine import describe
    from shanzhi.assistance.services import next_month
    from shanzhi.demo.builder import DemoBuilder, demo_exists

    call_command("migrate", verbosity=0)
    if not demo_exists():
        t = time.perf_counter()
        DemoBuilder(seed=2026, scale="default", log=lambda m: None).build()
        print(f"built the default demo county with its history in {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    grown = grow(args.beneficiaries)
    print(f"rolls: {grown['beneficiaries']:,} active beneficiaries of the 8 monthly programs "
          f"({time.perf_counter() - t:.0f} s to grow)")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    only = set(args.only.split(","))
    if "run" in only:
        bench_run(next_month(next_month(timezone.localdate())))
    if "feed" in only:
        bench_feed(args.settlements)


if __name__ == "__main__":
    main()
