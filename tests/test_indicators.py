"""Dashboard figures equal hand-computed values on a fixed dataset."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shanzhi.command import indicators
from shanzhi.incidents.models import Incident, IncidentClass

from .conftest import login

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
START, END = dt.datetime(2026, 11, 1, tzinfo=TZ), dt.datetime(2026, 11, 21, tzinfo=TZ)
H = dt.timedelta(hours=1)


def make(number, status, *, registered, dispatched=None, replied=None, **kw):
    sub = IncidentClass.objects.get(code="0101")
    return Incident.objects.create(
        number=f"T{number}", source="patrol", subclass=sub, description=number, reported_at=registered - H,
        registered_at=registered, status=status, dispatch_due=registered + 2 * H, dispatched_at=dispatched,
        replied_at=replied, handle_due=kw.pop("handle_due", (dispatched + 24 * H) if dispatched else None),
        closed_at=kw.pop("closed_at", replied), **kw)


@pytest.fixture
def dataset():
    d = dt.datetime(2026, 11, 10, 9, 0, tzinfo=TZ)
    make("A", "closed", registered=d, dispatched=d + H, replied=d + 3 * H, rating=5)
    make("B", "archived", registered=d, dispatched=d + 3 * H, replied=d + 7 * H, rating=2, ran_late=True,
         handled_late=True, rework_count=1, returned_count=1)
    make("C", "handling", registered=d, dispatched=d + H, handle_due=NOW - H, extended=True)
    make("D", "handling", registered=d, dispatched=d + H, handle_due=NOW + 48 * H)
    make("E", "shelved", registered=d, dispatched=d + H)
    make("F", "registered", registered=d)
    make("G", "voided", registered=d)
    make("H", "closed", registered=dt.datetime(2026, 10, 1, tzinfo=TZ), dispatched=dt.datetime(2026, 10, 1, 2, tzinfo=TZ),
         replied=dt.datetime(2026, 10, 1, 5, tzinfo=TZ))
    return Incident.objects.filter(number__startswith="T")


def test_every_indicator_matches_the_hand_computed_value(dataset):
    figures = indicators.compute(dataset, START, END, now=NOW)
    values = {i["key"]: (i["value"], i["numerator"], i["denominator"]) for i in figures["indicators"]}
    # 应处置数 follows the same rule as 应结案数: the shelved E and the not-yet-due D are not due;
    # 应派遣数 counts F, still waiting past its dispatch deadline.
    assert values == {
        "registered": (6, 6, None),
        "close_rate": (50.0, 2, 4),
        "on_time_close_rate": (25.0, 1, 4),
        "rework_rate": (25.0, 1, 4),
        "handle_rate": (66.7, 2, 3),
        "on_time_handle_rate": (33.3, 1, 3),
        "extension_rate": (33.3, 1, 3),
        "overdue_open_rate": (33.3, 1, 3),
        "timely_dispatch_rate": (66.7, 4, 6),
        "accurate_dispatch_rate": (66.7, 2, 3),
        "satisfaction_rate": (50.0, 1, 2),
    }
    assert figures["avg_handle_hours"] == 3.0


def test_drill_down_lists_exactly_the_cases_behind_a_figure(dataset):
    numbers = set(indicators.drill(dataset, "due_to_close", START, END, now=NOW).values_list("number", flat=True))
    assert numbers == {"TA", "TB", "TC", "TF"}
    assert set(indicators.drill(dataset, "overdue_open", START, END, now=NOW).values_list("number", flat=True)) == {"TC"}


def test_an_empty_denominator_shows_no_rate():
    figures = indicators.compute(Incident.objects.none(), START, END, now=NOW)
    assert all(i["value"] in (None, 0) for i in figures["indicators"])


def test_the_dashboard_page_and_its_export(cast):
    client = login(cast.town_leader)
    page = client.get("/center/?days=30").content.decode()
    assert "结案率" in page and "按期结案率" in page and "满意率" in page
    resp = client.get("/center/export.xlsx?days=30")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxml")
    assert client.get("/center/drill/closed/?days=30").status_code == 200
    assert client.get("/center/drill/nonsense/").status_code == 404
    assert login(cast.citizen).get("/center/").status_code == 403


def test_the_dashboard_moves_when_a_case_closes(cast):
    from shanzhi.accounts.models import Department
    from shanzhi.incidents.services import loop

    from .test_incident_loop import report

    client = login(cast.town_leader)

    def closed_count():
        html = client.get("/center/?days=1", HTTP_HX_REQUEST="true").content.decode()
        import re

        return int(re.search(r'drill/closed/\?days=1">(\d+)</a>', html).group(1))

    before = closed_count()
    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=Department.objects.get(code="JY-CG"))
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="好了")
    loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=True)
    assert closed_count() == before + 1
