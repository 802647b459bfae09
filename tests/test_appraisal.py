import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shanzhi.command.appraisal import appraise
from shanzhi.command.models import AppraisalResult, AppraisalScheme
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import Incident, IncidentClass

from .conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_months(settings):
    settings.APPRAISAL_MIN_CASES = 1
TZ = ZoneInfo("Asia/Shanghai")
MONTH = dt.date(2026, 3, 1)  # outside the demo history's window


def case(grid, n, status, rework=0):
    at = dt.datetime(2026, 3, 10, 9, tzinfo=TZ)
    return Incident.objects.create(
        number=f"AP{grid.pk}{n}", source="patrol", subclass=IncidentClass.objects.get(code="0101"), description="x",
        grid=grid, region=grid.region, town=grid.town, reported_at=at, registered_at=at, dispatched_at=at,
        dispatch_due=at + dt.timedelta(hours=2), handle_due=at + dt.timedelta(days=1), status=status,
        closed_at=at + dt.timedelta(hours=5) if status == "closed" else None, rework_count=rework)


def test_scores_follow_the_weights_and_rank_the_grids():
    AppraisalScheme.objects.create(target="grid", weights={"close_rate": 50, "rework_rate": 50})
    a, b = Grid.objects.filter(level=2, town__name="徐霞客镇").order_by("code")[:2]
    case(a, 1, "closed")
    case(a, 2, "closed")
    case(b, 1, "closed", rework=1)
    case(b, 2, "handling")  # past its deadline on the month's end: due, not closed
    appraise(MONTH)
    rows = {r.object_id: r for r in AppraisalResult.objects.filter(month=MONTH, target="grid")}
    assert float(rows[a.pk].score) == 100.0 and rows[a.pk].rank == 1
    assert float(rows[b.pk].score) == 50.0 and rows[b.pk].rank == 2
    assert rows[b.pk].details["rework_rate"]["value"] == 50.0


def test_recomputing_replaces_the_month(cast):
    a = Grid.objects.filter(level=2, town__name="徐霞客镇").order_by("code").first()
    case(a, 1, "closed")
    appraise(MONTH)
    appraise(MONTH)
    assert AppraisalResult.objects.filter(month=MONTH, target="grid", object_id=a.pk).count() == 1


def test_the_league_table_page_is_scoped_and_exports(cast, huashi):
    a = Grid.objects.filter(level=2, town__name="徐霞客镇").order_by("code").first()
    h = Grid.objects.filter(level=2, town=huashi).first()
    case(a, 1, "closed")
    case(h, 1, "closed")
    appraise(MONTH)
    page = login(cast.town_leader).get("/center/appraisal/?target=grid&month=2026-03").content.decode()
    assert page.count("appraisal-row") == 1
    assert login(cast.county_leader).get("/center/appraisal/?target=grid&month=2026-03").content.decode().count(
        "appraisal-row") == 2
    resp = login(cast.town_leader).get("/center/appraisal/?target=grid&month=2026-03&format=xlsx")
    assert resp["Content-Type"].startswith("application/vnd.openxml")
    assert login(cast.grid_worker).post("/center/appraisal/?month=2026-03").status_code == 403


def test_too_few_cases_are_not_ranked(settings):
    settings.APPRAISAL_MIN_CASES = 2
    a, b = Grid.objects.filter(level=2, town__name="徐霞客镇").order_by("code")[:2]
    case(a, 1, "closed")
    case(b, 1, "closed")
    case(b, 2, "closed")
    appraise(MONTH)
    ranked = set(AppraisalResult.objects.filter(month=MONTH, target="grid").values_list("object_id", flat=True))
    assert b.pk in ranked and a.pk not in ranked
