"""The what-if staffing simulator: calibration from a known history, the model's behaviour, the page."""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from shanzhi.accounts.models import Department, Post, User
from shanzhi.accounts.roles import Role
from shanzhi.command import indicators, whatif
from shanzhi.geo.models import Grid, Region
from shanzhi.incidents.models import Incident
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.notify.services import suppressed

from .conftest import login

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
# Four weeks of March 2025 (no public holiday), far from the tiny demo's own recent history.
START = dt.datetime(2025, 3, 3, tzinfo=TZ)
END = dt.datetime(2025, 3, 31, tzinfo=TZ)
PER_DAY = 4
REPLY_AT = [(10, 0), (11, 0), (14, 0), (16, 0)]  # one handler, the day's four cases one after another


class _Built(Exception):
    def __init__(self, value):
        self.value = value


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _build_history():
    """Every working day four reports at 8:40, registered at 8:50 and dispatched at 9:00 to one
    handler, who replies to them one after another; every 10th case is returned once first,
    every 8th gets one more working day, every 5th fails its first verification."""
    town = Region.objects.get(name="徐霞客镇")
    dispatcher = User.objects.get(username="dispatcher")
    dept = Department.objects.create(code="T-WHATIF", name="测试城管办", region=town)
    handler = User.objects.create(username="whatif_handler", display_name="测试处置员")
    Post.objects.create(user=handler, role=Role.DEPT_HANDLER, department=dept)
    grid = Grid.objects.filter(town=town, level=2).order_by("code").first()
    facts = {"cases": 0, "returns": 0, "extensions": 0, "fails": 0, "dept": dept.pk, "town": town.pk}
    day, n = START.date(), 0
    with suppressed():
        while day < END.date():
            if day.weekday() < 5:
                for k in range(PER_DAY):
                    n += 1
                    inc, _new = incident_report(actor=None, source="hotline", description=f"测试暴露垃圾 {n}",
                                                subclass_code="0101", lon=grid.center_lon + k * 0.0008,
                                                lat=grid.center_lat, reporter_name="12345",
                                                reported_at=_at(day, 8, 40 + k))
                    loop.incident_register(actor=dispatcher, incident_id=inc.pk, at=_at(day, 8, 50 + k))
                    loop.incident_dispatch(actor=dispatcher, incident_id=inc.pk, department=dept.pk,
                                           at=_at(day, 9, 5 * k))
                    if n % 10 == 0:
                        loop.incident_return(actor=handler, incident_id=inc.pk, reason="先退回核实",
                                             at=_at(day, 9, 5 * k + 2))
                        loop.incident_dispatch(actor=dispatcher, incident_id=inc.pk, department=dept.pk,
                                               at=_at(day, 9, 5 * k + 3))
                        facts["returns"] += 1
                    loop.incident_accept(actor=handler, incident_id=inc.pk, at=_at(day, 9, 5 * k + 4))
                    if n % 8 == 0:
                        req = loop.incident_request_extension(actor=handler, incident_id=inc.pk, amount=1,
                                                              unit="working_days", reason="需协调", at=_at(day, 9, 30))
                        loop.incident_decide_extension(actor=dispatcher, incident_id=inc.pk, request_id=req.pk,
                                                       approve=True, at=_at(day, 9, 31))
                        facts["extensions"] += 1
                    loop.incident_reply(actor=handler, incident_id=inc.pk, note="已清运", at=_at(day, *REPLY_AT[k]))
                    verify = _at(day, *REPLY_AT[k]) + dt.timedelta(minutes=30)
                    if n % 5 == 0:
                        loop.incident_verify(actor=dispatcher, incident_id=inc.pk, passed=False, note="仍有残留",
                                             at=verify)
                        loop.incident_accept(actor=handler, incident_id=inc.pk, at=verify + dt.timedelta(minutes=5))
                        loop.incident_reply(actor=handler, incident_id=inc.pk, note="已彻底清理",
                                            at=_at(day, 17, 0))
                        verify = _at(day, 17, 20)
                        facts["fails"] += 1
                    loop.incident_verify(actor=dispatcher, incident_id=inc.pk, passed=True, at=verify)
                    facts["cases"] += 1
            day += dt.timedelta(days=1)
    return facts


