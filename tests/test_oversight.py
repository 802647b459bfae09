"""Ratings and 督着办: a bad rating opens a rectification case on the kernel (15 working days, a
return visit by someone else), time used is measured without special procedures, and the
figures per department, item, window and clerk — with the county's "2440" targets — are read
through the actor's scope."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from shanzhi.accounts.models import User
from shanzhi.cases.errors import Conflict
from shanzhi.cases.models import Timer
from shanzhi.cases.scan import scan_timers
from shanzhi.cases.selectors import my_work
from shanzhi.common.workcal import WorkingCalendar
from shanzhi.notify.models import Outbox
from shanzhi.onewindow import oversight, rectification
from shanzhi.onewindow.models import Rectification, RStatus, ServiceItem, ServiceTarget
from shanzhi.onewindow.services import applications as svc
from shanzhi.registry.models import Person

from .conftest import login

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MON = dt.datetime(2026, 11, 9, 9, 0, tzinfo=TZ)


def done(cast, xxk, *, name="农村村民住宅用地审批", at=MON, hearing_days=0, days=1):
    """An application taken in at the window, reviewed, granted ``days`` later (optionally with a hearing)."""
    item = ServiceItem.objects.get(name=name, variant="新办", level="handling")
    person = Person.objects.filter(region__parent=xxk).first()
    a = svc.application_submit(actor=cast.window_clerk, item=item.pk, town=xxk.pk, applicant_name=person.name,
                               applicant_id=person.id_number, contact_phone="13912345678",
                               materials={m.pk: "paper" for m in item.materials.all()}, at=at)
    svc.application_accept(actor=cast.window_clerk, application_id=a.pk, at=at)
    t = at + dt.timedelta(hours=1)
    if hearing_days:
        svc.application_suspend(actor=cast.reviewer, application_id=a.pk, procedure="hearing", reason="利害关系人申请听证",
                                at=t)
        t += dt.timedelta(days=hearing_days)
        svc.application_resume(actor=cast.reviewer, application_id=a.pk, at=t)
    for r in a.reviews.all():
        reviewer = User.objects.filter(posts__department=r.department, posts__role="dept_handler").first()
        svc.application_review(actor=reviewer, application_id=a.pk, approve=True, opinion="同意", at=t)
    return svc.application_grant(actor=cast.reviewer, application_id=a.pk, at=at + dt.timedelta(days=days + hearing_days))


def test_a_bad_rating_opens_a_rectification_due_in_fifteen_working_days(cast, xxk, huashi):
    a = done(cast, xxk)
    rated = svc.application_rate(token=a.rating_token, level=2, comment="材料要求没有一次说清楚", at=MON + dt.timedelta(days=2))
    case = Rectification.objects.get(application=rated)
    assert case.status == RStatus.OPEN and case.level == 2 and case.clerk == cast.window_clerk
    assert case.due == WorkingCalendar(xxk.code).add(MON + dt.timedelta(days=2), 15, "working_days")
    assert Timer.objects.filter(kind="rectification", case_id=case.pk, stopped_at__isnull=True).exists()
    assert rectification.RECTIFICATION.visible(cast.town_leader).filter(pk=case.pk).exists()
    assert not rectification.RECTIFICATION.visible(cast.outsider).filter(pk=case.pk).exists()
    assert login(cast.outsider).get(f"/window/rectifications/{case.pk}/").status_code == 404
    assert any(case in list(qs) for _label, qs in rectification.RECTIFICATION.work(cast.reviewer))
    queues, _items = my_work(cast.reviewer)
    assert any(q["kind"] == "rectification" and q["label"] == "待整改的差评" and q["count"] >= 1 for q in queues)
    assert Outbox.objects.filter(object_ref=f"rectification:{case.pk}").exists()
    good = done(cast, xxk, at=MON + dt.timedelta(hours=2))
    svc.application_rate(token=good.rating_token, level=4)
    assert not Rectification.objects.filter(application=good).exists()


def test_rectify_then_a_return_visit_by_someone_else_and_an_unsatisfied_one_sends_it_back(cast, xxk):
    a = done(cast, xxk)
    svc.application_rate(token=a.rating_token, level=1, comment="窗口人员态度不好")
    case = a.rectification
    with pytest.raises(ValidationError, match="整改措施"):
        rectification.rectify(actor=cast.reviewer, case_id=case.pk, measures="  ")
    with pytest.raises(Http404):  # not in a grid worker's scope: it looks missing
        rectification.rectify(actor=cast.grid_worker, case_id=case.pk, measures="已整改")
    with pytest.raises(PermissionDenied):  # a clerk of the hall sees it but does not answer for it
        rectification.rectify(actor=cast.window_clerk, case_id=case.pk, measures="已整改")
    rectification.rectify(actor=cast.reviewer, case_id=case.pk, measures="约谈窗口人员，组织服务规范培训",
                          expected_version=case.version)
    with pytest.raises(Conflict):  # the second of two: the page they had is out of date
        rectification.rectify(actor=cast.town_leader, case_id=case.pk, measures="同时提交", expected_version=case.version)
    with pytest.raises(PermissionDenied, match="不能自己回访"):
        rectification.visit(actor=cast.reviewer, case_id=case.pk, satisfied=True, note="回访满意")
    back = rectification.visit(actor=cast.town_leader, case_id=case.pk, satisfied=False, note="群众仍不满意")
    assert back.status == RStatus.OPEN and back.rounds == 2
    rectification.rectify(actor=cast.reviewer, case_id=case.pk, measures="当面致歉并说明办理规定")
    closed = rectification.visit(actor=cast.town_leader, case_id=case.pk, satisfied=True, note="电话回访，表示满意")
    assert closed.status == RStatus.CLOSED and closed.satisfied and not closed.ran_late
    assert not Timer.objects.filter(kind="rectification", case_id=case.pk, stopped_at__isnull=True).exists()
    assert [s.action for s in closed.steps.order_by("id")] == ["open", "rectify", "visit", "rectify", "visit"]
    page = login(cast.town_leader).get(f"/window/rectifications/{case.pk}/").content.decode()
    assert "当面致歉" in page and "已办结" in page


def test_a_rectification_left_undone_is_marked_overdue_and_supervised(cast, xxk):
    a = done(cast, xxk)
    svc.application_rate(token=a.rating_token, level=1, at=MON + dt.timedelta(days=2))
    case = a.rectification
    scan_timers(now=case.due + dt.timedelta(hours=1))
    case.refresh_from_db()
    assert case.steps.filter(action="overdue").exists()
    assert Outbox.objects.filter(object_ref=f"rectification:{case.pk}", title__contains="超期").exists()
    rectification.rectify(actor=cast.reviewer, case_id=case.pk, measures="补充说明", at=case.due + dt.timedelta(days=1))
    done_case = rectification.visit(actor=cast.town_leader, case_id=case.pk, satisfied=True, note="满意",
                                    at=case.due + dt.timedelta(days=2))
    assert done_case.ran_late


def test_the_web_forms_for_rectification_refuse_bad_input(cast, xxk):
    a = done(cast, xxk)
    svc.application_rate(token=a.rating_token, level=2)
    case = a.rectification
    leader = login(cast.reviewer)
    assert leader.post(f"/window/rectifications/{case.pk}/act/rectify/", {"measures": ""}).status_code == 400
    assert leader.post(f"/window/rectifications/{case.pk}/act/rectify/", {"measures": "x", "version": "abc"}).status_code == 400
    assert leader.post(f"/window/rectifications/{case.pk}/act/fly/", {}).status_code == 404
    assert leader.post(f"/window/rectifications/{case.pk}/act/rectify/", {"measures": "已整改",
                                                                         "version": case.version}).status_code == 302
    other = login(cast.town_leader)
    assert other.post(f"/window/rectifications/{case.pk}/act/visit/", {"note": "满意"}).status_code == 400
    assert other.post(f"/window/rectifications/{case.pk}/act/visit/", {"note": "满意", "satisfied": "1"}).status_code == 302
    assert "差评整改" in login(cast.town_leader).get("/window/rectifications/").content.decode()


def test_time_used_leaves_out_the_hearing_and_is_measured_in_working_days(cast, xxk):
    plain = done(cast, xxk, days=3)
    heard = done(cast, xxk, days=3, hearing_days=7, at=MON + dt.timedelta(minutes=5))
    cal = WorkingCalendar(xxk.code)
    expected = Decimal(str(round(cal.working_hours_between(MON, MON + dt.timedelta(days=3))
                                 / (cal.day_length.total_seconds() / 3600), 2)))
    assert plain.handling_days == expected
    assert abs(heard.handling_days - plain.handling_days) < Decimal("0.05")


def test_the_figures_per_department_item_window_and_clerk(cast, xxk):
    day = dt.date(2026, 3, 2)  # a quiet Monday of the past, away from the demo's history
    at = dt.datetime.combine(day, dt.time(9), tzinfo=TZ)
    a = done(cast, xxk, at=at, days=2)
    svc.application_rate(token=a.rating_token, level=1, at=at + dt.timedelta(days=3))
    f = oversight.figures(cast.town_leader, day, day + dt.timedelta(days=7), group="department")
    assert f["totals"]["submitted"] == 1 and f["totals"]["completed"] == 1
    statutory = float(a.item.statutory_days)
    assert f["totals"]["compressed"] == round(100 * (1 - float(a.handling_days) / statutory), 1)
    assert f["totals"]["visits_per_case"] == 1.0 and f["totals"]["bad"] == 1 and f["totals"]["satisfaction"] == 0.0
    assert f["rows"][0]["name"] == a.item.department.name
    by_clerk = oversight.figures(cast.town_leader, day, day + dt.timedelta(days=7), group="clerk")
    assert by_clerk["rows"][0]["name"] == cast.window_clerk.display_name
    by_window = oversight.figures(cast.town_leader, day, day + dt.timedelta(days=7), group="window")
    assert by_window["rows"][0]["name"].endswith("号窗口")
    assert oversight.figures(cast.outsider, day, day + dt.timedelta(days=7))["totals"]["submitted"] == 0


def test_the_2440_targets_count_completed_cases_against_their_limit(cast, xxk):
    day = dt.date(2026, 3, 9)
    at = dt.datetime.combine(day, dt.time(9), tzinfo=TZ)
    target = ServiceTarget.objects.get(name="企业开办")
    item = target.items.first()
    org = __import__("shanzhi.registry.models", fromlist=["Organisation"]).Organisation.objects.filter(
        region__parent=xxk).first()
    a = svc.application_submit(actor=cast.window_clerk, item=item.pk, town=xxk.pk, applicant_name=org.name,
                               applicant_id=org.uscc, applicant_kind="organisation" if item.applicant_kind != "person" else "person",
                               materials={m.pk: "paper" for m in item.materials.all()}, at=at)
    svc.application_accept(actor=cast.window_clerk, application_id=a.pk, at=at)
    for r in a.reviews.all():
        reviewer = User.objects.filter(posts__department=r.department, posts__role="dept_handler").first()
        svc.application_review(actor=reviewer, application_id=a.pk, approve=True, opinion="同意", at=at)
    svc.application_grant(actor=cast.reviewer, application_id=a.pk, at=at + dt.timedelta(hours=5))
    rows = {t["target"].name: t for t in oversight.targets(cast.town_leader, day, day)}
    assert rows["企业开办"]["completed"] == 1 and rows["企业开办"]["met"] and rows["企业开办"]["within_rate"] == 100.0


def test_the_supervision_page_drills_down_and_refuses_bad_periods(cast, xxk):
    leader = login(cast.town_leader)
    page = leader.get("/window/supervise/")
    assert page.status_code == 200 and "较法定时限压缩" in page.content.decode() and "2440" in page.content.decode()
    dept = ServiceItem.objects.filter(name="农村村民住宅用地审批").first().department_id
    drill = leader.get("/window/supervise/", {"department": dept})
    assert drill.status_code == 200 and "本部门事项" in drill.content.decode()
    for group in ("item", "window", "clerk"):
        assert leader.get("/window/supervise/", {"group": group}).status_code == 200
    assert leader.get("/window/supervise/", {"start": "2026-02-30"}).status_code == 400
    assert leader.get("/window/supervise/", {"start": "2026-12-01", "end": "2026-01-01"}).status_code == 400
    assert leader.get("/window/supervise/", {"department": "x"}).status_code == 400
    assert login(cast.citizen).get("/window/supervise/").status_code == 403
    assert login(cast.grid_worker).get("/window/supervise/").status_code == 403
