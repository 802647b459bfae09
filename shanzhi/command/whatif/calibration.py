"""What-if staffing, part one: the calibration from the database's history (see the package's
docstring for the model)."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import heapq
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from shanzhi.accounts.models import Department, Post
from shanzhi.accounts.roles import Role
from shanzhi.cases.models import Timer
from shanzhi.common.workcal import TimeUnit, WorkingCalendar
from shanzhi.incidents.models import Incident, IncidentClass, IncidentStep
from shanzhi.incidents.states import Status

MIN_WORK = 15  # observed durations a subclass needs for its own work distribution
CONCURRENCY = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
INCONSISTENT = 0.02
STREAM = 24  # random numbers drawn up front per case (a long case draws more)
MIN_GROUP = 30  # subclasses with fewer cases in the window are routed with their major class
WARMUP = dt.timedelta(days=14)  # jobs before the window that fill the queues the replay starts with
MIN_DUTY_EVENTS = 100
DUTY_SHARE = 0.2  # an hour is on duty when departments act at least at this share of their busiest hour
MAX_STAFF = 50
MAX_DAYS = 90
STAGES = ("register", "dispatch", "handle", "verify")
HANDLE_ACTIONS = ("dispatch", "whistle", "accept", "return", "escalate", "shelve", "resume", "reply", "verify_pass",
                  "verify_fail", "extend_approve", "to_lead")
# Statuses in the simulation.
REPORTED, REGISTERED, WITH, SHELVED, REPLIED, CLOSED = range(6)
OPEN_STATES = (REGISTERED, WITH, REPLIED)  # indicators' "open"; shelved cases are not
STAGE_OF_STATE = {REPORTED: "register", REGISTERED: "dispatch", WITH: "handle", REPLIED: "verify"}


# --------------------------------------------------------------------------- the calibration
@dataclass
class SubclassParams:
    code: str
    name: str
    parent: str
    group: str
    cases: int
    limits: dict[str, list]  # stage → [amount, unit]


@dataclass
class ClassParams:
    """A routing group: a subclass, or a major class pooling its small subclasses."""

    code: str
    name: str
    cases: int
    routes: list[list]  # [[department id, first dispatches]]
    reroutes: list[list]  # [[department id, dispatches after a return]]


@dataclass
class DeptParams:
    id: int
    name: str
    staff: int
    shared: bool  # serves other towns too (a county department)
    rounds: int  # handling rounds started in the window, every town
    town_rounds: int
    p_return: float
    return_hours: list[float]
    p_shelve: float
    shelve_hours: list[float]
    p_resume: float
    resume_hours: list[float]
    p_extend: float  # rounds extended
    p_extend_late: float  # … of those that would have been late by their own deadline
    p_extend_on_time: float  # … of the others
    extensions: list[list]  # [[amount, unit]] approved
    p_rework: float
    p_lead: float  # rounds turned into an enforcement lead (转为执法案源): open with the department for good
    accept_hours: float | None  # median dispatch → 签收, clock hours (inside the queue's sojourn)
    concurrency: int  # cases one handler has in hand at once (servers = staff × concurrency)
    inconsistent: float  # share of replies the FIFO decomposition could not place (before their start)
    work: list[float]  # implied work, duty hours, sorted (jobs open at the end: imputed, longer than so far)
    work_by_class: dict[str, list[float]]  # the same per subclass, where it has enough
    relative: bool  # work is a share of the time the deadline left (tighter than absolute hours)
    rel: list[float]  # work / duty hours from its start to the deadline, sorted
    rel_by_class: dict[str, list[float]]
    slack: list[float]  # clock hours from a job's dispatch to its deadline
    work_share: float  # work / (waiting + work) over the window's replied jobs
    observed_hours: float | None  # mean dispatch → reply, duty hours
    observed_clock_hours: float | None  # the same in clock hours
    on_time_observed: float | None  # % of the window's jobs replied by their deadline
    utilisation: float
    background_per_day: float  # other towns' jobs a day
    background_open: list[list[float]]  # other towns' jobs open at the end: [elapsed duty hours, due after end]


@dataclass
class Calibration:
    town_id: int | None
    town_code: str
    town_name: str
    start: str
    end: str
    days: float
    cases: int
    arrivals: dict[str, list[float]]  # "work"/"rest" → 24 rates (cases an hour)
    background: dict[str, list[float]]  # the same for other towns' jobs of shared departments
    # Each whole day of the window: its kind, its reports [[hour of day, subclass]] and the
    # shared departments' jobs from other towns [[hour of day, department]]. The simulation draws
    # whole days of the same kind, so the spread of busy and quiet days is the observed one.
    day_samples: list[dict]
    duty: dict[str, list[int]]  # "work"/"rest" → 24 on-duty flags
    duty_source: str
    register: list[list]  # [[hours, late]] observed pairs
    dispatch: list[list]
    redispatch: list[list]
    verify: list[list]
    subclasses: list[SubclassParams]
    classes: list[ClassParams]
    departments: list[DeptParams]
    backlog: list[dict]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        data = dict(data)
        data["subclasses"] = [SubclassParams(**s) for s in data["subclasses"]]
        data["classes"] = [ClassParams(**c) for c in data["classes"]]
        data["departments"] = [DeptParams(**d) for d in data["departments"]]
        return cls(**data)

    def department(self, dept_id: int) -> DeptParams | None:
        return next((d for d in self.departments if d.id == dept_id), None)


def _hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


def _region(town):
    from shanzhi.geo.models import Region

    if town is None or isinstance(town, Region):
        return town
    if isinstance(town, int):
        return Region.objects.get(pk=town)
    return Region.objects.get(code=str(town))


class _Calendar(WorkingCalendar):
    """The locality's working calendar, its days looked up once: the model asks about the same
    few months thousands of times."""

    def __init__(self, region_code: str = ""):
        super().__init__(region_code)
        self._days: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        hit = self._days.get(day)
        if hit is None:
            hit = self._days[day] = super().is_workday(day)
        return hit


class _DayKinds:
    """Working or rest day, per local date, from the locality's working calendar."""

    def __init__(self, cal: WorkingCalendar):
        self.cal, self.tz, self.cache = cal, cal.tz, {}

    def of(self, when: dt.datetime) -> tuple[str, int]:
        local = when.astimezone(self.tz)
        day = local.date()
        kind = self.cache.get(day)
        if kind is None:
            kind = self.cache[day] = "work" if self.cal.is_workday(day) else "rest"
        return kind, local.hour


