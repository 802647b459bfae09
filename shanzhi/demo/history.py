"""90 days of incident history at the sources' rates (柘汪镇: ~14,000 a year for one town), so
every dashboard is alive on first start.

The history is *played*, not written: every report goes through the intake service and every move
through the loop's own services, by the posts that would make them, with the clock injected
(``at=``), in time order across the whole county; the deadline scan runs as the hours pass. So
the demo can only show states, steps, clocks and figures the loop itself produces. Nobody is
notified of the replayed past (the outbox is suppressed while it plays).

Handling is capacity-driven, not a random share of the deadline: every department has crews (led
by its handler posts), sized to its usual workload with the tightness of its kind (``profile``),
who work one case at a time in working hours, earliest deadline first; a case waits for a free
crew and then takes its work time (per class, log-normal), some then wait on others for days. The
county bureaus come from the county seat and return town matters; the showcase town's squads are
the busiest, and a construction site in one of its grids brings more reports than its squad can
handle, so a backlog builds there and its cases run late; village committees settle small things
on the spot. Handlers who see a case will be late ask for more time (some are refused).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shanzhi.accounts.models import Department, Post, User
from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.cases.scan import scan_timers
from shanzhi.common.workcal import TimeUnit, WorkingCalendar
from shanzhi.geo.models import Grid, Region
from shanzhi.geo.spatial import get_index
from shanzhi.incidents.models import Incident, IncidentClass
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import Status
from shanzhi.notify.services import suppressed

from . import places

_TEMPLATES = {
    "0101": ["{p}路边堆放生活垃圾，已有异味", "{p}河边有人倾倒建筑垃圾", "{p}垃圾桶满溢无人清运"],
    "0102": ["{p}路面有大量泥土撒漏", "{p}人行道油污严重"],
    "0103": ["{p}电线杆上贴满小广告", "{p}围墙有乱涂写"],
    "0104": ["{p}早市摊贩占道经营，影响通行", "{p}店铺出店经营占用人行道"],
    "0201": ["{p}有村民在自家宅基地上违法加盖二层", "{p}发现有人搭建彩钢棚"],
    "0202": ["{p}有人占用耕地堆放建材"],
    "0301": ["{p}河道水体发黑发臭", "{p}发现排污口直排污水", "{p}河面有死鱼"],
    "0302": ["{p}有人露天焚烧秸秆", "{p}工地扬尘严重"],
    "0303": ["{p}夜间施工噪声扰民"],
    "0401": ["{p}楼道内电动车违规充电", "{p}消防通道被杂物堵塞", "{p}出租房私拉电线飞线充电"],
    "0402": ["{p}闻到明显燃气味"],
    "0403": ["{p}企业车间危化品堆放不规范", "{p}工地脚手架无安全防护"],
    "0404": ["{p}出租房存在群租和隔断"],
    "0501": ["{p}两户村民因宅前屋后通道发生争执", "{p}邻居装修漏水引发纠纷"],
    "0502": ["{p}十余名工人反映被拖欠工资"],
    "0503": ["{p}两户因承包地边界发生纠纷"],
    "0601": ["{p}夜间有可疑人员徘徊", "{p}发生电动车被盗"],
    "0701": ["{p}路面出现坑洼，影响行车", "{p}桥头路面塌陷"],
    "0702": ["{p}车辆乱停占用消防通道"],
    "0801": ["{p}窨井盖缺失，存在安全隐患", "{p}井盖破损下陷"],
    "0802": ["{p}一排路灯不亮", "{p}路灯杆倾斜"],
    "0803": ["{p}消防栓漏水"],
    "0901": ["{p}行道树倒伏", "{p}绿化带草坪枯死"],
    "1001": ["{p}河面漂浮物较多", "{p}河堤出现裂缝"],
    "1101": ["{p}小餐馆无证经营", "{p}超市销售过期食品"],
    "1201": ["{p}独居老人生病无人照料", "{p}困难家庭申请临时救助"],
    "1202": ["{p}小区停水一天未恢复", "{p}电压不稳经常跳闸"],
    "1301": ["{p}广告牌破损有坠落风险"],
    "1401": ["{p}群众反映其他问题"],
}


def _descriptions() -> dict[str, list[str]]:
    """Report texts per class as residents, grid workers and hotline operators phrase them
    (``data/reports_train.tsv``: colloquial, many phrasings per class); the short templates where
    a class has none there."""
    from pathlib import Path

    out = {code: list(texts) for code, texts in _TEMPLATES.items()}
    path = Path(__file__).parent / "data" / "reports_train.tsv"
    if path.exists():
        written: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            code, _tab, text = line.partition("\t")
            if code.strip() and text.strip():
                written.setdefault(code.strip(), []).append(text.strip().replace("{", "（").replace("}", "）"))
        out.update(written)
    return out


DESCRIPTIONS = _descriptions()
# Weights by subclass: what a town's grid actually reports most.
WEIGHTS = {"0101": 18, "0102": 6, "0103": 5, "0104": 6, "0201": 7, "0202": 1, "0301": 3, "0302": 4, "0303": 3,
           "0401": 9, "0402": 1, "0403": 3, "0404": 3, "0501": 6, "0502": 1, "0503": 1, "0601": 2, "0701": 4,
           "0702": 4, "0801": 3, "0802": 4, "0803": 1, "0901": 2, "1001": 2, "1101": 2, "1201": 3, "1202": 2,
           "1301": 1, "1401": 2}
SOURCES = [("patrol", 55), ("citizen", 15), ("hotline", 20), ("alarm", 3), ("center", 5), ("assigned", 2)]
REPLIES = ["已按要求处置完毕", "已安排人员现场清理", "已责令当事人整改到位", "已协调相关单位解决", "已现场调处，双方达成一致"]
SCAN_EVERY = dt.timedelta(minutes=30)
H = dt.timedelta(hours=1)

# ---------------------------------------------------------------------- how the departments work
# A town matter goes to the town office of its line of work (镇管日常); a share goes to the county
# bureau of that line instead. The enforcement bureau's all-round squads take their own area's share.
OFFICE_OF = ({c: "ZF" for c in ("0101", "0102", "0103", "0104", "0201", "0202", "0301", "0302", "0303", "0702", "1101",
                                "1301")}
             | {c: "JS" for c in ("0701", "0801", "0802", "0803", "0901", "1001", "1202")}
             | {c: "AJ" for c in ("0401", "0402", "0403", "0404")}
             | {c: "SH" for c in ("0501", "0502", "0503", "0601", "1201", "1401")})
TO_COUNTY = 0.25
# Crew working hours a case takes (median; log-normal spread), and for some classes the chance that
# the case then waits on others (materials, a contractor, an approval) and for how many working days.
EFFORT = {"0101": 1.0, "0102": 0.6, "0103": 1.0, "0104": 0.8, "0201": 1.5, "0202": 3.0, "0301": 3.0, "0302": 1.2,
          "0303": 1.2, "0401": 1.5, "0402": 1.0, "0403": 2.5, "0404": 2.0, "0501": 2.5, "0502": 3.0, "0503": 4.0,
          "0601": 1.5, "0701": 3.0, "0702": 0.5, "0801": 1.5, "0802": 1.5, "0803": 1.5, "0901": 2.0, "1001": 2.5,
          "1101": 2.0, "1201": 2.5, "1202": 1.5, "1301": 2.0, "1401": 2.0}
SIGMA = 0.5
WAITS = {"0701": (0.6, 1, 4), "0301": (0.4, 0.5, 2.5), "0502": (0.5, 1, 4), "0503": (0.5, 2, 7), "1201": (0.5, 1, 3),
         "0802": (0.4, 0.5, 2), "0201": (0.3, 1, 3), "1001": (0.3, 1, 3), "0901": (0.3, 0.5, 3), "1301": (0.3, 1, 3),
         "0404": (0.3, 1, 2), "0403": (0.3, 0.5, 2), "1202": (0.3, 0.2, 1)}
# A construction site in one grid of the showcase town: residents and the hotline keep reporting it
# (a tenth of the town's reports in the last three weeks); the squad puts it behind its daily cases.
SITE = "霞客佳苑安置房二期工地"
SITE_DAYS = 21
SITE_SHARE = 0.15
SITE_CLASSES = {"0102": 4, "0302": 4, "0303": 3, "0104": 2, "0702": 2, "0201": 1, "0403": 1}
SITE_TEXTS = {
    "0102": ["{p}{s}渣土车带泥上路，路面全是泥浆", "{s}出口道路泥土撒漏严重，下雨天路滑"],
    "0302": ["{s}扬尘很大，裸土没有覆盖", "{p}{s}没有洒水降尘，附近居民不敢开窗"],
    "0303": ["{s}夜里十点以后还在打桩，噪声扰民", "{p}{s}夜间施工，机器声音很大睡不着"],
    "0104": ["{s}钢筋建材堆到路上，占道影响通行"],
    "0702": ["{s}工程车乱停占用车道", "{p}{s}混凝土泵车停在路口堵住通行"],
    "0201": ["{s}旁边有人私搭彩钢板工棚"],
    "0403": ["{s}脚手架没有安全网，高处有坠物风险"],
}
SITE_SOURCES = [("hotline", 45), ("citizen", 35), ("patrol", 20)]


@dataclasses.dataclass(frozen=True)
class Profile:
    """How a kind of department works: how much of its crews' time its usual workload fills
    (staffing tightness), its pace, travel to the site, rework and returns."""

    label: str
    load: float
    pace: float = 1.0
    travel: tuple[float, float] = (0.0, 0.0)
    rework: float = 0.04
    returns: float = 0.0  # town matters it sends back as not the county's business
    duty: bool = False  # one crew on duty at weekends and holidays too (城管、执法)


def profile(dept: Department, showcase_id: int | None) -> Profile:
    """The named pattern: village committees settle small things on the spot; the county bureaus
    come from the county seat, coordinate more and return town matters; the showcase town's
    enforcement squads carry the heaviest load."""
    level = dept.region.level
    tune = random.Random(dept.code).uniform(-0.06, 0.06)  # no two offices alike, the same every build
    if level >= 5:
        return Profile("村（社区）两委", 0.4, pace=0.6, rework=0.03)
    if level <= 3:
        busy = dept.code == "JY-CG"  # the county's busiest bureau
        return Profile("县级部门", (0.68 if busy else 0.6) + tune, travel=(0.3, 1.0), rework=0.05, returns=0.08,
                       duty=dept.code == "JY-CG")
    if dept.region_id == showcase_id and hasattr(dept, "squad"):
        return Profile("镇综合执法中队", 0.7 + tune / 2, rework=0.07, duty=True)
    return Profile("镇职能部门", 0.5 + tune * 2, rework=0.04, duty=dept.code.endswith("-ZF"))


def mean_effort(code: str, prof: Profile) -> float:
    return EFFORT.get(code, 2.0) * prof.pace * math.exp(SIGMA ** 2 / 2) + sum(prof.travel) / 2


def staff(hours: float, work_hours: float, prof: Profile, posts: int = 1) -> tuple[int, float]:
    """Crews and pace for a department whose usual workload is ``hours`` of crew time over
    ``work_hours`` working hours, staffed to the profile's tightness: whole crews (a large
    department, such as a squad of some thirty officers, fields one for every ten or so), the pace
    making up the rest within bounds (a small office is not faster for having little to do)."""
    rate = hours / work_hours if work_hours else 0.0
    if rate <= 0:
        return 1, 1.0
    need = rate / prof.load
    crews = max(1, round(need), min(4, posts // 10))
    while True:
        pace = min(1.25, max(0.8, crews / need))
        if rate * pace / crews <= 0.97:
            return crews, pace
        crews += 1


class EveryDay(WorkingCalendar):
    """The duty crew's calendar: office hours on every day, rest days included."""

    def is_workday(self, day: dt.date) -> bool:
        return True


