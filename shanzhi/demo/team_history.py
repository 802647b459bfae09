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
