"""Registry search on PostgreSQL with the sources' 3.62 million base records (target p95 < 100 ms).

Builds `shanzhi demo --scale full` into a fresh database (or reuses it with --reuse), then times the
real search path — scoping, blind-index lookups, name prefix, address substring, decrypting and
masking the page of results — for a county-wide user and a town user.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_search python bench/search.py [--reuse]
"""

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    parser.add_argument("--queries", type=int, default=200)
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

    from bench._machine import describe
    from shanzhi.accounts.models import User
    from shanzhi.demo.builder import DemoBuilder, demo_exists
    from shanzhi.geo.models import Address
    from shanzhi.registry.models import Component, House, Household, Organisation, Person
    from shanzhi.registry.selectors import organisation_search, person_search

    call_command("migrate", verbosity=0)
    if not demo_exists():
        t = time.perf_counter()
        DemoBuilder(seed=2026, scale="full", log=lambda m: print(" ", m, flush=True)).build()
        print(f"built the full-scale county in {time.perf_counter() - t:.0f} s")
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    counts = {m._meta.verbose_name: m.objects.count() for m in (Person, Household, House, Organisation, Component)}
    total = sum(counts.values())
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    print("base records: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f" = {total:,}")

    rng = random.Random(5)
    sample = list(Person.objects.order_by("?").values_list("id", flat=True)[: args.queries])
    people = list(Person.objects.filter(id__in=sample).select_related("address"))
    addresses = [p.address.full_text for p in people if p.address]
    queries = {
        "ID number (exact)": [p.id_number for p in people],
        "mobile (exact)": [p.phone for p in people if p.phone],
        "full name": [p.name for p in people],
        "surname prefix": [p.name[0] for p in people],
        "address fragment": [a[len("江阴市"):][-10:] for a in addresses],
        "organisation name": [rng.choice(["纺织", "霞客", "机械", "物流", "江南"]) for _ in people],
    }
    for username in ("county_leader", "town_leader"):
        actor = User.objects.get(username=username)
        print(f"as {username}:")
        for label, qs in queries.items():
            fn = organisation_search if label.startswith("organisation") else person_search
            times, hits = [], 0
            for q in qs:
                actor.__dict__.pop("_shanzhi_scope", None)  # each query pays for its scope, as a request does
                t = time.perf_counter()
                found = fn(actor, q)
                for row in found:  # what the page renders: masked values need the plain text
                    getattr(row, "id_masked", None) if hasattr(row, "id_masked") else row.phone_masked
                times.append((time.perf_counter() - t) * 1000)
                hits += bool(found)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"  {label:<20} n={len(times):>4}  p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms"
                  f"  hits {hits * 100 // len(times):>3} %  {'ok' if p95 < 100 else 'OVER 100 ms'}")
    print(f"addresses: {Address.objects.count():,}")


if __name__ == "__main__":
    main()
