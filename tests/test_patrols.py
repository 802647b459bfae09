import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shanzhi.common.coords import wgs84_to_gcj02
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import PatrolItem, PatrolRound
from shanzhi.incidents.services import patrols
from shanzhi.incidents.services.loop import Conflict

from .conftest import login

pytestmark = pytest.mark.django_db


def my_grid(cast):
    return Grid.objects.get(posts__user=cast.grid_worker)


def test_a_patrol_round_tracks_distance_and_reports_a_problem(cast):
    grid = my_grid(cast)
    patrol = patrols.patrol_start(actor=cast.grid_worker, grid=grid)
    assert patrols.patrol_start(actor=cast.grid_worker, grid=grid) == patrol  # the open round is reused
    lon, lat = grid.center_lon, grid.center_lat
    gx, gy = wgs84_to_gcj02(lon + 0.001, lat)
    patrols.patrol_track(actor=cast.grid_worker, round_id=patrol.pk,
                         points=[{"lon": lon, "lat": lat, "t": patrol.started_at.timestamp() + 1},
                                 {"lon": gx, "lat": gy, "t": patrol.started_at.timestamp() + 60, "crs": "gcj02"}])
    patrol.refresh_from_db()
    assert 90 < patrol.distance_m < 100  # 0.001° of longitude at 31.8° N ≈ 94.6 m
    items = patrols.items_for(grid)
    assert len(items) == 20
    patrols.patrol_check(actor=cast.grid_worker, round_id=patrol.pk, item_id=items[0].pk, ok=True)
    check = patrols.patrol_check(actor=cast.grid_worker, round_id=patrol.pk, item_id=items[3].pk, ok=False,
                                 note="新搭了一间彩钢棚")
    assert check.incident.source == "patrol" and check.incident.subclass.code == "0201"
    # Located where the worker last was (the track's last point), which may be the next grid.
    assert abs(check.incident.lon - (lon + 0.001)) < 1e-5 and check.incident.town == grid.town
    with pytest.raises(Conflict):
        patrols.patrol_check(actor=cast.grid_worker, round_id=patrol.pk, item_id=items[0].pk, ok=True)
    done = patrols.patrol_finish(actor=cast.grid_worker, round_id=patrol.pk)
    assert done.ended_at and done.duration_s >= 0
    with pytest.raises(Conflict):
        patrols.patrol_track(actor=cast.grid_worker, round_id=patrol.pk, points=[{"lon": lon, "lat": lat}])


def test_a_problem_needs_a_description_and_points_must_be_valid(cast):
    grid = my_grid(cast)
    patrol = patrols.patrol_start(actor=cast.grid_worker, grid=grid)
    item = patrols.items_for(grid)[0]
    with pytest.raises(ValidationError):
        patrols.patrol_check(actor=cast.grid_worker, round_id=patrol.pk, item_id=item.pk, ok=False, note=" ")
    with pytest.raises(ValidationError, match="第 2 个"):
        patrols.patrol_track(actor=cast.grid_worker, round_id=patrol.pk,
                             points=[{"lon": 120.3, "lat": 31.8}, {"lon": "x", "lat": 31.8}])
    patrol.refresh_from_db()
    assert patrol.track == []


def test_only_ones_own_grid_and_round(cast):
    other = Grid.objects.filter(level=2).exclude(pk=my_grid(cast).pk).first()
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):
        patrols.patrol_start(actor=cast.grid_worker, grid=other)
    with pytest.raises(PermissionDenied):
        patrols.patrol_start(actor=cast.town_leader, grid=my_grid(cast))
    patrol = patrols.patrol_start(actor=cast.grid_worker, grid=my_grid(cast))
    with pytest.raises(PermissionDenied):
        patrols.patrol_finish(actor=cast.informant, round_id=patrol.pk)


def test_patrol_pages_and_the_track_endpoint(cast):
    client = login(cast.grid_worker)
    resp = client.post("/incidents/patrols/start/", {"grid": my_grid(cast).pk})
    patrol = PatrolRound.objects.get(user=cast.grid_worker, ended_at__isnull=True)
    assert resp["Location"].endswith(f"/incidents/patrols/{patrol.pk}/")
    page = client.get(resp["Location"]).content.decode()
    assert "巡查事项" in page and "沿街垃圾是否及时清运" in page
    ok = client.post(f"/incidents/patrols/{patrol.pk}/track/", json.dumps([{"lon": 120.3, "lat": 31.8}]),
                     content_type="application/json")
    assert ok.json() == {"points": 1}
    bad = client.post(f"/incidents/patrols/{patrol.pk}/track/", "nope", content_type="application/json")
    assert bad.status_code == 400
    assert login(cast.outsider).get(f"/incidents/patrols/{patrol.pk}/").status_code == 404
    assert login(cast.town_leader).get(f"/incidents/patrols/{patrol.pk}/").status_code == 200


def test_the_demo_has_a_week_of_patrols():
    assert PatrolRound.objects.filter(ended_at__isnull=False, distance_m__gt=0).exists()
    assert PatrolItem.objects.filter(town__name="徐霞客镇").count() == 20
