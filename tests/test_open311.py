"""Open311 GeoReport v2, tested from the specification's requirements."""

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from shanzhi.api.models import ApiKey
from shanzhi.incidents.models import Incident

from .test_incident_loop import home_grid

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def key():
    return ApiKey.issue("open311 客户端")[1]


def test_discovery_lists_the_endpoint_and_formats():
    data = Client().get(f"{BASE}/discovery.json").json()
    assert data["endpoints"][0]["specification"].endswith("GeoReport_v2")
    root = ET.fromstring(Client().get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery" and root.find("endpoints/endpoint/url") is not None


def test_services_are_the_subclasses_in_json_and_xml():
    services = Client().get(f"{BASE}/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"0101", "0201", "0801"} <= codes and "01" not in codes
    first = services[0]
    assert set(first) >= {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    root = ET.fromstring(Client().get(f"{BASE}/services.xml").content)
    assert root.tag == "services" and root.find("service/service_code").text == first["service_code"]


def test_a_service_definition_and_an_unknown_service():
    assert Client().get(f"{BASE}/services/0101.json").json()["service_code"] == "0101"
    resp = Client().get(f"{BASE}/services/9999.json")
    assert resp.status_code == 404 and resp.json()[0]["code"] == "404"


def test_post_request_needs_a_valid_key(cast):
    resp = Client().post(f"{BASE}/requests.json", {"service_code": "0101", "lat": 31.8, "long": 120.3,
                                                   "description": "垃圾", "api_key": "nope"})
    assert resp.status_code == 403 and resp.json()[0]["code"] == "403"


def test_post_request_creates_an_incident_and_returns_its_id(cast, key):
    grid = home_grid(cast)
    resp = Client().post(f"{BASE}/requests.json", {
        "api_key": key, "service_code": "0801", "lat": grid.center_lat, "long": grid.center_lon,
        "description": "井盖缺失", "first_name": "明", "last_name": "李", "phone": "13811112222"})
    assert resp.status_code == 201
    rid = resp.json()[0]["service_request_id"]
    incident = Incident.objects.get(number=rid)
    assert incident.subclass.code == "0801" and incident.grid == grid
    assert Client().get(f"{BASE}/tokens/{rid}.json").json()[0]["service_request_id"] == rid


def test_post_request_reports_several_errors_at_once(key):
    resp = Client().post(f"{BASE}/requests.xml", {"api_key": key})
    assert resp.status_code == 400
    root = ET.fromstring(resp.content)
    assert root.tag == "errors" and len(root.findall("error")) == 3
    assert Client().post(f"{BASE}/requests.json", {"api_key": key, "service_code": "9999", "lat": 1, "long": 1,
                                                   "description": "x"}).status_code == 404


def test_get_requests_filters_and_exposes_no_personal_data(cast, key):
    grid = home_grid(cast)
    rid = Client().post(f"{BASE}/requests.json", {
        "api_key": key, "service_code": "0802", "lat": grid.center_lat, "long": grid.center_lon,
        "description": "路灯不亮", "last_name": "王", "first_name": "秘密", "phone": "13899990000"}).json()[0][
        "service_request_id"]
    # A report is published once the center has registered it (not while it waits to be checked).
    assert Client().get(f"{BASE}/requests/{rid}.json").status_code == 404
    from shanzhi.incidents.services import loop

    loop.incident_register(actor=cast.dispatcher, incident_id=Incident.objects.get(number=rid).pk)
    one = Client().get(f"{BASE}/requests/{rid}.json").json()[0]
    assert one["status"] == "open" and one["status_notes"] == "已立案待派遣" and one["service_code"] == "0802"
    assert one["requested_datetime"].endswith("+08:00")
    body = Client().get(f"{BASE}/requests.json", {"service_code": "0802", "status": "open"}).content.decode()
    assert rid in body and "13899990000" not in body and "秘密" not in body
    closed = Client().get(f"{BASE}/requests.json", {"service_request_id": rid, "status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [rid]  # ids win over other filters, per the spec
    assert Client().get(f"{BASE}/requests.json", {"status": "closed", "service_code": "0802",
                                                  "start_date": "2099-01-01T00:00:00+08:00"}).json() == []
    bad = Client().get(f"{BASE}/requests.json", {"start_date": "yesterday", "status": "maybe"})
    assert bad.status_code == 400 and len(bad.json()) == 2
    assert Client().get(f"{BASE}/requests/NOPE.json").status_code == 404


def test_xml_requests_have_the_spec_shape(cast, key):
    grid = home_grid(cast)
    rid = Client().post(f"{BASE}/requests.json", {"api_key": key, "service_code": "0101", "lat": grid.center_lat,
                                                  "long": grid.center_lon, "description": "垃圾"}).json()[0]["service_request_id"]
    from shanzhi.incidents.services import loop

    loop.incident_register(actor=cast.dispatcher, incident_id=Incident.objects.get(number=rid).pk)
    root = ET.fromstring(Client().get(f"{BASE}/requests.xml", {"service_code": "0101"}).content)
    assert root.tag == "service_requests"
    req = root.find("request")
    assert req.find("service_request_id").text and req.find("status").text in ("open", "closed")
