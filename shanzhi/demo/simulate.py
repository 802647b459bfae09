"""Keeps the demo county alive: new reports arrive at the county's recent rate and open cases
move through the loop, each move made through the same services (and permissions) the staff use.

The departments work as in the history (``shanzhi.demo.history``): each has crews sized to its
usual workload, who work one case at a time in working hours, earliest deadline first (the
construction site's cases behind the daily ones); a case waits for a free crew. So a busy office
builds a backlog and its cases run late while the simulation runs, as they did in the history,
rather than every open case being closed on time. What the crews are doing is kept in memory (a
restart sets them to work again); each case's fate is drawn from its number, so it survives a
restart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.utils import timezone

from shanzhi.accounts.models import Department, Post
from shanzhi.accounts.roles import Role
from shanzhi.common.workcal import TimeUnit, WorkingCalendar
from shanzhi.geo.models import Grid, Region
from shanzhi.incidents.models import ExtensionRequest, Incident, IncidentClass, IncidentStep
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import Action, Status

from . import places
from .history import (
    DESCRIPTIONS,
    EFFORT,
    REPLIES,
    SIGMA,
    SITE,
    SITE_CLASSES,
    SITE_SHARE,
    SITE_SOURCES,
    SITE_TEXTS,
    WAITS,
    WEIGHTS,
    Desk,
    EveryDay,
    Routing,
    mean_effort,
    profile,
    staff,
    work_hours,
)

# The cast's logins (DESIGN.md §10) are left to the people trying the demo.
CAST_LOGINS = ["window_clerk", "reviewer"]
WH, WD = TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS
WINDOW_DAYS = 30  # the recent past the rate of reports and the crews are taken from
RESTAFF_EVERY = dt.timedelta(hours=6)
DAYTIME = (7, 21)  # reports cluster in the day
DAY_SHARE = 0.93
OPEN = [Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.HANDLING, Status.SHELVED, Status.REPLIED]


@dataclasses.dataclass(frozen=True)
class Fate:
    """What will happen to one case, drawn from its number (the same after a restart)."""

    merge: float
    void: bool
    wrong: bool
    give_back: float
    shelve: bool
    resume_after: float | None
    escalate: bool
    wait: float
    rework: float
    accept: float  # working hours from dispatch to signing
    verify: float  # hours from the reply to the grid's verification
    verify_slow: bool
    rating: int | None
    rate_after: float
    archive_after: float
    ask: bool  # asks for more time when it sees it will be late


def fate_of(salt, incident: Incident) -> Fate:
    r = random.Random(f"{salt}:{incident.pk}")
    site = SITE in incident.description
    chance, lo, hi = (0.8, 1, 4) if site else WAITS.get(incident.subclass.code, (0, 0, 0))
    merge, void, wrong, give_back = r.random(), r.random() < 0.03, r.random() < 0.03, r.random()
    shelve = r.random() < 0.02
    resume_after = r.uniform(48, 240) if r.random() < 0.4 else None
    escalate = incident.subclass.tier == "village" and r.random() < 0.12
    wait = round(r.uniform(lo, hi), 1) if r.random() < chance else 0.0
    rating = r.choices([5, 4, 3, 2, 1], [70, 20, 7, 2, 1])[0] if r.random() < 0.6 else None
    return Fate(merge=merge, void=void, wrong=wrong, give_back=give_back, shelve=shelve, resume_after=resume_after,
                escalate=escalate, wait=wait, rework=r.random(), accept=r.uniform(0.05, 0.8), verify=r.uniform(0.3, 4),
                verify_slow=r.random() < 0.03, rating=rating, rate_after=r.uniform(1, 30),
                archive_after=r.uniform(24 * 7, 24 * 8), ask=r.random() < 0.75)


@dataclasses.dataclass
class Work:
    """A case a crew (or the on-call crew, crew None) is on: when it is done and what follows."""

    until: dt.datetime
    then: str  # reply, wait, shelve, escalate
    desk: int | None
    crew: int | None


class Simulator:
    def __init__(self, seed: int | None = None, rate: float | None = None):
        self.rng = random.Random(seed)
        self.salt = seed if seed is not None else self.rng.randrange(1 << 30)
        self.grids = list(Grid.objects.filter(level=2).select_related("town", "region"))
        self.grids_of: dict[int, list[Grid]] = {}
        for g in self.grids:
            self.grids_of.setdefault(g.town_id, []).append(g)
        self.showcase = [g for g in self.grids if g.town.name == places.SHOWCASE_TOWN]
        self.classes = {c.code: c for c in IncidentClass.objects.filter(parent__isnull=False, is_active=True)}
        self.dispatchers = {p.region_id: p.user for p in Post.objects.filter(role=Role.DISPATCHER).select_related("user")}
        self.handlers: dict[int, list] = {}
        for p in Post.objects.filter(role=Role.DEPT_HANDLER, is_active=True).select_related("user").order_by("id"):
            self.handlers.setdefault(p.department_id, []).append(p.user)
        self.verifiers = {p.grid_id: p.user for p in Post.objects.filter(role__in=[Role.GRID_WORKER, Role.INFORMANT])
                          .select_related("user")}
        self.departments = {d.code: d for d in Department.objects.select_related("region", "squad")}
        self.by_id = {d.pk: d for d in self.departments.values()}
        self.routing = Routing(self.rng, self.departments, set(self.handlers))
        self.showcase_town = Region.objects.filter(level=Region.Level.TOWN, name=places.SHOWCASE_TOWN).first()
        self.site = Incident.objects.filter(description__contains=SITE).values_list("grid_id", flat=True).first()
        self.cal, self.duty_cal = WorkingCalendar(), EveryDay()
        self.rate = rate  # reports a day; None: the county's own rate over the last 30 days
        self.interval = 20.0
        self.desks: dict[int, Desk] = {}
        self.work: dict[int, Work] = {}
        self.fates: dict[int, Fate] = {}
        self.started = timezone.now()
        self.staffed_at: dt.datetime | None = None
        self.per_day = 1.0
        self.town_weights: dict[int, int] = {}

    # ------------------------------------------------------------------ staffing and arrivals
    def _profile(self, dept: Department):
        return profile(dept, self.showcase_town.pk if self.showcase_town else None)

    def _staff(self, now: dt.datetime) -> None:
        """The crews, sized as in the history from each department's workload of the last 30 days
        (the site's surge not counted), and the rate of reports to keep up."""
        since = now - dt.timedelta(days=WINDOW_DAYS)
        recent = Incident.objects.filter(reported_at__gte=since)
        reports = recent.count()
        self.per_day = self.rate or max(1.0, reports / WINDOW_DAYS)
        factor = self.per_day * WINDOW_DAYS / reports if reports else 1.0
        self.town_weights = dict(recent.exclude(town=None).values_list("town_id").annotate(n=Count("id")))
        hours: dict[int, float] = {}
        for row in (Incident.objects.filter(dispatched_at__gte=since, department__isnull=False)
                    .exclude(description__contains=SITE).values("department_id", "subclass__code").annotate(n=Count("id"))):
            dept = self.by_id.get(row["department_id"])
            if dept is not None:
                hours[dept.pk] = hours.get(dept.pk, 0.0) + row["n"] * mean_effort(row["subclass__code"], self._profile(dept))
        span = work_hours(self.cal, timezone.localtime(since).date(), WINDOW_DAYS)
        for dept in self.by_id.values():
            prof = self._profile(dept)
            crews, pace = staff(hours.get(dept.pk, 0.0) * factor, span, prof, len(self.handlers.get(dept.pk, [])))
            desk = self.desks.get(dept.pk)
            if desk is None:
                self.desks[dept.pk] = Desk(dept, prof, crews, pace * prof.pace, self.handlers.get(dept.pk, []))
                continue
            desk.pace = pace * prof.pace
            while len(desk.crews) < crews:
                desk.crews.append(None)
            while len(desk.crews) > crews and desk.crews[-1] is None:
                desk.crews.pop()

    def _arrivals(self, now: dt.datetime) -> int:
        """How many reports come in this tick (Poisson, at the day's or the night's rate)."""
        hours = DAYTIME[1] - DAYTIME[0]
        day = DAYTIME[0] <= timezone.localtime(now).hour < DAYTIME[1]
        per_hour = self.per_day * (DAY_SHARE / hours if day else (1 - DAY_SHARE) / (24 - hours))
        mean, n, p = per_hour * self.interval / 3600, 0, self.rng.random()
        limit = math.exp(-mean)
        while p > limit:
            n += 1
            p *= self.rng.random()
        return n

    def new_report(self, at: dt.datetime | None = None) -> Incident | None:
        towns = [t for t in self.town_weights if t in self.grids_of]
        if towns:
            town = self.rng.choices(towns, [self.town_weights[t] for t in towns])[0]
            grids = self.grids_of[town]
        else:
            grids = self.showcase if self.rng.random() < 0.6 else self.grids
        site = next((g for g in grids if g.id == self.site), None)
        if site and self.rng.random() < SITE_SHARE:
            grid = site
            code = self.rng.choices(list(SITE_CLASSES), list(SITE_CLASSES.values()))[0]
            place = grid.name if grid.name.startswith(grid.region.name) else f"{grid.region.name}{grid.name}"
            text = self.rng.choice(SITE_TEXTS[code]).format(p=place, s=SITE)
            source = self.rng.choices([s for s, _w in SITE_SOURCES], [w for _s, w in SITE_SOURCES])[0]
        else:
            grid = self.rng.choice(grids)
            code = self.rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
            place = grid.name if grid.name.startswith(grid.region.name) else f"{grid.region.name}{grid.name}"
            text = self.rng.choice(DESCRIPTIONS[code]).format(p=place)
            source = "patrol" if self.verifiers.get(grid.id) else self.rng.choice(["hotline", "citizen"])
        reporter = self.verifiers.get(grid.id) if source == "patrol" else None
        incident, _ = incident_report(
            actor=reporter, source=source if reporter or source != "patrol" else "citizen", description=text,
            subclass_code=code if code in self.classes else "", lon=grid.center_lon + self.rng.uniform(-0.001, 0.001),
            lat=grid.center_lat + self.rng.uniform(-0.001, 0.001), reporter_name="" if reporter else "群众",
            reported_at=at)
        return incident

    # ------------------------------------------------------------------ who acts
    def _fate(self, incident: Incident) -> Fate:
        if incident.pk not in self.fates:
            self.fates[incident.pk] = fate_of(self.salt, incident)
        return self.fates[incident.pk]

    def _handler(self, incident: Incident):
        signers = self.handlers.get(incident.department_id) or []
        return signers[incident.pk % len(signers)] if signers else self.dispatchers.get(incident.town_id)

    def _effort(self, incident: Incident, desk: Desk) -> float:
        r = random.Random(f"{self.salt}:{incident.pk}:{incident.round}")
        effort = EFFORT.get(incident.subclass.code, 2.0) * r.lognormvariate(0, SIGMA)
        effort *= (0.6 if incident.round > 1 else 1.0) * (1.5 if SITE in incident.description else 1.0)
        return effort + r.uniform(*desk.profile.travel)

    # ------------------------------------------------------------------ what is due now
    def _due(self, now: dt.datetime) -> list[tuple[dt.datetime, str, Incident]]:
        """Every move that is ready, with the time it became ready; the crews take new cases."""
        due: list[tuple[dt.datetime, str, Incident]] = []
        cases = list(Incident.objects.filter(status__in=[*OPEN, Status.CLOSED])
                     .select_related("subclass", "subclass__department", "town", "grid", "grid__region").order_by("pk"))
        shelved = dict(IncidentStep.objects.filter(incident__status=Status.SHELVED, action=Action.SHELVE)
                       .values_list("incident_id").annotate(at=Max("at")))
        handling = []
        for inc in cases:
            f = self._fate(inc)
            if inc.status == Status.REPORTED and inc.town_id:
                due.append((inc.reported_at, "register", inc))
            elif inc.status == Status.REGISTERED:
                due.append((inc.registered_at or inc.reported_at, "dispatch", inc))
            elif inc.status == Status.DISPATCHED and inc.dispatched_at:
                urgent = inc.subclass.handle_unit == TimeUnit.CLOCK_HOURS
                ready = (inc.dispatched_at + dt.timedelta(hours=f.accept / 3) if urgent
                         else self.cal.add(inc.dispatched_at, f.accept, WH))
                due.append((ready, "accept", inc))
            elif inc.status == Status.HANDLING:
                handling.append(inc)
            elif inc.status == Status.SHELVED and f.resume_after and inc.pk in shelved:
                due.append((shelved[inc.pk] + dt.timedelta(hours=f.resume_after), "resume", inc))
            elif inc.status == Status.REPLIED and inc.replied_at:
                ready = (self.cal.add(inc.replied_at, 4 + f.verify * 2, WH) if f.verify_slow
                         else inc.replied_at + dt.timedelta(hours=f.verify))
                due.append((ready, "verify", inc))
            elif inc.status == Status.CLOSED and inc.closed_at:
                if f.rating and inc.rating is None and inc.closed_at >= self.started:
                    due.append((inc.closed_at + dt.timedelta(hours=f.rate_after), "rate", inc))
                else:
                    due.append((inc.closed_at + dt.timedelta(hours=f.archive_after), "archive", inc))
        live = {inc.pk for inc in handling}
        for pk in [pk for pk in self.work if pk not in live]:
            self._release(pk)  # returned, escalated or closed by someone else
        due += self._handle(handling, now)
        for req in ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING, incident__status=Status.HANDLING
                                                   ).select_related("incident", "incident__subclass"):
            wait = random.Random(f"{self.salt}:x{req.pk}").uniform(0.5, 3)
            due.append((req.requested_at + dt.timedelta(hours=wait), f"decide:{req.pk}", req.incident))
        return sorted((d for d in due if d[0] <= now), key=lambda d: (d[0], d[2].pk))

    def _handle(self, handling: list[Incident], now: dt.datetime) -> list:
        """The desks: finished work becomes a move; idle crews take the waiting cases, earliest
        deadline first (the site's behind); urgent and two-hour street matters go to the crew
        on call or on patrol at once."""
        due = []
        waiting: dict[int, list[Incident]] = {}
        for inc in handling:
            work = self.work.get(inc.pk)
            if work is None:
                desk = self.desks.get(inc.department_id)
                limit, unit = inc.subclass.limit("handle")
                if desk is None:
                    continue
                if unit == TimeUnit.CLOCK_HOURS:
                    r = random.Random(f"{self.salt}:{inc.pk}:u")
                    until = now + dt.timedelta(hours=EFFORT.get(inc.subclass.code, 1.0) * r.lognormvariate(-0.4, SIGMA))
                    self.work[inc.pk] = Work(until, "reply", None, None)
                elif unit == WH and limit <= 2 and SITE not in inc.description:
                    r = random.Random(f"{self.salt}:{inc.pk}:q")
                    until = self.cal.add(now, self._effort(inc, desk) * r.uniform(0.8, 1.6), WH)
                    self.work[inc.pk] = Work(until, "reply", None, None)
                else:
                    waiting.setdefault(desk.dept.pk, []).append(inc)
                    continue
            work = self.work[inc.pk]
            if work.then == "wait" and work.until <= now:
                self._release(inc.pk)
                self.work[inc.pk] = Work(self.cal.add(work.until, self._fate(inc).wait, WD), "reply", None, None)
                work = self.work[inc.pk]
            due.append((work.until, work.then, inc))
        for dept_id, cases in waiting.items():
            desk = self.desks[dept_id]
            rest_day = desk.profile.duty and not self.cal.is_workday(timezone.localtime(now).date())
            cases.sort(key=lambda i: (SITE in i.description, i.handle_due or now, i.pk))
            for inc in cases:
                idle = [i for i, pk in enumerate(desk.crews[:1] if rest_day else desk.crews) if pk is None]
                if not idle:
                    break
                due += self._start(desk, idle[0], inc, now)
        return due

    def _start(self, desk: Desk, crew: int, inc: Incident, now: dt.datetime) -> list:
        f = self._fate(inc)
        desk.crews[crew] = inc.pk
        cal = self.duty_cal if crew == 0 and desk.profile.duty else self.cal
        effort = self._effort(inc, desk) * desk.pace
        until, then = cal.add(now, effort, WH), "reply"
        if f.escalate and inc.tier == "village" and inc.round == 1:
            then = "escalate"
        elif f.shelve and inc.round == 1 and not IncidentStep.objects.filter(incident=inc, action=Action.RESUME).exists():
            until, then = cal.add(now, min(1.0, effort), WH), "shelve"
        elif f.wait and inc.round == 1:
            then = "wait"
        self.work[inc.pk] = Work(until, then, desk.dept.pk, crew)
        ready = self.cal.add(until, f.wait, WD) if then == "wait" else until
        due = inc.handle_due
        if (then in ("reply", "wait") and due and ready > due and now < due and f.ask
                and not ExtensionRequest.objects.filter(incident=inc).exists()):
            late_by = self.cal.working_hours_between(due, ready) / (self.cal.day_length.total_seconds() / 3600)
            return [(now, f"extend:{min(10.0, math.ceil(late_by * 2 + 1) / 2)}", inc)]
        return []

    def _release(self, pk: int) -> None:
        work = self.work.pop(pk, None)
        if work and work.desk is not None and work.crew is not None:
            desk = self.desks.get(work.desk)
            if desk and work.crew < len(desk.crews) and desk.crews[work.crew] == pk:
                desk.crews[work.crew] = None

    # ------------------------------------------------------------------ the moves
    def _move(self, what: str, inc: Incident, at: dt.datetime | None) -> bool:
        """One move for one case, by the post that would make it."""
        f, pk = self._fate(inc), inc.pk
        dispatcher = self.dispatchers.get(inc.town_id)
        if what == "register" and dispatcher:
            if inc.possible_duplicate_id and f.merge < 0.7:
                loop.incident_merge(actor=dispatcher, incident_id=pk, into=inc.possible_duplicate_id, at=at)
            elif f.void:
                loop.incident_void(actor=dispatcher, incident_id=pk, reason="经核实不属实", at=at)
            else:
                loop.incident_register(actor=dispatcher, incident_id=pk, at=at)
            return True
        if what == "dispatch" and dispatcher:
            dept = self.routing.route(inc.town, inc.grid, inc.subclass, inc.tier, town_only=inc.returned_count > 0)
            offices = [d for d in self.by_id.values() if d.region_id == inc.town_id and d != dept]
            if f.wrong and inc.returned_count == 0 and offices:
                dept = self.rng.choice(offices)
            if dept is None:
                return False
            loop.incident_dispatch(actor=dispatcher, incident_id=pk, department=dept, at=at)
            return True
        if what == "accept":
            dept = self.by_id.get(inc.department_id)
            prof = self._profile(dept) if dept else None
            if inc.returned_count == 0 and inc.rework_count == 0 and (
                    f.wrong or (prof and prof.returns and inc.subclass.tier != "county" and f.give_back < prof.returns)):
                reason = "不属于本部门职责" if f.wrong else "属镇级事权，请属地镇（街道）处置"
                loop.incident_return(actor=self._handler(inc), incident_id=pk, reason=reason, at=at)
            else:
                loop.incident_accept(actor=self._handler(inc), incident_id=pk, at=at)
            return True
        if what.startswith("extend:"):
            loop.incident_request_extension(actor=self._handler(inc), incident_id=pk, amount=what.split(":")[1],
                                            unit="working_days", reason="需协调相关单位，申请延期", at=at)
            return True
        if what.startswith("decide:"):
            req = ExtensionRequest.objects.get(pk=what.split(":")[1])
            approve = random.Random(f"{self.salt}:y{req.pk}").random() < (0.8 if req.amount <= 3 else 0.6)
            loop.incident_decide_extension(actor=dispatcher, incident_id=pk, request_id=req.pk, approve=approve,
                                           note="同意延期" if approve else "请按原期限办结", at=at)
            return True
        if what in ("reply", "shelve", "escalate"):
            try:
                if what == "reply":
                    loop.incident_reply(actor=self._handler(inc), incident_id=pk, note=self.rng.choice(REPLIES), at=at)
                elif what == "shelve":
                    loop.incident_shelve(actor=self._handler(inc), incident_id=pk, reason="需列入年度计划统筹解决", at=at)
                else:
                    loop.incident_escalate(actor=self._handler(inc), incident_id=pk, reason="调解不成，需镇相关部门介入",
                                           at=at)
            finally:
                self._release(pk)  # the crew moves on, whether or not the move could be made
            return True
        if what == "resume":
            loop.incident_resume(actor=self._handler(inc), incident_id=pk, note="资金已落实，恢复处置", at=at)
            return True
        if what == "verify":
            verifier = self.verifiers.get(inc.grid_id) or dispatcher
            dept = self.by_id.get(inc.department_id)
            rework = self._profile(dept).rework if dept else 0.04
            passed = inc.rework_count > 0 or f.rework >= rework
            loop.incident_verify(actor=verifier, incident_id=pk, passed=passed, note="" if passed else "现场仍未整改到位",
                                 at=at)
            return True
        if what == "rate":
            loop.incident_rate(token=inc.rating_token, level=f.rating, at=at)
            return True
        if what == "archive" and dispatcher:
            loop.incident_archive(actor=dispatcher, incident_id=pk, at=at)
            return True
        return False

    def hall_tick(self, now=None) -> dict:
        """The showcase hall in office hours: a few people take numbers, and the windows the staff
        (not the cast's logins, which people may be using) hold call the next one when done."""
        from shanzhi.onewindow.models import Lane, ServiceHall, ServiceWindow, Ticket
        from shanzhi.onewindow.services import queue as q

        done = {"tickets": 0, "called": 0}
        hall = ServiceHall.objects.select_related("town").filter(town__name=places.SHOWCASE_TOWN).first()
        now = now or timezone.now()
        if hall is None or not q.is_open(hall, now):
            return done
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            q.take_ticket(hall=hall, lane=Lane.PRIORITY if self.rng.random() < 0.08 else Lane.NORMAL, at=now)
            done["tickets"] += 1
        for window in ServiceWindow.objects.filter(hall=hall, clerk__isnull=False).exclude(
                clerk__username__in=CAST_LOGINS).select_related("clerk"):
            current = Ticket.objects.filter(window=window, state=Ticket.State.CALLED).first()
            if current is None or (now - current.called_at).total_seconds() > self.rng.uniform(180, 720):
                if q.call_next(actor=window.clerk, at=now):
                    done["called"] += 1
        return done

    def tick(self, new: int | None = None, moves: int = 40, now: dt.datetime | None = None) -> dict:
        """One round: the hall, ``new`` reports (by default as many as the county's rate brings in
        this interval), and up to ``moves`` moves that have come due, the longest-waiting first.
        ``now`` replays the round at that time (the moves are made with that time)."""
        at = now
        now = now or timezone.now()
        done = {"reported": 0, "moved": 0}
        try:
            done.update(self.hall_tick(at))
        except (ValidationError, PermissionDenied):
            pass
        if self.staffed_at is None or now - self.staffed_at > RESTAFF_EVERY:
            self._staff(now)
            self.staffed_at = now
        for _ in range(self._arrivals(now) if new is None else new):
            if self.new_report(at):
                done["reported"] += 1
        for _ready, what, incident in self._due(now)[:moves]:
            try:
                if self._move(what, incident, at):
                    done["moved"] += 1
            except (loop.Conflict, PermissionDenied, ValidationError):
                continue  # someone (a real user) acted first, or the move is not allowed now
        return done

    def run(self, interval: float, log=print, ticks: int | None = None) -> None:
        self.interval = interval
        n = 0
        while ticks is None or n < ticks:
            started = time.monotonic()
            result = self.tick()
            hall = f"，大厅取号 {result['tickets']} 个、叫号 {result['called']} 次" if result.get("tickets") or result.get("called") else ""
            log(f"{timezone.localtime():%H:%M:%S} 新上报 {result['reported']} 件，推进 {result['moved']} 件{hall}")
            n += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
