"""Demo: the enforcement bureau's last weeks — grid incidents about illegal structures, roadside
trading and the like turned into leads by the squad of the area, most filed by the squad leader
with the power that applies, a few declined — through the same services as the pages."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

LEAD_CLASSES = {"0201": "乡村建设规划许可证", "0202": "非法占用土地建住宅", "0104": "占道经营", "0103": "涂写、刻画、张贴"}
DECLINE = ["经现场核查，当事人已自行拆除，违法状态消除", "经核查，该建筑已取得乡村建设规划许可", "经核查，不属于本局管辖，移送县自然资源和规划局"]


def build_leads(*, town, seed: int = 2026, count: int = 30, now=None) -> int:
    from shanzhi.enforcement import cases
    from shanzhi.enforcement.models import Officer, PenaltyItem, Squad
    from shanzhi.incidents.models import Incident
    from shanzhi.notify.services import suppressed

    rng = random.Random(seed + 8)
    now = now or timezone.now()
    incidents = list(Incident.objects.filter(town=town, subclass__code__in=list(LEAD_CLASSES),
                                             grid__isnull=False, reported_at__lt=now - dt.timedelta(days=2))
                     .exclude(status__in=["voided", "merged", "closed", "archived"])
                     .select_related("grid", "grid__parent", "subclass")
                     .order_by("-reported_at")[: count * 2])
    rng.shuffle(incidents)
    if len(incidents) < count:
        incidents += _fresh_finds(town=town, rng=rng, n=count - len(incidents), now=now)
    made = 0
    with suppressed():
        for incident in incidents[:count]:
            top = incident.grid if incident.grid.level == 1 else incident.grid.parent
            squad = Squad.objects.filter(town=town, grids=top).first()
            if squad is None:
                continue
            at = incident.reported_at + dt.timedelta(hours=rng.randint(4, 30))
            officer = next((o for o in Officer.objects.filter(squad=squad).select_related("user").order_by("?")
                            if o.certified(timezone.localtime(at).date()) and o.user_id != squad.leader_id), None)
            if officer is None:
                continue
            case = cases.lead_from_incident(actor=officer.user, incident_id=incident.pk, at=at)
            made += 1
            decided = at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
            if decided >= now or rng.random() < 0.2:
                continue  # still waiting for the leader
            item = PenaltyItem.objects.filter(towns=town, violation__contains=LEAD_CLASSES[incident.subclass.code]) \
                .order_by("code").first()
            if rng.random() < 0.12 or item is None:
                cases.case_decline(actor=squad.leader, case_id=case.pk, reason=rng.choice(DECLINE), at=decided)
            else:
                cases.case_file(actor=squad.leader, case_id=case.pk, item=item.pk, at=decided,
                                note="事实基本清楚，符合立案条件，同意立案")
        # The clocks started in the past are brought up to date, as the scheduler would have.
        from shanzhi.cases.scan import scan_timers

        scan_timers(now=now)
    return made


FINDS = [("0201", "{g}路边新搭建一处彩钢棚，约30平方米，正在施工，未见规划审批公示"),
         ("0201", "{g}有村民在自家院内加盖二层砖混房，未办理乡村建设规划许可"),
         ("0202", "{g}承包田里有人浇筑水泥地坪堆放建材，疑似违法占用耕地"),
         ("0104", "{g}菜场门口流动摊贩占道经营，早晚高峰堵住半幅道路，劝离后又回来"),
         ("0103", "{g}桥墩和电线杆上贴满办证、通下水道小广告，清了又贴")]


def _fresh_finds(*, town, rng, n, now) -> list:
    """What the grid found on patrol these days and the town dispatched to the squad of the area:
    reported, registered, dispatched and accepted through the loop's own services."""
    from shanzhi.accounts.models import User
    from shanzhi.enforcement.models import Squad
    from shanzhi.geo.models import Grid
    from shanzhi.incidents.models import Incident
    from shanzhi.incidents.services import loop
    from shanzhi.incidents.services.intake import incident_report

    dispatcher = User.objects.filter(posts__role="dispatcher", posts__region=town).first()
    grids = list(Grid.objects.filter(town=town, level=2, is_active=True).select_related("parent"))
    made = []
    for _k in range(n):
        grid = rng.choice(grids)
        reporter = User.objects.filter(posts__grid=grid, posts__role__in=["grid_worker", "patroller"]).first() \
            or User.objects.filter(posts__grid=grid.parent, posts__role="grid_chief").first()
        squad = Squad.objects.filter(town=town, grids=grid.parent).first()
        if reporter is None or squad is None or dispatcher is None:
            continue
        code, text = rng.choice(FINDS)
        at = now - dt.timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 8))
        incident, _created = incident_report(actor=reporter, source="patrol", description=text.format(g=grid.name),
                                             subclass_code=code, lon=grid.center_lon, lat=grid.center_lat,
                                             reported_at=at)
        loop.incident_register(actor=dispatcher, incident_id=incident.pk, at=at + dt.timedelta(minutes=25))
        loop.incident_dispatch(actor=dispatcher, incident_id=incident.pk, department=squad.department,
                               at=at + dt.timedelta(minutes=50))
        member = squad.officers.exclude(user=squad.leader).order_by("?").first().user
        loop.incident_accept(actor=member, incident_id=incident.pk, at=at + dt.timedelta(hours=2))
        made.append(Incident.objects.select_related("grid", "grid__parent", "subclass").get(pk=incident.pk))
    return made


