"""The phone's offline queue, received: /field/sync/ carries out each item exactly once, at the time
and place it was made; a copy sent twice is answered with the first answer; refusals and conflicts
come back with their reasons and change nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from shanzhi.field.models import Submission
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import Attachment, Incident, PatrolCheck, PatrolRound
from shanzhi.incidents.services import patrols

from .conftest import login

pytestmark = pytest.mark.django_db


def photo(name="p.jpg", size=(800, 600)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def ms(when: dt.datetime) -> str:
    return str(int(when.timestamp() * 1000))


def send(client, kind, fields, *, key=None, made_at=None, photos=(), lon=None, lat=None):
    data = {"key": key or uuid.uuid4().hex, "kind": kind, "fields": json.dumps(fields, ensure_ascii=False),
            "made_at": made_at or ms(timezone.now())}
    if lon is not None:
        data |= {"lon": str(lon), "lat": str(lat)}
    if photos:
        data["photos"] = list(photos)
    return client.post("/field/sync/", data)


def my_grid(cast):
    return Grid.objects.get(posts__user=cast.grid_worker)


def test_a_report_made_offline_arrives_once_with_the_time_and_place_it_was_made(cast):
    grid = my_grid(cast)
    client = login(cast.grid_worker)
    made = timezone.now() - dt.timedelta(hours=3)
    key = uuid.uuid4().hex
    fields = {"description": "楼道里堆满了纸箱和旧家具，消防通道堵死了", "source": "patrol", "subclass": "",
              "address_text": "", "lon": f"{grid.center_lon:.7f}", "lat": f"{grid.center_lat:.7f}", "crs": "wgs84"}
    first = send(client, "report", fields, key=key, made_at=ms(made), photos=[photo(), photo("b.png")])
    assert first.status_code == 201, first.content
    answer = first.json()
    incident = Incident.objects.get(pk=answer["id"])
    assert answer["status"] == "accepted" and answer["number"] == incident.number
    assert abs((incident.reported_at - made).total_seconds()) < 1  # when it was made, not when it arrived
    assert incident.grid_id == grid.pk and incident.reporter == cast.grid_worker
    assert Attachment.objects.filter(incident=incident).count() == 2
    # The center could not know before it arrived: the register clock runs from arrival.
    assert incident.register_due > timezone.now()
    # The same item again (the answer was lost on a flaky network): the first answer, nothing new.
    again = send(client, "report", fields, key=key, made_at=ms(made), photos=[photo()])
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert again.json()["id"] == incident.pk
    assert Incident.objects.filter(description=fields["description"]).count() == 1
    assert Submission.objects.filter(user=cast.grid_worker, key=key).count() == 1


def test_the_same_key_from_another_person_is_their_own_item(cast):
    """Keys are kept per person: another user's key can neither replay nor reveal their answer."""
    grid = my_grid(cast)
    key = uuid.uuid4().hex
    fields = {"description": "路灯不亮", "source": "patrol", "lon": str(grid.center_lon), "lat": str(grid.center_lat)}
    mine = send(login(cast.grid_worker), "report", fields, key=key).json()
    theirs = send(login(cast.informant), "report", fields | {"description": "井盖丢了"}, key=key)
    assert theirs.status_code == 201, theirs.content.decode()
    assert theirs.json()["id"] != mine["id"]


def test_bad_items_are_refused_with_reasons_and_change_nothing(cast):
    client = login(cast.grid_worker)
    before = Incident.objects.count(), Submission.objects.count()
    empty = send(client, "report", {"description": "", "source": "patrol"})
    assert empty.status_code == 400 and empty.json()["status"] == "refused"
    assert "description" in empty.json()["errors"]
    nowhere = send(client, "report", {"description": "有人乱倒垃圾", "source": "patrol"})
    assert nowhere.status_code == 400 and "location" in nowhere.json()["errors"]
    not_image = send(client, "report", {"description": "垃圾", "source": "patrol", "address_text": "璜塘路 8 号"},
                     photos=[SimpleUploadedFile("x.jpg", b"not a picture", content_type="image/jpeg")])
    assert not_image.status_code == 400 and "不是有效的图片" in not_image.json()["message"]
    assert send(client, "report", {}, key="short").json()["errors"]["key"]
    assert send(client, "nonsense", {}).status_code == 400
    bad_fields = client.post("/field/sync/", {"key": uuid.uuid4().hex, "kind": "report", "fields": "[1,2",
                                              "made_at": ms(timezone.now())})
    assert bad_fields.status_code == 400 and "fields" in bad_fields.json()["errors"]
    no_time = client.post("/field/sync/", {"key": uuid.uuid4().hex, "kind": "report", "fields": "{}", "made_at": "昨天"})
    assert no_time.status_code == 400 and "made_at" in no_time.json()["errors"]
    assert (Incident.objects.count(), Submission.objects.count()) == before


