"""90 days of incident history at the sources' rates (柘汪镇: ~14,000 a year for one town), so
every dashboard is alive on first start. Rows are generated consistently with the loop (every
status change has its step, deadlines come from the working calendar) and written in bulk."""

from __future__ import annotations

import datetime as dt
import random
import secrets

from django.db import transaction
from django.utils import timezone

from shanzhi.accounts.models import Department, Post, User
from shanzhi.common.counters import bump
from shanzhi.common.models import ChangeCounter
from shanzhi.common.workcal import WorkingCalendar
from shanzhi.geo.models import Grid, Region
from shanzhi.incidents.models import Incident, IncidentClass, IncidentStep
from shanzhi.incidents.services.loop import tier_of

from . import places

DESCRIPTIONS = {
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
# Weights by subclass: what a town's grid actually reports most.
WEIGHTS = {"0101": 18, "0102": 6, "0103": 5, "0104": 6, "0201": 7, "0202": 1, "0301": 3, "0302": 4, "0303": 3,
           "0401": 9, "0402": 1, "0403": 3, "0404": 3, "0501": 6, "0502": 1, "0503": 1, "0601": 2, "0701": 4,
           "0702": 4, "0801": 3, "0802": 4, "0803": 1, "0901": 2, "1001": 2, "1101": 2, "1201": 3, "1202": 2,
           "1301": 1, "1401": 2}
SOURCES = [("patrol", 55), ("citizen", 15), ("hotline", 20), ("alarm", 3), ("center", 5), ("assigned", 2)]


class HistoryBuilder:
    def __init__(self, *, seed: int = 2026, days: int = 90, showcase_per_year: int = 14_000,
                 other_per_year: int = 3_000, now: dt.datetime | None = None):
        self.rng = random.Random(seed + 90)
        self.days = days
        self.rates = (showcase_per_year, other_per_year)
        self.now = now or timezone.now()
        self.classes = {c.code: c for c in IncidentClass.objects.filter(parent__isnull=False)}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.calendars: dict[str, WorkingCalendar] = {}

    def _cal(self, town: Region) -> WorkingCalendar:
        if town.code not in self.calendars:
            self.calendars[town.code] = WorkingCalendar(town.code)
        return self.calendars[town.code]

    def _due(self, town, cls, stage, start):
        amount, unit = cls.limit(stage)
        return self._cal(town).add(start, amount, unit)

    def build(self) -> int:
        towns = list(Region.objects.filter(level=Region.Level.TOWN))
        dispatchers = {}
        for post in Post.objects.filter(role="dispatcher").select_related("user"):
            dispatchers[post.region_id] = post.user
        handler = User.objects.filter(username="dept_handler").first()
        incidents, steps_by_number = [], {}
        codes = list(WEIGHTS)
        weights = [WEIGHTS[c] for c in codes]
        sources, source_w = zip(*SOURCES, strict=True)
        for town in towns:
            per_year = self.rates[0] if town.name == places.SHOWCASE_TOWN else self.rates[1]
            total = int(per_year * self.days / 365)
            grids = list(Grid.objects.filter(town=town, level=2).select_related("region"))
            if not grids:
                continue
            town_depts = [d for d in self.departments.values() if d.region_id == town.id]
            for _ in range(total):
                code = self.rng.choices(codes, weights)[0]
                cls = self.classes.get(code)
                if cls is None:
                    continue
                grid = self.rng.choice(grids)
                lon = grid.center_lon + self.rng.uniform(-0.002, 0.002)
                lat = grid.center_lat + self.rng.uniform(-0.0015, 0.0015)
                age = dt.timedelta(seconds=self.rng.uniform(0, self.days * 86400))
                reported = self.now - age
                # Reports cluster in office hours.
                local = timezone.localtime(reported)
                if local.hour < 7 or local.hour > 20:
                    reported = reported.replace(hour=(reported.hour + 10) % 24)
                inc, steps = self._one(town, grid, cls, lon, lat, reported, self.rng.choices(sources, source_w)[0],
                                       dispatchers.get(town.id), handler, town_depts)
                incidents.append(inc)
                steps_by_number[inc.number] = steps
        incidents.sort(key=lambda i: i.reported_at)
        per_day: dict[str, int] = {}
        for inc in incidents:
            day = f"{timezone.localtime(inc.reported_at):%Y%m%d}"
            per_day[day] = per_day.get(day, 0) + 1
            old = inc.number
            inc.number = f"{day}{per_day[day]:05d}"
            steps_by_number[inc.number] = steps_by_number.pop(old)
        with transaction.atomic():
            Incident.objects.bulk_create(incidents, batch_size=2000)
            saved = dict(Incident.objects.filter(number__in=[i.number for i in incidents]).values_list("number", "id"))
            rows = []
            for number, steps in steps_by_number.items():
                for s in steps:
                    s.incident_id = saved[number]
                    rows.append(s)
            IncidentStep.objects.bulk_create(rows, batch_size=5000)
            # Continue each day's numbering where the history stops.
            for day, n in per_day.items():
                ChangeCounter.objects.update_or_create(name=f"incident:{day}", defaults={"value": n})
            bump("incidents")
        return len(incidents)

    def _one(self, town, grid, cls, lon, lat, reported, source, dispatcher, handler, town_depts):
        rng = self.rng
        now = self.now
        place = grid.name if grid.name.startswith(grid.region.name) else f"{grid.region.name}{grid.name}"
        desc = rng.choice(DESCRIPTIONS.get(cls.code, ["{p}发现问题"])).format(p=place)
        self.serial = getattr(self, "serial", 0) + 1
        inc = Incident(number=f"tmp{self.serial}", source=source, subclass=cls, description=desc,
                       lon=lon, lat=lat, grid=grid, region=grid.region, town=town, reported_at=reported,
                       reporter_name=rng.choice(["网格员", "信息员", "群众", "12345"]), tier=cls.tier,
                       external_id=f"12345-{reported:%Y%m%d}-{self.serial:06d}" if source == "hotline" else None)
        inc.register_due = self._due(town, cls, "register", reported)
        steps = [IncidentStep(action="report", at=reported, actor_label=inc.reporter_name, to_status="reported",
                              due=inc.register_due, note=desc[:200])]

        def step(action, at, frm, to, **kw):
            steps.append(IncidentStep(action=action, at=at, actor=kw.pop("actor", None),
                                      actor_label=kw.pop("label", "系统"), from_status=frm, to_status=to,
                                      round=inc.round, **kw))

        def later(start, hours_lo, hours_hi):
            return start + dt.timedelta(hours=rng.uniform(hours_lo, hours_hi))

        # Register (or void) within the hour, mostly.
        t = later(reported, 0.05, 1.5)
        if t > now:
            inc.status = "reported"
            return inc, steps
        if rng.random() < 0.03:
            inc.status = "voided"
            step("void", t, "reported", "voided", actor=dispatcher, label=str(dispatcher or "调度员"), note="经核实不属实")
            return inc, steps
        inc.registered_at = t
        inc.dispatch_due = self._due(town, cls, "dispatch", t)
        step("register", t, "reported", "registered", actor=dispatcher, label=str(dispatcher or "调度员"),
             due=inc.dispatch_due)
        # Dispatch.
        t = later(t, 0.1, 2.5)
        if t > now:
            inc.status = "registered"
            return inc, steps
        dept = self.departments.get(cls.department.code) if cls.department_id else None
        if cls.tier == "village" and f"{grid.region.code}-VC" in self.departments:
            dept = self.departments[f"{grid.region.code}-VC"]
        elif dept is None or (cls.tier != "county" and town_depts and rng.random() < 0.6):
            dept = rng.choice(town_depts) if town_depts else dept
        if rng.random() < 0.03 and town_depts:  # sent to the wrong office first, returned
            wrong = rng.choice(town_depts)
            step("dispatch", t, "registered", "dispatched", actor=dispatcher, label=str(dispatcher or "调度员"),
                 department=wrong)
            t = later(t, 0.5, 4)
            step("return", t, "dispatched", "registered", label=f"{wrong.name}", department=wrong,
                 note="不属于本部门职责")
            inc.returned_count = 1
            t = later(t, 0.2, 1)
        inc.department = dept
        inc.dispatched_at = t
        inc.handle_due = self._due(town, cls, "handle", t)
        inc.tier = tier_of(dept) if dept else cls.tier
        if inc.dispatched_at > inc.dispatch_due and rng.random() < 0.5:
            inc.ever_overdue = True
        step("dispatch", t, "registered", "dispatched", actor=dispatcher, label=str(dispatcher or "调度员"),
             department=dept, due=inc.handle_due)
        for _round in range(3):
            t = later(t, 0.2, 3)
            if t > now:
                inc.status = "dispatched"
                return inc, steps
            label = dept.name if dept else "处置部门"
            step("accept", t, "dispatched", "handling", label=label, department=dept, due=inc.handle_due)
            if rng.random() < 0.08:
                amount = rng.choice([1, 2, 3])
                step("extend_request", later(t, 1, 8), "handling", "handling", label=label, department=dept,
                     note="需协调相关单位", data={"amount": amount, "unit": "working_days"})
                inc.handle_due = self._cal(town).add(inc.handle_due, amount, "working_days")
                inc.extended = True
                step("extend_approve", later(t, 8, 10), "handling", "handling", actor=dispatcher,
                     label=str(dispatcher or "调度员"), due=inc.handle_due)
            span = (inc.handle_due - t).total_seconds() / 3600
            late = rng.random() < 0.07
            t = later(t, span * 0.15, span * (1.4 if late else 0.9)) if span > 0 else later(t, 1, 4)
            if t > now:
                inc.status = "handling"
                if now > inc.handle_due:
                    inc.ever_overdue = True
                return inc, steps
            if t > inc.handle_due:
                inc.ever_overdue = True
                step("overdue", inc.handle_due, "handling", "handling", note="处置环节已超期", due=inc.handle_due)
            if rng.random() < 0.02 and _round == 0:
                inc.status = "shelved"
                step("shelve", t, "handling", "shelved", label=label, department=dept, note="需列入年度计划统筹解决")
                return inc, steps
            inc.replied_at = t
            inc.verify_due = self._due(town, cls, "verify", t)
            step("reply", t, "handling", "replied", label=label, department=dept, note="已按要求处置完毕",
                 due=inc.verify_due)
            t = later(t, 0.3, 4)
            if t > now:
                inc.status = "replied"
                return inc, steps
            if rng.random() < 0.05 and _round < 2:
                inc.round += 1
                inc.rework_count += 1
                inc.replied_at = None
                inc.dispatched_at = t
                inc.handle_due = self._due(town, cls, "handle", t)
                step("verify_fail", t, "replied", "dispatched", label="网格员", note="现场核查仍有问题，返工",
                     due=inc.handle_due, department=dept)
                continue
            inc.closed_at = t
            inc.status = "closed"
            inc.rating_token = secrets.token_urlsafe(12)
            step("verify_pass", t, "replied", "closed", label="网格员")
            if rng.random() < 0.6:
                inc.rating = rng.choices([5, 4, 3, 2, 1], [70, 20, 7, 2, 1])[0]
                step("rate", later(t, 1, 30), "closed", "closed", label="群众", data={"level": inc.rating})
            if (now - t).days > 8:
                inc.status = "archived"
                step("archive", later(t, 24 * 7, 24 * 8), "closed", "archived", label="系统")
            return inc, steps
        inc.status = "handling"
        return inc, steps


def build_patrols(*, seed: int, days: int = 7) -> int:
    """A week of patrol rounds by the showcase town's grid workers: tracks, distance, check-ins."""
    from shanzhi.accounts.roles import Role
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
