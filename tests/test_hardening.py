"""Hardening (issue 6): a tamper-evident audit log, references scoped in every write, reports that
are never orphaned, a public feed that publishes only what may be public, no server errors on
bad input, escaped data and a strict content security policy, and keys kept apart."""

import io
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from shanzhi.common import audit_chain
from shanzhi.common.models import AuditLog
from shanzhi.incidents.models import Incident, IncidentClass
from shanzhi.incidents.services import loop
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import Status

from .conftest import login
from .test_incident_loop import home_grid, report

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- the audit log
def _sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_plain_sql_cannot_change_or_remove_an_audit_row(cast):
    row = AuditLog.objects.order_by("id").first()
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f'UPDATE "{audit_chain.TABLE}" SET "note" = %s WHERE "id" = %s', ["改过了", row.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f'DELETE FROM "{audit_chain.TABLE}" WHERE "id" = %s', [row.pk])
    with pytest.raises(PermissionError):
        row.save()
    assert AuditLog.objects.get(pk=row.pk).note == row.note


def test_the_chain_seals_once_and_verify_finds_the_first_edited_row(cast):
    audit_chain.seal()
    sealed = AuditLog.objects.filter(seq__isnull=False).order_by("seq")
    assert sealed.count() > 10 and audit_chain.verify().ok
    target = sealed[len(sealed) // 2]
    # Sealing is once: the chain columns are frozen too.
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f'UPDATE "{audit_chain.TABLE}" SET "chain" = %s WHERE "id" = %s', ["0" * 64, target.pk])
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "完整" in out.getvalue()
    # A tamperer with the database's owner rights lifts the guard and edits one row …
    with audit_chain.guard_suspended():
        _sql(f'UPDATE "{audit_chain.TABLE}" SET "note" = %s WHERE "id" = %s', ["（已篡改）", target.pk])
    verdict = audit_chain.verify()
    assert not verdict.ok and verdict.broken_id == target.pk and verdict.broken_at == target.seq
    with pytest.raises(CommandError, match=f"审计记录 #{target.pk}"):
        call_command("audit", "verify")


def test_rows_written_after_a_seal_are_chained_on_the_next(cast):
    audit_chain.seal()
    head = AuditLog.objects.order_by("-seq").first().seq
    report(cast)
    assert AuditLog.objects.filter(seq__isnull=True).exists()
    assert audit_chain.seal() >= 1 and audit_chain.verify().ok
    assert AuditLog.objects.order_by("-seq").first().seq > head


def test_an_auditor_of_one_town_reads_only_that_towns_entries(cast, huashi):
    from django.contrib.auth import get_user_model

    from shanzhi.accounts.models import Post

    town_auditor = get_user_model().objects.create(username="auditor_hs", display_name="华士审计")
    Post.objects.create(user=town_auditor, role="auditor", region=huashi)
    report(cast)  # a row about 徐霞客镇
    mine = report(cast, actor=cast.outsider)  # another row about 徐霞客镇, by an outsider
    html = login(town_auditor).get("/system/audit/").content.decode()
    assert mine.number not in html and "徐霞客镇" not in html
    assert mine.number in login(cast.auditor).get("/system/audit/").content.decode()  # the county's auditor


def test_bad_audit_filters_are_explained_not_server_errors(cast):
    client = login(cast.auditor)
    for query in ({"date_from": "abc"}, {"date_to": "2026-13-45"}, {"date_from": "9999-12-31"}):
        resp = client.get("/system/audit/", query)
        assert resp.status_code == 400 and "日期" in resp.content.decode(), query


# --------------------------------------------------------------------------- references in every write
def test_a_department_of_another_town_is_not_there_to_dispatch_to(cast, huashi):
    from shanzhi.accounts.models import Department

    incident = report(cast)
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    foreign = Department.objects.filter(region=huashi).first()
    client = login(cast.dispatcher)
    web = client.post(f"/incidents/{incident.pk}/act/dispatch/", {"department": foreign.pk})
    missing = client.post(f"/incidents/{incident.pk}/act/dispatch/", {"department": 10**9})
    assert web.status_code == missing.status_code == 400
    assert _panel_error(web) == _panel_error(missing)
    api = client.post(f"/api/v1/incidents/{incident.pk}/actions/dispatch", {"department_code": foreign.code},
                      content_type="application/json")
    api_missing = client.post(f"/api/v1/incidents/{incident.pk}/actions/dispatch", {"department_code": "NO-SUCH"},
                              content_type="application/json")
    assert api.status_code == api_missing.status_code == 422 and api.json()["errors"] == api_missing.json()["errors"]
    whistle = client.post(f"/incidents/{incident.pk}/act/whistle/", {"departments": [foreign.pk, incident.subclass.department_id]})
    assert whistle.status_code == 400
    assert Incident.objects.get(pk=incident.pk).status == Status.REGISTERED
    assert not incident.summons.exists()