def _floor_hour(when: dt.datetime) -> dt.datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def _exposure(kinds: _DayKinds, start: dt.datetime, end: dt.datetime) -> dict[str, list[float]]:
    """Hours of each (kind of day, hour) cell between start and end."""
    out = {"work": [0.0] * 24, "rest": [0.0] * 24}
    t = start
    while t < end:
        nxt = min(_floor_hour(t) + dt.timedelta(hours=1), end)
        kind, hour = kinds.of(t)
        out[kind][hour] += _hours(nxt - t)
        t = nxt
    return out


def _cell_rates(kinds: _DayKinds, times, exposure) -> dict[str, list[float]]:
    counts = {"work": [0] * 24, "rest": [0] * 24}
    for t in times:
        kind, hour = kinds.of(t)
        counts[kind][hour] += 1
    rates = {k: [counts[k][h] / exposure[k][h] if exposure[k][h] > 0 else None for h in range(24)] for k in counts}
    # An hour never seen in the window (no rest day in it, say) borrows the other kind's rate.
    for k, other in (("work", "rest"), ("rest", "work")):
        rates[k] = [r if r is not None else (rates[other][h] or 0.0) for h, r in enumerate(rates[k])]
    return {k: [v or 0.0 for v in rates[k]] for k in rates}