def test_a_phone_clock_far_off_is_not_believed(cast):
    grid = my_grid(cast)
    client = login(cast.grid_worker)
    fields = {"description": "电线杆倾斜", "source": "patrol", "lon": str(grid.center_lon), "lat": str(grid.center_lat)}
    answer = send(client, "report", fields, made_at=ms(timezone.now() + dt.timedelta(days=2))).json()
    incident = Incident.objects.get(pk=answer["id"])
    assert answer["clock_suspect"] is True and incident.reported_at <= timezone.now()


def test_signed_out_the_phone_is_told_and_keeps_the_item(cast, client):
    resp = send(client, "report", {"description": "x"})
    assert resp.status_code == 401 and resp.json()["status"] == "login"


def test_a_patrol_started_offline_is_checked_by_the_key_of_its_start(cast):
    grid = my_grid(cast)
    client = login(cast.grid_worker)
    start_key = uuid.uuid4().hex
    started = timezone.now() - dt.timedelta(minutes=40)
    resp = send(client, "patrol_start", {"grid": str(grid.pk)}, key=start_key, made_at=ms(started))
    assert resp.status_code == 201, resp.content
    patrol = PatrolRound.objects.get(pk=resp.json()["round"])
    assert abs((patrol.started_at - started).total_seconds()) < 1
    items = patrols.items_for(grid)
    checked = started + dt.timedelta(minutes=10)
    ok = send(client, "patrol_check", {"round_key": start_key, "item": str(items[0].pk), "ok": "1"}, made_at=ms(checked))
    assert ok.status_code == 201, ok.content
    problem = send(client, "patrol_check", {"round_key": start_key, "item": str(items[3].pk), "ok": "0",
                                            "note": "围墙外新搭了彩钢棚"}, made_at=ms(checked + dt.timedelta(minutes=5)),
                   photos=[photo()], lon=grid.center_lon, lat=grid.center_lat)
    assert problem.status_code == 201 and problem.json()["incident"]
    checks = {c.item_id: c for c in PatrolCheck.objects.filter(round=patrol)}
    assert abs((checks[items[0].pk].checked_at - checked).total_seconds()) < 1
    incident = checks[items[3].pk].incident
    assert Attachment.objects.filter(incident=incident).count() == 1
    t0 = started.timestamp()
    track = send(client, "track", {"round_key": start_key, "points": json.dumps(
        [{"lon": grid.center_lon, "lat": grid.center_lat, "t": t0 + 60},
         {"lon": grid.center_lon + 0.001, "lat": grid.center_lat, "t": t0 + 120}])})
    assert track.status_code == 201 and track.json()["points"] == 2
    done = send(client, "patrol_finish", {"round_key": start_key}, made_at=ms(started + dt.timedelta(minutes=35)))
    assert done.status_code == 201
    patrol.refresh_from_db()
    assert patrol.ended_at and 30 * 60 < patrol.duration_s < 40 * 60 and 80 < patrol.distance_m < 110
    # A check-in of the same item again is a conflict the worker is told about.
    again = send(client, "patrol_check", {"round_key": start_key, "item": str(items[0].pk), "ok": "1"})
    assert again.status_code == 409 and again.json()["status"] == "conflict"


def test_a_check_in_whose_start_never_arrived_is_refused_with_the_reason(cast):
    resp = send(login(cast.grid_worker), "patrol_check", {"round_key": uuid.uuid4().hex, "item": "1", "ok": "1"})
    assert resp.status_code == 400 and "开始记录没有送达" in resp.json()["message"]


def test_a_patrol_in_someone_elses_grid_looks_like_a_missing_grid(cast):
    other = Grid.objects.exclude(pk__in=Grid.objects.filter(posts__user=cast.grid_worker)).filter(level=2).first()
    resp = send(login(cast.grid_worker), "patrol_start", {"grid": str(other.pk)})
    missing = send(login(cast.grid_worker), "patrol_start", {"grid": "999999999"})
    assert resp.status_code == missing.status_code == 400
    assert resp.json()["errors"] == missing.json()["errors"]


