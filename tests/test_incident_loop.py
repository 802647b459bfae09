"""The closed loop through the services, with the fixed cast."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from PIL import Image

from shanzhi.accounts.models import Department
from shanzhi.cases.scan import scan_timers
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Grid
from shanzhi.incidents.models import Incident, IncidentClass
from shanzhi.incidents.selectors import incident_list
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import Status
from shanzhi.notify.models import Message, Outbox
from shanzhi.notify.services import deliver_due

pytestmark = pytest.mark.django_db


def jpeg(with_exif=True) -> io.BytesIO:
    img = Image.new("RGB", (2400, 1800), (120, 160, 90))
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    img.save(buf, format="JPEG", exif=exif.tobytes() if with_exif else b"")
    buf.seek(0)
    buf.name = "photo.jpg"
    return buf


def home_grid(cast) -> Grid:
    return Grid.objects.get(posts__user=cast.informant)


def report(cast, **kw) -> Incident:
    grid = home_grid(cast)
    args = {"actor": cast.informant, "source": "patrol", "description": "马镇社区路边有一堆暴露垃圾",
            "lon": grid.center_lon, "lat": grid.center_lat} | kw
    return incident_report(**args)[0]


def test_a_report_is_located_classified_and_timed(cast):
    incident = report(cast)
    assert incident.status == Status.REPORTED
    assert incident.grid == home_grid(cast) and incident.town.name == "徐霞客镇"
    assert incident.subclass.code == "0101" and incident.class_suggested
    assert incident.register_due > incident.reported_at
    assert incident.steps.get().action == "report"


def test_bad_reports_are_refused_per_field_and_store_nothing(cast):
    before = Incident.objects.count()
    with pytest.raises(ValidationError) as exc:
        incident_report(actor=cast.informant, source="patrol", description="", lon=500, lat=31, subclass_code="9999",
                        reporter_phone="123")
    assert set(exc.value.message_dict) == {"description", "location", "subclass", "reporter_phone"}
    with pytest.raises(ValidationError, match="不是有效的图片"):
        grid = home_grid(cast)
        incident_report(actor=cast.informant, source="patrol", description="x", lon=grid.center_lon,
                        lat=grid.center_lat, photos=[io.BytesIO(b"not an image")])
    assert Incident.objects.count() == before


def test_photos_are_resized_and_lose_their_exif(cast):
    incident = report(cast, photos=[jpeg()])
    att = incident.attachments.get()
    with Image.open(att.image.path) as img:
        assert max(img.size) == 1600 and not img.getexif()


def test_a_repeated_external_number_creates_nothing_new(cast):
    a, created_a = incident_report(actor=None, source="hotline", description="路灯不亮", address_text="霞客大道",
                                   external_id="12345-2026-0001")
    b, created_b = incident_report(actor=None, source="hotline", description="路灯不亮", address_text="霞客大道",
                                   external_id="12345-2026-0001")
    assert created_a and not created_b and a.pk == b.pk


def test_a_nearby_report_of_the_same_class_is_flagged_as_a_likely_duplicate(cast):
    first = report(cast)
    second = report(cast, description="这里的垃圾还是没人清理")
    assert second.possible_duplicate == first
    loop.incident_merge(actor=cast.dispatcher, incident_id=second.pk, into=first.pk)
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first


def test_the_whole_loop_from_report_to_archive(cast):
    handler_dept = Department.objects.get(code="JY-CG")
    incident = incident_report(actor=cast.informant, source="patrol", description="路边暴露垃圾",
                               lon=home_grid(cast).center_lon, lat=home_grid(cast).center_lat,
                               reporter_phone="13912340000")[0]
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=handler_dept)
    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED and incident.handle_due > incident.dispatched_at
    assert Outbox.objects.filter(user=cast.dept_handler, topic="dispatch").exists()
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="已清运", photos=[jpeg()])
    loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=False, note="还有残留")
    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED and incident.round == 2 and incident.rework_count == 1
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="已彻底清理")
    loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=True)
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED and incident.closed_at and incident.rating_token
    sms = Outbox.objects.filter(channel="sms", topic="closed").get()
    assert incident.rating_token in sms.body
    loop.incident_rate(token=incident.rating_token, level=5)
    with pytest.raises(loop.Conflict):
        loop.incident_rate(token=incident.rating_token, level=1)
    loop.incident_archive(actor=cast.dispatcher, incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.status == Status.ARCHIVED and incident.rating == 5
    actions = list(incident.steps.values_list("action", flat=True))
    assert actions == ["report", "register", "dispatch", "accept", "reply", "verify_fail", "accept", "reply",
                       "verify_pass", "rate", "archive"]
    counts = deliver_due()
    assert counts["sent"] >= 3 and Message.objects.filter(user=cast.dept_handler).exists()


def test_two_dispatchers_at_once_one_wins_the_other_is_told(cast):
    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    opened = Incident.objects.get(pk=incident.pk).version
    dept = Department.objects.get(code="JY-CG")
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=dept, expected_version=opened)
    with pytest.raises(loop.Conflict, match="已被他人处理"):
        loop.incident_dispatch(actor=cast.town_leader, incident_id=incident.pk, department=dept,
                               expected_version=opened)


def test_roles_are_enforced(cast):
    incident = report(cast)
    with pytest.raises(PermissionDenied):
        loop.incident_register(actor=cast.informant, incident_id=incident.pk)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    town_dept = Department.objects.get(code__endswith="-ZF", region__name="徐霞客镇")
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=town_dept)
    # A department the case was not sent to does not see it: outside looks like missing.
    with pytest.raises(Http404):
        loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)


def test_return_extension_and_shelving(cast):
    dept = Department.objects.get(code="JY-CG")
    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=dept)
    with pytest.raises(ValidationError):
        loop.incident_return(actor=cast.dept_handler, incident_id=incident.pk, reason=" ")
    loop.incident_return(actor=cast.dept_handler, incident_id=incident.pk, reason="不属于本部门职责")
    incident.refresh_from_db()
    assert incident.status == Status.REGISTERED and incident.returned_count == 1 and incident.department is None
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=dept)
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)
    due = Incident.objects.get(pk=incident.pk).handle_due
    req = loop.incident_request_extension(actor=cast.dept_handler, incident_id=incident.pk, amount=2,
                                          unit="working_days", reason="需协调环卫车辆")
    loop.incident_decide_extension(actor=cast.dispatcher, incident_id=incident.pk, request_id=req.pk, approve=True)
    incident.refresh_from_db()
    assert incident.handle_due > due and incident.extended
    with pytest.raises(loop.Conflict):
        loop.incident_decide_extension(actor=cast.town_leader, incident_id=incident.pk, request_id=req.pk, approve=False)
    loop.incident_shelve(actor=cast.dept_handler, incident_id=incident.pk, reason="需列入明年预算")
    assert Incident.objects.get(pk=incident.pk).status == Status.SHELVED


def test_whistle_summons_departments_and_tracks_check_in(cast):
    incident = report(cast, description="河道里有大量漂浮物，还有排污口")
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    lead, other = Department.objects.get(code="JY-HB"), Department.objects.get(code="JY-CG")
    with pytest.raises(ValidationError):
        loop.incident_whistle(actor=cast.dispatcher, incident_id=incident.pk, lead=lead, others=[lead])
    loop.incident_whistle(actor=cast.dispatcher, incident_id=incident.pk, lead=lead, others=[other])
    assert incident.summons.count() == 2
    summons = loop.incident_check_in(actor=cast.dept_handler, incident_id=incident.pk, reply="已到场")
    assert summons.department == other and summons.checked_in_at
    with pytest.raises(loop.Conflict):
        loop.incident_check_in(actor=cast.dept_handler, incident_id=incident.pk)
    assert incident in incident_list(actor=cast.dept_handler)


def test_deadlines_warn_then_mark_overdue_once_and_supervise(cast):
    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    incident.refresh_from_db()
    due = incident.dispatch_due

    def actions():
        return list(incident.steps.values_list("action", flat=True))

    scan_timers(now=due - dt.timedelta(minutes=10))
    scan_timers(now=due - dt.timedelta(minutes=5))
    assert actions().count("warn") == 1
    assert scan_timers(now=due + dt.timedelta(minutes=1))["overdue"] >= 1
    scan_timers(now=due + dt.timedelta(minutes=2))
    assert actions().count("overdue") == 1
    assert actions()[-3:] == ["warn", "overdue", "supervise"]
    assert Outbox.objects.filter(topic="supervise", object_ref=f"incident:{incident.pk}").exists()
    # Lateness is decided by when the stage ends, from the step's time, not by the scan.
    incident.refresh_from_db()
    assert not incident.ran_late
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department_code="JY-CG",
                           at=due + dt.timedelta(minutes=3))
    incident.refresh_from_db()
    assert incident.ran_late and not incident.handled_late


def test_incident_lists_are_scoped(cast):
    incident = report(cast)
    assert incident in incident_list(actor=cast.town_leader)
    assert incident in incident_list(actor=cast.grid_worker)
    assert incident not in incident_list(actor=cast.outsider)
    assert incident not in incident_list(actor=cast.dept_handler)  # not dispatched to it
    assert scope_for(cast.dept_handler).department_ids


def test_class_limits_drive_deadlines_and_edits_do_not_move_existing_ones(cast):
    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=Department.objects.get(code="JY-CG"))
    before = Incident.objects.get(pk=incident.pk).handle_due
    IncidentClass.objects.filter(code="0101").update(handle_limit=40)
    assert Incident.objects.get(pk=incident.pk).handle_due == before


def test_village_matters_go_to_the_village_committee_and_escalate_to_the_town(cast):
    incident = report(cast, description="两户村民因宅前通道发生邻里纠纷")
    assert incident.subclass.code == "0501" and incident.tier == "village"
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    committee = Department.objects.get(code=f"{incident.region.code}-VC")
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=committee)
    incident.refresh_from_db()
    assert incident.tier == "village"
    # The village grid chief handles for the committee — or sends it up with a reason.
    loop.incident_accept(actor=cast.grid_chief, incident_id=incident.pk)
    loop.incident_escalate(actor=cast.grid_chief, incident_id=incident.pk, reason="调解不成，需镇司法所介入")
    incident.refresh_from_db()
    assert incident.tier == "town" and incident.status == Status.REGISTERED and incident.department is None


def test_photos_that_are_too_large_are_refused(cast, monkeypatch):
    from shanzhi.incidents.services import photos

    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="照片过大"):
        report(cast, photos=[jpeg()])


def test_the_closing_sms_carries_a_full_rating_link(cast, settings):
    settings.PUBLIC_BASE_URL = "https://shanzhi.jiangyin.gov.cn"
    incident = report(cast, reporter_phone="13912349999")
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=Department.objects.get(code="JY-CG"))
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="已处理")
    loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=True)
    incident.refresh_from_db()
    body = Outbox.objects.get(topic="closed", object_ref=f"incident:{incident.pk}").body
    assert f"https://shanzhi.jiangyin.gov.cn/rate/{incident.rating_token}/" in body