def _day_samples(kinds: _DayKinds, start, end, reports, jobs) -> list[dict]:
    tz = kinds.tz
    by_day: dict[dt.date, dict] = {}
    day = start.astimezone(tz).date()
    while True:
        d0 = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        d1 = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        if d1 > end:
            break
        if d0 >= start:
            by_day[day] = {"kind": kinds.of(d0)[0], "cases": [], "bg": []}
        day += dt.timedelta(days=1)
    for key, rows in (("cases", reports), ("bg", jobs)):
        for when, what in rows:
            local = when.astimezone(tz)
            sample = by_day.get(local.date())
            if sample is not None:
                midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=tz)
                sample[key].append([round(_hours(local - midnight), 4), what])
    out = []
    for day in sorted(by_day):
        sample = by_day[day]
        sample["cases"].sort()
        sample["bg"].sort()
        out.append(sample)
    return out


class _Duty:
    """Cumulative duty hours from an hour-aligned origin: work progresses only on duty."""

    def __init__(self, origin: dt.datetime, hours: int, duty: dict[str, list[int]], kinds: _DayKinds):
        self.origin = origin
        flags = []
        for i in range(hours):
            kind, hour = kinds.of(origin + dt.timedelta(hours=i))
            flags.append(1 if duty[kind][hour] else 0)
        if not any(flags):
            flags = [1] * hours
        self.flags = flags
        self.cum = [0.0]
        for f in flags:
            self.cum.append(self.cum[-1] + f)
        self.n = hours
        self.rate = self.cum[-1] / hours

    def at(self, x: float) -> float:
        """Duty hours from the origin to x hours after it."""
        if x <= 0:
            return 0.0
        i = int(x)
        if i >= self.n:
            return self.cum[-1] + (x - self.n) * self.rate
        return self.cum[i] + (x - i) * self.flags[i]

    def inverse(self, u: float) -> float:
        """The earliest time (hours after the origin) at which u duty hours have passed."""
        if u <= 0:
            return 0.0
        if u > self.cum[-1]:
            return self.n + (u - self.cum[-1]) / self.rate
        i = bisect.bisect_left(self.cum, u)
        return (i - 1) + (u - self.cum[i - 1])

    def of(self, when: dt.datetime) -> float:
        return self.at(_hours(when - self.origin))


@dataclass
class _Round:
    dept: int | None
    start: dt.datetime
    town: bool
    case: int = 0
    end: dt.datetime | None = None
    due: dt.datetime | None = None
    own_due: dt.datetime | None = None  # before any extension
    outcome: str | None = None  # reply, return, shelve; None: still open at the window's end
    accept: dt.datetime | None = None
    extended: list | None = None
    rework: bool | None = None
    resumed_after: float | None = None


def _duty_from(kinds, times, exposure, cal: WorkingCalendar) -> tuple[dict[str, list[int]], str]:
    if len(times) < MIN_DUTY_EVENTS:
        # Too little to tell: the official working periods on working days.
        work = [0] * 24
        for begin, end in cal.periods:
            for h in range(begin.hour, end.hour + (1 if end.minute else 0)):
                work[h] = 1
        return {"work": work, "rest": [0] * 24}, "calendar"
    rates = _cell_rates(kinds, times, exposure)
    top = max(max(rates["work"]), max(rates["rest"])) or 1.0
    return {k: [1 if r >= DUTY_SHARE * top else 0 for r in rates[k]] for k in rates}, "steps"


@dataclass
class _Job:
    u: float  # dispatched (or back for rework, or resumed), duty hours
    d: float  # replied, duty hours; inf: still open at the window's end
    due: float  # handling deadline, duty hours; inf: unknown
    scored: bool  # dispatched inside the window
    code: str = ""
    town: bool = True
    start: float = 0.0  # when work on it began (implied)
    work: float | None = None  # duty hours of work (implied), for replied jobs


def _decompose(jobs: list[_Job], servers: int) -> float:
    """Split each replied job's duration into waiting and work, as a FIFO queue with ``servers``
    servers explains the observed dispatch and reply times: a job starts once it is dispatched,
    every earlier job has started and at most ``servers`` − 1 earlier jobs are still unreplied;
    its work is the rest. Returns the share of replied jobs that were replied *before* such a
    start — the sign that more cases are in hand at once than ``servers``."""
    low: list[float] = []  # the (i − servers + 1) earliest replies of the earlier jobs (negated: a max-heap)
    high: list[float] = []  # the other earlier replies
    previous = -math.inf
    bad = total = 0
    for i, job in enumerate(jobs):
        if i:
            heapq.heappush(low, -jobs[i - 1].d)
            heapq.heappush(high, -heapq.heappop(low))
        need = i - servers + 1  # earlier jobs that must have been replied: all but servers − 1
        while len(low) < need and high:
            heapq.heappush(low, -heapq.heappop(high))
        free = -low[0] if need > 0 and low else -math.inf
        job.start = previous = max(job.u, free, previous)
        if job.d != math.inf:
            total += 1
            if job.d < job.start - 1e-6:
                bad += 1
            job.work = max(job.d - job.start, 0.0)
    return bad / total if total else 0.0


