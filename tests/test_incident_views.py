import pytest

from shanzhi.accounts.models import Department
from shanzhi.incidents.models import Incident
from shanzhi.incidents.services import loop
from shanzhi.incidents.states import Status

from .conftest import login
from .test_incident_loop import home_grid, jpeg, report

pytestmark = pytest.mark.django_db


def test_an_informant_reports_from_the_phone_form_with_a_photo(cast):
    grid = home_grid(cast)
    resp = login(cast.informant).post("/incidents/new/", {
        "description": "霞客大道路灯不亮好几天了", "lon": grid.center_lon, "lat": grid.center_lat, "crs": "wgs84",
        "source": "patrol", "photos": [jpeg()]})
    assert resp.status_code == 302
    incident = Incident.objects.latest("id")
    assert incident.subclass.code == "0802" and incident.grid == grid and incident.attachments.count() == 1
    page = login(cast.informant).get(resp["Location"]).content.decode()
    assert incident.number in page and "路灯不亮" in page


def test_the_form_explains_what_is_missing(cast):
    resp = login(cast.informant).post("/incidents/new/", {"description": "", "source": "patrol", "crs": "wgs84"})
    assert resp.status_code == 200 and "这个字段是必填项" in resp.content.decode()


def test_citizens_cannot_use_the_staff_form(cast):
    assert login(cast.citizen).get("/incidents/new/").status_code == 403


def test_the_dispatcher_registers_and_dispatches_through_the_page(cast):
    incident = report(cast)
    client = login(cast.dispatcher)
    assert "受理立案" in client.get(f"/incidents/{incident.pk}/").content.decode()
    client.post(f"/incidents/{incident.pk}/act/register/", {"version": incident.version})
    incident.refresh_from_db()
    dept = Department.objects.get(code="JY-CG")
    resp = client.post(f"/incidents/{incident.pk}/act/dispatch/", {"version": incident.version, "department": dept.pk},
                       HTTP_HX_REQUEST="true")
    assert resp.status_code == 204
    assert Incident.objects.get(pk=incident.pk).status == Status.DISPATCHED


def test_a_stale_form_gets_a_conflict_and_changes_nothing(cast):
    incident = report(cast)
    stale = incident.version
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    resp = login(cast.town_leader).post(f"/incidents/{incident.pk}/act/void/", {"version": stale, "note": "重复"},
                                        HTTP_HX_REQUEST="true")
    assert resp.status_code == 409 and "已被他人处理" in resp.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == Status.REGISTERED


def test_a_missing_reason_is_a_400_with_the_reason(cast):
    incident = report(cast)
    resp = login(cast.dispatcher).post(f"/incidents/{incident.pk}/act/void/", {"note": ""}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 400 and "必须说明理由" in resp.content.decode()


def test_outsiders_see_neither_the_case_nor_its_photos(cast):
    incident = report(cast, photos=[jpeg()])
    att = incident.attachments.get()
    outsider = login(cast.outsider)
    assert outsider.get(f"/incidents/{incident.pk}/").status_code == 404
    assert outsider.get(f"/incidents/photo/{att.pk}/").status_code == 404
    assert outsider.post(f"/incidents/{incident.pk}/act/register/").status_code == 404
    assert login(cast.town_leader).get(f"/incidents/photo/{att.pk}/")["Content-Type"] == "image/jpeg"


def test_the_public_rating_page_takes_one_rating(cast):
    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=Department.objects.get(code="JY-CG"))
    loop.incident_accept(actor=cast.dept_handler, incident_id=incident.pk)
    loop.incident_reply(actor=cast.dept_handler, incident_id=incident.pk, note="已处理")
    loop.incident_verify(actor=cast.informant, incident_id=incident.pk, passed=True)
    incident.refresh_from_db()
    from django.test import Client

    anon = Client()
    page = anon.get(f"/rate/{incident.rating_token}/").content.decode()
    assert incident.number in page and incident.reporter_name not in page
    assert "请选择" in anon.post(f"/rate/{incident.rating_token}/", {"level": "9"}).content.decode()
    anon.post(f"/rate/{incident.rating_token}/", {"level": "4"})
    assert Incident.objects.get(pk=incident.pk).rating == 4
    assert anon.get("/rate/not-a-token/").status_code == 404


def test_the_supervision_desk_lists_overdue_cases(cast):
    import datetime as dt

    from django.utils import timezone

    incident = report(cast, reported_at=timezone.now() - dt.timedelta(days=3))  # its registration clock has run out
    page = login(cast.town_leader).get("/supervision/").content.decode()
    assert incident.number in page.split("即将到期")[0]  # in the overdue list
    assert login(cast.grid_worker).get("/supervision/").status_code == 403
    assert login(cast.town_leader).get("/incidents/supervision/")["Location"] == "/supervision/"


def test_my_work_lists_what_waits_for_each_post_soonest_first(cast):
    from shanzhi.accounts.models import Department
    from shanzhi.incidents.services import loop

    incident = report(cast)
    dispatcher = login(cast.dispatcher).get("/work/").content.decode()
    assert "待受理" in dispatcher and incident.number in dispatcher
    assert incident.number not in login(cast.dept_handler).get("/work/").content.decode()
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=Department.objects.get(code="JY-CG").pk)
    handler = login(cast.dept_handler).get("/work/").content.decode()
    assert "待签收" in handler and incident.number in handler
    assert incident.number not in login(cast.outsider).get("/work/").content.decode()


def test_a_likely_duplicate_is_merged_from_the_case_page(cast):
    first = report(cast)
    second = report(cast, description="这里的垃圾还没清理")
    assert second.possible_duplicate == first
    client = login(cast.dispatcher)
    page = client.get(f"/incidents/{second.pk}/").content.decode()
    assert "疑似与" in page and first.number in page
    assert "act-merge" not in client.get(f"/incidents/{first.pk}/").content.decode()
    client.post(f"/incidents/{second.pk}/act/merge/", {"into": first.pk})
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first


def test_merging_through_the_api_names_the_earlier_case(cast):
    import json

    first = report(cast)
    second = report(cast, description="垃圾还在")
    resp = login(cast.dispatcher).post(f"/api/v1/incidents/{second.pk}/actions/merge",
                                       json.dumps({"into_number": first.number}), content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "merged"
    bad = login(cast.dispatcher).post(f"/api/v1/incidents/{first.pk}/actions/merge",
                                      json.dumps({"into_number": "NOPE"}), content_type="application/json")
    assert bad.status_code == 422 and "目标事件不存在" in bad.json()["errors"]["into"][0]


def test_the_address_picker_offers_standard_addresses_in_scope(cast):
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.geo.models import Address

    mine = scope_for(cast.informant).filter(Address.objects.all()).first()
    fragment = mine.full_text[-8:]
    html = login(cast.informant).get("/geo/addresses/search/", {"address_text": fragment}).content.decode()
    assert mine.code in html and "data-lon" in html
    assert mine.code not in login(cast.outsider).get("/geo/addresses/search/", {"q": fragment}).content.decode()


def test_the_grid_card_counts_open_cases_and_links_to_them(cast):
    incident = report(cast)
    grid = incident.grid
    card = login(cast.town_leader).get(f"/geo/grids/{grid.pk}/card/").content.decode()
    assert f"?status=open&grid={grid.pk}" in card and "办理中事件 " in card
    listing = login(cast.town_leader).get(f"/incidents/?status=open&grid={grid.pk}").content.decode()
    assert incident.number in listing
    other = login(cast.town_leader).get(f"/incidents/?status=open&grid={grid.parent_id or grid.pk}").content.decode()
    assert incident.number in other  # a parent grid includes its children's cases
