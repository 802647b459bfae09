"""The hall's queue: lanes and calling order, two clerks at once, the kiosk and the slip, the
screen (numbers only), online numbers, appointment slots, and the waiting/workload figures."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from shanzhi.accounts.models import Post, User
from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.notify.models import Outbox
from shanzhi.onewindow.models import Appointment, Lane, ServiceHall, ServiceWindow, Ticket
from shanzhi.onewindow.services import applications as svc
from shanzhi.onewindow.services import queue as q

from .conftest import login

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MON = dt.datetime(2026, 11, 9, 9, 0, tzinfo=TZ)  # a Monday, office hours
SAT = dt.datetime(2026, 11, 14, 10, 0, tzinfo=TZ)


@pytest.fixture
def hall(xxk):
    """The showcase hall, quiet: the demo's own day may have numbers waiting or being served when
    the suite runs in office hours."""
    h = ServiceHall.objects.get(town=xxk)
    Ticket.objects.filter(hall=h, state__in=[Ticket.State.WAITING, Ticket.State.CALLED]).update(
        state=Ticket.State.DONE)
    return h


def clerks(xxk, n):
    """n window clerks of the town, each signed in at a window of their own (the cast's first)."""
    users = [User.objects.get(username="window_clerk")] + [
        p.user for p in Post.objects.filter(role=Role.WINDOW_CLERK, region=xxk).exclude(user__username="window_clerk")
        .select_related("user").order_by("user__username")]
    for u in users[:n]:
        assert ServiceWindow.objects.filter(clerk=u).exists() or q.sign_in(actor=u, window=_free_window(xxk).pk)
    return users[:n]


def _free_window(xxk):
    return ServiceWindow.objects.filter(hall__town=xxk, clerk__isnull=True).first()


def minutes(n):
    return dt.timedelta(minutes=n)


def test_priority_first_then_appointments_whose_time_has_come_then_everyone_in_arrival_order(cast, xxk, hall):
    (clerk,) = clerks(xxk, 1)
    a1 = q.take_ticket(hall=hall, at=MON)
    a2 = q.take_ticket(hall=hall, at=MON + minutes(1))
    booking = Appointment.objects.create(hall=hall, day=MON.date(), slot=dt.time(9, 30), code="123456", name="周桂英",
                                         created_at=MON - dt.timedelta(days=1))
    b1 = q.take_ticket(hall=hall, appointment_code="123456", at=MON + minutes(2))
    y1 = q.take_ticket(hall=hall, lane=Lane.PRIORITY, at=MON + minutes(3))
    assert [a1.number, a2.number, b1.number, y1.number] == ["A001", "A002", "B001", "Y001"]
    booking.refresh_from_db()
    assert booking.state == Appointment.State.ARRIVED and b1.appointment == booking
    # 09:04: the priority number first; the 09:30 appointment is not due before 09:15, so A001 next.
    assert q.call_next(actor=clerk, at=MON + minutes(4)) == y1
    assert q.call_next(actor=clerk, at=MON + minutes(8)) == a1
    # 09:16: now the appointment's time has come and it goes before A002.
    assert q.call_next(actor=clerk, at=MON + minutes(16)) == b1
    assert q.call_next(actor=clerk, at=MON + minutes(20)) == a2
    assert q.call_next(actor=clerk, at=MON + minutes(25)) is None
    y1.refresh_from_db()
    assert y1.state == Ticket.State.DONE and y1.finished_at == MON + minutes(8) and y1.clerk == clerk


def test_two_clerks_pressing_next_never_get_the_same_number(cast, xxk, hall):
    first, second = clerks(xxk, 2)
    ticket = q.take_ticket(hall=hall, at=MON)
    assert q.call_next(actor=first, at=MON + minutes(1)) == ticket
    assert q.call_next(actor=second, at=MON + minutes(1)) is None
    ticket.refresh_from_db()
    assert ticket.window == ServiceWindow.objects.get(clerk=first)


def test_numbers_are_given_only_in_office_hours_and_an_unknown_code_is_refused(cast, hall):
    with pytest.raises(ValidationError, match="不是办公时间"):
        q.take_ticket(hall=hall, at=SAT)
    with pytest.raises(ValidationError, match="不是办公时间"):
        q.take_ticket(hall=hall, at=MON.replace(hour=12, minute=30))
    with pytest.raises(ValidationError, match="预约码无效"):
        q.take_ticket(hall=hall, appointment_code="999999", at=MON)
    with pytest.raises(ValidationError, match="普通号或优先号"):
        q.take_ticket(hall=hall, lane="vip", at=MON)
    assert not Ticket.objects.filter(hall=hall, day=MON.date()).exists()


def test_the_kiosk_gives_a_slip_that_tells_how_many_are_ahead(cast, xxk, hall, monkeypatch):
    monkeypatch.setattr(q, "is_open", lambda hall, at: True)
    kiosk = Client()
    url = f"/window/halls/{xxk.code}/kiosk/"
    assert "自助取号" in kiosk.get(url).content.decode()
    before = Ticket.objects.filter(hall=hall, state=Ticket.State.WAITING).count()
    first = kiosk.post(url, {"lane": "normal"})
    second = kiosk.post(url, {"lane": "normal", "phone": "13912345678"})
    assert first.status_code == second.status_code == 302
    slip = kiosk.get(second["Location"]).content.decode()
    assert "您前面还有" in slip and f"<b>{before + 1}</b>" in slip
    assert kiosk.get("/window/tickets/forged-token/").status_code == 404
    assert kiosk.post(url, {"lane": "normal", "phone": "123"}).status_code == 400
    with override_settings(KIOSK_NETWORKS=(__import__("ipaddress").ip_network("10.20.0.0/16"),)):
        assert kiosk.post(url, {"lane": "normal"}).status_code == 403
        assert kiosk.post(url, {"lane": "normal"}, REMOTE_ADDR="10.20.3.4").status_code == 302
    assert Client().get("/window/halls/000000000/kiosk/").status_code == 404


def test_the_screen_shows_numbers_and_windows_and_nothing_about_people(cast, xxk, hall, monkeypatch):
    monkeypatch.setattr(q, "is_open", lambda hall, at: True)
    (clerk,) = clerks(xxk, 1)
    ticket = q.take_ticket(hall=hall, phone="13912345678", user=cast.citizen)
    q.call_next(actor=clerk)
    data = Client().get(f"/window/halls/{xxk.code}/screen.json").json()
    window = ServiceWindow.objects.get(clerk=clerk)
    assert any(c["number"] == ticket.number and c["window"] == window.number for c in data["calls"])
    assert {"number": window.number, "name": window.name, "open": True, "serving": ticket.number} in data["windows"]
    text = str(data)
    assert "13912345678" not in text and "5678" not in text and cast.citizen.display_name not in text
    assert clerk.display_name not in text
    page = Client().get(f"/window/halls/{xxk.code}/screen/").content.decode()
    assert "请以下号码到对应窗口办理" in page and "screen.js" in page


def test_recall_and_missed_numbers(cast, xxk, hall):
    (clerk,) = clerks(xxk, 1)
    with pytest.raises(Conflict):
        q.recall(actor=clerk, at=MON)
    ticket = q.take_ticket(hall=hall, at=MON)
    q.call_next(actor=clerk, at=MON + minutes(1))
    again = q.recall(actor=clerk, at=MON + minutes(2))
    assert again.calls == 2 and again.announced_at == MON + minutes(2)
    missed = q.miss(actor=clerk, at=MON + minutes(4))
    assert missed == ticket and missed.state == Ticket.State.MISSED
    assert q.current_ticket(clerk) is None


def test_a_resident_holds_one_waiting_number_online(cast, xxk, hall, monkeypatch):
    monkeypatch.setattr(q, "is_open", lambda hall, at: True)
    client = login(cast.citizen)
    first = client.post(f"/window/halls/{xxk.code}/take/")
    assert first.status_code == 302
    again = client.post(f"/window/halls/{xxk.code}/take/")
    assert again.status_code == 409 and "您已有等候中的号码" in again.content.decode()
    assert Client().post(f"/window/halls/{xxk.code}/take/").status_code == 302  # to the login page
    assert Ticket.objects.filter(user=cast.citizen, state=Ticket.State.WAITING).count() == 1


def test_appointments_fill_up_and_the_last_place_goes_to_one(cast, xxk, hall):
    board = q.slot_board(hall, at=MON)
    day = board[1]["day"]
    slot = board[1]["slots"][0]["time"]
    assert day.weekday() < 5 and len(board) == q.BOOK_AHEAD_DAYS
    hall.slot_capacity = 2
    hall.save()
    b1 = q.book(hall=hall, day=day, slot=slot, name="钱国强", phone="13912340001", at=MON)
    q.book(hall=hall, day=day, slot=slot, name="孙丽", phone="13912340002", at=MON)
    with pytest.raises(Conflict, match="已约满"):
        q.book(hall=hall, day=day, slot=slot, name="李强", phone="13912340003", at=MON)
    assert Outbox.objects.filter(object_ref=f"appointment:{b1.pk}", channel="sms").exists()
    assert len(b1.code) == 6 and b1.code.isdigit()
    with pytest.raises(ValidationError, match="不可预约"):
        q.book(hall=hall, day=SAT.date(), slot=dt.time(9, 0), name="李强", phone="13912340003", at=MON)
    with pytest.raises(ValidationError, match="不可预约"):
        q.book(hall=hall, day=MON.date(), slot=dt.time(8, 30), name="李强", phone="13912340003", at=MON)  # begun
    with pytest.raises(ValidationError):
        q.book(hall=hall, day=day, slot=board[1]["slots"][1]["time"], name="", phone="13912340003", at=MON)
    left = {s["time"]: s["left"] for s in q.slot_board(hall, at=MON)[1]["slots"]}
    assert left[slot] == 0


def test_a_booking_is_cancelled_only_by_its_owner_and_a_strangers_looks_missing(cast, xxk, hall):
    client = login(cast.citizen)
    board = q.slot_board(hall)
    pick = f"{board[0]['day']:%Y-%m-%d} {board[0]['slots'][-1]['time']:%H:%M}"
    resp = client.post("/window/appointments/", {"hall": xxk.code, "pick": pick, "phone": "13912345678"})
    assert resp.status_code == 200 and "预约码" in resp.content.decode()
    booking = Appointment.objects.filter(user=cast.citizen).latest("id")
    again = client.post("/window/appointments/", {"hall": xxk.code, "pick": pick, "phone": "13912345678"})
    assert again.status_code == 409
    assert client.post("/window/appointments/", {"hall": xxk.code, "pick": "2026-13-01 09:00"}).status_code == 400
    stranger = login(cast.grid_worker)
    assert stranger.post(f"/window/appointments/{booking.pk}/cancel/").status_code == 404
    assert stranger.post("/window/appointments/999999/cancel/").status_code == 404
    assert client.post(f"/window/appointments/{booking.pk}/cancel/").status_code == 302
    booking.refresh_from_db()
    assert booking.state == Appointment.State.CANCELLED


def test_sign_in_is_one_clerk_per_window_and_only_in_the_clerks_own_hall(cast, xxk, hall):
    (clerk,) = clerks(xxk, 1)
    mine = ServiceWindow.objects.get(clerk=clerk)
    other = Post.objects.filter(role=Role.WINDOW_CLERK, region=xxk).exclude(user=clerk).first().user
    with pytest.raises(Conflict, match="已由"):
        q.sign_in(actor=other, window=mine.pk)
    foreign = ServiceWindow.objects.exclude(hall=hall).filter(clerk__isnull=True).first()
    with pytest.raises(ValidationError) as outside:
        q.sign_in(actor=clerk, window=foreign.pk)
    with pytest.raises(ValidationError) as missing:
        q.sign_in(actor=clerk, window=10**8)
    assert outside.value.messages == missing.value.messages
    with pytest.raises(Exception, match="窗口人员"):
        q.sign_in(actor=cast.grid_worker, window=mine.pk)


def test_the_desk_page_calls_and_a_window_application_is_counted_for_the_clerk(cast, xxk, hall, monkeypatch):
    monkeypatch.setattr(q, "is_open", lambda hall, at: True)
    (clerk,) = clerks(xxk, 1)
    ticket = q.take_ticket(hall=hall, lane=Lane.PRIORITY)
    desk = login(clerk)
    assert "窗口工作台" in desk.get("/window/desk/").content.decode()
    assert desk.post("/window/desk/call/").status_code == 302
    page = desk.get("/window/desk/").content.decode()
    assert ticket.number in page and "正在办理" in page
    from shanzhi.onewindow.models import ServiceItem

    item = ServiceItem.objects.filter(level="handling", immediate=True, materials__isnull=True).first() or \
        ServiceItem.objects.filter(level="handling").first()
    person = __import__("shanzhi.registry.models", fromlist=["Person"]).Person.objects.filter(region__parent=xxk).first()
    from shanzhi.common import crypto

    application = svc.application_submit(actor=clerk, item=item.pk, town=xxk.pk, applicant_name=person.name,
                                         applicant_id=crypto.unseal(person.id_sealed), channel="window",
                                         materials={m.pk: "paper" for m in item.materials.all()})
    ticket.refresh_from_db()
    assert ticket.application == application
    assert application.clerk == clerk and application.window == ServiceWindow.objects.get(clerk=clerk)
    assert desk.post("/window/desk/finish/").status_code == 302
    figures = q.figures(hall, ticket.day, ticket.day)
    row = next(c for c in figures["clerks"] if c["id"] == clerk.pk)
    assert row["served"] >= 1 and row["applications"] >= 1
    assert login(cast.citizen).get("/window/desk/").status_code == 403
    assert login(cast.window_clerk).post("/window/desk/teleport/").status_code == 404


def test_the_figures_page_is_for_the_hall_and_its_leaders(cast, xxk):
    page = login(cast.town_leader).get("/window/queue/")
    assert page.status_code == 200 and "平均等候" in page.content.decode()
    assert login(cast.window_clerk).get("/window/queue/", {"start": "2026-02-30"}).status_code == 400
    assert login(cast.window_clerk).get("/window/queue/", {"start": "2026-12-01", "end": "2026-01-01"}).status_code == 400
    assert login(cast.grid_worker).get("/window/queue/").status_code == 403
    assert login(cast.outsider).get("/window/queue/", {"hall": xxk.code}).status_code in (200, 404)
    assert "徐霞客镇便民服务中心" not in login(cast.outsider).get("/window/queue/").content.decode()


def test_the_end_of_the_day_closes_what_is_left(cast, xxk, hall):
    (clerk,) = clerks(xxk, 1)
    first = q.take_ticket(hall=hall, at=MON)
    q.take_ticket(hall=hall, at=MON + minutes(1))
    q.call_next(actor=clerk, at=MON + minutes(2))
    booking = Appointment.objects.create(hall=hall, day=MON.date(), slot=dt.time(10, 0), code="654321", name="陈芳",
                                         created_at=MON - dt.timedelta(days=2))
    result = q.close_day(MON.date() + dt.timedelta(days=1))
    assert result["tickets_missed"] >= 1 and result["appointments_missed"] >= 1
    booking.refresh_from_db()
    assert booking.state == Appointment.State.MISSED
    assert Ticket.objects.get(pk=first.pk).state == Ticket.State.DONE
