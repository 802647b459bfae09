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
    return made