def test_an_action_made_offline_conflicts_when_someone_acted_meanwhile(cast):
    """The grid worker verifies a case offline with the version she saw; meanwhile the center
    acted on it. The sync answers 409 with the reason, and the case is untouched by her item."""
    from shanzhi.incidents.services.intake import incident_report
    from shanzhi.incidents.services.loop import incident_register

    grid = my_grid(cast)
    incident, _ = incident_report(actor=cast.grid_worker, source="patrol", description="广告牌松动",
                                  lon=grid.center_lon, lat=grid.center_lat)
    seen = incident.version
    incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    resp = send(login(cast.dispatcher), "action", {"incident": str(incident.pk), "action": "void",
                                                   "version": str(seen), "note": "重复"})
    assert resp.status_code == 409 and resp.json()["status"] == "conflict" and resp.json()["message"]
    incident.refresh_from_db()
    assert incident.status == "registered"
    # With the version she now sees, the same kind of item goes through, dated as made.
    made = timezone.now() - dt.timedelta(minutes=5)
    ok = send(login(cast.dispatcher), "action", {"incident": str(incident.pk), "action": "dispatch",
                                                 "version": str(incident.version), "note": "",
                                                 "department": str(incident.subclass.department_id)},
              made_at=ms(made))
    assert ok.status_code == 201, ok.content
    incident.refresh_from_db()
    assert incident.status == "dispatched"
    step = incident.steps.order_by("-at", "-id").first()
    assert step.at >= made - dt.timedelta(seconds=1)


def test_an_action_on_a_case_outside_the_jurisdiction_looks_missing(cast):
    outside = Incident.objects.exclude(town__name="徐霞客镇").first()
    resp = send(login(cast.grid_worker), "action", {"incident": str(outside.pk), "action": "verify",
                                                    "version": str(outside.version), "passed": "1"})
    missing = send(login(cast.grid_worker), "action", {"incident": "999999999", "action": "verify", "passed": "1"})
    assert resp.status_code == missing.status_code == 404 and resp.json() == missing.json()