def _panel_error(resp) -> str:
    import re

    return re.search(r'role="alert">([^<]*)<', resp.content.decode()).group(1)


def test_a_case_of_another_town_is_not_there_to_merge_into(cast, huashi):
    here = report(cast)
    grid = __import__("shanzhi.geo.models", fromlist=["Grid"]).Grid.objects.filter(town=huashi, level=2).first()
    there = incident_report(actor=None, source="hotline", description="华士镇路边垃圾", lon=grid.center_lon,
                            lat=grid.center_lat)[0]
    client = login(cast.dispatcher)
    foreign = client.post(f"/incidents/{here.pk}/act/merge/", {"into": there.pk})
    missing = client.post(f"/incidents/{here.pk}/act/merge/", {"into": 10**9})
    assert foreign.status_code == missing.status_code == 400 and _panel_error(foreign) == _panel_error(missing)
    assert there.number not in foreign.content.decode()
    assert Incident.objects.get(pk=here.pk).status == Status.REPORTED


def test_a_summoned_helper_cannot_escalate_the_lead_departments_case(cast):
    from shanzhi.accounts.models import Department

    incident = report(cast, description="河道里有大量漂浮物，还有排污口")
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    lead, helper = Department.objects.get(code="JY-HB"), Department.objects.get(code="JY-CG")
    loop.incident_whistle(actor=cast.dispatcher, incident_id=incident.pk, lead=lead.pk, others=[helper.pk])
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        loop.incident_escalate(actor=cast.dept_handler, incident_id=incident.pk, reason="我们管不了")
    assert Incident.objects.get(pk=incident.pk).department == lead


def _import(user, kind, text):
    from shanzhi.registry.services.imports import registry_import

    return registry_import(actor=user, kind=kind, source=text.encode("utf-8"), filename=f"{kind}.csv")


def test_imports_resolve_owners_and_households_only_in_the_importers_area(cast, huashi):
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.geo.models import Address
    from shanzhi.registry.models import Household, Person

    worker = cast.grid_worker
    plate = scope_for(worker).filter(Address.objects.all()).first()
    foreign_person = Person.objects.filter(region__parent=huashi).first()
    foreign_household = Household.objects.filter(region__parent=huashi).first()
    house = _import(worker, "house", f"房屋编码,门牌编码,产权人身份证号\nFW-T-1,{plate.code},{foreign_person.id_number}\n")
    unknown = _import(worker, "house", f"房屋编码,门牌编码,产权人身份证号\nFW-T-2,{plate.code},11010519491231002X\n")
    assert house.created == unknown.created == 0
    assert house.errors[0].message == unknown.errors[0].message
    assert foreign_person.name not in house.errors[0].message
    person = _import(worker, "person", f"姓名,身份证号,门牌编码,户号\n测试人,320281199001010011,{plate.code},{foreign_household.number}\n")
    unknown = _import(worker, "person", f"姓名,身份证号,门牌编码,户号\n测试人,320281199001010011,{plate.code},NO-SUCH-HH\n")
    assert person.created == 0 and person.errors[0].message.replace(foreign_household.number, "X") == \
        unknown.errors[0].message.replace("NO-SUCH-HH", "X")
    assert not foreign_household.members.filter(name="测试人").exists()
    outside_plate = Address.objects.filter(region__parent=huashi).first()
    plate_err = _import(worker, "household", f"户号,户主姓名,门牌编码\nHH-T-1,张三,{outside_plate.code}\n").errors[0]
    none_err = _import(worker, "household", "户号,户主姓名,门牌编码\nHH-T-1,张三,NO-PLATE\n").errors[0]
    assert plate_err.message.replace(outside_plate.code, "X") == none_err.message.replace("NO-PLATE", "X")


def test_a_county_department_does_not_browse_the_countys_registry(cast):
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.registry.models import Person

    assert not scope_for(cast.dept_handler).filter(Person.objects.all()).exists()
    person = Person.objects.first()
    assert login(cast.dept_handler).get(f"/registry/person/{person.pk}/").status_code == 404


# --------------------------------------------------------------------------- no report is orphaned
def test_a_report_with_only_a_door_plate_or_an_address_lands_on_its_grid(cast):
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.geo.models import Address

    plate = scope_for(cast.informant).filter(Address.objects.exclude(grid=None)).first()
    by_plate = incident_report(actor=None, source="api", description="楼道堆物", address_code=plate.code)[0]
    assert by_plate.grid_id == plate.grid_id and by_plate.town_id == plate.grid.town_id
    by_text = incident_report(actor=None, source="api", description="楼道堆物",
                              address_text=plate.full_text.removeprefix("江阴市"))[0]
    assert by_text.grid_id == plate.grid_id


