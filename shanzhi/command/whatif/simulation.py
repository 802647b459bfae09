"""What-if staffing, part two: the simulation of the loop (simpy) under a scenario, from a
calibration (see the package's docstring for the model)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import gc
import math
import random
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import simpy

from shanzhi.common.workcal import TimeUnit, WorkingCalendar

from .calibration import (
    CLOSED,
    MAX_DAYS,
    MAX_STAFF,
    OPEN_STATES,
    REGISTERED,
    REPLIED,
    REPORTED,
    SHELVED,
    STAGE_OF_STATE,
    STREAM,
    WITH,
    Calibration,
    DeptParams,
    _Calendar,
    _DayKinds,
    _Duty,
    _floor_hour,
    _hours,
)


# --------------------------------------------------------------------------- the simulation
@dataclass
class Band:
    mean: float | None
    p10: float | None
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, values) -> Band:
        vals = [v for v in values if v is not None]
        if not vals:
            return cls(None, None, None, None)
        p10, p50, p90 = (float(x) for x in np.percentile(vals, [10, 50, 90]))
        return cls(round(float(np.mean(vals)), 2), round(p10, 2), round(p50, 2), round(p90, 2))


@dataclass
class DeptPrediction:
    id: int
    name: str
    staff: int
    staff_today: int
    on_time_handle_rate: Band
    on_time_close_rate: Band
    wait_hours: Band
    due_to_handle: Band
    backlog_end: Band
    backlog: dict[str, list]  # p10, p50, p90 per day


@dataclass
class Prediction:
    start: str
    end: str
    days: int
    runs: int
    seed: int
    staff: dict[int, int]
    class_limits: dict[str, float]
    overall: dict[str, Band]
    departments: list[DeptPrediction]
    backlog: dict[str, list]  # dates, p10, p50, p90 (open cases at the end of each day)
    seconds: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Case:
    __slots__ = ("sub", "cohort", "st", "dept", "due", "t_stage", "hl", "rl", "disp", "ret", "r")

    def __init__(self, sub, r: _Stream):
        # Each case draws from its own stream, so two scenarios of one seed differ only where
        # the scenario acts (common random numbers: a staffing effect is not lost in noise).
        self.r = r
        self.sub, self.cohort, self.st, self.dept = sub, False, REPORTED, None
        self.due, self.t_stage, self.hl, self.rl, self.disp, self.ret = math.inf, 0.0, False, False, False, None


class _Deadlines:
    """Stage deadlines through the working calendar (``WorkingCalendar.add``), in hours after the
    simulation's start. Working and calendar days depend only on the start's date (次日起算), so
    they are cached per date; working hours from a start rounded to the minute."""

    def __init__(self, cal: WorkingCalendar, t0: dt.datetime):
        self.cal, self.t0, self.cache = cal, t0, {}

    def at(self, x: float) -> dt.datetime:
        return self.t0 + dt.timedelta(hours=x)

    def add(self, x: float, amount: float, unit: str) -> float:
        if unit == TimeUnit.CLOCK_HOURS:
            return x + amount
        if unit in (TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS) and amount >= 1:
            key = (self.at(x).astimezone(self.cal.tz).date(), amount, unit)
        else:
            x = round(x * 60) / 60
            key = (x, amount, unit)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = _hours(self.cal.add(self.at(x), amount, unit) - self.t0)
        return hit

    def left(self, x: float, due: float) -> dt.timedelta:
        return self.cal.remaining(self.at(x), self.at(due), TimeUnit.WORKING_HOURS)

    def resume(self, x: float, left: dt.timedelta) -> float:
        return _hours(self.cal.resume(self.at(x), left, TimeUnit.WORKING_HOURS) - self.t0)


class _Stream:
    """A case's own random numbers, drawn up front (cheaper than a generator per case)."""

    __slots__ = ("u", "i")

    def __init__(self, u: list[float]):
        self.u, self.i = u, 0

    def random(self) -> float:
        i = self.i
        self.i = i + 1
        if i >= len(self.u):
            more = random.Random(f"{self.u[0]}:{i}")
            self.u.extend(more.random() for _ in range(STREAM))
        return self.u[i]


def _pick(r, seq):
    return seq[int(r.random() * len(seq))]