class Desk:
    """One department's handling capacity: its crews, each led by one of its handler posts, work
    one case at a time in working hours, earliest deadline first (the construction site's cases
    behind the daily ones); a case waits until a crew is free."""

    def __init__(self, dept: Department, prof: Profile, crews: int, pace: float, signers: list):
        self.dept, self.profile, self.pace, self.signers = dept, prof, pace, signers
        self.crews: list[int | None] = [None] * crews
        self.queue: list[tuple] = []
        self.serial = 0

    def join(self, pk: int, due: dt.datetime | None, priority: int, token: int) -> None:
        self.serial += 1
        heapq.heappush(self.queue, (priority, due or FAR, self.serial, pk, token))

    def take(self, valid, duty_only: bool = False) -> tuple[int, int] | None:
        """An idle crew (only the duty crew on a rest day) and the next valid case for it, or None."""
        idle = [i for i, pk in enumerate(self.crews[:1] if duty_only else self.crews) if pk is None]
        if not idle:
            return None
        while self.queue:
            _p, _due, _n, pk, token = heapq.heappop(self.queue)
            if valid(pk, token):
                self.crews[idle[0]] = pk
                return idle[0], pk
        return None


class Routing:
    """Where the center sends a case: the village committee (where it has a handler) for village
    matters, the town office of the line of work (the enforcement squad of the grid's area for
    enforcement matters), or the county bureau of the line (always for county matters)."""

    def __init__(self, rng: random.Random, departments: dict[str, Department], handled: set[int]):
        from shanzhi.enforcement.models import Squad

        self.rng, self.departments, self.handled = rng, departments, handled
        self.squads: dict[int, Department] = {}  # first-level grid → its squad's department
        for squad in Squad.objects.select_related("department").prefetch_related("grids"):
            for g in squad.grids.all():
                self.squads[g.id] = departments[squad.department.code]

    def office(self, town: Region, grid: Grid, cls: IncidentClass) -> Department | None:
        line = OFFICE_OF.get(cls.code, "SH")
        if line == "ZF" and grid.parent_id in self.squads and self.rng.random() < 0.9:
            return self.squads[grid.parent_id]
        return self.departments.get(f"{town.code[:9]}-{line}")

    def route(self, town: Region, grid: Grid, cls: IncidentClass, tier: str, town_only: bool = False):
        if tier == "village":
            committee = self.departments.get(f"{grid.region.code}-VC")
            if committee and committee.pk in self.handled:
                return committee
        county = self.departments.get(cls.department.code) if cls.department_id else None
        if tier == "county" and county and not town_only:
            return county
        office = self.office(town, grid, cls)
        if office is None or (county and not town_only and self.rng.random() < TO_COUNTY):
            return county or office
        return office


