"""Officers patrol with the grid's own patrol rounds: only in their squad's area, and a problem
found becomes a lead of the squad at once (no detour through the dispatcher)."""

import pytest
from django.core.exceptions import ValidationError

from shanzhi.enforcement.models import PenaltyCase, Squad
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import Incident, PatrolItem
from shanzhi.incidents.services import patrols

from .conftest import login
from .test_penalty_procedure import members

pytestmark = pytest.mark.django_db


def test_an_officer_patrols_the_squads_area_and_a_finding_is_a_lead(cast, xxk):
    squad, other = Squad.objects.filter(town=xxk).order_by("name")[:2]
    officer = members(squad, 1)[0].user
    mine = Grid.objects.filter(parent__in=squad.grids.all(), is_active=True).first()
    theirs = Grid.objects.filter(parent__in=other.grids.all(), is_active=True).first()
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):
        patrols.patrol_start(actor=officer, grid=theirs.pk)
    patrol = patrols.patrol_start(actor=officer, grid=mine.pk)
    item = PatrolItem.objects.filter(town=xxk, grid__isnull=True).first()
    before = Incident.objects.count()
    check = patrols.patrol_check(actor=officer, round_id=patrol.pk, item_id=item.pk, ok=False,
                                 note="沿街商户在人行道上搭建遮阳棚")
    lead = PenaltyCase.objects.get(patrol=patrol)
    assert lead.source == "patrol" and lead.squad == squad and lead.grid == mine and lead.status == "lead"
    assert check.incident is None and Incident.objects.count() == before
    page = login(officer).get(f"/incidents/patrols/{patrol.pk}/").content.decode()
    assert lead.number in page
    assert "/team/cases/map.json" in login(squad.leader).get("/team/cases/").content.decode()
    data = login(squad.leader).get("/team/cases/map.json").json()
    assert mine.name in [g["name"] for g in data["grids"]]
    assert any(p["url"] == f"/incidents/patrols/{patrol.pk}/" for p in data["patrols"])
    assert login(cast.outsider).get("/team/cases/map.json").json()["grids"] == []