def test_a_point_outside_the_county_is_refused_and_nothing_is_stored(cast):
    from django.core.exceptions import ValidationError

    before = Incident.objects.count()
    with pytest.raises(ValidationError, match="不在本县"):
        incident_report(actor=None, source="api", description="路灯坏了", lon=0, lat=0)
    resp = Client().post("/open311/v2/requests.json", {"api_key": _key(), "service_code": "0802", "lat": "0",
                                                       "long": "0", "description": "路灯坏了"})
    assert resp.status_code == 400 and "不在本县" in resp.json()[0]["description"]
    assert Incident.objects.count() == before


def _key():
    from shanzhi.api.models import ApiKey

    return ApiKey.issue("open311-test")[1]


def test_what_cannot_be_placed_waits_in_the_countys_queue_and_a_county_dispatcher_places_it(cast):
    incident = incident_report(actor=None, source="api", description="有人反映路灯坏了", address_text="不知道哪里")[0]
    assert incident.town_id is None and incident.region.level == 3  # the county
    desk = login(cast.county_dispatcher).get("/supervision/").content.decode()
    assert "待定位" in desk and f">{incident.number}<" in desk
    assert f">{incident.number}<" not in login(cast.dispatcher).get("/supervision/").content.decode()
    work = login(cast.county_dispatcher).get("/work/").content.decode()
    assert "待定位" in work and f">{incident.number}<" in work
    from shanzhi.notify.models import Outbox

    assert Outbox.objects.filter(user=cast.county_dispatcher, object_ref=f"incident:{incident.pk}").exists()
    with pytest.raises(Exception, match="尚未定位"):
        loop.incident_register(actor=cast.county_dispatcher, incident_id=incident.pk)
    grid = home_grid(cast)
    resp = login(cast.county_dispatcher).post(f"/incidents/{incident.pk}/act/locate/",
                                              {"grid": grid.pk, "version": incident.version})
    assert resp.status_code == 302
    incident.refresh_from_db()
    assert incident.grid == grid and incident.town == grid.town
    assert Outbox.objects.filter(user=cast.dispatcher, object_ref=f"incident:{incident.pk}", topic="reported").exists()
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)


