"""Import N base records (default 3.62 million people) into PostgreSQL through the project's
importer, against a raw COPY of the same rows in the same run (target ≥ 30 % of the COPY rate).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanzhi_bench python bench/import_copy.py [--rows N]
The database is dropped and recreated.
"""

import argparse
import datetime
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)


def recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def make_csv(rows: int, address_codes: list[str], seed: int = 3) -> bytes:
    import random

    from faker import Faker
    from stdnum.cn import ric

    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    surnames = [fake.last_name() for _ in range(200)]
    given = [fake.first_name() for _ in range(2000)]
    out = io.StringIO()
    out.write("姓名,身份证号,手机号,人口类型,门牌编码,户号,与户主关系,民族,标签\n")
    first = datetime.date(1930, 1, 1)
    days = 32_850  # 90 years of birth dates × 1,000 order codes: unique up to 32 million rows
    for i in range(rows):
        born = first + datetime.timedelta(days=i % days)
        body = f"320281{born:%Y%m%d}{i // days:03d}"
        number = body + ric.calc_check_digit(body + "0")
        phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else ""
        out.write(f"{rng.choice(surnames)}{rng.choice(given)},{number},{phone},户籍人口,"
                  f"{address_codes[i % len(address_codes)]},,,汉族,\n")
    return out.getvalue().encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3_620_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (it is dropped and recreated)")
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench._machine import describe
    from shanzhi.demo.builder import DemoBuilder
    from shanzhi.geo.models import Address
    from shanzhi.registry.models import Person
    from shanzhi.registry.services.imports import registry_import

    call_command("migrate", verbosity=0)
    DemoBuilder(seed=1, scale="tiny", log=lambda m: None).build()
    Person.objects.all().delete()
    codes = list(Address.objects.values_list("code", flat=True))
    t = time.perf_counter()
    data = make_csv(args.rows, codes)
    print(describe(f"PostgreSQL {connection.pg_version // 10000}"))
    print(f"generated {args.rows:,} rows ({len(data) / 1e6:.0f} MB CSV) in {time.perf_counter() - t:.1f} s")

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_raw (name text, id_number text, phone text, residence text, address_code text,"
                    " household text, relation text, ethnicity text, tags text)")
        t = time.perf_counter()
        with cur.cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            view = memoryview(data)
            for i in range(0, len(data), 1 << 20):
                copy.write(view[i:i + (1 << 20)])
        copy_s = time.perf_counter() - t
        cur.execute("DROP TABLE bench_raw")
    print(f"raw COPY of the CSV text into a bare table: {copy_s:.1f} s → {args.rows / copy_s:,.0f} rows/s")

    # The baseline the target refers to: the same records, already in their stored form (sealed,
    # blind-indexed, placed), COPYed into the real table with its indexes.
    from shanzhi.common.jurisdiction import Scope
    from shanzhi.registry.services.imports import PersonImporter, _bulk_write
    from shanzhi.registry.services.tabular import read_rows

    t = time.perf_counter()
    importer = PersonImporter(None, Scope(unrestricted=True))
    header, rows = read_rows(data, "people.csv")
    positions = {h: i for i, h in enumerate(header)}
    prepared, chunk, errors = [], [], []
    for rownum, cells in enumerate(rows, start=2):
        chunk.append((rownum, importer.parse_row(rownum, cells, positions, errors)))
        if len(chunk) == 5000:
            prepared += importer.resolve(chunk, errors)
            chunk = []
    prepared += importer.resolve(chunk, errors) if chunk else []
    assert not errors and len(prepared) == args.rows, errors[:5]
    print(f"prepared stored rows for the baseline in {time.perf_counter() - t:.1f} s")
    from django.db import transaction

    t = time.perf_counter()
    with transaction.atomic():
        for i in range(0, len(prepared), 5000):
            _bulk_write(Person, importer.db_columns, prepared[i:i + 5000])
    copy_s = time.perf_counter() - t
    copy_rate = len(prepared) / copy_s
    print(f"COPY of the same records into registry_person (indexes on): {copy_s:.1f} s → {copy_rate:,.0f} rows/s")
    del prepared
    with connection.cursor() as cur:
        cur.execute("TRUNCATE registry_person CASCADE")

    t = time.perf_counter()
    result = registry_import(actor=None, kind="person", source=data, filename="people.csv")
    import_s = time.perf_counter() - t
    assert result.ok, (result.header_error, result.errors[:5])
    rate = result.created / import_s
    print(f"importer (parse, validate, seal SM4-GCM, SM3 blind index, place, check duplicates, audit; COPY writes): "
          f"{import_s:.1f} s → {rate:,.0f} rows/s = {rate / copy_rate * 100:.0f} % of the COPY rate (target ≥ 30 %)")
    print(f"people in database: {Person.objects.count():,}")


if __name__ == "__main__":
    main()