def _pairs(rows) -> list[tuple[float, bool]]:
    return [(float(h), bool(late)) for h, late in rows] or [(0.0, False)]


def _route(rows, exclude=None):
    ids = [int(d) for d, n in rows if n and d != exclude]
    weights = [n for d, n in rows if n and d != exclude]
    if not ids:
        return None
    cum, total = [], 0
    for w in weights:
        total += w
        cum.append(total)
    return ids, cum


class _Model:
    """What every run shares: parameters in fast form, the hour slots, the duty clock."""

    def __init__(self, calib: Calibration, staff: dict[int, int], class_limits: dict[str, float], days: int):
        self.calib = calib
        self.t0 = dt.datetime.fromisoformat(calib.end)
        self.horizon = days * 24.0
        cal = _Calendar(calib.town_code)
        kinds = _DayKinds(cal)
        self.deadlines = _Deadlines(cal, self.t0)
        origin = _floor_hour(self.t0)
        self.offset = _hours(self.t0 - origin)
        self.duty = _Duty(origin, int(self.horizon) + 24 * 400, calib.duty, kinds)
        self.depts = calib.departments
        self.index = {d.id: i for i, d in enumerate(self.depts)}
        self.staff = [max(1, int(staff.get(d.id, d.staff))) for d in self.depts]
        self.servers = [n * d.concurrency for n, d in zip(self.staff, self.depts, strict=True)]
        self.subs = calib.subclasses
        sub_index = {s.code: i for i, s in enumerate(self.subs)}
        self.sub_share = np.array([s.cases for s in self.subs], dtype=float)
        self.sub_share = self.sub_share / self.sub_share.sum() if self.sub_share.sum() else self.sub_share
        groups = {g.code: g for g in calib.classes}
        overall = Counter()
        for g in calib.classes:
            for d, n in g.routes:
                overall[d] += n
        overall_rows = [[d, n] for d, n in sorted(overall.items())]
        self.routes, self.reroutes, self.limit, self.own_limit = [], [], [], []
        for s in self.subs:
            g = groups.get(s.group)
            self.routes.append(_route(g.routes if g and g.routes else overall_rows))
            self.reroutes.append(g.reroutes if g and g.reroutes else g.routes if g and g.routes else overall_rows)
            amount, unit = s.limits["handle"]
            hours = class_limits.get(s.code, class_limits.get(s.parent))
            self.own_limit.append((float(amount), unit))
            self.limit.append((float(hours), TimeUnit.WORKING_HOURS) if hours is not None else (float(amount), unit))
        self.sub_index = sub_index
        self.register, self.dispatch = _pairs(calib.register), _pairs(calib.dispatch)
        self.redispatch = _pairs(calib.redispatch or calib.dispatch)
        self.verify = _pairs(calib.verify)
        # Hour slots of the horizon with the arrival rates of their (kind of day, hour) cell.
        starts, lengths, rates, bg = [], [], [], []
        x = 0.0
        while x < self.horizon:
            when = self.t0 + dt.timedelta(hours=x)
            nxt = min(_hours(_floor_hour(when) + dt.timedelta(hours=1) - self.t0), self.horizon)
            kind, hour = kinds.of(when)
            starts.append(x)
            lengths.append(nxt - x)
            rates.append(calib.arrivals[kind][hour])
            bg.append(calib.background[kind][hour])
            x = nxt
        self.slot_start, self.slot_len = np.array(starts), np.array(lengths)
        self.slot_rate, self.slot_bg = np.array(rates), np.array(bg)
        bg_days = np.array([d.background_per_day for d in self.depts], dtype=float)
        self.bg_share = bg_days / bg_days.sum() if bg_days.sum() else None
        # Whole observed days to draw from, by kind; and the horizon's days (local midnights).
        self.pools: dict[str, list] = {"work": [], "rest": []}
        for sample in calib.day_samples:
            cases = [(h, sub_index[code]) for h, code in sample["cases"] if code in sub_index]
            bg = [(h, self.index[d]) for h, d in sample["bg"] if d in self.index]
            self.pools[sample["kind"]].append((cases, bg))
        self.days = []
        day = self.t0.astimezone(cal.tz).date()
        while True:
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=cal.tz)
            x = _hours(midnight - self.t0)
            if x >= self.horizon:
                break
            self.days.append((x, kinds.of(midnight)[0]))
            day += dt.timedelta(days=1)

    def finish(self, x: float, work: float) -> float:
        """When work started at x (hours after t0) is done, counting duty hours only."""
        u = self.duty.at(x + self.offset) + work
        return self.duty.inverse(u) - self.offset


