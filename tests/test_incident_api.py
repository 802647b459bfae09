"""The same loop through the REST API; API keys; errors as the caller sees them."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from shanzhi.api.models import ApiKey, hash_key
from shanzhi.incidents.models import Incident

from .conftest import login
from .test_incident_loop import home_grid

pytestmark = pytest.mark.django_db


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


@pytest.fixture
def hotline_key():
    _key, raw = ApiKey.issue("12345 热线")
    return raw


def test_apikey_create_prints_a_key_that_is_stored_hashed(capsys):
    call_command("apikey", "create", "测试系统")
    raw = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(name="测试系统")
    assert raw.startswith("sz_") and key.key_hash == hash_key(raw) and raw not in key.key_hash


def test_hotline_orders_are_idempotent_on_the_external_number(cast, hotline_key):
    grid = home_grid(cast)
    body = {"source": "hotline", "description": "市民来电：路灯不亮", "lon": grid.center_lon, "lat": grid.center_lat,
            "external_id": "12345-20261122-0001", "reporter_phone": "13812345678"}
    first = post(Client(), "/api/v1/incidents", body, HTTP_X_API_KEY=hotline_key)
    again = post(Client(), "/api/v1/incidents", body, HTTP_AUTHORIZATION=f"Bearer {hotline_key}")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.filter(external_id="12345-20261122-0001").count() == 1
    assert "13812345678" not in first.content.decode()


def test_an_idempotency_key_header_also_deduplicates(cast, hotline_key):
    body = {"description": "有人焚烧秸秆", "address_text": "北渚村"}
    a = post(Client(), "/api/v1/incidents", body, HTTP_X_API_KEY=hotline_key, HTTP_IDEMPOTENCY_KEY="abc-1")
    b = post(Client(), "/api/v1/incidents", body, HTTP_X_API_KEY=hotline_key, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (a.status_code, b.status_code) == (201, 200) and a.json()["id"] == b.json()["id"]


def test_bad_payloads_get_400_with_field_messages_and_write_nothing(hotline_key):
    before = Incident.objects.count()
    # Against the schema: 400, one message per field.
    resp = post(Client(), "/api/v1/incidents", {"description": "", "lon": 999, "lat": 31, "reporter_phone": "1"},
                HTTP_X_API_KEY=hotline_key)
    assert resp.status_code == 400
    assert set(resp.json()["errors"]) >= {"description", "lon", "reporter_phone"}
    resp = post(Client(), "/api/v1/incidents", {"lon": "east"}, HTTP_X_API_KEY=hotline_key)
    assert resp.status_code == 400 and "description" in resp.json()["errors"]
    # Well formed, refused by a rule: 422 with a machine-readable code.
    resp = post(Client(), "/api/v1/incidents", {"description": "路灯坏了", "lon": 0, "lat": 0}, HTTP_X_API_KEY=hotline_key)
    assert resp.status_code == 422 and resp.json()["codes"]["location"] == ["outside_area"]
    resp = post(Client(), "/api/v1/incidents", {"description": "路灯坏了", "subclass_code": "9999", "address_text": "霞客大道"},
                HTTP_X_API_KEY=hotline_key)
    assert resp.status_code == 422 and resp.json()["codes"]["subclass"] == ["not_found"]
    assert Incident.objects.count() == before


def test_a_wrong_or_revoked_key_is_refused(hotline_key):
    assert post(Client(), "/api/v1/incidents", {"description": "x"}, HTTP_X_API_KEY="sz_wrong").status_code == 401
    call_command("apikey", "revoke", "12345 热线")
    assert post(Client(), "/api/v1/incidents", {"description": "x", "address_text": "y"},
                HTTP_X_API_KEY=hotline_key).status_code == 401


def test_alarms_become_incidents_once(cast, hotline_key):
    grid = home_grid(cast)
    body = {"alarm_id": "A-77", "point_code": "XXK-WQ-003", "alarm_type": "水质超标", "lon": grid.center_lon,
            "lat": grid.center_lat, "subclass_code": "0301"}
    a = post(Client(), "/api/v1/alarms", body, HTTP_X_API_KEY=hotline_key)
    b = post(Client(), "/api/v1/alarms", body, HTTP_X_API_KEY=hotline_key)
    assert a.status_code == 201 and b.status_code == 200 and a.json()["source"] == "alarm"


def test_the_whole_loop_through_the_api(cast):
    grid = home_grid(cast)
    created = post(login(cast.informant), "/api/v1/incidents",
                   {"source": "patrol", "description": "井盖缺失", "lon": grid.center_lon, "lat": grid.center_lat})
    assert created.status_code == 201
    iid = created.json()["id"]

    def act(user, action, **data):
        return post(login(user), f"/api/v1/incidents/{iid}/actions/{action}", data)

    assert act(cast.dispatcher, "register").status_code == 200
    assert act(cast.dispatcher, "dispatch", department_code="NOPE").status_code == 422
    resp = act(cast.dispatcher, "dispatch", department_code="JY-CG")
    assert resp.json()["status"] == "dispatched"
    stale = resp.json()["version"] - 1
    conflict = act(cast.town_leader, "return", note="x", version=stale)
    assert conflict.status_code in (403, 409)
    assert act(cast.informant, "accept").status_code == 403
    assert act(cast.dept_handler, "accept").status_code == 200
    assert act(cast.dept_handler, "reply", note="已更换井盖").status_code == 200
    assert act(cast.informant, "verify", passed=True).json()["status"] == "closed"
    detail = login(cast.town_leader).get(f"/api/v1/incidents/{iid}").json()
    assert [s["action"] for s in detail["steps"]] == ["report", "register", "dispatch", "accept", "reply", "verify_pass"]
    assert login(cast.outsider).get(f"/api/v1/incidents/{iid}").status_code == 404
    figures = login(cast.town_leader).get("/api/v1/dashboard?days=1").json()
    assert any(i["key"] == "close_rate" for i in figures["indicators"])


def test_a_conflict_is_409_for_the_second_dispatcher(cast):
    grid = home_grid(cast)
    iid = post(login(cast.informant), "/api/v1/incidents",
               {"description": "垃圾", "lon": grid.center_lon, "lat": grid.center_lat}).json()["id"]
    v = post(login(cast.dispatcher), f"/api/v1/incidents/{iid}/actions/register", {}).json()["version"]
    ok = post(login(cast.dispatcher), f"/api/v1/incidents/{iid}/actions/dispatch", {"department_code": "JY-CG", "version": v})
    late = post(login(cast.town_leader), f"/api/v1/incidents/{iid}/actions/dispatch",
                {"department_code": "JY-HB", "version": v})
    assert ok.status_code == 200 and late.status_code == 409 and "已被他人处理" in late.json()["detail"]


def test_a_revoked_key_stops_working_at_once_in_the_revoking_process(hotline_key):
    body = {"description": "x", "address_text": "y"}
    assert post(Client(), "/api/v1/incidents", body, HTTP_X_API_KEY=hotline_key).status_code == 201
    call_command("apikey", "revoke", "12345 热线")
    assert post(Client(), "/api/v1/incidents", body, HTTP_X_API_KEY=hotline_key).status_code == 401