@pytest.fixture(scope="module")
def synthetic(django_db_setup, django_db_blocker):
    """The calibration of the known history (built once, then rolled back)."""
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                facts = _build_history()
                figures = indicators.compute(Incident.objects.filter(town_id=facts["town"]), START, END, now=END)
                facts["actual"] = {i["key"]: i["value"] for i in figures["indicators"]}
                raise _Built((whatif.calibrate(START, END, town=facts["town"]), facts))
        except _Built as built:
            return built.value


def test_calibration_recovers_the_known_history(synthetic):
    calib, facts = synthetic
    assert calib.cases == facts["cases"] == 80
    # Four arrivals in the 8 o'clock hour of each working day, none at any other time.
    assert calib.arrivals["work"][8] == pytest.approx(PER_DAY)
    assert sum(calib.arrivals["work"]) == pytest.approx(PER_DAY) and sum(calib.arrivals["rest"]) == 0
    dept = calib.department(facts["dept"])
    assert dept is not None and dept.staff == 1 and not dept.shared
    rounds = facts["cases"] + facts["returns"] + facts["fails"]
    assert dept.rounds == rounds
    assert dept.p_return == pytest.approx(facts["returns"] / rounds)
    assert dept.return_hours == [pytest.approx(2 / 60, abs=1e-3)] * facts["returns"]
    assert dept.p_extend == pytest.approx(facts["extensions"] / rounds)
    assert {tuple(e) for e in dept.extensions} == {(1.0, "working_days")}
    assert dept.p_rework == pytest.approx(facts["fails"] / (facts["cases"] + facts["fails"]))
    assert dept.p_shelve == 0
    # The centre registers and dispatches ten minutes after, never late.
    assert {(round(h, 3), late) for h, late in calib.register} == {(round(1 / 6, 3), 0)}
    assert {round(h, 3) for h, _late in calib.dispatch} == {round((10 + 4 * k) / 60, 3) for k in range(PER_DAY)}
    assert {round(h, 3) for h, _late in calib.redispatch} == {round(1 / 60, 3)}
    [group] = calib.classes
    assert group.code == "0101" and group.routes == [[dept.id, facts["cases"]]]
    assert group.reroutes == [[dept.id, facts["returns"]]]
    assert calib.subclasses[0].limits["handle"] == [4.0, "working_hours"]
    # Handlers act only in the office hours where the history has them act.
    assert calib.duty_source == "steps"
    assert calib.duty["work"][10] and calib.duty["work"][16] and not calib.duty["work"][3]
    assert not any(calib.duty["rest"])
    # The day's cases wait for the one handler, one case at a time: an hour of work each (in its
    # duty hours), the rest of their durations is waiting.
    assert dept.concurrency == 1 and dept.inconsistent == 0
    # (a rework that comes back late in the day gets the handler's last half hour)
    assert sorted(dept.work)[len(dept.work) // 2] == pytest.approx(1.0, abs=0.02) and max(dept.work) <= 1.02
    assert not dept.relative
    # The extension is asked by the day's last case, which would otherwise miss its deadline.
    assert dept.p_extend_late > 0.3 and dept.p_extend_on_time == 0
    assert dept.work_share < 0.5
    # the day's 16:00 reply is late unless extended, so are late reworks
    assert dept.on_time_observed == pytest.approx(facts["actual"]["on_time_handle_rate"], abs=5)
    # Nothing is open at the end.
    assert calib.backlog == []


def test_a_calibration_is_plain_json(synthetic):
    calib, _facts = synthetic
    data = json.loads(json.dumps(calib.to_dict()))
    assert whatif.Calibration.from_dict(data) == calib


def test_with_todays_staff_the_model_reproduces_the_history(synthetic):
    calib, facts = synthetic
    p = whatif.simulate(calib, days=28, runs=6, seed=2)
    assert p.overall["on_time_handle_rate"].p50 == pytest.approx(facts["actual"]["on_time_handle_rate"], abs=5)
    assert p.overall["on_time_close_rate"].p50 == pytest.approx(facts["actual"]["on_time_close_rate"], abs=5)
    assert p.overall["registered"].p50 == pytest.approx(facts["cases"], abs=4)


def test_more_staff_never_predicts_a_lower_on_time_rate(synthetic):
    calib, facts = synthetic
    results = [whatif.simulate(calib, staff={facts["dept"]: n}, days=20, runs=8, seed=3) for n in (1, 2, 3, 5)]
    handle = [r.overall["on_time_handle_rate"].p50 for r in results]
    close = [r.overall["on_time_close_rate"].p50 for r in results]
    wait = [r.overall["wait_hours"].p50 for r in results]
    assert all(b >= a - 0.5 for a, b in zip(handle, handle[1:], strict=False)), handle
    assert all(b >= a - 0.5 for a, b in zip(close, close[1:], strict=False)), close
    assert all(b <= a + 1e-9 for a, b in zip(wait, wait[1:], strict=False)), wait
    assert handle[-1] > handle[0]  # the queue of the one handler was real
    assert results[1].departments[0].staff == 2 and results[1].departments[0].staff_today == 1


def test_a_longer_handling_limit_never_predicts_a_lower_on_time_rate(synthetic):
    calib, _facts = synthetic
    base = whatif.simulate(calib, days=20, runs=6, seed=5)
    longer = whatif.simulate(calib, class_limits={"0101": 12}, days=20, runs=6, seed=5)
    assert longer.overall["on_time_handle_rate"].p50 >= base.overall["on_time_handle_rate"].p50
    assert longer.class_limits == {"0101": 12.0}


def test_the_same_seed_gives_the_same_answer(synthetic):
    calib, _facts = synthetic
    a, b = (whatif.simulate(calib, days=15, runs=4, seed=11).to_dict() for _ in range(2))
    a.pop("seconds"), b.pop("seconds")
    assert a == b
    c = whatif.simulate(calib, days=15, runs=4, seed=12).to_dict()
    c.pop("seconds")
    assert c != a


def test_the_prediction_has_bands_per_department_and_a_daily_backlog(synthetic):
    calib, facts = synthetic
    p = whatif.simulate(calib, days=10, runs=5, seed=1)
    band = p.overall["on_time_handle_rate"]
    assert band.p10 <= band.p50 <= band.p90
    assert [d.id for d in p.departments] == [facts["dept"]]
    assert len(p.backlog["dates"]) == len(p.backlog["p50"]) == 10
    assert p.overall["registered"].p50 == pytest.approx(PER_DAY * 8, abs=12)  # 8 working days in 10


def test_bad_scenarios_are_refused(synthetic):
    calib, facts = synthetic
    for kwargs in ({"staff": {facts["dept"]: 0}}, {"staff": {facts["dept"]: 51}}, {"staff": {-5: 2}},
                   {"days": 91}, {"class_limits": {"0101": -1}}):
        with pytest.raises(ValueError):
            whatif.simulate(calib, **({"days": 5} | kwargs))


# --------------------------------------------------------------------------- the page
@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("simulated on bad input")

    monkeypatch.setattr(whatif, "simulate", refuse)


def _dept_of(town_code: str):
    from shanzhi.command.whatif_views import _calibration

    town = Region.objects.get(code=town_code)
    calib = _calibration(town, *_window())
    return calib.departments[0]


def _window():
    from django.utils import timezone

    end = dt.datetime.combine(timezone.localdate(), dt.time(0), tzinfo=TZ)
    return end - dt.timedelta(days=60), end


def test_the_page_is_for_the_dashboards_viewers_only(cast, client):
    assert client.get("/center/whatif/").status_code == 302  # to the login
    assert login(cast.citizen).get("/center/whatif/").status_code == 403
    assert login(cast.grid_worker).get("/center/whatif/").status_code == 403
    page = login(cast.town_leader).get("/center/whatif/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "人员配置推演" in html and "推演结果" not in html  # the form, nothing simulated yet
    assert 'name="staff_' in html and "<label" in html


def test_a_town_outside_the_scope_looks_exactly_like_a_missing_one(cast, huashi):
    client = login(cast.town_leader)
    outside = client.get(f"/center/whatif/?town={huashi.code}&run=1")
    missing = client.get("/center/whatif/?town=999999999999&run=1")
    assert outside.status_code == missing.status_code == 404
    def body(response):  # the same page but for the per-request CSRF tokens
        return re.sub(rb'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*"', b"", response.content)

    assert body(outside) == body(missing)
    assert login(cast.county_leader).get(f"/center/whatif/?town={huashi.code}").status_code == 200


def test_bad_input_is_refused_beside_the_field_and_nothing_is_simulated(cast, xxk, huashi, no_simulation):
    client = login(cast.town_leader)
    dept = _dept_of(xxk.code)
    other_town_office = Department.objects.filter(region=huashi).first()
    cases = [
        (f"staff_{dept.id}=-1", "处置人员数不能为负数"),
        (f"staff_{dept.id}=abc", "处置人员数应为整数"),
        (f"staff_{dept.id}=2.5", "处置人员数应为整数"),
        (f"staff_{dept.id}=51", "处置人员数不能超过 50 人"),
        (f"staff_{dept.id}=" + "9" * 5000, "处置人员数不能超过 50 人"),
        (f"staff_{dept.id}=", "请填写处置人员数"),
        (f"staff_{dept.id}=0", "处置人员数至少为 1 人"),
        ("days=91", "预测天数应在 1 至 90 天之间"),
        ("days=x", "预测天数应为整数"),
        ("window=5", "校准期应在 14 至 180 天之间"),
        ("staff_99999999=3", "部门编号 99999999 不存在"),
        (f"staff_{other_town_office.pk}=3", "该部门不是本镇（街道）事件的处置部门"),
        ("limit_0101=-2", "处置时限应为数字（工作时）"),
        ("limit_0101=9999", "处置时限应大于 0、不超过 2000 工作时"),
    ]
    for query, message in cases:
        page = client.get(f"/center/whatif/?town={xxk.code}&run=1&{query}")
        assert page.status_code == 400, query
        html = page.content.decode()
        assert message in html, query
        assert 'aria-invalid="true"' in html or "role=\"alert\"" in html
        assert "推演结果" not in html


def test_a_normal_run_shows_predicted_and_actual_figures(cast, xxk):
    client = login(cast.town_leader)
    dept = _dept_of(xxk.code)
    page = client.get(f"/center/whatif/?town={xxk.code}&days=14&run=1&staff_{dept.id}={dept.staff + 1}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "推演结果" in html and "按期处置率" in html and "按期结案率" in html
    assert "%" in html and "<svg" in html and "10%–90%" in html
    assert f"{dept.staff} → <b>{dept.staff + 1}</b>" in html
    assert f'value="{dept.staff + 1}"' in html  # the shared link keeps the scenario


def test_a_department_viewer_sees_only_its_own_departments_rows(cast, xxk):
    client = login(cast.dept_handler)
    page = client.get(f"/center/whatif/?town={xxk.code}&days=7&run=1")
    assert page.status_code == 200
    own = set(Post.objects.filter(user=cast.dept_handler, role=Role.DEPT_HANDLER)
              .values_list("department_id", flat=True))
    fields = {int(part.split('"')[0]) for part in page.content.decode().split('name="staff_')[1:]}
    assert fields and fields <= own