# --------------------------------------------------------------------------- the procedure
# (item violation starts with, party is an organisation, circumstance, level, fine, stage reached)
PLAYS = [
    ("排放油烟的餐饮服务业经营者", True, "沿街烧烤店未安装油烟净化设施，油烟直排，周边居民多次投诉", "general", 25000, "archived"),
    ("随意倾倒、抛撒或者堆放建筑垃圾（单位）", True, "装饰公司将装修垃圾倾倒在村道边绿化带内约3吨", "minor", 8000, "archived"),
    ("处置建筑垃圾的单位在运输建筑垃圾过程中", True, "渣土运输车辆沿途遗撒，污染道路约200米", "minor", 9000, "archived"),
    ("未经同意擅自设置大型户外广告", True, "商贸公司未经审批在楼顶设置大型广告牌", "minor", 2500, "closed"),
    ("未按照批准的位置、面积、期限占用或者挖掘城市道路", True, "建筑公司超出批准范围占用人行道堆放钢管", "minor", 3000, "executed"),
    ("擅自在街道两侧和公共场地堆放物料", False, "村民在集镇街道两侧长期堆放建材，影响通行和市容", "minor", 800, "executing_late"),
    ("排放油烟的餐饮服务业经营者", True, "饭店油烟净化设施不正常使用，油烟超标排放", "minor", 9000, "executing"),
    ("随意倾倒、抛撒或者堆放建筑垃圾（单位）", True, "物业公司将小区清运的建筑垃圾倾倒在河道边", "general", 22000, "decided"),
    ("排放油烟的餐饮服务业经营者", False, "个体烧烤店主在居民楼下露天烧烤，油烟直排，多次劝导未改", "minor", 12000, "heard"),
    ("排放油烟的餐饮服务业经营者", False, "个体饭店经营者拆除油烟净化设施后继续经营，油烟直排居民窗口", "minor", 15000,
     "hearing"),
    ("未经同意擅自设置大型户外广告", True, "门店未经同意在外墙设置大型LED广告屏", "minor", 2000, "notice"),
    ("处置建筑垃圾的单位在运输建筑垃圾过程中", True, "运输公司夜间运输建筑垃圾沿途丢弃", "general", 20000, "review_major"),
    ("擅自在街道两侧和公共场地堆放物料", False, "商户在店门口公共场地搭建遮阳棚并堆放货物", "minor", 600, "review"),
    ("施工工地未设置硬质围挡", True, "拆迁工地未采取洒水抑尘措施", "minor", 15000, "filed"),
    ("排放油烟的餐饮服务业经营者", True, "夜宵店排放油烟未经净化", "minor", 0, "filed"),
]
# Days ago each play's lead was registered, so its stage sits where a real one would today.
AGE = {"filed": 9, "review": 16, "review_major": 18, "notice": 10, "hearing": 20, "heard": 40, "decided": 13,
       "executing": 18, "executing_late": 55, "executed": 45, "closed": 60, "archived": 80}
