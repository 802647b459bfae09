"""What-if staffing for the command center: a discrete-event model of the incident loop (simpy),
calibrated from the database's own history, that predicts 按期处置率, 按期结案率, the backlog and
the wait for a handler under a changed staffing or a changed handling limit.

The model
- Arrivals: each simulated day is a whole observed day of the window of the same kind (working
  or rest day by the locality's working calendar, so 调休 counts): its reports at their hours with
  their subclasses. So the hour-of-day profile, the class mix and the spread between busy and quiet
  days are the observed ones. (Per-class hourly Poisson rates are estimated too and used where the
  window has no whole day.) Small subclasses are routed with their major class.
- The center's stages (register, dispatch, re-dispatch after a return, verify) take a time and end
  on time or late as one observed pair drawn from the window's clocks (``Timer`` rows); staffing
  does not act on them.
- Handling: a dispatched case may be returned (回退; 上报上级 counts as one) after an observed delay,
  or shelved (挂账: its clock paused, perhaps resumed later with the time left), or turned into an
  enforcement lead (转为执法案源: open with the department for good); otherwise it queues
  first come first served for the department's handlers — the active ``dept_handler`` posts, at
  least 1, each with ``concurrency`` cases in hand at once — who work on it in the department's
  duty hours. When work starts, a case that would miss its deadline asks for 延期 with the
  observed probability of such cases (others with theirs), while its deadline has not passed;
  the deadline moves by an observed approved amount. The reply stops the clock; verification
  passes or sends it back to the same department (返工) with a new clock.
- Deadlines: the class limits (or a changed limit in working hours) through the project's working
  calendar (``WorkingCalendar.add``, as the loop's clocks), from the simulated times.
- A county department serves every town: its other towns' jobs arrive in the simulation too (on
  the same drawn days), taking its handlers' time but not counted.
- The simulation starts from the state at the window's end, reconstructed from the step rows:
  open cases are in their stage; those with a handler are in its queue in order, part-done.

Calibration of work content. The history shows only how long handling took (dispatch → reply):
waiting for a free handler plus work. Times are measured in duty hours (the hours of day in which
departments sign, return and reply, per kind of day; with too few steps, the official working
periods). With today's staff, each department's jobs are decomposed as a FIFO queue explains
their dispatch and reply times: a job starts when it is dispatched, all earlier jobs have started
and only staff × concurrency − 1 of them are unreplied; its work is the rest. ``concurrency`` is
the fewest cases in hand per handler for which (almost) no reply comes before its job could have
started — a department whose cases overtake each other freely has many in hand and little
waiting; one whose replies come in dispatch order one by one has one. Replaying the window with
these works gives back the observed replies exactly, so with today's staffing the model reproduces
the observed handling times; a new case's work is drawn from them, per subclass where it has
enough — as hours, or as a share of the time its deadline leaves when work starts, whichever
describes the department's history more tightly (handlers who work to their deadlines).

Predicted figures follow ``command.indicators`` for the cohort registered in the horizon,
evaluated at its end: 应处置数 = dispatched − shelved − still with the handler before its deadline;
按期处置率 = replied or closed with every handling round finished by its deadline / 应处置数;
应结案数 = cohort − shelved − open before its current stage deadline; 按期结案率 = closed with no
stage late / 应结案数. Per department by the case's department at the end (none after a return), as
``indicators.compute`` over ``department=…`` counts them. Differences: merged and voided reports
are not modelled (they are not cases); 吹哨 counts as a dispatch and 上报上级 as a return; the
center stages' lateness is drawn, not timed. Bands are the 10th–90th percentiles over runs: the
randomness of days, routes and durations, not the uncertainty of the parameters. Staff counts are
today's posts (the history does not record past staffing). Each case draws from its own random
stream, so two scenarios with one seed differ only where the scenario acts.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import gc
import heapq
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import simpy
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
