"""The dashboard's rollups: figures for any period and area equal a direct count of the incidents,
whether the fresh rows have been folded or not, and every area is resolved through the viewer's
jurisdiction (outside reads exactly like missing)."""

import datetime as dt
import re

import pytest
from django.http import QueryDict
from django.utils import timezone

from shanzhi.accounts.models import Department
from shanzhi.command import board, facts, indicators, selectors
from shanzhi.command.models import Fact
from shanzhi.geo.models import Grid, Region
from shanzhi.incidents.models import Incident, IncidentClass
from shanzhi.incidents.services import loop

from .conftest import login

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def _period(first: dt.date, last: dt.date):
    return (dt.datetime.combine(first, dt.time(0), tzinfo=TZ),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=TZ))


def _periods():
    today = timezone.localdate()
    first_of_month = today.replace(day=1)
    prev_month_end = first_of_month - dt.timedelta(days=1)
    return [_period(today, today), _period(today - dt.timedelta(days=6), today),
            _period(today - dt.timedelta(days=29), today),  # crosses a month boundary
            _period(prev_month_end.replace(day=1), prev_month_end),  # a whole month from the month rows
            _period(today - dt.timedelta(days=400), today)]


def _areas(xxk):
    village = Region.objects.filter(parent=xxk, level=Region.Level.VILLAGE).order_by("code").first()
    grid = Grid.objects.filter(town=xxk, level=2).order_by("code").first()
    busiest = (Incident.objects.filter(town=xxk).exclude(department=None).values_list("department__code", flat=True)
               .order_by("department__code").first())
    major = IncidentClass.objects.filter(parent__isnull=True).order_by("code").first()
    sub = IncidentClass.objects.filter(parent=major).order_by("code").first()
    return [{}, {"town": xxk.code}, {"village": village.code}, {"grid": grid.code}, {"dept": busiest},
            {"town": xxk.code, "dept": busiest}, {"cls": major.code}, {"town": xxk.code, "cls": sub.code}]


def _get(d: dict) -> QueryDict:
    q = QueryDict(mutable=True)
    q.update(d)
    return q


def _direct(area, start, end, now):
    return indicators.compute(Incident.objects.filter(area.incidents), start, end, now)


def test_rollup_figures_equal_a_direct_count_for_every_period_and_area(cast, xxk):
    now = timezone.now()
    assert Fact.objects.exists()  # the demo's history was played through the services
    for params in _areas(xxk):
        area = board.resolve(cast.county_leader, _get(params))
        assert area.fact is not None, params
        for start, end in _periods():
            got = board.figures(cast.county_leader, area, start, end, now)
            want = _direct(area, start, end, now)
            assert got["indicators"] == want["indicators"], (params, start, end)
            assert got["avg_handle_hours"] == want["avg_handle_hours"], (params, start, end)


def test_folding_and_rebuilding_change_no_figure(cast, xxk):
    now = timezone.now()
    start, end = _periods()[2]
    area = board.resolve(cast.county_leader, _get({"town": xxk.code}))
    def shown():
        f = board.figures(cast.county_leader, area, start, end, now)
        return f["indicators"], f["avg_handle_hours"]

    before = shown()
    facts.compact()
    assert not Fact.objects.filter(fresh=True).exists()
    assert shown() == before
    folded = sorted(Fact.objects.values_list("grain", "day", "dim", "key", "town", *facts.FACT_COUNTERS))
    facts.rebuild()
    rebuilt = sorted(Fact.objects.values_list("grain", "day", "dim", "key", "town", *facts.FACT_COUNTERS))
    assert folded == rebuilt  # what every save recorded equals what the incidents say
    assert shown() == before


def test_a_move_shows_at_once_without_any_job(cast, xxk):
    start, end = _periods()[0]
    area = board.resolve(cast.county_leader, _get({"town": xxk.code}))
    from .test_incident_loop import report

    def figures():
        return {i["key"]: i["numerator"] for i in board.figures(cast.county_leader, area, start, end)["indicators"]}

    base = figures()
    inc = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=inc.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=inc.pk, department=Department.objects.get(code="JY-CG"))
    loop.incident_accept(actor=cast.dept_handler, incident_id=inc.pk)
    loop.incident_reply(actor=cast.dept_handler, incident_id=inc.pk, note="已清理")
    loop.incident_verify(actor=cast.informant, incident_id=inc.pk, passed=True)
    after = figures()
    assert after["registered"] == base["registered"] + 1 and after["close_rate"] == base["close_rate"] + 1
    loop.incident_rate(token=Incident.objects.get(pk=inc.pk).rating_token, level=5)
    assert figures()["satisfaction_rate"] == after["satisfaction_rate"] + 1


def test_trend_and_rankings_from_the_rollups_equal_the_direct_ones(cast, xxk):
    for params in ({}, {"town": xxk.code}):
        area = board.resolve(cast.county_leader, _get(params))
        qs = Incident.objects.filter(area.incidents)
        for start, end in _periods()[1:4]:
            assert board.trend(cast.county_leader, area, start, end) == selectors.trend(qs, start, end)
            got = board.rankings(cast.county_leader, area, start, end)
            want = selectors.rankings(qs, start, end)
            assert got["classes"] == want["classes"]
            assert [r["n"] for r in got["grids"]] == [r["n"] for r in want["grids"]]
            assert got["departments"] == want["departments"]
            assert got["grids"] == want["grids"]