def work_hours(cal: WorkingCalendar, start: dt.date, days: int) -> float:
    """Working hours in the days from ``start`` on."""
    return sum(cal.day_length.total_seconds() / 3600 for d in range(days + 1) if cal.is_workday(start + dt.timedelta(days=d)))


FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclasses.dataclass
class Story:
    """One case's fate, drawn up front; its moves are played one by one in time order."""

    pk: int
    town: Region
    grid: Grid
    cls: IncidentClass
    route: Department | None = None
    site: bool = False
    rounds_failed: int = 0
    wrong_first: bool = False
    shelve: bool = False
    resume_after: float | None = None
    whistle: bool = False
    escalate: bool = False
    wait: float = 0.0  # working days waiting on others after the crew's work
    effort: float = 0.0
    token: int = 0  # moves on when the case leaves a desk's queue for good
    asked: int = 0  # the round in which an extension was last asked for
    signer: User | None = None
    returning: str = ""
    case: Incident | None = None  # as the last service returned it: who holds it, its deadlines


class HistoryBuilder:
    def __init__(self, *, seed: int = 2026, days: int = 90, showcase_per_year: int = 14_000,
                 other_per_year: int = 3_000, now: dt.datetime | None = None, log=None):
        self.rng = random.Random(seed + 90)
        self.days = days
        self.rates = (showcase_per_year, other_per_year)
        self.now = now or timezone.now()
        self.log = log or (lambda m: None)
        self.cal = WorkingCalendar()
        self.duty_cal = EveryDay()
        self.classes = {c.code: c for c in IncidentClass.objects.filter(parent__isnull=False, is_active=True)
                        .select_related("department")}
        self.departments = {d.code: d for d in Department.objects.select_related("region", "squad")}
        self.dispatchers = {p.region_id: p.user for p in Post.objects.filter(role=Role.DISPATCHER).select_related("user")}
        self.handlers: dict[int, list[User]] = {}
        for p in Post.objects.filter(role=Role.DEPT_HANDLER, is_active=True).select_related("user").order_by("id"):
            self.handlers.setdefault(p.department_id, []).append(p.user)
        self.grid_staff: dict[int, User] = {}
        for p in Post.objects.filter(role__in=[Role.GRID_WORKER, Role.INFORMANT], is_active=True).select_related("user"):
            self.grid_staff.setdefault(p.grid_id, p.user)
        self.leaders = {p.region_id: p.user for p in Post.objects.filter(role=Role.TOWN_LEADER).select_related("user")}
        self.routing = Routing(self.rng, self.departments, set(self.handlers))
        self.squads = self.routing.squads
        self.showcase = Region.objects.filter(level=Region.Level.TOWN, name=places.SHOWCASE_TOWN).first()
        self.desks: dict[int, Desk] = {}
        self.queue: list[tuple[dt.datetime, int, str, int]] = []
        self.stories: dict[int, Story] = {}
        self.pending: dict[int, tuple] = {}
        self.serial = 0

    # ------------------------------------------------------------------ the plan
    def _site_grid(self, grids: list[Grid]) -> Grid:
        """The construction site's grid: in the second squad's area (east) where there is one."""
        squads = sorted({d.code for d in self.squads.values()})
        east = [g for g in grids if len(squads) > 1 and self.squads.get(g.parent_id) and
                self.squads[g.parent_id].code == squads[1]]
        return self.rng.choice(sorted(east or grids, key=lambda g: g.code))

    def _reports(self) -> list[tuple]:
        codes = [c for c in WEIGHTS if c in self.classes]
        weights = [WEIGHTS[c] for c in codes]
        sources, source_w = zip(*SOURCES, strict=True)
        site_codes = [c for c in SITE_CLASSES if c in self.classes]
        out = []
        for town in Region.objects.filter(level=Region.Level.TOWN).order_by("code"):
            showcase = town.name == places.SHOWCASE_TOWN
            per_year = self.rates[0] if showcase else self.rates[1]
            grids = list(Grid.objects.filter(town=town, level=2).select_related("region", "town"))
            if not grids:
                continue
            total = int(per_year * self.days / 365)
            site_days = min(self.days, SITE_DAYS)
            site_n = int(per_year * SITE_SHARE * site_days / 365) if showcase and site_codes else 0
            for _ in range(total - site_n):
                reported = self.now - dt.timedelta(seconds=self.rng.uniform(0, self.days * 86400))
                local = timezone.localtime(reported)
                if local.hour < 7 or local.hour > 20:  # reports cluster in the day
                    reported += dt.timedelta(hours=10)
                if reported >= self.now:
                    reported = self.now - dt.timedelta(minutes=self.rng.uniform(5, 600))
                out.append((reported, town, self.rng.choice(grids), self.classes[self.rng.choices(codes, weights)[0]],
                            self.rng.choices(sources, source_w)[0], False))
            if site_n:
                site = self._site_grid(grids)
                site_w = [SITE_CLASSES[c] for c in site_codes]
                for _ in range(site_n):
                    # The work (and the complaints) picks up as the site gets going.
                    back = 1 - math.sqrt(self.rng.random())
                    reported = self.now - dt.timedelta(seconds=back * site_days * 86400)
                    if not 7 <= timezone.localtime(reported).hour <= 22:
                        reported += dt.timedelta(hours=9)
                    if reported >= self.now:
                        reported = self.now - dt.timedelta(minutes=self.rng.uniform(5, 300))
                    out.append((reported, town, site, self.classes[self.rng.choices(site_codes, site_w)[0]],
                                self.rng.choices([s for s, _w in SITE_SOURCES], [w for _s, w in SITE_SOURCES])[0], True))
        out.sort(key=lambda r: r[0])
        return out

    def _staff(self, planned: list[tuple[Department | None, str, bool]]) -> None:
        """Every department's crews, sized to its usual workload over the period (the site's surge
        is not in it: no office is staffed for that) with its profile's tightness."""
        hours: dict[int, float] = {}
        for dept, code, site in planned:
            if dept is not None and not site:
                hours[dept.pk] = hours.get(dept.pk, 0.0) + mean_effort(code, self._profile(dept))
        span = work_hours(self.cal, timezone.localtime(self.now - dt.timedelta(days=self.days)).date(), self.days)
        for dept in self.departments.values():
            self._desk(dept, hours.get(dept.pk, 0.0), span)

    def _profile(self, dept: Department) -> Profile:
        return profile(dept, self.showcase.pk if self.showcase else None)

    def _desk(self, dept: Department, hours: float = 0.0, span: float = 0.0) -> Desk:
        if dept.pk not in self.desks:
            prof = self._profile(dept)
            crews, pace = staff(hours, span, prof, len(self.handlers.get(dept.pk, [])))
            self.desks[dept.pk] = Desk(dept, prof, crews, pace * prof.pace, self.handlers.get(dept.pk, []))
        return self.desks[dept.pk]

    def _story(self, pk: int, town, grid, cls, route, site) -> Story:
        rng = self.rng
        prof = self._profile(route) if route else None
        story = Story(pk, town, grid, cls, route=route, site=site, wrong_first=rng.random() < 0.03,
                      shelve=rng.random() < 0.02, whistle=cls.code in ("0301", "0401", "0403") and rng.random() < 0.1,
                      escalate=cls.tier == "village" and rng.random() < 0.12)
        story.rounds_failed = 1 if rng.random() < (prof.rework if prof else 0.04) else 0
        if story.shelve and rng.random() < 0.4:
            story.resume_after = rng.uniform(48, 240)
        chance, lo, hi = (0.8, 1, 4) if site else WAITS.get(cls.code, (0, 0, 0))  # the contractor must put it right
        if rng.random() < chance:
            story.wait = round(rng.uniform(lo, hi), 1)
        return story

    def _at(self, when: dt.datetime, pk: int, what: str) -> None:
        if when < self.now:
            self.serial += 1
            heapq.heappush(self.queue, (when, self.serial, what, pk))

    def _later(self, t: dt.datetime, lo: float, hi: float) -> dt.datetime:
        return t + dt.timedelta(hours=self.rng.uniform(lo, hi))

    def _work(self, t: dt.datetime, lo: float, hi: float) -> dt.datetime:
        return self.cal.add(t, self.rng.uniform(lo, hi), TimeUnit.WORKING_HOURS)

    # ------------------------------------------------------------------ who acts
    def _dispatcher(self, inc: Incident) -> User | None:
        return self.dispatchers.get(inc.town_id)

    def _handler(self, inc: Incident) -> User | None:
        story = self.stories.get(inc.pk)
        if story and story.signer:
            return story.signer
        return (self.handlers.get(inc.department_id) or [None])[0] or self._dispatcher(inc)

    def _verifier(self, inc: Incident) -> User | None:
        return self.grid_staff.get(inc.grid_id) or self._dispatcher(inc)

    def _route(self, town: Region, grid: Grid, cls: IncidentClass, tier: str, town_only: bool = False):
        return self.routing.route(town, grid, cls, tier, town_only)

    # ------------------------------------------------------------------ playing
    def build(self) -> int:
        reports = self._reports()
        planned = []
        for when, town, grid, cls, source, site in reports:
            route = self._route(town, grid, cls, cls.tier)
            planned.append((route, cls.code, site))
            self.serial += 1
            heapq.heappush(self.queue, (when, self.serial, f"report:{source}", -1))
            self.pending[self.serial] = (town, grid, cls, site, route)
        self._staff(planned)
        self.log(f"  回放 {len(reports)} 件事件的办理过程（经由真实的办理服务）…")
        made = 0
        next_scan = reports[0][0] + SCAN_EVERY if reports else self.now
        with suppressed():
            while self.queue:
                when, serial, what, pk = heapq.heappop(self.queue)
                while next_scan <= when:
                    scan_timers(now=next_scan)
                    next_scan += SCAN_EVERY
                if what.startswith("report:"):
                    made += self._report(when, serial, what.split(":", 1)[1])
                    if made % 2000 == 0:
                        self.log(f"  … {made} 件")
                    continue
                try:
                    # Each service is its own atomic block (a savepoint here): a refused move leaves nothing.
                    result = self._play(when, what, pk)
                    if isinstance(result, Incident):
                        self.stories[pk].case = result
                except (Conflict, PermissionDenied, ValidationError):
                    continue  # a move the state no longer allows (the scan escalated it, a duplicate merged)
            scan_timers(now=self.now)
        return made

    def _report(self, when, serial, source) -> int:
        town, grid, cls, site, route = self.pending.pop(serial)
        rng = self.rng
        place = grid.name if grid.name.startswith(grid.region.name) else f"{grid.region.name}{grid.name}"
        if site:
            text = rng.choice(SITE_TEXTS[cls.code]).format(p=place, s=SITE)
        else:
            text = rng.choice(DESCRIPTIONS.get(cls.code, ["{p}发现问题"])).format(p=place)
        reporter = self.grid_staff.get(grid.id) if source == "patrol" else None
        if source == "center":
            reporter = self.dispatchers.get(town.id)
        lon, lat = grid.center_lon + rng.uniform(-0.002, 0.002), grid.center_lat + rng.uniform(-0.0015, 0.0015)
        if get_index().locate_one(lon, lat) != grid.id:
            lon, lat = grid.center_lon, grid.center_lat  # the jitter left the grid (a narrow or edge grid)
        inc, _created = incident_report(
            actor=reporter, source=source, description=text, subclass_code=cls.code, lon=lon, lat=lat,
            reporter_name="" if reporter else rng.choice(["群众", "12345 热线", "监测点"]),
            external_id=f"12345-{when:%Y%m%d}-{serial:06d}" if source == "hotline" else None, reported_at=when)
        self.stories[inc.pk] = self._story(inc.pk, town, grid, cls, route, site)
        self.stories[inc.pk].case = inc
        # The center registers within the hour (a few slower), and dispatches soon after.
        slow = rng.random() < 0.04
        delay = self._later(when, 0.8, 2.5) if slow else self._later(when, 0.03, 0.8)
        if inc.possible_duplicate_id and rng.random() < 0.7:
            self._at(delay, inc.pk, "merge")
        elif rng.random() < 0.03:
            self._at(delay, inc.pk, "void")
        else:
            self._at(delay, inc.pk, "register")
        return 1

    def _play(self, t: dt.datetime, what: str, pk: int):
        story = self.stories[pk]
        inc = story.case
        rng = self.rng
        if what == "merge":
            inc = loop.incident_merge(actor=self._dispatcher(inc), incident_id=pk, into=inc.possible_duplicate_id, at=t)
        elif what == "void":
            inc = loop.incident_void(actor=self._dispatcher(inc), incident_id=pk, reason="经核实不属实", at=t)
        elif what == "register":
            inc = loop.incident_register(actor=self._dispatcher(inc), incident_id=pk, at=t)
            slow = rng.random() < 0.04
            self._at(self._later(t, 1.0, 3.0) if slow else self._later(t, 0.05, 0.8), pk, "dispatch")
        elif what == "dispatch":
            inc = self._dispatch(t, story, inc)
        elif what == "return":
            inc = loop.incident_return(actor=self._handler(inc), incident_id=pk, reason=story.returning, at=t)
            self._at(self._later(t, 0.1, 0.7), pk, "dispatch")
        elif what.startswith("check_in:"):
            dept_id = int(what.split(":")[1])
            actor = (self.handlers.get(dept_id) or [None])[0]
            if actor:
                loop.incident_check_in(actor=actor, incident_id=pk, reply="已到场配合处置", at=t)
        elif what == "accept":
            inc = story.case = loop.incident_accept(actor=self._handler(inc), incident_id=pk, at=t)
            self._queue(story, inc, t, fresh=True)
        elif what.startswith("extend:"):
            req = loop.incident_request_extension(actor=self._handler(inc), incident_id=pk, amount=what.split(":")[1],
                                                  unit="working_days", reason="需协调相关单位，申请延期", at=t)
            self._at(self._later(t, 0.5, 3), pk, f"decide:{req.pk}")
        elif what.startswith("decide:"):
            approve = rng.random() < (0.8 if story.wait <= 3 else 0.6)
            loop.incident_decide_extension(actor=self._dispatcher(inc), incident_id=pk, request_id=what.split(":")[1],
                                           approve=approve, note="同意延期" if approve else "请按原期限办结", at=t)
        elif what.startswith("done:"):
            return self._done(t, story, inc, what)
        elif what == "resume":
            inc = story.case = loop.incident_resume(actor=self._handler(inc), incident_id=pk, note="资金已落实，恢复处置",
                                                    at=t)
            self._queue(story, inc, t, fresh=False)
        elif what == "reply":
            inc = self._reply(t, inc)
        elif what == "verify":
            passed = story.rounds_failed == 0
            if not passed:
                story.rounds_failed -= 1
            inc = loop.incident_verify(actor=self._verifier(inc), incident_id=pk, passed=passed,
                                       note="" if passed else "现场核查仍有问题，返工", at=t)
            if passed:
                if rng.random() < 0.6:
                    self._at(self._later(t, 1, 30), pk, "rate")
                self._at(self._later(t, 24 * 7, 24 * 8), pk, "archive")
            else:
                self._at(self._work(t, 0.1, 1.0), pk, "accept")
        elif what == "rate":
            level = rng.choices([5, 4, 3, 2, 1], [70, 20, 7, 2, 1])[0]
            inc = loop.incident_rate(token=inc.rating_token, level=level, at=t)
        elif what == "archive":
            inc = loop.incident_archive(actor=self._dispatcher(inc), incident_id=pk, at=t)
        return inc

    def _dispatch(self, t: dt.datetime, story: Story, inc: Incident) -> Incident:
        rng, pk = self.rng, story.pk
        dept = story.route or self._route(story.town, story.grid, story.cls, inc.tier)
        story.route = None  # a re-dispatch (after a return or an escalation) chooses again
        if dept is None:
            return inc
        offices = [d for d in self.departments.values() if d.region_id == story.town.id and d.pk != dept.pk]
        if story.wrong_first and offices:
            story.wrong_first = False
            wrong = rng.choice(offices)
            inc = loop.incident_dispatch(actor=self._dispatcher(inc), incident_id=pk, department=wrong, at=t)
            story.route, story.returning = dept, "不属于本部门职责"
            self._sign(story, wrong)
            self._at(self._later(t, 0.5, 4), pk, "return")
            return inc
        if story.whistle and offices:
            story.whistle = False
            inc = loop.incident_whistle(actor=self._dispatcher(inc), incident_id=pk, lead=dept, others=[offices[0]],
                                        note="多部门联合处置", at=t)
            self._at(self._later(t, 0.3, 1.8), pk, f"check_in:{offices[0].pk}")
        else:
            inc = loop.incident_dispatch(actor=self._dispatcher(inc), incident_id=pk, department=dept, at=t)
        self._sign(story, dept)
        # A county bureau sends some town matters back as the town's business (回退).
        prof = self._profile(dept)
        if prof.returns and story.cls.tier != "county" and rng.random() < prof.returns:
            story.route = self._route(story.town, story.grid, story.cls, "town", town_only=True)
            story.returning = "属镇级事权，请属地镇（街道）处置"
            self._at(self._work(t, 0.5, 6), pk, "return")
            return inc
        urgent = story.cls.handle_unit == TimeUnit.CLOCK_HOURS
        self._at(self._later(t, 0.05, 0.3) if urgent else self._work(t, 0.05, 0.8), pk, "accept")
        return inc

    def _sign(self, story: Story, dept: Department) -> None:
        signers = self.handlers.get(dept.pk) or []
        story.signer = self.rng.choice(signers) if signers else None

    # ------------------------------------------------------------------ the departments' desks
    def _queue(self, story: Story, inc: Incident, t: dt.datetime, fresh: bool) -> None:
        """The accepted (or resumed, or reworked) case waits for a crew of its department; urgent
        cases (clock hours) go to the on-call crew at once; a village committee first tries to
        settle what it may have to pass up."""
        if inc.department_id is None:
            return
        rng = self.rng
        desk = self.desks.get(inc.department_id) or self._desk(Department.objects.select_related("region").get(
            pk=inc.department_id))
        story.effort = EFFORT.get(story.cls.code, 2.0) * rng.lognormvariate(0, SIGMA) * (0.6 if inc.round > 1 else 1)
        story.effort *= 1.5 if story.site else 1.0
        story.effort += rng.uniform(*desk.profile.travel)
        limit, unit = story.cls.limit("handle")
        if unit == TimeUnit.CLOCK_HOURS:  # the on-call crew nearby, day and night
            self._at(t + dt.timedelta(hours=EFFORT.get(story.cls.code, 1.0) * rng.lognormvariate(-0.4, SIGMA)),
                     story.pk, "reply")
            return
        if unit == TimeUnit.WORKING_HOURS and limit <= 2 and not story.site:
            # Street matters of two working hours (road cleaning, parking): the patrolling crew or
            # the cleaning contractor nearby sees to it, without waiting for the desk.
            self._at(self.cal.add(t, story.effort * rng.uniform(0.8, 1.6), TimeUnit.WORKING_HOURS), story.pk, "reply")
            return
        if fresh and story.escalate and inc.tier == "village":
            story.escalate = False
            self._at(self._later(t, 2, 20), story.pk, "done:-:-:escalate")
            return
        story.token += 1
        desk.join(story.pk, inc.handle_due, 1 if story.site else 0, story.token)
        self._assign(desk, t)

    def _valid(self, desk: Desk):
        def valid(pk: int, token: int) -> bool:
            story = self.stories[pk]
            case = story.case
            return (story.token == token and case is not None and case.status == Status.HANDLING
                    and case.department_id == desk.dept.pk)
        return valid

    def _assign(self, desk: Desk, t: dt.datetime) -> None:
        """Idle crews take the next cases; each takes its work time in working hours. A handler
        who sees a case will not make its deadline asks for more time while there is still time."""
        rest_day = desk.profile.duty and not self.cal.is_workday(timezone.localtime(t).date())
        while (picked := desk.take(self._valid(desk), duty_only=rest_day)) is not None:
            crew, pk = picked
            story = self.stories[pk]
            inc = story.case
            story.token += 1
            cal = self.duty_cal if crew == 0 and desk.profile.duty else self.cal
            finish = cal.add(t, story.effort * desk.pace, TimeUnit.WORKING_HOURS)
            outcome = "reply"
            if story.shelve and inc.round == 1:
                story.shelve = False
                outcome, finish = "shelve", cal.add(t, min(1.0, story.effort), TimeUnit.WORKING_HOURS)
            elif story.wait and inc.round == 1:
                outcome = "wait"
            ready = self.cal.add(finish, story.wait, TimeUnit.WORKING_DAYS) if outcome == "wait" else finish
            due = inc.handle_due
            if (outcome != "shelve" and due and ready > due and t < due and story.asked < inc.round
                    and self.rng.random() < 0.75):
                story.asked = inc.round
                late_by = self.cal.working_hours_between(due, ready) / (self.cal.day_length.total_seconds() / 3600)
                amount = min(10.0, math.ceil(late_by * 2 + 1) / 2)
                ask = min(self._later(t, 0.1, 1.0), due - dt.timedelta(minutes=5))
                self._at(max(ask, t), pk, f"extend:{amount}")
            self._at(finish, pk, f"done:{desk.dept.pk}:{crew}:{outcome}")

    def _done(self, t: dt.datetime, story: Story, inc: Incident, what: str):
        """A crew finishes its work on a case: the handler replies (or shelves it, or it waits on
        others first, or the committee passes it up), and the crew takes the next case."""
        _d, dept_id, crew, outcome = what.split(":")
        desk = self.desks.get(int(dept_id)) if dept_id != "-" else None
        if desk is not None:
            desk.crews[int(crew)] = None
        try:
            if outcome == "reply":
                inc = self._reply(t, inc)
            elif outcome == "wait":
                self._at(self.cal.add(t, story.wait, TimeUnit.WORKING_DAYS), story.pk, "reply")
            elif outcome == "shelve":
                inc = loop.incident_shelve(actor=self._handler(inc), incident_id=story.pk, reason="需列入年度计划统筹解决",
                                           at=t)
                if story.resume_after:
                    self._at(t + story.resume_after * H, story.pk, "resume")
            elif outcome == "escalate":
                inc = loop.incident_escalate(actor=self._handler(inc), incident_id=story.pk,
                                             reason="调解不成，需镇相关部门介入", at=t)
                self._at(self._later(t, 0.2, 2), story.pk, "dispatch")
            story.case = inc
        finally:
            if desk is not None:
                self._assign(desk, t)
        return inc

    def _reply(self, t: dt.datetime, inc: Incident) -> Incident:
        inc = loop.incident_reply(actor=self._handler(inc), incident_id=inc.pk, note=self.rng.choice(REPLIES), at=t)
        # The grid verifies on its rounds; now and then it takes a working day or so (late).
        slow = self.rng.random() < 0.03
        self._at(self._work(t, 4, 12) if slow else self._later(t, 0.3, 4), inc.pk, "verify")
        return inc


