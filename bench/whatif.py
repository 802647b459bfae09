"""The what-if staffing simulator against the demo's own history (SQLite): calibrate on days 1–60
of the 90-day history, predict days 61–90 with today's staffing, and compare with what the
command center's indicators show for those days (target: within ±5 points), for the busiest
town (徐霞客镇) and for its departments with enough cases. Also times a simulate call (target
< 3 s for 30 days with 20 runs) and shows what one more handler in the busiest department does.

The demo (`DemoBuilder(seed=1, scale="full")`, ≈ 15 minutes) is built once into --data-dir and
reused with --reuse. Usage:
  python bench/whatif.py [--data-dir /tmp/whatif-bench] [--reuse] [--runs 20]
"""

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")

TOWN = "徐霞客镇"
MIN_CASES = 30  # a department's row is shown when the actual 应处置数 reaches this


def prepare(data_dir: Path, reuse: bool) -> None:
    if not reuse and data_dir.exists():
        for name in ("shanzhi.sqlite3", "shanzhi.sqlite3-wal", "shanzhi.sqlite3-shm"):
            (data_dir / name).unlink(missing_ok=True)
        shutil.rmtree(data_dir / "media", ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["SHANZHI_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = ""  # SQLite in the data directory


def pts(value) -> str:
    return "—" if value is None else f"{value:5.1f}"


def diff(predicted, actual) -> str:
    if predicted is None or actual is None:
        return "   —"
    return f"{predicted - actual:+5.1f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="/tmp/whatif-bench")
    parser.add_argument("--reuse", action="store_true", help="keep the demo built by an earlier run")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    prepare(Path(args.data_dir), args.reuse)
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db.models import Max

    from bench._machine import describe
    from shanzhi.command import indicators, whatif
    from shanzhi.demo.builder import DemoBuilder, demo_exists
    from shanzhi.geo.models import Region
    from shanzhi.incidents.models import Incident, IncidentStep

    call_command("migrate", verbosity=0)
    if not demo_exists():
        t = time.perf_counter()
        DemoBuilder(seed=1, scale="full", log=lambda m: None).build()
        print(f"built the full demo county with its 90-day history in {time.perf_counter() - t:.0f} s")
    print(describe("SQLite"))
    town = Region.objects.get(name=TOWN)
    qs = Incident.objects.filter(town=town)
    end = IncidentStep.objects.filter(incident__town=town).aggregate(at=Max("at"))["at"]
    t0 = end - dt.timedelta(days=30)
    start = t0 - dt.timedelta(days=60)
    t = time.perf_counter()
    calib = whatif.calibrate(start, t0, town=town)
    print(f"calibration on {start:%Y-%m-%d %H:%M} – {t0:%Y-%m-%d %H:%M} (days 1–60): {calib.cases} cases, "
          f"{len(calib.departments)} departments, {len(calib.backlog)} open at its end, "
          f"{time.perf_counter() - t:.1f} s")

    timings, prediction = [], None
    for _ in range(3):
        t = time.perf_counter()
        prediction = whatif.simulate(calib, days=30, runs=args.runs, seed=args.seed)
        timings.append(time.perf_counter() - t)
    actual = indicators.compute(qs, t0, end, now=end)
    value = {i["key"]: i for i in actual["indicators"]}
    print(f"\nprediction of days 61–90 ({t0:%Y-%m-%d} – {end:%Y-%m-%d}) with today's staffing, "
          f"{args.runs} runs: predicted median [10th–90th percentile] vs actual (indicators.compute)")
    print(f"{'':30} {'按期处置率':>24} {'actual':>6} {'error':>6}   {'按期结案率':>24} {'actual':>6} {'error':>6}")

    def row(label, handle, close, act):
        h, c = act["on_time_handle_rate"], act["on_time_close_rate"]
        print(f"{label[:30]:30} {pts(handle.p50):>8} [{pts(handle.p10)}–{pts(handle.p90)}] "
              f"{pts(h['value']):>6} {diff(handle.p50, h['value']):>6}   "
              f"{pts(close.p50):>8} [{pts(close.p10)}–{pts(close.p90)}] {pts(c['value']):>6} "
              f"{diff(close.p50, c['value']):>6}   (n={h['denominator']})")
        return [x for x in (handle.p50 - h["value"] if h["value"] is not None and handle.p50 is not None else None,
                            close.p50 - c["value"] if c["value"] is not None and close.p50 is not None else None)
                if x is not None]

    o = prediction.overall
    errors = row(TOWN, o["on_time_handle_rate"], o["on_time_close_rate"], value)
    dept_errors = []
    for d in sorted(prediction.departments, key=lambda d: -calib.department(d.id).town_rounds):
        act = {i["key"]: i for i in indicators.compute(qs.filter(department_id=d.id), t0, end, now=end)["indicators"]}
        if (act["on_time_handle_rate"]["denominator"] or 0) >= MIN_CASES:
            dept_errors += row("  " + d.name, d.on_time_handle_rate, d.on_time_close_rate, act)
    print(f"\nerror of the town's two rates: {', '.join(f'{e:+.1f}' for e in errors)} points "
          f"(target ±5: {'met' if all(abs(e) <= 5 for e in errors) else 'NOT met'}); departments shown: "
          f"mean |error| {statistics.mean(abs(e) for e in dept_errors):.1f}, max {max(abs(e) for e in dept_errors):.1f}"
          if dept_errors else "")
    leads = [indicators.cohort(qs, a, b).filter(steps__action="to_lead").distinct().count()
             for a, b in ((start, t0), (t0, end))]
    print(f"cases turned into enforcement leads (转为执法案源, open for good): {leads[0]} of days 1–60, "
          f"{leads[1]} of days 61–90 — what the calibration cannot have seen counts against the actual rates")
    print(f"predicted 立案数 {o['registered'].p50:.0f} (actual {value['registered']['value']}), wait for a handler "
          f"{o['wait_hours'].p50:.1f} h, open at the end {o['backlog_end'].p50:.0f}")
    print(f"simulate(30 days, {args.runs} runs): {statistics.median(timings):.2f} s median of 3 "
          f"({', '.join(f'{x:.2f}' for x in timings)}) (target < 3 s)")
    t = time.perf_counter()
    whatif.simulate(calib, days=30, runs=10, seed=args.seed)
    print(f"simulate(30 days, 10 runs): {time.perf_counter() - t:.2f} s")

    print("\ncalibrated departments (town's rounds in the window ≥ 50): staff × cases in hand, work share of "
          "the duration, work as share of the time left (R) or hours (H), replies the FIFO decomposition "
          "could not place")
    for d in sorted(calib.departments, key=lambda d: -d.town_rounds):
        if d.town_rounds >= 50:
            print(f"  {d.name[:24]:24} {d.staff:>2} × {d.concurrency:<3} work {d.work_share:4.2f} "
                  f"{'R' if d.relative else 'H'}  inconsistent {d.inconsistent * 100:4.1f} %  "
                  f"observed {d.observed_clock_hours or 0:6.1f} h  on time {pts(d.on_time_observed)} %"
                  f"{'  (also serves other towns: ' + format(d.background_per_day, '.1f') + ' jobs/day)' if d.shared else ''}")

    busiest = max(calib.departments, key=lambda d: d.town_rounds)
    more = whatif.simulate(calib, staff={busiest.id: busiest.staff + 1}, days=30, runs=args.runs, seed=args.seed)
    before = next(d for d in prediction.departments if d.id == busiest.id)
    after = next(d for d in more.departments if d.id == busiest.id)
    print(f"\none more handler in the busiest department, {busiest.name} ({busiest.staff} → {busiest.staff + 1}), "
          "same seed:")
    for label, a, b in (("town 按期处置率", o["on_time_handle_rate"], more.overall["on_time_handle_rate"]),
                        ("town 按期结案率", o["on_time_close_rate"], more.overall["on_time_close_rate"]),
                        ("department 按期处置率", before.on_time_handle_rate, after.on_time_handle_rate),
                        ("department wait (h)", before.wait_hours, after.wait_hours)):
        print(f"  {label:22} {pts(a.p50)} → {pts(b.p50)}  ({diff(b.p50, a.p50)})")
    if busiest.concurrency > 1 and after.wait_hours.p50 is not None and before.wait_hours.p50 is not None:
        print(f"  (its history is explained with {busiest.concurrency} cases in hand per handler and "
              f"{before.wait_hours.p50:.1f} h of waiting: little for a handler more to take away)")


if __name__ == "__main__":
    main()
