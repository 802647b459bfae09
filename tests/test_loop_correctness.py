"""Loop correctness (issue 12): a scan that never stops, system marks that never break people's
work, clocks that count right, indicators from what happened, every move audited and scoped."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from shanzhi.accounts.models import Department, User
from shanzhi.cases.errors import Conflict
from shanzhi.cases.kinds import KINDS
from shanzhi.cases.models import Timer
from shanzhi.cases.scan import scan_timers
from shanzhi.command import appraisal, indicators
from shanzhi.common.models import AuditLog
from shanzhi.common.workcal import WorkingCalendar
from shanzhi.incidents.models import ExtensionRequest, Incident
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import MOVES, Status

from .conftest import login
from .test_incident_loop import home_grid

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MON = dt.datetime(2026, 11, 9, tzinfo=TZ)  # an ordinary working week


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    return MON + dt.timedelta(days=day, hours=hh, minutes=mm)


def report(cast, when, **kw) -> Incident:
    grid = home_grid(cast)
    args = {"actor": cast.informant, "source": "patrol", "description": "马镇社区路边有一堆暴露垃圾",
            "subclass_code": "0101", "lon": grid.center_lon, "lat": grid.center_lat, "reported_at": when} | kw
    return incident_report(**args)[0]


def town_office(xxk, suffix="ZF"):
    dept = Department.objects.get(code__endswith=f"-{suffix}", region=xxk)
    handler = User.objects.filter(posts__department=dept, posts__role="dept_handler").first()
    return dept, handler


def steps(incident):
    return list(incident.steps.order_by("at", "id").values_list("action", flat=True))


# --------------------------------------------------------------------------- 1. the scan never stops
def test_a_case_waiting_for_registration_past_its_deadline_is_marked_and_supervised(cast):
    incident = report(cast, at(0, 9))
    counts = scan_timers(now=incident.register_due + dt.timedelta(minutes=1))
    assert counts["failed"] == 0
    assert steps(incident)[-2:] == ["overdue", "supervise"]
    notified = set(incident_outbox(incident, "supervise"))
    assert cast.dispatcher.pk in notified  # the center holds a case waiting to be registered


def incident_outbox(incident, topic):
    from shanzhi.notify.models import Outbox

    return Outbox.objects.filter(object_ref=f"incident:{incident.pk}", topic=topic).values_list("user_id", flat=True)


def test_a_scan_with_one_failing_case_still_handles_all_others(cast, monkeypatch):
    waiting = report(cast, at(0, 9))
    registered = report(cast, at(0, 9, 5), description="路灯不亮", subclass_code="0802")
    loop.incident_register(actor=cast.dispatcher, incident_id=registered.pk, at=at(0, 9, 10))
    handling = report(cast, at(0, 9, 15), description="井盖缺失", subclass_code="0801")
    loop.incident_register(actor=cast.dispatcher, incident_id=handling.pk, at=at(0, 9, 20))
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=handling.pk, department_code="JY-CG", at=at(0, 9, 25))
    broken = report(cast, at(0, 9, 30), description="占道经营", subclass_code="0104")
    kind = KINDS["incident"]
    original = kind.timer_overdue

    def failing(case, timer, now):
        if case.pk == broken.pk:
            raise RuntimeError("boom")
        return original(case, timer, now)

    monkeypatch.setattr(kind, "timer_overdue", failing)
    counts = scan_timers(now=at(3, 9))
    assert counts["failed"] == 1
    for case in (waiting, registered, handling):
        assert "overdue" in steps(case), case.number
    assert "overdue" not in steps(broken)
    bad = Timer.objects.get(kind="incident", case_id=broken.pk, stopped_at__isnull=True)
    assert bad.scan_errors == 1 and "boom" in bad.last_error and bad.overdue_at is None
    # The next scan tries the failed one again; the others are not marked twice.
    monkeypatch.setattr(kind, "timer_overdue", original)
    assert scan_timers(now=at(3, 9, 1)) == {"warned": 0, "overdue": 1, "failed": 0}
    assert steps(handling).count("overdue") == 1


# --------------------------------------------------------------------------- 2. system marks never break people's work
def test_a_person_acting_after_a_system_warning_is_not_refused(cast):
    incident = report(cast, at(0, 9))
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk, at=at(0, 9, 5))
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department_code="JY-CG", at=at(0, 9, 10))
    seen = loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk, at=at(0, 9, 20))
    opened = seen.version
    assert scan_timers(now=seen.handle_due - dt.timedelta(minutes=20))["warned"] == 1
    loop.incident_supervise(actor=cast.town_leader, incident_id=incident.pk, note="请抓紧", expected_version=opened,
                            at=seen.handle_due - dt.timedelta(minutes=15))
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="已清运", expected_version=opened,
                        at=seen.handle_due - dt.timedelta(minutes=10))
    assert Incident.objects.get(pk=incident.pk).status == Status.REPLIED


def test_every_persons_move_is_checked_against_the_version_they_saw(cast):
    incident = report(cast, at(0, 9))
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk, at=at(0, 9, 5))
    stale = Incident.objects.get(pk=incident.pk).version
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department_code="JY-CG", at=at(0, 9, 10))
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk, at=at(0, 9, 20))
    moves = [
        lambda v: loop.incident_shelve(actor=cast.dept_handler, incident_id=incident.pk, reason="缺资金", expected_version=v),
        lambda v: loop.incident_request_extension(actor=cast.dept_handler, incident_id=incident.pk, amount=1,
                                                  unit="working_days", reason="协调", expected_version=v,
                                                  at=at(0, 10)),
        lambda v: loop.incident_supervise(actor=cast.town_leader, incident_id=incident.pk, note="快", expected_version=v),
        lambda v: loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="好了", expected_version=v),
    ]
    for move in moves:
        with pytest.raises(Conflict) as exc:
            move(stale)
        assert exc.value.code == "stale_version"
    assert Incident.objects.get(pk=incident.pk).status == Status.HANDLING
    assert not incident.extensions.exists()


# --------------------------------------------------------------------------- 3. clocks
def _handling(cast, when=None):
    when = when or at(0, 9)
    incident = report(cast, when)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk, at=when + dt.timedelta(minutes=5))
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department_code="JY-CG",
                           at=when + dt.timedelta(minutes=10))
    return loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk, at=when + dt.timedelta(minutes=20))


def test_a_half_day_extension_moves_the_deadline_by_half_a_working_day(cast):
    incident = _handling(cast)
    due = incident.handle_due
    req = loop.incident_request_extension(actor=cast.dept_handler, incident_id=incident.pk, amount="0.5",
                                          unit="working_days", reason="需协调环卫车辆", at=at(0, 10))
    loop.incident_decide_extension(actor=cast.dispatcher, incident_id=incident.pk, request_id=req.pk, approve=True,
                                   at=at(0, 10, 30))
    incident.refresh_from_db()
    cal = WorkingCalendar("")
    assert incident.handle_due == cal.add(due, 3.75, "working_hours")  # half of a 7.5-hour working day
    assert cal.working_hours_between(due, incident.handle_due) == pytest.approx(3.75)
    timer = Timer.objects.get(kind="incident", case_id=incident.pk, stage="handle", stopped_at__isnull=True)
    assert timer.due == incident.handle_due and timer.extensions[0]["amount"] == 0.5


def test_one_and_a_half_working_days_count_the_half(cast):
    cal = WorkingCalendar("")
    start = at(0, 10)  # Monday 10:00
    assert cal.add(start, 1, "working_days") == at(1, 17, 30)
    # Tuesday's close + 3.75 working hours: Wednesday 08:30–12:00 (3.5 h) and a quarter hour after lunch.
    assert cal.add(start, 1.5, "working_days") == at(2, 13, 45)


def test_an_extension_cannot_be_asked_for_after_the_deadline(cast):
    incident = _handling(cast)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="已超过处置期限"):
        loop.incident_request_extension(actor=cast.dept_handler, incident_id=incident.pk, amount=1,
                                        unit="working_days", reason="晚了", at=incident.handle_due + dt.timedelta(hours=1))


def test_resuming_from_the_backlog_continues_the_paused_clock(cast):
    incident = _handling(cast)  # handle due Monday 14:40 (4 working hours from 09:10)
    left = WorkingCalendar("").working_hours_between(at(0, 10), incident.handle_due)
    loop.incident_shelve(actor=cast.dept_handler, incident_id=incident.pk, reason="需列入明年预算", at=at(0, 10))
    assert scan_timers(now=at(3, 9))["overdue"] == 0  # a paused clock is never overdue
    resumed = loop.incident_resume(actor=cast.dept_handler, incident_id=incident.pk, at=at(3, 9))
    assert resumed.handle_due == WorkingCalendar("").add(at(3, 9), left, "working_hours")
    assert resumed.handle_due != WorkingCalendar("").add(at(3, 9), 4, "working_hours")  # not a fresh full limit


def test_rework_keeps_the_first_dispatch_time(cast):
    incident = _handling(cast)
    dispatched = incident.dispatched_at
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="已清运", at=at(0, 11))
    loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=False, note="还有残留", at=at(0, 15))
    incident.refresh_from_db()
    assert incident.dispatched_at == dispatched and incident.dispatched_at <= incident.dispatch_due
    assert incident.round == 2 and incident.handle_due == WorkingCalendar("").add(at(0, 15), 4, "working_hours")


def test_a_pending_extension_is_withdrawn_when_the_case_is_shelved(cast):
    incident = _handling(cast)
    req = loop.incident_request_extension(actor=cast.dept_handler, incident_id=incident.pk, amount=1,
                                          unit="working_days", reason="协调", at=at(0, 10))
    loop.incident_shelve(actor=cast.dept_handler, incident_id=incident.pk, reason="缺资金", at=at(0, 11))
    req.refresh_from_db()
    assert req.state == ExtensionRequest.State.WITHDRAWN
    loop.incident_resume(actor=cast.dept_handler, incident_id=incident.pk, at=at(1, 9))
    again = loop.incident_request_extension(actor=cast.dept_handler, incident_id=incident.pk, amount=1,
                                            unit="working_days", reason="仍需协调", at=at(1, 9, 30))
    assert again.state == ExtensionRequest.State.PENDING


# --------------------------------------------------------------------------- 4. indicators from what happened
def test_the_indicators_match_a_hand_count_over_cases_driven_through_the_loop(cast, xxk):
    wrong, wrong_handler = town_office(xxk)
    d, h, w, cg = cast.dispatcher, cast.dept_handler, cast.informant, "JY-CG"

    def through_handling(n, reported, dispatched):
        inc = report(cast, reported, description=f"第{n}件 暴露垃圾")
        loop.incident_register(actor=d, incident_id=inc.pk, at=reported + dt.timedelta(minutes=10))
        loop.incident_dispatch(actor=d, incident_id=inc.pk, department_code=cg, at=dispatched)
        loop.incident_accept(actor=h, incident_id=inc.pk, at=dispatched + dt.timedelta(minutes=10))
        return inc

    def finish(inc, replied, verified, passed=True):
        loop.incident_reply(actor=h, incident_id=inc.pk, note="已清运", at=replied)
        return loop.incident_verify(actor=w, incident_id=inc.pk, passed=passed, note="" if passed else "还有残留",
                                    at=verified)

    c1 = through_handling(1, at(0, 9), at(0, 9, 20))  # on time
    c1 = finish(c1, at(0, 11), at(0, 12))
    loop.incident_rate(token=c1.rating_token, level=5, at=at(0, 13))
    c2 = through_handling(2, at(0, 9), at(0, 9, 20))  # handled late (due Mon 14:50)
    c2 = finish(c2, at(0, 16), at(0, 16, 30))
    loop.incident_rate(token=c2.rating_token, level=1, at=at(0, 17))
    c3 = through_handling(3, at(0, 9), at(0, 9, 20))  # reworked, both rounds on time
    finish(c3, at(0, 11), at(0, 11, 30), passed=False)
    loop.incident_accept(actor=h, incident_id=c3.pk, at=at(0, 11, 40))
    finish(c3, at(0, 15), at(0, 16))
    c4 = report(cast, at(0, 9), description="第4件")  # sent to the wrong office, returned, re-sent
    loop.incident_register(actor=d, incident_id=c4.pk, at=at(0, 9, 10))
    loop.incident_dispatch(actor=d, incident_id=c4.pk, department=wrong.pk, at=at(0, 9, 20))
    loop.incident_return(actor=wrong_handler, incident_id=c4.pk, reason="不属于本部门", at=at(0, 10))
    loop.incident_dispatch(actor=d, incident_id=c4.pk, department_code=cg, at=at(0, 10, 30))
    loop.incident_accept(actor=h, incident_id=c4.pk, at=at(0, 10, 40))
    finish(c4, at(0, 13, 40), at(0, 14))
    c5 = through_handling(5, at(0, 9), at(0, 9, 20))  # shelved
    loop.incident_shelve(actor=h, incident_id=c5.pk, reason="需列入预算", at=at(0, 10))
    c6 = through_handling(6, at(0, 9), at(0, 9, 20))  # extended by half a day, replied within it
    req = loop.incident_request_extension(actor=h, incident_id=c6.pk, amount=0.5, unit="working_days",
                                          reason="协调", at=at(0, 10))
    loop.incident_decide_extension(actor=d, incident_id=c6.pk, request_id=req.pk, approve=True, at=at(0, 10, 30))
    finish(c6, at(1, 9), at(1, 9, 30))
    c7 = report(cast, at(0, 9), description="第7件")  # never dispatched, past its dispatch deadline
    loop.incident_register(actor=d, incident_id=c7.pk, at=at(0, 9, 10))
    c8 = report(cast, at(1, 10, 30), description="第8件")  # with the handler, deadline not yet come
    loop.incident_register(actor=d, incident_id=c8.pk, at=at(1, 10, 40))
    loop.incident_dispatch(actor=d, incident_id=c8.pk, department_code=cg, at=at(1, 11))
    through_handling(9, at(0, 9), at(0, 9, 20))  # with the handler, past its deadline

    now = at(1, 12)
    cohort = Incident.objects.filter(description__startswith="第")
    figures = indicators.compute(cohort, at(0, 0), at(2, 0), now=now)
    values = {i["key"]: (i["numerator"], i["denominator"]) for i in figures["indicators"]}
    assert values == {
        "registered": (9, None),
        "close_rate": (5, 7),  # 应结案 = 9 − shelved c5 − not-yet-due c8
        "on_time_close_rate": (4, 7),  # c1 c3 c4 c6 (c2 handled late)
        "rework_rate": (1, 7),
        "handle_rate": (5, 6),  # 应处置 = dispatched 8 − shelved c5 − not-yet-due c8
        "on_time_handle_rate": (4, 6),
        "extension_rate": (1, 6),
        "overdue_open_rate": (1, 6),  # c9
        "timely_dispatch_rate": (8, 9),  # c7 counts against it; c3's rework is not a late dispatch
        "accurate_dispatch_rate": (5, 6),  # c4 was returned
        "satisfaction_rate": (1, 2),
    }
    # The same figures whether or not the deadline scan ever ran; running it changes nothing.
    scan_timers(now=now)
    again = {i["key"]: (i["numerator"], i["denominator"]) for i in
             indicators.compute(cohort, at(0, 0), at(2, 0), now=now)["indicators"]}
    assert again == values


def test_a_return_is_charged_to_the_department_that_returned_it(cast, xxk):
    wrong, wrong_handler = town_office(xxk)
    inc = report(cast, at(0, 9))
    loop.incident_register(actor=cast.dispatcher, incident_id=inc.pk, at=at(0, 9, 10))
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=inc.pk, department=wrong.pk, at=at(0, 9, 20))
    loop.incident_return(actor=wrong_handler, incident_id=inc.pk, reason="不属于本部门", at=at(0, 10))
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=inc.pk, department_code="JY-CG", at=at(0, 10, 30))
    rates = appraisal._returns(at(0, 0), at(1, 0))
    assert rates[wrong.pk] == 100.0
    assert rates[Department.objects.get(code="JY-CG").pk] == 0.0
    assert "accurate_dispatch_rate" not in appraisal.DEFAULT_WEIGHTS["department"]
    assert "accurate_dispatch_rate" in appraisal.DEFAULT_WEIGHTS["center"]


# --------------------------------------------------------------------------- 5. every move audited, every write scoped
def test_system_moves_are_audited_with_what_changed(cast):
    incident = report(cast, at(0, 9))
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk, at=at(0, 9, 5))
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department_code="JY-CG", at=at(0, 9, 10))
    rows = AuditLog.objects.filter(object_type="incidents.incident", object_id=str(incident.pk)).order_by("id")
    dispatch = rows.last()
    assert dispatch.actor == cast.dispatcher
    assert dispatch.after["status"] == "dispatched" and dispatch.after["department_id"]
    assert dispatch.after["handle_due"] and dispatch.after["tier"] == "county"
    scan_timers(now=at(3, 9))
    system = AuditLog.objects.filter(object_id=str(incident.pk), actor__isnull=True, note__startswith="超期")
    assert system.exists() and system.first().actor_label == "系统"
    assert AuditLog.objects.filter(object_id=str(incident.pk), actor__isnull=True, note__startswith="督办").exists()
    assert dispatch.region_id == incident.region_id


def test_a_rating_is_audited_as_the_system_on_the_citizens_behalf(cast):
    incident = _handling(cast)
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="好", at=at(0, 11))
    closed = loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=True, at=at(0, 12))
    loop.incident_rate(token=closed.rating_token, level=4, at=at(0, 13))
    row = AuditLog.objects.filter(object_id=str(incident.pk)).latest("id")
    assert row.actor is None and row.actor_label == "群众" and row.after == {"rating": 4}


def test_reporting_a_case_gives_sight_of_it_not_command_over_it(cast):
    incident = report(cast, at(0, 9), actor=cast.outsider)  # a leader of another town reports what he saw here
    client = login(cast.outsider)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    with pytest.raises(PermissionDenied):
        loop.incident_void(actor=cast.outsider, incident_id=incident.pk, reason="我报的，我撤")
    resp = client.post(f"/incidents/{incident.pk}/act/void/", {"note": "撤销", "version": incident.version})
    assert resp.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == Status.REPORTED


def test_acting_on_another_towns_case_looks_exactly_like_a_missing_case(cast):
    incident = report(cast, at(0, 9))
    with pytest.raises(Http404):
        loop.incident_register(actor=cast.outsider, incident_id=incident.pk)
    with pytest.raises(Http404):
        loop.incident_register(actor=cast.outsider, incident_id=10**12)


def test_the_kernels_row_check_and_its_queryset_agree(cast):
    kind = KINDS["incident"]
    report(cast, at(0, 9))
    cases = list(Incident.objects.all())
    for actor in (cast.dispatcher, cast.outsider, cast.dept_handler, cast.grid_worker, cast.grid_chief,
                  cast.county_leader):
        by_query = set(kind.actionable(actor).values_list("pk", flat=True))
        by_row = {c.pk for c in cases if kind.acts_on(actor, c)}
        assert by_query == by_row, actor.username


def test_an_idempotent_replay_is_answered_only_to_the_client_that_sent_it(cast):
    from django.test import Client

    from shanzhi.api.models import ApiKey

    _a, key_a = ApiKey.issue("12345 热线")
    _b, key_b = ApiKey.issue("别的系统")
    body = {"description": "路灯不亮", "address_text": "霞客大道", "external_id": "12345-2026-7777", "source": "hotline"}

    def post(key):
        return Client().post("/api/v1/incidents", body, content_type="application/json", HTTP_X_API_KEY=key)

    first = post(key_a)
    assert first.status_code == 201
    again = post(key_a)
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    # Another client's identical number is its own work order: it gets its own case and learns
    # nothing of the first — and cannot squat on the first client's numbers either.
    other = post(key_b)
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]
    assert post(key_a).json()["number"] == first.json()["number"]
    assert Incident.objects.filter(external_id="12345-2026-7777").count() == 2


def test_only_the_county_recomputes_the_county_appraisal(cast):
    month = "2026-11"
    assert login(cast.town_leader).post(f"/center/appraisal/?month={month}").status_code == 403
    assert login(cast.dispatcher).post(f"/center/appraisal/?month={month}").status_code == 403
    before = AuditLog.objects.filter(object_type="command.appraisal").count()
    assert login(cast.county_leader).post(f"/center/appraisal/?month={month}").status_code == 200
    row = AuditLog.objects.filter(object_type="command.appraisal").latest("id")
    assert AuditLog.objects.filter(object_type="command.appraisal").count() == before + 1
    assert row.actor == cast.county_leader and row.object_id == month


def test_api_keys_issued_and_revoked_are_audited(cast):
    from io import StringIO

    from django.core.management import call_command

    call_command("apikey", "create", "测试接口", stdout=StringIO())
    call_command("apikey", "revoke", "测试接口", stdout=StringIO())
    notes = list(AuditLog.objects.filter(object_type="api.apikey").order_by("id").values_list("action", "note"))
    assert [a for a, _n in notes[-2:]] == ["create", "update"] and "吊销" in notes[-1][1]


def test_patrol_rounds_and_checks_are_audited(cast):
    from shanzhi.incidents.models import PatrolItem
    from shanzhi.incidents.services import patrols

    grid = home_grid(cast)
    patrol = patrols.patrol_start(actor=cast.grid_worker, grid=grid.pk)
    item = PatrolItem.objects.filter(town_id=grid.town_id).first()
    patrols.patrol_check(actor=cast.grid_worker, round_id=patrol.pk, item_id=item.pk, ok=True)
    patrols.patrol_finish(actor=cast.grid_worker, round_id=patrol.pk)
    types = list(AuditLog.objects.filter(actor=cast.grid_worker, object_type__startswith="incidents.patrol")
                 .values_list("object_type", "action"))
    assert ("incidents.patrolround", "create") in types and ("incidents.patrolcheck", "create") in types
    assert ("incidents.patrolround", "update") in types


# --------------------------------------------------------------------------- 6. smaller
def test_non_numeric_ids_in_the_action_form_are_bad_input_not_server_errors(cast):
    incident = report(cast, at(0, 9))
    client = login(cast.dispatcher)
    assert client.post(f"/incidents/{incident.pk}/act/merge/", {"into": "abc"}).status_code == 400
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    for data in ({"department": "abc"}, {"department": "99999999999999999999999"}, {"department": "1", "version": "x"}):
        resp = client.post(f"/incidents/{incident.pk}/act/dispatch/", data)
        assert resp.status_code == 400, data
    assert Incident.objects.get(pk=incident.pk).status == Status.REGISTERED


def test_the_log_gateway_keeps_only_the_last_messages():
    from shanzhi.notify.gateways import LogGateway

    gateway = LogGateway()
    for i in range(200):
        gateway.send_sms("13900001111", f"第 {i} 条")
    assert len(LogGateway.sent) <= 50 and "13900001111" not in str(list(LogGateway.sent))


def test_the_demo_history_shows_only_moves_the_loop_allows(cast):
    """Every step of the demo's history is an allowed move, and every case ends where its last
    move put it: the history was played through the services."""
    from shanzhi.incidents.models import IncidentStep

    assert Incident.objects.filter(description__contains="网格").exists() or Incident.objects.count() > 50
    last = {}
    for inc_id, action, frm, to in IncidentStep.objects.order_by("at", "id").values_list(
            "incident_id", "action", "from_status", "to_status"):
        if action == "to_lead":  # a link to the penalty case it became, not a move of the incident
            assert frm == to == ""
            continue
        if action == "report":
            assert to == Status.REPORTED
        else:
            move = MOVES[action]
            assert frm in move.sources, (inc_id, action, frm)
            assert to == (move.target or frm), (inc_id, action, frm, to)
        last[inc_id] = to
    for inc_id, status in Incident.objects.values_list("id", "status"):
        assert last[inc_id] == status, inc_id
    open_cases = Incident.objects.filter(status__in=[Status.REGISTERED, Status.DISPATCHED, Status.HANDLING])
    assert open_cases.exists()
    for inc in open_cases:
        assert Timer.objects.filter(kind="incident", case_id=inc.pk, stopped_at__isnull=True).count() == 1