def _concurrency(jobs: list[_Job], staff: int) -> tuple[int, float]:
    """The fewest cases a handler has in hand at once that explains the order of the replies
    (at most INCONSISTENT of them replied before they could have started)."""
    best = (math.inf, CONCURRENCY[0])
    for k in CONCURRENCY:
        bad = _decompose(jobs, staff * k)
        if bad <= INCONSISTENT:
            return k, bad
        best = min(best, (bad, k))
    _decompose(jobs, staff * best[1])
    return best[1], best[0]


def _on_time(jobs: list[_Job], end_u: float) -> float | None:
    """Share of the window's jobs replied by their deadline (open ones count once it passed)."""
    good = total = 0
    for j in jobs:
        if not j.scored or j.due == math.inf:
            continue
        if j.d != math.inf:
            total += 1
            good += j.d <= j.due + 1e-9
        elif j.due < end_u:
            total += 1
    return good / total if total else None


def _relative(pairs: dict[str, list[tuple[float, float]]]) -> bool:
    """Whether work is better described as a share of the time its deadline left than as hours:
    the description with the smaller spread (of logs) within each subclass wins. Handlers who
    work to their deadlines show the first; fixed work content, the second."""
    ss_abs = ss_rel = 0.0
    n = 0
    for rows in pairs.values():
        if len(rows) < 5:
            continue
        logs_h = [math.log(h) for h, _s in rows]
        logs_r = [math.log(h / s) for h, s in rows]
        mh, mr = sum(logs_h) / len(rows), sum(logs_r) / len(rows)
        ss_abs += sum((x - mh) ** 2 for x in logs_h)
        ss_rel += sum((x - mr) ** 2 for x in logs_r)
        n += len(rows)
    return n >= 20 and ss_rel < ss_abs * 0.9


