"""90 days of incident history at the sources' rates (柘汪镇: ~14,000 a year for one town), so
every dashboard is alive on first start.

The history is *played*, not written: every report goes through the intake service and every move
through the loop's own services, by the posts that would make them, with the clock injected
(``at=``), in time order across the whole county; the deadline scan runs as the hours pass. So
the demo can only show states, steps, clocks and figures the loop itself produces. Nobody is
notified of the replayed past (the outbox is suppressed while it plays).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import random

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shanzhi.accounts.models import Department, Post, User
from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.cases.scan import scan_timers
from shanzhi.geo.models import Grid, Region
from shanzhi.geo.spatial import get_index
from shanzhi.incidents.models import Incident, IncidentClass
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
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


@dataclasses.dataclass
class Story:
    """One case's fate, drawn up front; its moves are played one by one in time order."""

    pk: int
    town: Region
    grid: Grid
    cls: IncidentClass
    rounds_failed: int = 0
    late: bool = False
    wrong_first: bool = False
    extension: float = 0.0
    shelve: bool = False
    resume_after: float | None = None
    whistle: bool = False
    escalate: bool = False
    case: Incident | None = None  # as the last service returned it: who holds it, its deadlines


class HistoryBuilder:
    def __init__(self, *, seed: int = 2026, days: int = 90, showcase_per_year: int = 14_000,
                 other_per_year: int = 3_000, now: dt.datetime | None = None, log=None):
        self.rng = random.Random(seed + 90)
        self.days = days
        self.rates = (showcase_per_year, other_per_year)
        self.now = now or timezone.now()
        self.log = log or (lambda m: None)
        self.classes = {c.code: c for c in IncidentClass.objects.filter(parent__isnull=False, is_active=True)}
        self.departments = {d.code: d for d in Department.objects.select_related("region")}
        self.dispatchers = {p.region_id: p.user for p in Post.objects.filter(role=Role.DISPATCHER).select_related("user")}
        self.handlers: dict[int, User] = {}
        for p in Post.objects.filter(role=Role.DEPT_HANDLER, is_active=True).select_related("user").order_by("id"):
            self.handlers.setdefault(p.department_id, p.user)
        self.grid_staff: dict[int, User] = {}
        for p in Post.objects.filter(role__in=[Role.GRID_WORKER, Role.INFORMANT], is_active=True).select_related("user"):
            self.grid_staff.setdefault(p.grid_id, p.user)
        self.leaders = {p.region_id: p.user for p in Post.objects.filter(role=Role.TOWN_LEADER).select_related("user")}
        self.queue: list[tuple[dt.datetime, int, str, int]] = []
        self.stories: dict[int, Story] = {}
        self.pending: dict[int, tuple] = {}
        self.serial = 0

    # ------------------------------------------------------------------ the plan
    def _reports(self) -> list[tuple[dt.datetime, Region, Grid, IncidentClass, str]]:
        codes = [c for c in WEIGHTS if c in self.classes]
        weights = [WEIGHTS[c] for c in codes]
        sources, source_w = zip(*SOURCES, strict=True)
        out = []
        for town in Region.objects.filter(level=Region.Level.TOWN).order_by("code"):
            per_year = self.rates[0] if town.name == places.SHOWCASE_TOWN else self.rates[1]
            grids = list(Grid.objects.filter(town=town, level=2).select_related("region", "town"))
            if not grids:
                continue
            for _ in range(int(per_year * self.days / 365)):
                reported = self.now - dt.timedelta(seconds=self.rng.uniform(0, self.days * 86400))
                local = timezone.localtime(reported)
                if local.hour < 7 or local.hour > 20:  # reports cluster in the day
                    reported += dt.timedelta(hours=10)
                if reported >= self.now:
                    reported = self.now - dt.timedelta(minutes=self.rng.uniform(5, 600))
                out.append((reported, town, self.rng.choice(grids), self.classes[self.rng.choices(codes, weights)[0]],
                            self.rng.choices(sources, source_w)[0]))
        out.sort(key=lambda r: r[0])
        return out

    def _story(self, pk: int, town, grid, cls) -> Story:
        rng = self.rng
        story = Story(pk, town, grid, cls, late=rng.random() < 0.07, wrong_first=rng.random() < 0.03,
                      extension=rng.choice([0.5, 1, 1.5, 2, 3]) if rng.random() < 0.08 else 0.0,
                      shelve=rng.random() < 0.02, whistle=cls.code in ("0301", "0401", "0403") and rng.random() < 0.1,
                      escalate=cls.tier == "village" and rng.random() < 0.12)
        story.rounds_failed = 1 if rng.random() < 0.05 else 0
        if story.shelve and rng.random() < 0.4:
            story.resume_after = rng.uniform(48, 240)
        return story

    def _at(self, when: dt.datetime, pk: int, what: str) -> None:
        if when < self.now:
            self.serial += 1
            heapq.heappush(self.queue, (when, self.serial, what, pk))

    def _later(self, t: dt.datetime, lo: float, hi: float) -> dt.datetime:
        return t + dt.timedelta(hours=self.rng.uniform(lo, hi))

    # ------------------------------------------------------------------ who acts
    def _dispatcher(self, inc: Incident) -> User | None:
        return self.dispatchers.get(inc.town_id)

    def _handler(self, inc: Incident) -> User | None:
        return self.handlers.get(inc.department_id) or self._dispatcher(inc)

    def _verifier(self, inc: Incident) -> User | None:
        return self.grid_staff.get(inc.grid_id) or self._dispatcher(inc)

    def _department(self, inc: Incident, story: Story) -> Department | None:
        cls, rng = story.cls, self.rng
        committee = self.departments.get(f"{story.grid.region.code}-VC")
        if inc.tier == "village" and committee and committee.pk in self.handlers:
            return committee
        offices = [d for d in self.departments.values() if d.region_id == story.town.id]
        dept = self.departments.get(cls.department.code) if cls.department_id else None
        if dept is None or (inc.tier != "county" and offices and rng.random() < 0.6):
            dept = rng.choice(offices) if offices else dept
        return dept

    # ------------------------------------------------------------------ playing
    def build(self) -> int:
        reports = self._reports()
        self.log(f"  回放 {len(reports)} 件事件的办理过程（经由真实的办理服务）…")
        for when, town, grid, cls, source in reports:
            self.serial += 1
            heapq.heappush(self.queue, (when, self.serial, f"report:{source}", -1))
            self.pending[self.serial] = (town, grid, cls)
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
        town, grid, cls = self.pending.pop(serial)
        rng = self.rng
        place = grid.name if grid.name.startswith(grid.region.name) else f"{grid.region.name}{grid.name}"
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
        self.stories[inc.pk] = self._story(inc.pk, town, grid, cls)
        self.stories[inc.pk].case = inc
        # The center registers within the hour (a few slower), and dispatches soon after.
        slow = rng.random() < 0.06
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
            slow = rng.random() < 0.06
            self._at(self._later(t, 1.0, 3.0) if slow else self._later(t, 0.05, 0.8), pk, "dispatch")
        elif what == "dispatch":
            dept = self._department(inc, story)
            if dept is None:
                return inc
            offices = [d for d in self.departments.values() if d.region_id == story.town.id and d.pk != dept.pk]
            if story.wrong_first and offices:
                story.wrong_first = False
                dept = rng.choice(offices)
                inc = loop.incident_dispatch(actor=self._dispatcher(inc), incident_id=pk, department=dept, at=t)
                self._at(self._later(t, 0.5, 4), pk, "return")
                return inc
            if story.whistle and offices:
                story.whistle = False
                inc = loop.incident_whistle(actor=self._dispatcher(inc), incident_id=pk, lead=dept, others=[offices[0]],
                                      note="多部门联合处置", at=t)
                self._at(self._later(t, 0.3, 1.8), pk, f"check_in:{offices[0].pk}")
            else:
                inc = loop.incident_dispatch(actor=self._dispatcher(inc), incident_id=pk, department=dept, at=t)
            self._at(self._later(t, 0.2, 3), pk, "accept")
        elif what == "return":
            inc = loop.incident_return(actor=self._handler(inc), incident_id=pk, reason="不属于本部门职责", at=t)
            self._at(self._later(t, 0.1, 0.7), pk, "dispatch")
        elif what.startswith("check_in:"):
            dept_id = int(what.split(":")[1])
            actor = self.handlers.get(dept_id)
            if actor:
                loop.incident_check_in(actor=actor, incident_id=pk, reply="已到场配合处置", at=t)
        elif what == "accept":
            inc = loop.incident_accept(actor=self._handler(inc), incident_id=pk, at=t)
            self._plan_handling(inc, story, t)
        elif what.startswith("extend:"):
            req = loop.incident_request_extension(actor=self._handler(inc), incident_id=pk, amount=what.split(":")[1],
                                                  unit="working_days", reason="需协调相关单位，申请延期", at=t)
            self._at(self._later(t, 0.5, 3), pk, f"decide:{req.pk}")
        elif what.startswith("decide:"):
            approve = rng.random() < 0.85
            loop.incident_decide_extension(actor=self._dispatcher(inc), incident_id=pk, request_id=what.split(":")[1],
                                           approve=approve, note="同意延期" if approve else "请按原期限办结", at=t)
        elif what == "escalate":
            inc = loop.incident_escalate(actor=self._handler(inc), incident_id=pk, reason="调解不成，需镇相关部门介入", at=t)
            self._at(self._later(t, 0.2, 2), pk, "dispatch")
        elif what == "shelve":
            inc = loop.incident_shelve(actor=self._handler(inc), incident_id=pk, reason="需列入年度计划统筹解决", at=t)
            if story.resume_after:
                self._at(t + story.resume_after * H, pk, "resume")
        elif what == "resume":
            inc = loop.incident_resume(actor=self._handler(inc), incident_id=pk, note="资金已落实，恢复处置", at=t)
            self._plan_handling(inc, story, t, reply_only=True)
        elif what == "reply":
            inc = loop.incident_reply(actor=self._handler(inc), incident_id=pk, note=rng.choice(REPLIES), at=t)
            self._at(self._later(t, 0.3, 4), pk, "verify")
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
                self._at(self._later(t, 0.2, 3), pk, "accept")
        elif what == "rate":
            level = rng.choices([5, 4, 3, 2, 1], [70, 20, 7, 2, 1])[0]
            inc = loop.incident_rate(token=inc.rating_token, level=level, at=t)
        elif what == "archive":
            inc = loop.incident_archive(actor=self._dispatcher(inc), incident_id=pk, at=t)
        return inc

    def _plan_handling(self, inc, story: Story, t: dt.datetime, reply_only: bool = False) -> None:
        """After accepting (or resuming): perhaps escalate, ask for more time or shelve, then reply
        — on time mostly, late in a few cases."""
        if not reply_only and story.escalate and inc.tier == "village":
            story.escalate = False
            self._at(self._later(t, 2, 20), inc.pk, "escalate")
            return
        span = max(1.0, (inc.handle_due - t).total_seconds() / 3600) if inc.handle_due else 8.0
        if not reply_only and story.extension and inc.round == 1:
            ask = t + dt.timedelta(hours=span * self.rng.uniform(0.3, 0.7))
            self._at(ask, inc.pk, f"extend:{story.extension}")
            story.extension = 0.0
            span *= 1.6
        if not reply_only and story.shelve and inc.round == 1:
            story.shelve = False
            self._at(t + dt.timedelta(hours=span * self.rng.uniform(0.2, 0.6)), inc.pk, "shelve")
            return
        fraction = self.rng.uniform(0.15, 1.4) if story.late else self.rng.uniform(0.15, 0.9)
        self._at(t + dt.timedelta(hours=span * fraction), inc.pk, "reply")


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