def test_an_area_outside_the_jurisdiction_reads_exactly_like_a_missing_one(cast, xxk, huashi):
    from django.core.exceptions import ValidationError

    other_grid = Grid.objects.filter(town=huashi).first()
    other_village = Region.objects.filter(parent=huashi).first()
    for key, outside in (("town", huashi.code), ("grid", other_grid.code), ("village", other_village.code)):
        with pytest.raises(ValidationError) as out:
            board.resolve(cast.town_leader, _get({key: outside}))
        with pytest.raises(ValidationError) as missing:
            board.resolve(cast.town_leader, _get({key: "NO-SUCH-CODE"}))
        assert out.value.message_dict == missing.value.message_dict
    client = login(cast.town_leader)
    a = client.get(f"/center/?grid={other_grid.code}")
    b = client.get("/center/?grid=NOPE")
    assert a.status_code == b.status_code == 400
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub("", a.content.decode()) == strip.sub("", b.content.decode())


def test_a_viewer_who_sees_part_of_an_area_is_counted_from_their_own_cases(cast, xxk):
    start, end = _periods()[2]
    chief = cast.grid_chief
    area = board.resolve(chief, _get({}))
    assert area.fact is None  # a grid chief does not see the whole county: no rollup
    mine = board.figures(chief, area, start, end)
    direct = indicators.compute(selectors.scoped_incidents(chief), start, end)
    assert mine["indicators"] == direct["indicators"]
    county = board.figures(cast.county_leader, board.resolve(cast.county_leader, _get({})), start, end)
    assert mine["counts"]["registered"] < county["counts"]["registered"]


def test_the_dashboard_for_last_quarter_and_a_village_matches_a_direct_count(cast, xxk):
    client = login(cast.county_leader)
    today = timezone.localdate()
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_end = q_start - dt.timedelta(days=1)
    last_start = dt.date(last_end.year, 3 * ((last_end.month - 1) // 3) + 1, 1)
    page = client.get("/center/").content.decode()
    assert f"from={last_start}&amp;to={last_end}" in page  # the 上季度 link
    village = Region.objects.filter(parent=xxk, level=Region.Level.VILLAGE).order_by("code").first()
    html = client.get(f"/center/?town={xxk.code}&village={village.code}&from={last_start}&to={last_end}",
                      HTTP_HX_REQUEST="true").content.decode()
    shown = int(re.search(r'data-key="registered"><b><a [^>]*>(\d+)</a>', html).group(1))
    start, end = _period(last_start, last_end)
    assert shown == Incident.objects.filter(region=village, registered_at__gte=start, registered_at__lt=end).exclude(
        status__in=["voided", "merged"]).count()
    drill = client.get(f"/center/drill/registered/?town={xxk.code}&village={village.code}&from={last_start}"
                       f"&to={last_end}").content.decode()
    assert f"共 {shown} 件" in drill
    assert f"立案事件 · {xxk.name} · {village.name}" in drill  # the heading names the subset, not its key
    assert set(indicators.SUBSET_LABELS) == set(indicators.definitions(timezone.now()))


def test_bad_area_or_period_is_refused_with_a_reason(cast):
    client = login(cast.county_leader)
    resp = client.get("/center/?dept=NOPE")
    assert resp.status_code == 400 and "找不到该部门" in resp.content.decode()
    resp = client.get("/center/?from=2026-01-01&to=2025-01-01")
    assert resp.status_code == 400 and "结束日期不能早于开始日期" in resp.content.decode()
    resp = client.get("/center/export.xlsx?cls=NOPE")
    assert resp.status_code == 400
    # A count of days in full-width or other scripts' digits is not a number our forms send.
    for days in ("３", "٣", "1_0", "30.0"):
        resp = client.get("/center/", {"days": days})
        assert resp.status_code == 400 and "应为整数" in resp.content.decode(), days
    assert client.get("/center/", {"days": " 7 "}).status_code == 200


def test_the_api_dashboard_reads_the_same_figures_and_scopes_the_town(cast, xxk, huashi):
    client = login(cast.town_leader)
    mine = client.get(f"/api/v1/dashboard?town={xxk.code}&days=30").json()
    start, end, _label = selectors.period({"days": 30})
    direct = indicators.compute(Incident.objects.filter(town=xxk), start, end)
    assert mine["indicators"] == direct["indicators"]
    outside, missing = client.get(f"/api/v1/dashboard?town={huashi.code}"), client.get(f"/api/v1/dashboard?town={huashi.code[:-3]}999")
    assert outside.status_code == missing.status_code and outside.status_code in (404, 422)
    assert outside.json()["detail"] == missing.json()["detail"]


def test_a_grid_counts_the_cells_under_it_and_a_town_keeps_its_own_offices(cast, xxk, huashi):
    from django.core.exceptions import ValidationError

    parent = next(g for g in Grid.objects.filter(town=xxk).order_by("code") if g.children.exists())
    start, end = _periods()[4]
    area = board.resolve(cast.county_leader, _get({"grid": parent.code}))
    cells = Grid.objects.filter(path__startswith=parent.path)
    want = Incident.objects.filter(grid__in=cells, registered_at__gte=start, registered_at__lt=end).exclude(
        status__in=["voided", "merged"]).count()
    assert board.figures(cast.county_leader, area, start, end)["counts"]["registered"] == want
    office = Department.objects.filter(region=huashi).first()
    with pytest.raises(ValidationError):
        board.resolve(cast.county_leader, _get({"town": xxk.code, "dept": office.code}))


def test_the_api_dashboard_is_for_the_same_posts_as_the_page(cast):
    assert login(cast.window_clerk).get("/api/v1/dashboard").status_code == 403
    assert login(cast.county_leader).get("/api/v1/dashboard").status_code == 200