class _Run:
    def __init__(self, model: _Model, seed: int, run: int):
        self.m = model
        self.r = random.Random(seed * 1_000_003 + run)
        self.np = np.random.default_rng([seed, run])
        self.env = simpy.Environment()
        self.res = [simpy.Resource(self.env, capacity=c) for c in model.servers]
        n = len(model.depts)
        self.open = 0
        self.with_dept = [0] * n
        self.waits = [[0.0, 0] for _ in range(n)]
        self.cases: list[_Case] = []
        self.daily: list[tuple[int, list[int]]] = []

    # -- sampling helpers
    def pick(self, seq):
        return seq[int(self.r.random() * len(seq))]

    def stream(self) -> _Stream:
        return _Stream([self.r.random() for _ in range(STREAM)])

    def route(self, r, sub: int, exclude=None) -> int | None:
        m = self.m
        if exclude is None:
            table = m.routes[sub]
        else:
            table = _route(m.reroutes[sub], exclude) or _route(m.reroutes[sub])
        if table is None:
            return None
        ids, cum = table
        dept = ids[min(bisect.bisect_right(cum, r.random() * cum[-1]), len(ids) - 1)]
        return m.index.get(dept)

    def set(self, c: _Case, st: int, dept=-1) -> None:
        if c.st in OPEN_STATES:
            self.open -= 1
        if c.st == WITH:
            self.with_dept[c.dept] -= 1
        c.st = st
        if dept != -1:
            c.dept = dept
        if st in OPEN_STATES:
            self.open += 1
        if st == WITH:
            self.with_dept[c.dept] += 1

    # -- processes
    def case(self, c: _Case, stage: str, dept=None, residual=None, reported: float = 0.0, carried=False):
        env, r, m = self.env, c.r, self.m
        if stage == "report":
            # Reported ``reported`` hours after the start (the case is not open until registered).
            hours, late = _pick(r, m.register)
            c.t_stage = reported
            yield env.timeout(reported + hours)
            c.rl |= late
            c.cohort = 0 <= env.now < m.horizon
            self.set(c, REGISTERED)
            stage = "dispatch"
        redispatch = False
        while True:
            if stage == "dispatch":
                c.t_stage = env.now
                hours, late = _pick(r, m.redispatch if redispatch else m.dispatch)
                yield env.timeout(hours)
                c.rl |= late
                dept = self.route(r, c.sub, exclude=m.depts[c.ret].id if redispatch and c.ret is not None else None)
                if dept is None:
                    return
                c.disp = True
                stage = "handle"
            if stage == "handle":
                p = m.depts[dept]
                self.set(c, WITH, dept)
                if not carried:
                    amount, unit = m.limit[c.sub]
                    c.due = m.deadlines.add(env.now, amount, unit)
                    # Work that scales with the time allowed scales with the class's own limit:
                    # a changed limit moves the deadline, not the work.
                    sized = c.due if m.limit[c.sub] == m.own_limit[c.sub] else \
                        m.deadlines.add(env.now, *m.own_limit[c.sub])
                    u = r.random()
                    if u < p.p_return:
                        yield env.timeout(_pick(r, p.return_hours))
                        if env.now > c.due:
                            c.hl = c.rl = True
                        c.ret = dept
                        self.set(c, REGISTERED, None)
                        stage, redispatch = "dispatch", True
                        continue
                    if u < p.p_return + p.p_lead:
                        return  # an enforcement lead now: with the department for good, its clock running
                    if u < p.p_return + p.p_lead + p.p_shelve:
                        yield env.timeout(_pick(r, p.shelve_hours))
                        left = m.deadlines.left(env.now, c.due)
                        self.set(c, SHELVED)
                        if not (p.resume_hours and r.random() < p.p_resume):
                            return
                        yield env.timeout(_pick(r, p.resume_hours))
                        c.due = m.deadlines.resume(env.now, left)
                        sized = c.due
                        self.set(c, WITH)
                    work = None
                else:
                    # A case open at the start: in its queue already, perhaps part-done.
                    work, residual, carried, sized = residual, None, False, c.due
                ready = env.now
                with self.res[dept].request() as req:
                    yield req
                    if 0 <= env.now < m.horizon:
                        w = self.waits[dept]
                        w[0] += env.now - ready
                        w[1] += 1
                    if work is None:
                        work = self.work(p, m.subs[c.sub].code, sized, r.random())
                    done = m.finish(env.now, work)
                    # 延期 is asked while the deadline has not passed, mostly by a case that would miss it.
                    if p.extensions and env.now <= c.due and \
                            r.random() < (p.p_extend_late if done > c.due else p.p_extend_on_time):
                        amount, unit = _pick(r, p.extensions)
                        c.due = m.deadlines.add(c.due, float(amount), unit)
                    yield env.timeout(max(done - env.now, 0.0))
                if env.now > c.due:
                    c.hl = c.rl = True
                self.set(c, REPLIED)
                stage = "verify"
            if stage == "verify":
                c.t_stage = env.now
                hours, late = _pick(r, m.verify)
                yield env.timeout(hours)
                c.rl |= late
                p = m.depts[c.dept] if c.dept is not None else None
                if p is not None and p.p_rework and r.random() < p.p_rework:
                    dept, stage = c.dept, "handle"
                    continue
                self.set(c, CLOSED)
                return

    def work(self, p: DeptParams, code: str, due: float, u: float) -> float:
        """Duty hours of work for a job starting now: a share of the time its deadline leaves,
        or hours, as the department's history is better described (``DeptParams.relative``)."""
        m = self.m
        if p.relative and p.rel and due != math.inf:
            pool = p.rel_by_class.get(code) or p.rel
            span = m.duty.at(due + m.offset) - m.duty.at(self.env.now + m.offset)
            return pool[int(u * len(pool))] * max(span, 0.05)
        pool = p.work_by_class.get(code) or p.work or [1.0]
        return pool[int(u * len(pool))]

    def background(self, dept: int, due: float, u: float, work: float | None = None) -> None:
        """Another town's job for a shared department: it takes a handler's time, nothing else
        (plain event callbacks, no process: there are many of them)."""
        env, res, m = self.env, self.res[dept], self.m
        req = res.request()

        def release(_event):
            res.release(req)

        def granted(_event):
            todo = work if work is not None else self.work(m.depts[dept], "", due, u)
            env.timeout(max(m.finish(env.now, todo) - env.now, 0.0)).callbacks.append(release)

        req.callbacks.append(granted)

    def background_at(self, at: float, dept: int, slack: float, u: float) -> None:
        self.env.timeout(at).callbacks.append(lambda _e: self.background(dept, at + slack, u))

    def sampler(self):
        for _day in range(int(self.m.horizon // 24)):
            yield self.env.timeout(24)
            self.daily.append((self.open, list(self.with_dept)))

    def residual(self, p: DeptParams, elapsed: float, code: str = "") -> float | None:
        """The rest of the work of a job open at the start: a longer observed work minus what has
        been done; None for one still waiting (its work is drawn when it starts)."""
        if elapsed < 0:
            return None
        work = p.work_by_class.get(code) or p.work
        i = bisect.bisect_right(work, elapsed)
        if i < len(work):
            return self.pick(work[i:]) - elapsed
        return work[len(work) // 2] if work else 1.0

    def run(self):
        m, env = self.m, self.env
        # The state at the start: open cases first, with a handler in their queue order.
        for entry in m.calib.backlog:
            sub = m.sub_index.get(entry["sub"])
            if sub is None:
                sub = 0 if m.subs else None
            if sub is None:
                continue
            c = _Case(sub, self.stream())
            c.disp = entry["stage"] in ("handle", "verify")
            self.cases.append(c)
            if entry["stage"] == "handle":
                dept = m.index.get(entry["dept"])
                if dept is None:
                    continue
                c.st, c.dept = WITH, dept
                c.due = entry["due"] if entry.get("due") is not None else math.inf
                self.open += 1
                self.with_dept[dept] += 1
                work = self.residual(m.depts[dept], entry["elapsed"], entry["sub"])
                env.process(self.case(c, "handle", dept, residual=work, carried=True))
            elif entry["stage"] == "lead":
                dept = m.index.get(entry["dept"])
                if dept is not None:
                    c.st, c.dept = WITH, dept
                    self.open += 1
                    self.with_dept[dept] += 1
            elif entry["stage"] == "verify":
                c.st = REPLIED
                self.open += 1
                env.process(self.case(c, "verify"))
            elif entry["stage"] == "dispatch":
                c.st = REGISTERED
                self.open += 1
                env.process(self.case(c, "dispatch"))
            else:
                env.process(self.case(c, "report"))
        for i, p in enumerate(m.depts):
            for elapsed, slack in p.background_open:
                self.background(i, slack, self.r.random(), self.residual(p, elapsed))
        arrivals, jobs = self.arrivals()
        draws = self.np.random((len(arrivals), STREAM)).tolist()
        for (t, sub), u in zip(arrivals, draws, strict=True):
            c = _Case(sub, _Stream(u))
            self.cases.append(c)
            env.process(self.case(c, "report", reported=t))
        for t, dept in jobs:
            self.background_at(t, dept, self.pick(m.depts[dept].slack), self.r.random())
        env.process(self.sampler())
        env.run(until=m.horizon)
        if len(self.daily) < int(m.horizon // 24):  # the end of the last day is the horizon itself
            self.daily.append((self.open, list(self.with_dept)))
        return self.evaluate()

    def arrivals(self) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
        """Reports and other towns' jobs of the horizon: each day a whole observed day of its kind
        (working or rest day); a Poisson process with the hourly rates where the window has none."""
        m = self.m
        cases, jobs = [], []
        for x, kind in m.days:
            pool = m.pools[kind] or m.pools["rest" if kind == "work" else "work"]
            if not pool:
                continue
            day_cases, day_jobs = pool[int(self.r.random() * len(pool))]
            cases += [(x + h, sub) for h, sub in day_cases if 0 <= x + h < m.horizon]
            jobs += [(x + h, d) for h, d in day_jobs if 0 <= x + h < m.horizon]
        if m.days and (m.pools["work"] or m.pools["rest"]):
            return cases, jobs
        counts = self.np.poisson(m.slot_rate * m.slot_len)
        times = np.repeat(m.slot_start, counts) + self.np.random(counts.sum()) * np.repeat(m.slot_len, counts)
        subs = self.np.choice(len(m.subs), size=len(times), p=m.sub_share) if len(m.subs) else []
        cases = sorted(zip(times.tolist(), [int(s) for s in subs], strict=True))
        if m.bg_share is not None:
            counts = self.np.poisson(m.slot_bg * m.slot_len)
            times = np.repeat(m.slot_start, counts) + self.np.random(counts.sum()) * np.repeat(m.slot_len, counts)
            depts = self.np.choice(len(m.depts), size=len(times), p=m.bg_share)
            jobs = list(zip(times.tolist(), depts.tolist(), strict=True))
        return cases, jobs

    def evaluate(self) -> dict:
        """The indicators' counts at the end of the horizon, as ``command.indicators`` defines them."""
        m, now = self.m, self.m.horizon
        n = len(m.depts)
        tallies = [[0, 0, 0, 0] for _ in range(n + 1)]  # due_to_handle, handled_on_time, due_to_close, closed_on_time
        for c in self.cases:
            if not c.cohort:
                continue
            shelved = c.st == SHELVED
            due_to_handle = c.disp and not shelved and not (c.st == WITH and c.due >= now)
            if c.st in STAGE_OF_STATE and c.st != WITH:
                sub = m.subs[c.sub]
                amount, unit = sub.limits[STAGE_OF_STATE[c.st]]
                stage_due = m.deadlines.add(c.t_stage, amount, unit)
            else:
                stage_due = c.due
            not_yet_due = c.st in STAGE_OF_STATE and stage_due >= now
            due_to_close = not shelved and not not_yet_due
            handled = due_to_handle and c.st in (REPLIED, CLOSED)
            row = (tallies[n],) if c.dept is None else (tallies[n], tallies[c.dept])
            for t in row:
                t[0] += due_to_handle
                t[1] += handled and not c.hl
                t[2] += due_to_close
                t[3] += c.st == CLOSED and not c.rl
        rate = lambda num, den: num * 100 / den if den else None  # noqa: E731
        return {
            "handle": [rate(t[1], t[0]) for t in tallies], "close": [rate(t[3], t[2]) for t in tallies],
            "due_to_handle": [t[0] for t in tallies],
            "wait": [w[0] / w[1] if w[1] else None for w in self.waits] + [
                (sum(w[0] for w in self.waits) / total) if (total := sum(w[1] for w in self.waits)) else None],
            "open": [d[0] for d in self.daily], "with": [d[1] for d in self.daily],
            "cases": sum(1 for c in self.cases if c.cohort),
        }


def simulate(calibration: Calibration, *, staff: dict[int, int] | None = None,
             class_limits: dict[str, float] | None = None, days: int = 30, runs: int = 20,
             seed: int = 1) -> Prediction:
    """Predicted figures for ``days`` after the calibration window's end, over ``runs`` runs.
    ``staff``: department id → handlers (1–50; others keep today's count); ``class_limits``:
    class code (subclass, or a major class for all its subclasses) → handling limit in working hours."""
    began = time.perf_counter()
    staff = {int(k): int(v) for k, v in (staff or {}).items()}
    for dept_id, n in staff.items():
        if calibration.department(dept_id) is None:
            raise ValueError(f"department {dept_id} is not in the calibration")
        if not 1 <= n <= MAX_STAFF:
            raise ValueError(f"staff must be 1–{MAX_STAFF}")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1–{MAX_DAYS}")
    limits = {str(k): float(v) for k, v in (class_limits or {}).items()}
    if any(v <= 0 for v in limits.values()):
        raise ValueError("a handling limit must be positive")
    model = _Model(calibration, staff, limits, days)
    # The runs allocate many short-lived objects and free them all; the cyclic collector would
    # only walk the process's older objects again and again meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        results = [_Run(model, seed, run).run() for run in range(runs)]
    finally:
        if collecting:
            gc.enable()
    n = len(model.depts)
    t0 = model.t0
    dates = [(t0 + dt.timedelta(days=k + 1)).astimezone(model.deadlines.cal.tz).strftime("%m-%d") for k in range(days)]

    def series(values_per_run) -> dict[str, list]:
        arr = np.array(values_per_run, dtype=float)
        if arr.size == 0:
            return {"p10": [], "p50": [], "p90": []}
        p10, p50, p90 = np.percentile(arr, [10, 50, 90], axis=0)
        return {"p10": [round(float(v), 1) for v in p10], "p50": [round(float(v), 1) for v in p50],
                "p90": [round(float(v), 1) for v in p90]}

    depts = []
    for i, p in enumerate(model.depts):
        per_day = [[day[i] for day in res["with"]] for res in results]
        depts.append(DeptPrediction(
            id=p.id, name=p.name, staff=model.staff[i], staff_today=p.staff,
            on_time_handle_rate=Band.of(r["handle"][i] for r in results),
            on_time_close_rate=Band.of(r["close"][i] for r in results),
            wait_hours=Band.of(r["wait"][i] for r in results),
            due_to_handle=Band.of(r["due_to_handle"][i] for r in results),
            backlog_end=Band.of(d[-1] if d else None for d in per_day), backlog=series(per_day)))
    overall = {
        "on_time_handle_rate": Band.of(r["handle"][n] for r in results),
        "on_time_close_rate": Band.of(r["close"][n] for r in results),
        "wait_hours": Band.of(r["wait"][n] for r in results),
        "due_to_handle": Band.of(r["due_to_handle"][n] for r in results),
        "registered": Band.of(r["cases"] for r in results),
        "backlog_end": Band.of(r["open"][-1] if r["open"] else None for r in results),
    }
    return Prediction(start=t0.isoformat(), end=(t0 + dt.timedelta(days=days)).isoformat(), days=days, runs=runs,
                      seed=seed, staff={p.id: model.staff[i] for i, p in enumerate(model.depts)}, class_limits=limits,
                      overall=overall, departments=depts,
                      backlog={"dates": dates, **series([r["open"] for r in results])},
                      seconds=round(time.perf_counter() - began, 3))
