"""The one window's recent past in the showcase town, played through the application services
with the clock injected, like the incident history: residents and companies apply at the window,
online or through a village agent; the window accepts, asks for corrections or refuses; the
departments review; the back office decides; certificates are signed; results are delivered and
rated. The deadline scan runs as the hours pass (so unanswered applications count as accepted)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.accounts.models import Post, User
from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.cases.scan import scan_timers
from shanzhi.common.workcal import WorkingCalendar
from shanzhi.notify.services import suppressed
from shanzhi.onewindow import rectification
from shanzhi.onewindow.models import Application, Lane, ServiceHall, ServiceItem, ServiceWindow
from shanzhi.onewindow.services import applications as svc
from shanzhi.onewindow.services import queue as queue_svc
from shanzhi.registry.models import Organisation, Person

SCAN_EVERY = dt.timedelta(hours=1)
PDF = b"%PDF-1.4\n% demo material\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
GOOD_COMMENTS = ["", "", "办事效率高，窗口人员很耐心", "一次就办好了，点赞", "网上提交很方便", "代办员上门服务，很贴心"]
BAD_COMMENTS = ["等了很久才叫到号", "材料要求没有一次说清楚，跑了两趟", "窗口人员态度不好", "办理进度没人告知"]
MEASURES = ["已约谈当事窗口人员并组织业务培训，完善一次性告知清单", "优化叫号规则，高峰时段增开窗口",
            "修订办事指南材料说明，增加示范文本", "建立办理进度短信提醒，专人跟踪"]
OPINIONS = ["材料齐全，符合法定条件", "经现场核查，符合要求", "同意，请按规定办理", "符合规划要求"]


@dataclasses.dataclass
class Plan:
    pk: int
    correction: bool
    refuse: bool
    deny: bool
    courier: bool
    rate: int | None
    done_at: dt.datetime | None = None


class WindowHistory:
    def __init__(self, *, town, seed: int = 2026, days: int = 30, per_day: int = 20, queue_days: int = 10,
                 tickets_per_day: int = 150, now=None, log=None):
        self.town, self.rng, self.days, self.per_day = town, random.Random(seed + 311), days, per_day
        self.queue_days, self.tickets_per_day = queue_days, tickets_per_day
        self.now = now or timezone.now()
        self.log = log or (lambda m: None)
        self.calendar = WorkingCalendar(town.code)
        self.items = list(ServiceItem.objects.filter(level=ServiceItem.Level.HANDLING, is_active=True)
                          .prefetch_related("materials", "review_steps__department"))
        posts = Post.objects.filter(is_active=True).select_related("user")
        self.clerk = posts.filter(role=Role.WINDOW_CLERK, region=town, user__username="window_clerk").first().user
        # The hall: about two thirds of its windows staffed on an ordinary day, the cast's clerk among them.
        self.hall = ServiceHall.objects.get(town=town)
        windows = list(ServiceWindow.objects.filter(hall=self.hall).order_by("number"))
        staff = [self.clerk] + [p.user for p in posts.filter(role=Role.WINDOW_CLERK, region=town)
                                .exclude(user=self.clerk).order_by("user__username")]
        self.on_duty = staff[:max(1, len(windows) * 2 // 3)]
        seats = [w for w in windows if w.number == 3] + [w for w in windows if w.number != 3]  # 吴敏 at window 3
        for clerk, window in zip(self.on_duty, seats, strict=False):
            queue_svc.sign_in(actor=clerk, window=window.pk, at=self.now - dt.timedelta(days=days + 1))
        self.idle = list(self.on_duty)
        self.purposes: dict[int, str] = {}
        self.tickets = 0
        self.decider = posts.filter(role=Role.BACKOFFICE_REVIEWER, region=town).first().user
        self.leader = posts.filter(role=Role.TOWN_LEADER, region=town).first().user
        self.agents = [p.user for p in posts.filter(role=Role.GRID_WORKER, grid__town=town)[:30]]
        self.citizen = User.objects.filter(username="citizen").first()
        self.reviewers: dict[int, User] = {}
        for p in posts.filter(role=Role.DEPT_HANDLER).order_by("id"):
            self.reviewers.setdefault(p.department_id, p.user)
        self.people = list(Person.objects.filter(region__parent=town)[:400])
        self.orgs = list(Organisation.objects.filter(region__parent=town)[:120])
        self.queue: list = []
        self.plans: dict[int, Plan] = {}
        self.serial = 0
        self.refused: dict[str, int] = {}
        self.last_error = None

    def _at(self, when, pk, what):
        if when < self.now:
            self.serial += 1
            heapq.heappush(self.queue, (when, self.serial, what, pk))

    def _office_time(self, day: dt.date) -> dt.datetime | None:
        if not self.calendar.is_workday(day):
            return None
        hour = self.rng.choice([8, 9, 9, 9, 10, 10, 10, 11, 13, 14, 14, 15, 15, 16])
        minute = self.rng.randrange(30 if hour in (8, 13) else 0, 60)
        return dt.datetime.combine(day, dt.time(hour, minute, self.rng.randrange(60)),
                                   tzinfo=timezone.get_current_timezone())

    def _later(self, t, lo_hours, hi_hours):
        return t + dt.timedelta(hours=self.rng.uniform(lo_hours, hi_hours))

    def build(self) -> int:
        start = timezone.localtime(self.now).date() - dt.timedelta(days=self.days)
        for d in range(self.days + 1):
            day = start + dt.timedelta(days=d)
            # Online and through village agents; window applications come from the queue below.
            for _ in range(self.rng.randrange(self.per_day // 3, self.per_day * 2 // 3 + 1)):
                t = self._office_time(day)
                if t:
                    self._at(t, -1, "submit")
            # Visitors who take a number: some apply at the window (decided when called), the rest
            # come to ask, collect a licence, hand in a correction or for matters outside this catalog.
            if d >= self.days - self.queue_days:
                for _ in range(self.rng.randrange(self.tickets_per_day * 3 // 4, self.tickets_per_day * 5 // 4 + 1)):
                    t = self._office_time(day)
                    if t:
                        self._at(t, -1, "arrive")
            elif self.calendar.is_workday(day):
                for _ in range(self.rng.randrange(self.per_day // 2, self.per_day + 1)):
                    self._at(self._office_time(day), -1, "walk_in")
        made, next_scan = 0, None
        with suppressed():
            while self.queue:
                when, _serial, what, pk = heapq.heappop(self.queue)
                next_scan = next_scan or when
                while next_scan <= when:
                    scan_timers(now=next_scan)
                    next_scan += SCAN_EVERY
                try:
                    if what == "submit":
                        made += self._submit(when)
                    elif what == "arrive":
                        self._arrive(when)
                    elif what == "call":
                        self._call(when, pk)
                    elif what == "window_submit":
                        made += self._submit(when, at_window=pk)
                    elif what == "walk_in":  # before the queue's history: at the window, no number kept
                        made += self._submit(when, at_window=self.rng.choice(self.on_duty).pk)
                    else:
                        self._play(when, what, pk)
                except (Conflict, PermissionDenied, ValidationError) as exc:
                    self.refused[type(exc).__name__ + ":" + what] = self.refused.get(type(exc).__name__ + ":" + what, 0) + 1
                    self.last_error = exc
                    continue
            scan_timers(now=self.now)
            queue_svc.close_day(timezone.localtime(self.now).date())
        self.log(f"  大厅取号 {self.tickets} 个")
        self.log(f"  一窗口办件 {made} 件" + (f"（{self.refused} 步被拒）" if self.refused else ""))
        return made

    # ------------------------------------------------------------------ the queue
    def _arrive(self, t) -> None:
        lane = Lane.PRIORITY if self.rng.random() < 0.08 else Lane.NORMAL
        ticket = queue_svc.take_ticket(hall=self.hall, lane=lane, at=t,
                                       phone=f"138{self.rng.randrange(10**8):08d}" if self.rng.random() < 0.5 else "")
        self.tickets += 1
        self.purposes[ticket.pk] = "apply" if self.rng.random() < 0.35 else "visit"
        if self.idle:
            self._at(t + dt.timedelta(seconds=self.rng.uniform(10, 60)), self.idle.pop(0).pk, "call")

    def _call(self, t, clerk_pk) -> None:
        clerk = next(c for c in self.on_duty if c.pk == clerk_pk)
        ticket = queue_svc.call_next(actor=clerk, at=t)
        if ticket is None:
            self.idle.append(clerk)
            return
        rng = self.rng
        if rng.random() < 0.03:  # nobody came
            queue_svc.miss(actor=clerk, at=t + dt.timedelta(minutes=2))
            self._at(t + dt.timedelta(minutes=2, seconds=20), clerk.pk, "call")
            return
        apply = self.purposes.pop(ticket.pk, "visit") == "apply"
        minutes = rng.uniform(6, 16) if apply else rng.uniform(2, 7)
        if apply:
            self._at(t + dt.timedelta(minutes=minutes * 0.6), clerk.pk, "window_submit")
        self._at(t + dt.timedelta(minutes=minutes), clerk.pk, "call")

    def _submit(self, t, at_window: int | None = None) -> int:
        rng = self.rng
        item = rng.choice(self.items)
        if item.applicant_kind == ServiceItem.Applicant.ORGANISATION or (
                item.applicant_kind == ServiceItem.Applicant.BOTH and rng.random() < 0.35):
            org = rng.choice(self.orgs)
            applicant = {"applicant_name": org.name, "applicant_id": org.uscc, "applicant_kind": "organisation"}
        else:
            person = rng.choice(self.people)
            applicant = {"applicant_name": person.name, "applicant_id": person.id_number, "applicant_kind": "person"}
        roll = rng.random()
        if at_window:
            actor, channel = next(c for c in self.on_duty if c.pk == at_window), "window"
        elif item.online_depth >= 3 and roll < 0.55 and self.citizen:
            actor, channel = self.citizen, "online"
        elif self.agents:
            actor, channel = rng.choice(self.agents), "agent"
        else:
            return 0
        correction = rng.random() < 0.15
        materials = {}
        for i, m in enumerate(item.materials.all()):
            if correction and i == len(item.materials.all()) - 1:
                continue  # forgotten: the window will ask for it
            materials[m.pk] = "paper" if channel == "window" else SimpleUploadedFile(f"{m.name[:20]}.pdf", PDF)
        application = svc.application_submit(actor=actor, item=item.pk, town=self.town.pk,
                                             contact_phone=f"139{rng.randrange(10**8):08d}", channel=channel,
                                             materials=materials, home_visit=channel == "agent" and rng.random() < 0.2,
                                             at=t, **applicant)
        plan = Plan(application.pk, correction, refuse=rng.random() < 0.03, deny=rng.random() < 0.05,
                    courier=rng.random() < 0.3, rate=rng.choices([5, 4, 3, 2, 1], [72, 18, 6, 3, 1])[0]
                    if rng.random() < 0.65 else None)
        self.plans[application.pk] = plan
        if item.immediate and not correction:
            self._at(t + dt.timedelta(minutes=rng.uniform(5, 30)), application.pk, "accept")
        elif rng.random() < 0.04:
            pass  # nobody answers within five working days: the scan deems it accepted
        else:
            self._at(self._later(t, 0.2, 20), application.pk, "check")
        return 1

    def _play(self, t, what, pk) -> None:
        plan = self.plans[pk]
        application = Application.objects.select_related("item").get(pk=pk)
        rng = self.rng
        if what == "check":
            if plan.refuse:
                svc.application_refuse(actor=self._clerk_for(application), application_id=pk, reason="不属于本机关职权范围，请向县级部门申请", at=t)
            elif plan.correction:
                # Something missing is listed by itself; with everything there, a copy was unreadable.
                first = application.item.materials.order_by("order").first()
                problems = {} if svc.missing_materials(application) or first is None else {
                    first.pk: "复印件字迹不清，请重新提交清晰的扫描件"}
                svc.application_request_correction(actor=self._clerk_for(application), application_id=pk,
                                                   problems=problems, at=t)
                self._at(self._later(t, 20, 120), pk, "resubmit")
            else:
                self._at(t, pk, "accept")
        elif what == "resubmit":
            missing = svc.missing_materials(application)
            actor = application.submitted_by or self._clerk_for(application)
            svc.application_resubmit(actor=actor, application_id=pk,
                                     materials={m.pk: SimpleUploadedFile("补正材料.pdf", PDF) for m in missing}, at=t)
            self._at(self._later(t, 0.5, 8), pk, "accept")
        elif what == "accept":
            svc.application_accept(actor=self._clerk_for(application), application_id=pk, at=t)
            self._plan_review(application, t)
        elif what == "review":
            for review in application.reviews.filter(state="pending").select_related("department"):
                reviewer = self.reviewers.get(review.department_id) or self.decider
                svc.application_review(actor=reviewer, application_id=pk, approve=True, opinion=rng.choice(OPINIONS),
                                       department=review.department_id if reviewer != self.decider else None, at=t)
                t += dt.timedelta(minutes=rng.uniform(10, 90))
            if application.reviews.filter(state="pending").exists():
                self._at(min(self._later(t, 1, 20), plan.done_at or t), pk, "review")
            else:
                self._at(max(self._later(t, 0.5, 4), plan.done_at or t), pk, "decide")
        elif what == "decide":
            if plan.deny:
                svc.application_deny(actor=self.decider, application_id=pk, reason="经审查不符合法定条件", at=t)
            else:
                svc.application_grant(actor=self.decider, application_id=pk, note="准予", at=t)
            self._at(self._later(t, 2, 72), pk, "deliver")
            if plan.rate:
                self._at(self._later(t, 1, 48), pk, "rate")
        elif what == "deliver":
            svc.application_deliver(actor=self._clerk_for(application), application_id=pk, method="courier" if plan.courier else "pickup",
                                    courier_number=f"EMS{rng.randrange(10**9):09d}" if plan.courier else "", at=t)
        elif what == "rate":
            comment = rng.choice(BAD_COMMENTS) if plan.rate <= 2 else rng.choice(GOOD_COMMENTS)
            svc.application_rate(token=application.rating_token, level=plan.rate, comment=comment, at=t)
            if plan.rate <= 2:
                self._at(self._later(t, 20, 200), pk, "rectify")
        elif what == "rectify":
            case = application.rectification
            actor = self.reviewers.get(application.item.department_id) or self.decider
            rectification.rectify(actor=actor, case_id=case.pk, measures=rng.choice(MEASURES), at=t)
            self._at(self._later(t, 8, 60), pk, "visit")
        elif what == "visit":
            case = application.rectification
            visitor = self.leader if case.rectified_by_id == self.decider.pk else self.decider
            satisfied = rng.random() < 0.85
            rectification.visit(actor=visitor, case_id=case.pk, satisfied=satisfied, at=t,
                                note="电话回访，群众表示认可整改结果" if satisfied else "电话回访，群众仍不满意，要求进一步说明")
            if not satisfied:
                self._at(self._later(t, 20, 100), pk, "rectify")

    def _clerk_for(self, application) -> User:
        """Who took it in deals with it again; online applications go to whoever is free."""
        if application.clerk_id:
            return next((c for c in self.on_duty if c.pk == application.clerk_id), self.clerk)
        return self.rng.choice(self.on_duty)

    def _plan_review(self, application, t) -> None:
        # The back office uses a third to all of the promised limit (now and then more than all of it).
        days = max(0.05, float(application.item.promised_days))
        share = self.rng.uniform(0.3, 0.95) if self.rng.random() > 0.06 else self.rng.uniform(1.05, 1.5)
        done_at = self.calendar.add(t, days * share, "working_days")
        self.plans[application.pk].done_at = done_at
        self._at(t + (done_at - t) * self.rng.uniform(0.2, 0.5), application.pk, "review")