def build_patrols(*, seed: int, days: int = 7) -> int:
    """A week of patrol rounds by the showcase town's grid workers: tracks, distance, check-ins."""
    from shanzhi.incidents.models import PatrolCheck, PatrolItem, PatrolRound
    from shanzhi.incidents.services.patrols import track_length

    rng = random.Random(seed + 7)
    now = timezone.now()
    posts = Post.objects.filter(role=Role.GRID_WORKER, grid__town__name=places.SHOWCASE_TOWN, grid__level=2,
                                is_active=True).select_related("grid")
    items_by_town: dict[int, list] = {}
    rounds = []
    for post in posts:
        grid = post.grid
        items = items_by_town.setdefault(grid.town_id, list(PatrolItem.objects.filter(town_id=grid.town_id)))
        for d in range(days):
            day = timezone.localtime(now - dt.timedelta(days=d + 1)).date()
            start = dt.datetime.combine(day, dt.time(8, rng.randrange(0, 60)), tzinfo=timezone.get_current_timezone())
            x, y = grid.center_lon, grid.center_lat
            track = []
            for k in range(rng.randrange(20, 45)):
                x = min(max(x + rng.uniform(-0.0006, 0.0006), grid.min_lon), grid.max_lon)
                y = min(max(y + rng.uniform(-0.0005, 0.0005), grid.min_lat), grid.max_lat)
                track.append([round(x, 7), round(y, 7), int(start.timestamp()) + k * 120])
            end = start + dt.timedelta(seconds=len(track) * 120)
            rounds.append((PatrolRound(user_id=post.user_id, grid=grid, started_at=start, ended_at=end, track=track,
                                       distance_m=int(track_length(track)), duration_s=len(track) * 120), items))
    PatrolRound.objects.bulk_create([r for r, _i in rounds], batch_size=500)
    checks = []
    for patrol, items in rounds:
        for k, item in enumerate(items):
            checks.append(PatrolCheck(round=patrol, item=item, ok=rng.random() > 0.03,
                                      checked_at=patrol.started_at + dt.timedelta(minutes=3 * k + 2)))
    PatrolCheck.objects.bulk_create(checks, batch_size=5000)
    return len(rounds)