def test_an_open311_retry_with_the_same_idempotency_key_creates_nothing_new(cast):
    key = _key()
    grid = home_grid(cast)
    body = {"api_key": key, "service_code": "0802", "lat": grid.center_lat, "long": grid.center_lon,
            "description": "路灯不亮"}
    first = Client().post("/open311/v2/requests.json", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = Client().post("/open311/v2/requests.json", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    other = Client().post("/open311/v2/requests.json", {**body, "api_key": _key_named("另一个客户端")},
                          HTTP_IDEMPOTENCY_KEY="retry-1")
    assert other.status_code == 201 and other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]


def _key_named(name):
    from shanzhi.api.models import ApiKey

    return ApiKey.issue(name)[1]


# --------------------------------------------------------------------------- the public feed
def test_the_public_feed_publishes_only_what_may_be_public(cast):
    grid = home_grid(cast)

    def registered(**kw):
        inc = incident_report(actor=None, source="hotline", lon=grid.center_lon, lat=grid.center_lat, **kw)[0]
        loop.incident_register(actor=cast.dispatcher, incident_id=inc.pk)
        return Incident.objects.get(pk=inc.pk)

    dispute = registered(subclass_code="0501", description="张先生反映邻居王某装修漏水，电话13912345678")
    noise = registered(subclass_code="0303", address_text="霞客路12号301室", reporter_name="李明华",
                       description="李明华反映楼上夜里噪音，联系 0510-86123456")
    street = registered(subclass_code="0801", reporter_name="赵四",
                        description="报告人赵四说井盖缺失，电话 138.1234.5678，另一个１３８１２３４５６７８，"
                                    "证件 sfz32028119900307123X，户主张三家门口")
    waiting = incident_report(actor=None, source="hotline", subclass_code="0801", lon=grid.center_lon,
                              lat=grid.center_lat, description="井盖又丢了")[0]
    feed = Client().get("/open311/v2/requests.json").json()
    numbers = {r["service_request_id"]: r for r in feed}
    assert dispute.number not in numbers and waiting.number not in numbers  # private class; not yet registered
    assert Client().get(f"/open311/v2/requests/{dispute.number}.json").status_code == 404
    coarse = numbers[noise.number]
    assert coarse["description"] == "噪声扰民（详情不公开）"
    assert "12号" not in coarse["address"] and "301" not in coarse["address"]
    assert coarse["lat"] == round(noise.lat, 3) and coarse["long"] == round(noise.lon, 3)
    public = numbers[street.number]
    text = json.dumps(public, ensure_ascii=False)
    for secret in ("1234", "5678", "32028119900307123X", "赵四", "张三"):
        assert secret not in text, secret
    assert "井盖缺失" in public["description"] and public["lat"] == round(street.lat, 6)
    assert IncidentClass.objects.get(code="0501").open_data == "private"
    xml = Client().get("/open311/v2/requests.xml").content
    from xml.etree import ElementTree

    ElementTree.fromstring(xml)  # always parses


# --------------------------------------------------------------------------- no server errors
@pytest.mark.parametrize("query", [
    {"from": "2026-01-01", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "2026-01-01"},
    {"from": "2026-02-30", "to": "2026-03-01"}, {"from": "2026-03-01", "to": "2026-01-01"},
    {"from": "2026-01-01"}, {"days": "abc"}, {"days": "0"}, {"days": "99999999999999999999"},
])
def test_bad_periods_on_the_center_pages_are_explained(cast, query):
    client = login(cast.town_leader)
    for url in ("/center/", "/center/drill/registered/", "/center/export.xlsx"):
        resp = client.get(url, query)
        text = resp.content.decode()
        assert resp.status_code == 400 and ("统计周期" in text or "日期" in text), url


def test_a_person_edit_with_a_broken_version_is_bad_input(cast):
    from shanzhi.common.jurisdiction import scope_for
    from shanzhi.registry.models import Person

    person = scope_for(cast.grid_worker).filter(Person.objects.all()).first()
    resp = login(cast.grid_worker).post(f"/registry/person/{person.pk}/edit/", {"name": "新名字", "version": "abc"})
    assert resp.status_code == 400 and Person.objects.get(pk=person.pk).name == person.name


def test_an_overlong_csv_field_is_a_clear_file_error(cast):
    huge = "x" * 140_000
    result = _import(cast.dispatcher, "household", f"户号,户主姓名\nHH-1,{huge}\n")
    assert result.created == 0 and "超过" in result.header_error and "第 2 行" in result.header_error


def test_nul_bytes_are_refused_everywhere_before_any_write(cast):
    grid = home_grid(cast)
    before = Incident.objects.count()
    client = login(cast.informant)
    assert client.get("/incidents/", {"q": "垃\x00圾"}).status_code == 400
    assert client.post("/incidents/new/", {"description": "垃圾\x00", "lon": grid.center_lon,
                                           "lat": grid.center_lat}).status_code == 400
    resp = client.post("/api/v1/incidents", json.dumps({"description": "垃圾\u0000", "address_text": "x"}),
                       content_type="application/json")
    assert resp.status_code == 422 and resp.json()["code"] == "nul_character"
    result = _import(cast.dispatcher, "household", "户号,户主姓名\nHH-NUL,张\x00三\n")
    assert result.created == 0 and result.errors and "控制字符" in result.errors[0].message
    assert Incident.objects.count() == before


# --------------------------------------------------------------------------- what reaches the browser
def test_every_page_carries_a_strict_content_security_policy(cast):
    resp = login(cast.dispatcher).get("/center/")
    policy = resp["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    for url in ("/", "/center/", "/geo/map/", "/incidents/new/"):
        html = login(cast.dispatcher).get(url).content.decode()
        import re

        inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) if "application/json" not in s]
        assert not inline, (url, inline)
        assert not re.search(r"\son(change|click|load|submit|error)=", html), url


def test_hsts_behind_https(settings, cast):
    from importlib import reload

    from shanzhi.config import settings as config

    assert not getattr(config, "SECURE_HSTS_SECONDS", 0)  # off without HTTPS
    import os

    os.environ["SHANZHI_SECURE_COOKIES"] = "1"
    try:
        reloaded = reload(config)
        assert reloaded.SECURE_HSTS_SECONDS >= 31536000 and reloaded.SESSION_COOKIE_SECURE
    finally:
        del os.environ["SHANZHI_SECURE_COOKIES"]
        reload(config)


def test_the_seal_key_beside_the_database_is_refused_outside_the_demo(settings):
    from shanzhi.common.keys import require_safe_keys

    settings.SEAL_KEY_IN_DATA_DIR, settings.DEMO, settings.ALLOW_LOCAL_KEYS = True, False, False
    with pytest.raises(ImproperlyConfigured, match="SHANZHI_SEAL_KEY"):
        require_safe_keys()
    settings.DEMO = True
    require_safe_keys()
    settings.DEMO, settings.ALLOW_LOCAL_KEYS = False, True
    require_safe_keys()
    settings.SEAL_KEY_IN_DATA_DIR, settings.ALLOW_LOCAL_KEYS = False, False
    require_safe_keys()
