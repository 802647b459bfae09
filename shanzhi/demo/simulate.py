"""Keeps the demo county alive: new reports arrive and open cases move through the loop, each
move made through the same services (and permissions) the staff use."""

from __future__ import annotations

import random
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from shanzhi.accounts.models import Department, Post
from shanzhi.accounts.roles import Role
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import Incident, IncidentClass
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import Status

from . import places
from .history import DESCRIPTIONS, WEIGHTS

# The cast's logins (DESIGN.md §10) are left to the people trying the demo.
CAST_LOGINS = ["window_clerk", "reviewer"]


class Simulator:
    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)
        self.grids = list(Grid.objects.filter(level=2).select_related("town", "region"))
        self.showcase = [g for g in self.grids if g.town.name == places.SHOWCASE_TOWN]
        self.classes = {c.code: c for c in IncidentClass.objects.filter(parent__isnull=False, is_active=True)}
        self.dispatchers = {p.region_id: p.user for p in Post.objects.filter(role=Role.DISPATCHER).select_related("user")}
        self.handlers = {p.department_id: p.user for p in Post.objects.filter(role=Role.DEPT_HANDLER).select_related("user")}
        self.verifiers = {p.grid_id: p.user for p in Post.objects.filter(role__in=[Role.GRID_WORKER, Role.INFORMANT])
                          .select_related("user")}
        self.town_offices = {}
        for d in Department.objects.filter(region__level=4):
            self.town_offices.setdefault(d.region_id, []).append(d)
        self.committees = {d.region_id: d for d in Department.objects.filter(region__level=5)}

    def new_report(self) -> Incident | None:
        grid = self.rng.choice(self.showcase if self.rng.random() < 0.6 else self.grids)
        code = self.rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        place = grid.name if grid.name.startswith(grid.region.name) else f"{grid.region.name}{grid.name}"
        text = self.rng.choice(DESCRIPTIONS[code]).format(p=place)
        reporter = self.verifiers.get(grid.id)
        incident, _ = incident_report(
            actor=reporter, source="patrol" if reporter else self.rng.choice(["hotline", "citizen"]), description=text,
            subclass_code=code if code in self.classes else "", lon=grid.center_lon + self.rng.uniform(-0.001, 0.001),
            lat=grid.center_lat + self.rng.uniform(-0.001, 0.001))
        return incident

    def _department_for(self, incident: Incident) -> Department | None:
        if incident.subclass.tier == "village" and incident.region_id in self.committees:
            return self.committees[incident.region_id]
        offices = self.town_offices.get(incident.town_id, [])
        if incident.subclass.department_id and (incident.subclass.tier == "county" or not offices or self.rng.random() < 0.4):
            return incident.subclass.department
        return self.rng.choice(offices) if offices else None

    def advance(self, incident: Incident) -> str | None:
        """One move for one open case, by the post that would make it."""
        dispatcher = self.dispatchers.get(incident.town_id)
        handler = self.handlers.get(incident.department_id) or dispatcher
        pk = incident.pk
        if incident.status == Status.REPORTED and dispatcher:
            if incident.possible_duplicate_id and self.rng.random() < 0.7:
                loop.incident_merge(actor=dispatcher, incident_id=pk, into=incident.possible_duplicate_id)
                return "merge"
            loop.incident_register(actor=dispatcher, incident_id=pk)
            return "register"
        if incident.status == Status.REGISTERED and dispatcher:
            dept = self._department_for(incident)
            if dept:
                loop.incident_dispatch(actor=dispatcher, incident_id=pk, department=dept)
                return "dispatch"
        if incident.status == Status.DISPATCHED and handler:
            loop.incident_accept(actor=handler, incident_id=pk)
            return "accept"
        if incident.status == Status.HANDLING and handler:
            loop.incident_reply(actor=handler, incident_id=pk, note=self.rng.choice(
                ["已现场处置完毕", "已安排人员清理", "已责令整改到位", "已协调相关单位解决"]))
            return "reply"
        if incident.status == Status.REPLIED:
            verifier = self.verifiers.get(incident.grid_id) or dispatcher
            if verifier:
                passed = self.rng.random() < 0.94
                loop.incident_verify(actor=verifier, incident_id=pk, passed=passed,
                                     note="" if passed else "现场仍未整改到位")
                return "verify"
        return None

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

    def tick(self, new: int = 2, moves: int = 6) -> dict:
        done = {"reported": 0, "moved": 0}
        try:
            done.update(self.hall_tick())
        except (ValidationError, PermissionDenied):
            pass
        for _ in range(new):
            if self.new_report():
                done["reported"] += 1
        # Older open cases first, so the queue keeps flowing rather than piling up.
        open_cases = list(Incident.objects.filter(
            Q(status__in=[Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.HANDLING, Status.REPLIED])
        ).select_related("subclass").order_by("updated_at")[:moves * 3])
        self.rng.shuffle(open_cases)
        for incident in open_cases[:moves]:
            try:
                if self.advance(incident):
                    done["moved"] += 1
            except (loop.Conflict, PermissionDenied, ValidationError):
                continue  # someone (a real user) acted first, or the move is not allowed now
        return done

    def run(self, interval: float, log=print, ticks: int | None = None) -> None:
        n = 0
        while ticks is None or n < ticks:
            started = time.monotonic()
            result = self.tick()
            hall = f"，大厅取号 {result['tickets']} 个、叫号 {result['called']} 次" if result.get("tickets") or result.get("called") else ""
            log(f"{timezone.localtime():%H:%M:%S} 新上报 {result['reported']} 件，推进 {result['moved']} 件{hall}")
            n += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