SIMPLE = [("随意倾倒、抛撒或者堆放建筑垃圾（个人）", "在集镇河道边倾倒装修垃圾两袋", "fine", 50),
          ("随意倾倒、抛撒或者堆放建筑垃圾（个人）", "在村道边抛撒碎砖瓦", "warning", 0),
          ("随意倾倒、抛撒或者堆放建筑垃圾（个人）", "骑电动三轮车运输装修垃圾沿途抛撒", "fine", 100)]


def build_procedure(*, town, seed: int = 2026, now=None) -> int:
    """Cases of the last three months carried through the general procedure to every stage —
    investigating, in review (one major, awaiting legal review), noticed, a hearing pending and one
    held, decided, paying (one late, its charge growing), closed, published and archived — and a few
    simple-procedure fines on the spot, all through the services the pages use."""
    from shanzhi.enforcement import cases
    from shanzhi.enforcement import procedure as proc
    from shanzhi.enforcement.models import Officer, PenaltyItem, Squad
    from shanzhi.notify.services import suppressed
    from shanzhi.registry.models import Organisation

    rng = random.Random(seed + 81)
    now = now or timezone.now()
    squads = list(Squad.objects.filter(town=town).order_by("name"))
    orgs = list(Organisation.objects.filter(region__parent=town, kind="enterprise").order_by("id")[:200])
    if not squads:
        return 0
    made = 0
    with suppressed():
        for n, (start, is_org, facts, level, fine, stage) in enumerate(PLAYS):
            item = PenaltyItem.objects.filter(towns=town, violation__startswith=start).order_by("code").first()
            if item is None or (is_org and not orgs):
                continue
            squad = squads[n % len(squads)]
            day = timezone.localtime(now).date()
            pool = [o for o in Officer.objects.filter(squad=squad, legal_reviewer=False).exclude(user=squad.leader)
                    .select_related("user").order_by("certificate_number")
                    if o.certified(day - dt.timedelta(days=95)) and o.certified(day)]
            reviewer = Officer.objects.filter(squad__town=town, legal_reviewer=True).exclude(squad=squad) \
                .select_related("user").first()
            if len(pool) < 2 or reviewer is None:
                continue
            a, b = rng.sample(pool, 2)
            t = now - dt.timedelta(days=AGE[stage] + (rng.randint(0, 8) if stage == "archived" else 0),
                                   hours=rng.randint(1, 6))
            org = orgs[(n * 7) % len(orgs)] if is_org else None
            grid = rng.choice(list(squad.grids.all())) if squad.grids.exists() else None
            case = cases.lead_register(actor=a.user, source=rng.choice(["patrol", "complaint", "patrol"]),
                                       facts=facts, town=town.pk, grid=grid, party_name=org.name if org else "",
                                       address=(grid.name if grid else town.name), at=t)
            made += 1
            t += dt.timedelta(days=1, hours=rng.randint(1, 5))
            cases.case_file(actor=squad.leader, case_id=case.pk, item=item.pk, note="事实基本清楚，同意立案", at=t)
            proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, b.pk], at=t)
            t += dt.timedelta(hours=3)
            proc.add_evidence(actor=a.user, case_id=case.pk, kind="inspection", title="现场检查笔录", at=t,
                              text=f"执法人员{a.user}、{b.user}出示执法证件，现场检查：{facts}。", place=case.address)
            proc.add_evidence(actor=b.user, case_id=case.pk, kind="inquiry", title="询问笔录", at=t,
                              text=f"问：你是否知道{facts[:12]}……的行为违法？答：知道了，愿意改正。")
            if stage == "filed":
                continue
            t += dt.timedelta(days=4)
            party = {"party_kind": "org", "party_org": org.pk} if org else {"party_kind": "person",
                                                                           "party_name": _person(rng)}
            if stage == "review_major":
                fine = 120000 if item.bands.filter(fine_max__gte=120000).exists() else fine
            proc.submit(actor=a.user, case_id=case.pk, findings=facts + "，事实清楚，证据确凿", level=level,
                        penalty_types=["fine"], fine=str(fine), at=t, **party)
            if stage in ("review", "review_major"):
                continue
            case.refresh_from_db()
            if case.major:
                t += dt.timedelta(days=1)
                proc.legal_review(actor=reviewer.user, case_id=case.pk, passed=True, at=t,
                                  opinion="事实清楚，证据确凿，适用依据正确，程序合法，裁量适当，同意")
            t += dt.timedelta(days=1)
            proc.notify(actor=squad.leader, case_id=case.pk, at=t)
            if stage == "notice":
                continue
            if stage in ("hearing", "heard"):
                proc.hearing_request(actor=a.user, case_id=case.pk, at=t + dt.timedelta(days=2),
                                     note="当事人书面申请听证")
                hearing_at = timezone.localtime(now + dt.timedelta(days=5)).replace(hour=9, minute=30) \
                    if stage == "hearing" else timezone.localtime(t + dt.timedelta(days=11)).replace(hour=9, minute=30)
                proc.hearing_notice(actor=squad.leader, case_id=case.pk, hearing_at=hearing_at, at=t + dt.timedelta(days=3),
                                    place=f"{town.name}综合行政执法局听证室")
                if stage == "hearing":
                    continue
                proc.hearing_held(actor=squad.leader, case_id=case.pk, at=hearing_at + dt.timedelta(hours=2),
                                  record="当事人对违法事实无异议，请求从轻处罚；调查人员出示证据，当事人进行了质证")
                continue
            proc.statement(actor=a.user, case_id=case.pk, text="当事人表示无异议，书面放弃陈述申辩和听证", waive=True,
                           at=t + dt.timedelta(days=1))
            t += dt.timedelta(days=2)
            proc.decide(actor=squad.leader if not case.major else _leader(town), case_id=case.pk, outcome="penalty",
                        level=level, penalty_types=["fine"], fine=str(fine), at=t)
            if stage == "decided":
                continue
            t += dt.timedelta(days=1)
            proc.serve(actor=a.user, case_id=case.pk, method="direct", at=t)
            if stage in ("executing", "executing_late"):
                continue
            case.refresh_from_db()
            paid = t + dt.timedelta(days=rng.randint(3, 12))
            proc.pay(actor=a.user, case_id=case.pk, amount=str(proc.amount_due(case, paid)), at=paid,
                     receipt_number=f"JSFS{timezone.localtime(paid):%Y%m%d}{rng.randint(1000, 9999)}")
            if stage == "executed":
                continue
            proc.close(actor=squad.leader, case_id=case.pk, at=paid + dt.timedelta(days=1))
            if case.party_org_id:
                proc.publish(actor=squad.leader, case_id=case.pk, at=paid + dt.timedelta(days=1, hours=2))
            if stage == "archived":
                proc.archive(actor=squad.leader, case_id=case.pk, at=paid + dt.timedelta(days=2))
        for k, (start, facts, kind, fine) in enumerate(SIMPLE * 3):
            item = PenaltyItem.objects.filter(towns=town, violation__startswith=start, simple_procedure=True).first()
            squad = squads[k % len(squads)]
            pool = [o for o in Officer.objects.filter(squad=squad).exclude(user=squad.leader).select_related("user")
                    if o.certified(timezone.localtime(now).date() - dt.timedelta(days=30))
                    and o.certified(timezone.localtime(now).date())]
            if item is None or len(pool) < 2:
                continue
            a, b = rng.sample(pool, 2)
            proc.simple_penalty(actor=a.user, partner=b.pk, item=item.pk, party_kind="person", party_name=_person(rng),
                                facts=facts, penalty_type=kind, fine=str(fine) if fine else None,
                                level="minor" if fine <= 60 else "general", paid_on_spot=bool(fine),
                                receipt_number=f"苏财罚{rng.randint(10 ** 7, 10 ** 8 - 1)}" if fine else "",
                                address=rng.choice(list(squad.grids.all())).name if squad.grids.exists() else "",
                                at=now - dt.timedelta(days=rng.randint(1, 28), hours=rng.randint(0, 8)))
            made += 1
        made += _officer_patrols(town=town, squads=squads, rng=rng, now=now)
        from shanzhi.cases.scan import scan_timers

        scan_timers(now=now)
    return made