def test_the_app_shell_manifest_service_worker_and_offline_page(cast, client):
    manifest = client.get("/field/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json()["display"] == "standalone"
    assert {i["sizes"] for i in manifest.json()["icons"]} == {"192x192", "512x512"}
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/" and "javascript" in sw["Content-Type"]
    body = sw.content.decode()
    assert "/static/vendor/workbox/workbox-sw.js" in body and "storage.googleapis" not in body
    assert "/static/shanzhi/js/field.js" in body and "/field/offline/" in body
    offline = client.get("/field/offline/")
    assert offline.status_code == 200 and "没有网络" in offline.content.decode()
    page = login(cast.grid_worker).get("/incidents/new/").content.decode()
    assert 'rel="manifest"' in page and "field.js" in page and 'data-queue="report"' in page
    desk = login(cast.dispatcher).get("/").content.decode()
    assert "field.js" not in desk and 'rel="manifest"' not in desk  # desk roles: no app, no kept pages


def test_live_messages_give_the_count_and_the_newest(cast):
    from shanzhi.notify.models import Message

    Message.objects.create(user=cast.grid_worker, title="督办：20261203000001", body="请今天处理", link="/work/")
    Message.objects.create(user=cast.grid_worker, title="外链", body="x", link="//evil.example/")
    data = login(cast.grid_worker).get("/messages/live.json").json()
    assert data["unread"] == 2 and data["latest"][1]["title"] == "督办：20261203000001"
    assert data["latest"][0]["link"] == ""  # never a link to another host
    assert login(cast.informant).get("/messages/live.json").json()["unread"] == 0


def test_the_grid_card_of_where_one_stands(cast):
    grid = my_grid(cast)
    client = login(cast.grid_worker)
    here = client.get(f"/geo/grids/here/?lon={grid.center_lon}&lat={grid.center_lat}").content.decode()
    assert grid.name in here
    other = Grid.objects.exclude(town=grid.town).filter(level=2).first()
    away = client.get(f"/geo/grids/here/?lon={other.center_lon}&lat={other.center_lat}").content.decode()
    nowhere = client.get("/geo/grids/here/?lon=abc&lat=").content.decode()
    assert other.name not in away and away == nowhere


def test_every_file_the_service_worker_keeps_is_served(cast, client):
    """One missing file fails the whole install on the phone: every precached URL answers 200."""
    import re

    from shanzhi.field.views import SHELL, WORKBOX, _revisions

    _revisions.cache_clear()
    urls = re.findall(r'"url": "([^"]+)"', client.get("/sw.js").content.decode())
    assert len(urls) == len(SHELL) + len(WORKBOX) + 1
    for url in urls:
        if url.startswith("/static/"):
            from django.contrib.staticfiles import finders

            assert finders.find(url.removeprefix("/static/")), url
        else:
            assert client.get(url).status_code == 200, url


def test_an_item_made_by_someone_else_on_this_phone_is_never_filed_under_me(cast):
    """Tab one still holds 徐丽娟's queue after the phone was signed in as 张海林 in tab two: her
    item is kept for her (401), never filed as his."""
    grid = my_grid(cast)
    client = login(cast.informant)
    data = {"key": uuid.uuid4().hex, "kind": "report", "owner": str(cast.grid_worker.pk), "made_at": ms(timezone.now()),
            "fields": json.dumps({"description": "路灯不亮", "lon": str(grid.center_lon), "lat": str(grid.center_lat)})}
    resp = client.post("/field/sync/", data)
    assert resp.status_code == 401 and resp.json()["status"] == "login"
    assert not Incident.objects.filter(reporter=cast.informant, description="路灯不亮").exists()
    ok = client.post("/field/sync/", data | {"owner": str(cast.informant.pk)})
    assert ok.status_code == 201


def test_hostile_input_gets_specific_refusals_not_errors(cast):
    client = login(cast.grid_worker)
    key = uuid.uuid4().hex
    huge = client.post("/field/sync/", {"key": key, "kind": "report", "fields": "{}", "made_at": "999999999999999"})
    assert huge.status_code == 400 and "made_at" in huge.json()["errors"]
    deep = client.post("/field/sync/", {"key": key, "kind": "report", "fields": "[" * 100_000,
                                        "made_at": ms(timezone.now())})
    assert deep.status_code == 400 and "fields" in deep.json()["errors"]
    grid = my_grid(cast)
    first = send(client, "patrol_start", {"grid": str(grid.pk)}, key=key)
    assert first.status_code == 201
    reused = send(client, "report", {"description": "x"}, key=key)
    assert reused.status_code == 409 and reused.json()["status"] == "conflict"


def test_a_phone_clock_that_is_off_is_corrected_by_when_it_sent(cast):
    """The phone's clock is 40 minutes fast: what it says it made 5 minutes before sending is
    dated 5 minutes before arrival, and its track points are moved the same way."""
    grid = my_grid(cast)
    client = login(cast.grid_worker)
    now = timezone.now()
    fast = dt.timedelta(minutes=40)
    key = uuid.uuid4().hex
    start = client.post("/field/sync/", {"key": key, "kind": "patrol_start", "fields": json.dumps({"grid": str(grid.pk)}),
                                         "made_at": ms(now + fast - dt.timedelta(minutes=5)), "sent_at": ms(now + fast)})
    assert start.status_code == 201, start.content
    patrol = PatrolRound.objects.get(pk=start.json()["round"])
    assert abs((patrol.started_at - (now - dt.timedelta(minutes=5))).total_seconds()) < 5
    t = (now + fast).timestamp()
    track = client.post("/field/sync/", {
        "key": uuid.uuid4().hex, "kind": "track", "made_at": ms(now + fast), "sent_at": ms(now + fast),
        "fields": json.dumps({"round_key": key, "points": json.dumps([
            {"lon": grid.center_lon, "lat": grid.center_lat, "t": t - 60},
            {"lon": grid.center_lon + 0.001, "lat": grid.center_lat, "t": t}])})})
    assert track.status_code == 201, track.content
    patrol.refresh_from_db()
    assert len(patrol.track) == 2 and abs(patrol.track[-1][2] - now.timestamp()) < 5


def test_only_field_pages_are_marked_for_keeping_and_background_requests_get_401(cast, client):
    assert login(cast.grid_worker).get("/work/")["X-Shanzhi-Keep"] == str(cast.grid_worker.pk)
    assert "X-Shanzhi-Keep" not in login(cast.dispatcher).get("/work/")
    assert "X-Shanzhi-Keep" not in client.get("/report/")
    # A signed-out background request is told so; it is not handed the login page.
    expired = client.get("/geo/addresses/search/?q=璜塘", HTTP_HX_REQUEST="true")
    assert expired.status_code == 401 and "登录已过期" in expired.content.decode()
    assert client.get("/geo/grids/here/?lon=1&lat=1", HTTP_X_REQUESTED_WITH="fetch").status_code == 401
    assert client.get("/work/").status_code == 302  # a page visit still goes to the login page


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(cast):
    out = io.BytesIO()
    Image.new("1", (8000, 7000)).save(out, format="PNG")  # 56 MP, a few kilobytes
    resp = send(login(cast.grid_worker), "report", {"description": "垃圾", "address_text": "璜塘路 8 号"},
                photos=[SimpleUploadedFile("big.png", out.getvalue(), content_type="image/png")])
    assert resp.status_code == 400 and "像素过大" in resp.json()["message"]