def calibrate(start: dt.datetime, end: dt.datetime, *, town=None) -> Calibration:
    """Estimate the model from the history of [start, end) in one town (or the county).
    Deterministic: the same data give the same calibration."""
    if end <= start:
        raise ValueError("end must be after start")
    town = _region(town)
    cal = _Calendar(town.code if town else "")
    kinds = _DayKinds(cal)
    lo = start - WARMUP
    days = _hours(end - start) / 24

    cases = Incident.objects.exclude(status__in=[Status.VOIDED, Status.MERGED])
    if town is not None:
        cases = cases.filter(town=town)
    relevant = cases.filter(reported_at__lt=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=lo))
    info = {pk: (sub, rep, reg) for pk, sub, rep, reg in
            relevant.values_list("id", "subclass_id", "reported_at", "registered_at")}
    steps = list(IncidentStep.objects.filter(incident__in=relevant.values("id"), at__lt=end,
                                             action__in=HANDLE_ACTIONS)
                 .order_by("incident_id", "at", "id").values_list("incident_id", "action", "at", "department_id"))
    status_at_end = dict(IncidentStep.objects.filter(incident__in=relevant.values("id"), at__lt=end)
                         .order_by("incident_id", "at", "id").values_list("incident_id", "to_status"))
    town_ids = set(info)
    other_steps: list = []
    others = IncidentStep.objects.none().values("incident_id")
    dept_regions = {d.pk: d for d in Department.objects.select_related("region")}

    def inside(dept_id):
        d = dept_regions.get(dept_id)
        return town is None or (d is not None and d.region.path.startswith(town.path))

    if town is not None:
        used = {s[3] for s in steps if s[1] in ("dispatch", "whistle") and s[3]}
        shared = [d for d in used if not inside(d)]
        if shared:
            others = (IncidentStep.objects.filter(department_id__in=shared, at__gte=lo, at__lt=end,
                                                  action__in=("dispatch", "whistle", "verify_fail", "resume"))
                      .exclude(incident__town=town).values("incident_id"))
            other_steps = list(IncidentStep.objects.filter(incident__in=others, at__gte=lo, at__lt=end,
                                                           action__in=HANDLE_ACTIONS)
                               .order_by("incident_id", "at", "id")
                               .values_list("incident_id", "action", "at", "department_id"))
    ext_data = {(i, at): data for i, at, data in IncidentStep.objects.filter(
        action="extend_approve", at__gte=lo, at__lt=end,
        incident__in=relevant.values("id")).values_list("incident_id", "at", "data")}

    # ---- walk each case's steps into handling rounds, and its state at the end
    rounds: list[_Round] = []
    open_at_end: dict[int, _Round] = {}
    first_route: dict[int, int] = {}
    reroutes: dict[int, list[int]] = defaultdict(list)
    accepts_and_replies: list[dt.datetime] = []
    leads: dict[int, _Round] = {}  # 转为执法案源: the case stays with the department, out of its queue

    def walk(rows, town_case: bool):
        cur_id, cur, dept, after_return, shelved = None, None, None, False, None
        mine: list[_Round] = []

        def done():
            if cur is not None:
                open_at_end[cur_id] = cur
                mine.append(cur)

        for inc_id, action, at, dept_id in rows:
            if inc_id != cur_id:
                done()
                cur_id, cur, dept, after_return, shelved = inc_id, None, None, False, None
            if action in ("dispatch", "whistle"):
                cur = _Round(dept_id, at, town_case, inc_id)
                dept = dept_id
                if town_case:
                    if inc_id not in first_route and dept_id:
                        first_route[inc_id] = dept_id
                    elif after_return and dept_id:
                        reroutes[inc_id].append(dept_id)
                after_return = False
            elif action == "accept":
                if cur is not None and cur.accept is None:
                    cur.accept = at
                    accepts_and_replies.append(at)
            elif action in ("return", "escalate", "shelve", "reply", "to_lead"):
                if cur is not None:
                    cur.end, cur.outcome = at, {"shelve": "shelve", "reply": "reply", "to_lead": "lead"}.get(
                        action, "return")
                    if action == "to_lead":
                        leads[inc_id] = cur
                    mine.append(cur)
                    if action == "shelve":
                        shelved = cur
                    cur = None
                if action in ("return", "escalate"):
                    dept, after_return = None, True
                if action != "shelve":
                    accepts_and_replies.append(at)
            elif action == "resume":
                cur = _Round(dept_id or dept, at, town_case, inc_id)
                if shelved is not None:
                    shelved.resumed_after = _hours(at - shelved.end)
                    shelved = None
            elif action in ("verify_pass", "verify_fail"):
                last = next((r for r in reversed(mine) if r.outcome == "reply"), None)
                if last is not None and last.rework is None:
                    last.rework = action == "verify_fail"
                if action == "verify_fail":
                    cur = _Round(dept_id or dept, at, town_case, inc_id)
            elif action == "extend_approve" and cur is not None:
                data = ext_data.get((inc_id, at)) or {}
                cur.extended = [float(data.get("amount", 1)), data.get("unit", TimeUnit.WORKING_DAYS)]
        done()
        return mine

    rounds = walk(steps, True)
    town_open = dict(open_at_end)
    rounds += walk(other_steps, False)
    background_open_rounds = {k: v for k, v in open_at_end.items() if k not in town_ids}
    # Each round's handling deadline: the clock running when it started (a resumed round keeps it).
    timers: dict[int, list] = defaultdict(list)
    for case_id, started, due, extended in (
            Timer.objects.filter(kind="incident", stage="handle")
            .filter(Q(case_id__in=relevant.values("id")) | Q(case_id__in=others))
            .order_by("case_id", "started_at").values_list("case_id", "started_at", "due", "extensions")):
        own = dt.datetime.fromisoformat(extended[0]["from"]) if extended and extended[0].get("from") else due
        timers[case_id].append((started, due, own))
    for r in rounds:
        mine = timers.get(r.case, ())
        k = bisect.bisect_right([t[0] for t in mine], r.start) - 1
        if k >= 0:
            r.due, r.own_due = mine[k][1], mine[k][2]

    # ---- duty hours, then every duration in them
    window_exposure = _exposure(kinds, start, end)
    duty, duty_source = _duty_from(kinds, [t for t in accepts_and_replies if start <= t < end], window_exposure, cal)
    origin = _floor_hour(lo)
    clock = _Duty(origin, int(_hours(end - origin)) + 2, duty, kinds)
    end_u = clock.of(end)

    # ---- the cohort, its classes and arrivals
    cohort = {pk: v for pk, v in info.items() if v[2] is not None and start <= v[2] < end}
    classes = {c.pk: c for c in IncidentClass.objects.filter(pk__in={v[0] for v in cohort.values()})
               .select_related("parent")}
    sub_counts = Counter(v[0] for v in cohort.values())

    def group_of(sub_id):
        c = classes[sub_id]
        return c.code if sub_counts[sub_id] >= MIN_GROUP or c.parent is None else c.parent.code

    subclasses = [SubclassParams(code=c.code, name=c.name, parent=c.parent.code if c.parent else "",
                                 group=group_of(c.pk), cases=sub_counts[c.pk],
                                 limits={s: [float(c.limit(s)[0]), c.limit(s)[1]] for s in STAGES})
                  for c in sorted(classes.values(), key=lambda c: c.code)]
    group_routes: dict[str, Counter] = defaultdict(Counter)
    group_reroutes: dict[str, Counter] = defaultdict(Counter)
    group_cases: Counter = Counter()
    group_names = {}
    for pk, (sub, _rep, _reg) in cohort.items():
        g = group_of(sub)
        group_cases[g] += 1
        c = classes[sub]
        group_names[g] = c.name if g == c.code else c.parent.name
        if pk in first_route:
            group_routes[g][first_route[pk]] += 1
        for d in reroutes.get(pk, ()):
            group_reroutes[g][d] += 1
    groups = [ClassParams(code=g, name=group_names[g], cases=group_cases[g],
                          routes=[[d, n] for d, n in sorted(group_routes[g].items())],
                          reroutes=[[d, n] for d, n in sorted(group_reroutes[g].items())])
              for g in sorted(group_cases)]
    arrivals = _cell_rates(kinds, [v[1] for v in cohort.values()], window_exposure)

    # ---- the center's stages: observed (hours, late) pairs
    center = defaultdict(list)
    registered_at = {pk: v[2] for pk, v in info.items()}
    for case_id, stage, started, stopped, late in Timer.objects.filter(
            kind="incident", case_id__in=relevant.values("id"), stage__in=("register", "dispatch", "verify"),
            started_at__gte=start, started_at__lt=end, stopped_at__isnull=False).values_list(
            "case_id", "stage", "started_at", "stopped_at", "late"):
        if stage == "dispatch" and registered_at.get(case_id) != started:
            stage = "redispatch"
        center[stage].append([round(_hours(stopped - started), 4), int(late)])

    # ---- departments
    staff = Counter()
    for dept_id, _user in (Post.objects.filter(role=Role.DEPT_HANDLER, is_active=True, department__isnull=False)
                           .values_list("department_id", "user_id").distinct()):
        staff[dept_id] += 1
    by_dept: dict[int, list[_Round]] = defaultdict(list)
    for r in rounds:
        if r.dept:
            by_dept[r.dept].append(r)
    modelled = sorted({r.dept for r in rounds if r.town and r.dept})
    departments = []
    job_of: dict[int, _Job] = {}
    bg_jobs: list[tuple[dt.datetime, int]] = []
    sub_code = {c.pk: c.code for c in IncidentClass.objects.filter(pk__in={v[0] for v in info.values()})}
    sub_of_case = {pk: v[0] for pk, v in info.items()}
    for dept_id in modelled:
        mine = by_dept[dept_id]
        window = [r for r in mine if start <= r.start < end]
        n = len(window) or 1
        returns = [r for r in window if r.outcome == "return"]
        shelves = [r for r in window if r.outcome == "shelve"]
        verified = [r for r in window if r.rework is not None]
        # Jobs that needed a handler: replied, or still with the department at the end.
        jobs_raw = sorted((r for r in mine if r.outcome == "reply" or (r.outcome is None and lo <= r.start)),
                          key=lambda r: r.start)
        jobs = []
        for r in jobs_raw:
            code = sub_code.get(sub_of_case[r.case], "") if r.town and r.case in sub_of_case else ""
            jobs.append(_Job(clock.of(r.start), clock.of(r.end) if r.outcome == "reply" else math.inf,
                             clock.of(r.due) if r.due else math.inf, r.start >= start, code, r.town))
        heads = max(staff[dept_id], 1)
        concurrency, inconsistent = _concurrency(jobs, heads)
        by_class, rel_by_class, pairs, work, rel_all = defaultdict(list), defaultdict(list), defaultdict(list), [], []
        for j in jobs:
            if j.work is None:
                continue
            work.append(round(j.work, 4))
            if j.code:
                by_class[j.code].append(round(j.work, 4))
            span = j.due - j.start
            if span > 0.05 and j.work > 0:
                rel_all.append(round(j.work / span, 5))
                pairs[j.code].append((j.work, span))
                if j.code:
                    rel_by_class[j.code].append(round(j.work / span, 5))
        relative = _relative(pairs)
        # Jobs still in hand at the end are the long ones: leaving them out would make work look
        # shorter than it is. Each gets a work drawn from the replied ones longer than what it has
        # already taken (deterministically).
        fill = random.Random(dept_id)
        done_work, done_rel = sorted(work), sorted(rel_all)
        for j in jobs:
            if j.d != math.inf or j.start >= end_u:
                continue
            elapsed = end_u - j.start
            tail = done_work[bisect.bisect_right(done_work, elapsed):]
            w = fill.choice(tail) if tail else elapsed * 1.25
            work.append(round(w, 4))
            if j.code:
                by_class[j.code].append(round(w, 4))
            span = j.due - j.start
            if span > 0.05:
                lower = elapsed / span
                tail = done_rel[bisect.bisect_right(done_rel, lower):]
                rel = round(fill.choice(tail) if tail else lower * 1.25, 5)
                rel_all.append(rel)
                if j.code:
                    rel_by_class[j.code].append(rel)
        work.sort()
        replied = [j for j in jobs if j.scored and j.d != math.inf]
        durations = sum(j.d - j.u for j in replied)
        for r, j in zip(jobs_raw, jobs, strict=True):
            job_of[id(r)] = j
        duty_hours = max(end_u - clock.of(start), 1e-9)
        other = [r for r in window if not r.town and (r.outcome == "reply" or r.outcome is None)]
        bg_jobs += [(r.start, dept_id) for r in other]
        completed = [_hours(r.end - r.start) for r in window if r.outcome == "reply"]
        accepts = sorted(_hours(r.accept - r.start) for r in window if r.accept)
        slack = [round(_hours(r.due - r.start), 3) for r in jobs_raw if r.due and r.start >= start]
        dept = dept_regions[dept_id]
        on_time = _on_time(jobs, end_u)
        # Who asks for more time: rounds that would have been late by their own deadline, or others.
        timed = [r for r in window if r.outcome == "reply" and r.own_due]
        at_risk = [r for r in timed if r.end > r.own_due]
        safe = [r for r in timed if r.end <= r.own_due]
        departments.append(DeptParams(
            id=dept_id, name=dept.name, staff=heads, shared=not inside(dept_id), rounds=len(window),
            town_rounds=sum(1 for r in window if r.town),
            p_return=len(returns) / n, return_hours=[round(_hours(r.end - r.start), 4) for r in returns],
            p_shelve=len(shelves) / n, shelve_hours=[round(_hours(r.end - r.start), 4) for r in shelves],
            p_resume=(sum(1 for r in shelves if r.resumed_after is not None) / len(shelves)) if shelves else 0.0,
            resume_hours=[round(r.resumed_after, 4) for r in shelves if r.resumed_after is not None],
            p_extend=sum(1 for r in window if r.extended) / n,
            p_extend_late=(sum(1 for r in at_risk if r.extended) / len(at_risk)) if at_risk else 0.0,
            p_extend_on_time=(sum(1 for r in safe if r.extended) / len(safe)) if safe else 0.0,
            extensions=[r.extended for r in window if r.extended],
            p_rework=(sum(1 for r in verified if r.rework) / len(verified)) if verified else 0.0,
            p_lead=sum(1 for r in window if r.outcome == "lead") / n,
            accept_hours=round(accepts[len(accepts) // 2], 3) if accepts else None,
            concurrency=concurrency, inconsistent=round(inconsistent, 4),
            work=work, work_by_class={code: sorted(v) for code, v in sorted(by_class.items()) if len(v) >= MIN_WORK},
            relative=relative, rel=sorted(rel_all),
            rel_by_class={code: sorted(v) for code, v in sorted(rel_by_class.items()) if len(v) >= MIN_WORK},
            slack=slack or [24.0],
            work_share=round(sum(j.work for j in replied) / durations, 4) if durations else 1.0,
            observed_hours=round(durations / len(replied), 3) if replied else None,
            observed_clock_hours=round(sum(completed) / len(completed), 3) if completed else None,
            on_time_observed=round(on_time * 100, 1) if on_time is not None else None,
            utilisation=round(sum(j.work for j in replied) / (heads * concurrency * duty_hours), 4),
            background_per_day=len(other) / days,
            background_open=[[round(end_u - job_of[id(r)].start, 4) if job_of[id(r)].start < end_u else -1.0,
                              round(_hours(r.due - end), 3) if r.due else 24.0]
                             for r in sorted(background_open_rounds.values(), key=lambda r: r.start)
                             if r.dept == dept_id and id(r) in job_of]))
    bg_total = sum(d.background_per_day for d in departments) * days
    background = (_cell_rates(kinds, [t for t, _d in bg_jobs], window_exposure) if bg_total else
                  {"work": [0.0] * 24, "rest": [0.0] * 24})
    day_samples = _day_samples(kinds, start, end, [(rep, sub_code.get(sub, "")) for sub, rep, reg in info.values()
                                                   if reg is not None], bg_jobs)

    # ---- the cases open at the end, in their stage
    backlog = []
    for pk, (sub, _rep, _reg) in sorted(info.items(), key=lambda kv: kv[1][1]):
        state = status_at_end.get(pk)
        stage = {Status.REPORTED: "report", Status.REGISTERED: "dispatch", Status.DISPATCHED: "handle",
                 Status.HANDLING: "handle", Status.REPLIED: "verify"}.get(state)
        if stage is None:
            continue
        entry = {"id": pk, "stage": stage, "sub": sub_code.get(sub, "")}
        if stage == "handle":
            r = town_open.get(pk)
            if r is None and pk in leads and leads[pk].dept:
                backlog.append({**entry, "stage": "lead", "dept": leads[pk].dept})
                continue
            if r is None or not r.dept:
                continue
            job = job_of.get(id(r))
            served = round(end_u - job.start, 4) if job is not None and job.start < end_u else -1.0
            entry.update(dept=r.dept, elapsed=served, start=r.start.isoformat(),
                         due=round(_hours(r.due - end), 3) if r.due else None)
        backlog.append(entry)
    backlog.sort(key=lambda e: e.get("start", ""))
    for e in backlog:
        e.pop("start", None)

    notes = []
    if duty_source == "calendar":
        notes.append("too few steps to estimate duty hours: the official working periods are used")
    return Calibration(
        town_id=town.pk if town else None, town_code=town.code if town else "", town_name=town.name if town else "",
        start=start.isoformat(), end=end.isoformat(), days=round(days, 4), cases=len(cohort), arrivals=arrivals,
        background=background, day_samples=day_samples, duty=duty, duty_source=duty_source,
        register=center["register"],
        dispatch=center["dispatch"], redispatch=center["redispatch"], verify=center["verify"],
        subclasses=subclasses, classes=groups, departments=departments, backlog=backlog, notes=notes)