PATROL_FINDS = ["沿街商户在人行道上搭建遮阳棚并摆放货架", "居民楼顶新搭建彩钢板房一间，未见审批", "工地出入口车辆未冲洗，带泥上路",
                "饭店后厨油烟管道直排，无净化设施", "河道边有人倾倒装修垃圾"]


def _officer_patrols(*, town, squads, rng, now) -> int:
    """A week of the squads' patrols on foot and by car (tracks, distance, time, checks), with a
    few findings registered as leads on the spot."""
    from shanzhi.enforcement import cases
    from shanzhi.geo.models import Grid
    from shanzhi.incidents.models import PatrolCheck, PatrolItem, PatrolRound
    from shanzhi.incidents.services.patrols import track_length

    items = list(PatrolItem.objects.filter(town=town, grid__isnull=True).order_by("code")[:6])
    leads, rounds = 0, []
    for squad in squads:
        officers = [o for o in squad.officers.select_related("user").order_by("certificate_number")
                    if o.certified(timezone.localtime(now).date())][1:4]
        grids = list(Grid.objects.filter(parent__in=squad.grids.all(), is_active=True).order_by("code"))
        if not grids:
            continue
        for d in range(1, 8):
            for officer in officers[: 1 + d % 2]:
                grid = rng.choice(grids)
                day = timezone.localtime(now - dt.timedelta(days=d)).date()
                start = dt.datetime.combine(day, dt.time(rng.choice([9, 14, 19]), rng.randrange(0, 60)),
                                            tzinfo=timezone.get_current_timezone())
                x, y, track = grid.center_lon, grid.center_lat, []
                for k in range(rng.randrange(25, 50)):
                    x = min(max(x + rng.uniform(-0.0012, 0.0012), grid.min_lon - 0.002), grid.max_lon + 0.002)
                    y = min(max(y + rng.uniform(-0.001, 0.001), grid.min_lat - 0.002), grid.max_lat + 0.002)
                    track.append([round(x, 7), round(y, 7), int(start.timestamp()) + k * 90])
                rounds.append(PatrolRound(user=officer.user, grid=grid, started_at=start, track=track,
                                          ended_at=start + dt.timedelta(seconds=len(track) * 90),
                                          distance_m=int(track_length(track)), duration_s=len(track) * 90))
    PatrolRound.objects.bulk_create(rounds, batch_size=500)
    checks = []
    for n, patrol in enumerate(rounds):
        finding = n % 9 == 4 and items
        for k, item in enumerate(items):
            checks.append(PatrolCheck(round=patrol, item=item, ok=not (finding and k == 0),
                                      checked_at=patrol.started_at + dt.timedelta(minutes=4 * k + 3),
                                      note=PATROL_FINDS[n % len(PATROL_FINDS)] if finding and k == 0 else ""))
        if finding:
            cases.lead_register(actor=patrol.user, source="patrol", facts=f"【巡查·{items[0].name}】"
                                + PATROL_FINDS[n % len(PATROL_FINDS)], town=town.pk, grid=patrol.grid,
                                address=patrol.grid.name, patrol=patrol, at=patrol.started_at + dt.timedelta(minutes=5))
            leads += 1
    PatrolCheck.objects.bulk_create(checks, batch_size=2000)
    return leads


def _person(rng) -> str:
    return rng.choice("王李张刘陈杨黄赵周吴徐孙朱马胡郭") + "某" + rng.choice(["", "某"])


def _leader(town):
    from shanzhi.accounts.models import User

    return User.objects.filter(posts__role="town_leader", posts__region=town).first()
