"""The fixed cast against the one scoping mechanism: nothing leaks across towns or grids."""

import pytest

from shanzhi.accounts.models import Post
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.models import AuditLog
from shanzhi.geo.models import Grid
from shanzhi.registry.models import Person

from .conftest import login

pytestmark = pytest.mark.django_db


def _person_in(town_name: str, **extra) -> Person:
    return Person.objects.filter(region__parent__name=town_name, **extra).order_by("id").first()


def test_a_town_leader_sees_the_grids_of_their_own_town_only(cast, xxk):
    resp = login(cast.town_leader).get("/geo/grids.geojson")
    towns = {f["properties"]["town"] for f in resp.json()["features"]}
    assert towns == {"徐霞客镇"}
    assert len(resp.json()["features"]) == Grid.objects.filter(town=xxk).count()


def test_a_county_leader_sees_every_town(cast):
    resp = login(cast.county_leader).get("/geo/grids.geojson?level=1")
    assert len({f["properties"]["town"] for f in resp.json()["features"]}) == 17


def test_an_outsider_gets_not_found_for_another_towns_grid_and_person(cast, xxk):
    grid = Grid.objects.filter(town=xxk).first()
    person = _person_in("徐霞客镇")
    client = login(cast.outsider)
    assert client.get(f"/geo/grids/{grid.pk}/card/").status_code == 404
    assert client.get(f"/registry/person/{person.pk}/").status_code == 404
    assert client.post(f"/registry/person/{person.pk}/reveal/id_number/").status_code == 404
    assert client.get(f"/api/v1/geo/grids/{grid.pk}").status_code == 404


def test_an_outsider_searching_by_exact_id_finds_nothing(cast):
    person = scope_for(cast.grid_worker).filter(Person.objects.all()).first()
    resp = login(cast.outsider).get("/registry/", {"q": person.id_number})
    assert person.name not in resp.content.decode()
    assert login(cast.grid_worker).get("/registry/", {"q": person.id_number}).content.decode().count(person.name) >= 1


def test_looking_up_a_full_id_or_phone_needs_the_reveal_right_and_is_audited(cast, settings):
    """An answer to "does this number exist?" confirms the number: a reveal."""
    person = scope_for(cast.grid_worker).filter(Person.objects.all(), ).exclude(phone_bidx="").first()
    leader = login(cast.town_leader).get("/registry/", {"q": person.id_number}).content.decode()
    assert person.name not in leader and "需要查看个人信息的权限" in leader
    assert login(cast.town_leader).get("/api/v1/registry/people", {"q": person.phone}).status_code == 403
    assert not AuditLog.objects.filter(action="lookup", actor=cast.town_leader).exists()
    login(cast.grid_worker).get("/registry/", {"q": person.phone})
    row = AuditLog.objects.filter(action="lookup", actor=cast.grid_worker).latest("id")
    assert person.phone not in row.note and person.phone_masked in row.note
    settings.IDENTIFIER_LOOKUPS_PER_DAY = 1
    from django.core.cache import cache

    cache.clear()
    client = login(cast.grid_worker)
    client.get("/registry/", {"q": person.id_number})
    assert "次数已用完" in client.get("/registry/", {"q": person.id_number}).content.decode()
    cache.clear()


def test_a_grid_worker_sees_only_people_of_their_grid_subtree(cast):
    scope = scope_for(cast.grid_worker)
    visible = scope.filter(Person.objects.all())
    home = Grid.objects.get(posts__user=cast.grid_worker)
    assert visible.exists()
    assert set(visible.values_list("grid_id", flat=True)) <= set(
        Grid.objects.filter(path__startswith=home.path).values_list("id", flat=True))
    other = Person.objects.exclude(grid__path__startswith=home.path).first()
    assert login(cast.grid_worker).get(f"/registry/person/{other.pk}/").status_code == 404


def test_a_grid_chief_sees_the_whole_village_grid(cast):
    chief_grid = Grid.objects.get(posts__user=cast.grid_chief)
    ids = scope_for(cast.grid_chief).grid_ids
    assert set(Grid.objects.filter(path__startswith=chief_grid.path).values_list("id", flat=True)) == set(ids)


def test_a_citizen_sees_no_registry_and_no_grids(cast):
    client = login(cast.citizen)
    assert client.get("/geo/grids.geojson").json()["features"] == []
    person = _person_in("徐霞客镇")
    assert client.get(f"/registry/person/{person.pk}/").status_code == 404
    assert client.get("/api/v1/registry/people", {"q": person.name}).json() == []


def test_a_department_handler_is_scoped_to_the_departments_region(cast):
    scope = scope_for(cast.dept_handler)
    assert scope.department_ids and scope.dept_region_ids and not scope.region_ids  # county department


def test_search_results_are_masked(cast):
    person = _person_in("徐霞客镇", phone_bidx__gt="")
    html = login(cast.grid_chief if person.grid_id in scope_for(cast.grid_chief).grid_ids else cast.town_leader).get(
        "/registry/", {"q": person.name}).content.decode()
    assert person.id_number not in html and person.phone not in html
    assert person.id_masked in html


def test_the_api_masks_and_scopes(cast):
    person = scope_for(cast.grid_worker).filter(Person.objects.all()).first()
    data = login(cast.grid_worker).get("/api/v1/registry/people", {"q": person.id_number}).json()
    assert data[0]["id_number"] == person.id_masked and data[0]["birth_year"] == person.birth_date.year
    assert login(cast.town_leader).get("/api/v1/registry/people", {"q": person.name}).json()
    assert login(cast.outsider).get("/api/v1/registry/people", {"q": person.name}).json() == []


def test_the_api_requires_a_login():
    from django.test import Client

    assert Client().get("/api/v1/geo/grids").status_code == 401


def test_a_grid_worker_may_reveal_an_id_and_the_reveal_is_audited(cast):
    worker = cast.grid_worker
    person = scope_for(worker).filter(Person.objects.all()).first()
    resp = login(worker).post(f"/registry/person/{person.pk}/reveal/id_number/")
    assert resp.status_code == 200 and person.id_number in resp.content.decode()
    log = AuditLog.objects.get(action="reveal", object_id=str(person.pk), actor=worker)
    assert "身份证号" in log.note
    assert person.id_number not in str(log.before) + str(log.after) + log.note


def test_a_town_leader_may_not_reveal_and_nothing_is_logged(cast):
    person = _person_in("徐霞客镇")
    resp = login(cast.town_leader).post(f"/registry/person/{person.pk}/reveal/id_number/")
    assert resp.status_code == 403
    assert person.id_number not in resp.content.decode()
    assert not AuditLog.objects.filter(action="reveal", object_id=str(person.pk)).exists()


def test_reveal_needs_post(cast):
    person = scope_for(cast.grid_worker).filter(Person.objects.all()).first()
    assert login(cast.grid_worker).get(f"/registry/person/{person.pk}/reveal/id_number/").status_code == 405


def test_only_auditors_read_the_audit_log(cast):
    assert login(cast.auditor).get("/system/audit/").status_code == 200
    for user in (cast.town_leader, cast.grid_worker, cast.citizen):
        assert login(user).get("/system/audit/").status_code == 403


def test_anonymous_users_are_sent_to_login():
    from django.test import Client

    for url in ("/", "/geo/map/", "/registry/", "/system/audit/"):
        resp = Client().get(url)
        assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_town_outlines_are_scoped(cast):
    names = {f["properties"]["name"] for f in login(cast.town_leader).get("/geo/towns.geojson").json()["features"]}
    assert names == {"徐霞客镇"}
    assert len(login(cast.county_leader).get("/geo/towns.geojson").json()["features"]) == 17


# --------------------------------------------------------------------------- references inside writes
def _foreign_and_missing(cast, huashi):
    """A case, a department, a grid and an extension request of another town, beside ids that do
    not exist: every write that names one must answer both alike and change nothing."""
    from shanzhi.accounts.models import Department
    from shanzhi.incidents.services import loop
    from shanzhi.incidents.services.intake import incident_report

    grid = Grid.objects.filter(town=huashi, level=2).order_by("code").first()
    there = incident_report(actor=None, source="hotline", description="华士镇井盖缺失", lon=grid.center_lon,
                            lat=grid.center_lat, subclass_code="0801")[0]
    outsider_dispatcher = Post.objects.filter(role="dispatcher", region=huashi).first().user
    loop.incident_register(actor=outsider_dispatcher, incident_id=there.pk)
    loop.incident_dispatch(actor=outsider_dispatcher, incident_id=there.pk,
                           department=Department.objects.filter(region=huashi).first().pk)
    handler = Post.objects.filter(department=there.__class__.objects.get(pk=there.pk).department,
                                  role="dept_handler").first().user
    loop.incident_accept(actor=handler, incident_id=there.pk)
    request = loop.incident_request_extension(actor=handler, incident_id=there.pk, amount=1, unit="working_days",
                                              reason="协调")
    return {"case": there, "department": Department.objects.filter(region=huashi).first(), "grid": grid,
            "request": request}


def test_every_reference_in_a_write_treats_outside_like_missing(cast, huashi):
    import json

    from shanzhi.incidents.models import Incident
    from shanzhi.incidents.services import loop
    from shanzhi.incidents.services.intake import incident_report

    foreign = _foreign_and_missing(cast, huashi)
    home = Grid.objects.get(posts__user=cast.informant)

    def fresh(status="reported"):
        inc = incident_report(actor=cast.informant, source="patrol", description="马镇路边垃圾", lon=home.center_lon,
                              lat=home.center_lat)[0]
        if status in ("registered", "handling"):
            loop.incident_register(actor=cast.dispatcher, incident_id=inc.pk)
        if status == "handling":
            loop.incident_dispatch(actor=cast.dispatcher, incident_id=inc.pk, department_code="JY-CG")
            loop.incident_accept(actor=cast.dept_handler, incident_id=inc.pk)
        return Incident.objects.get(pk=inc.pk)

    web, api = login(cast.dispatcher), login(cast.dispatcher)
    county = login(cast.county_dispatcher)
    cases = [
        # (who, status, web action, form field, foreign value, missing value)
        (web, "reported", "merge", "into", foreign["case"].pk, 10**9),
        (web, "registered", "dispatch", "department", foreign["department"].pk, 10**9),
        (web, "registered", "whistle", "departments", [foreign["department"].pk, 1], [10**9, 1]),
        (county, None, "locate", "grid", foreign["grid"].pk, 10**9),
        (login(cast.dispatcher), "handling", "extend_decide", "request", foreign["request"].pk, 10**9),
    ]
    for client, status, action, field, outside, missing in cases:
        if status is None:
            inc = incident_report(actor=None, source="api", description="位置不明的路灯", address_text="某处")[0]
            inc = Incident.objects.get(pk=inc.pk)
            client = login(cast.county_dispatcher)
            # A county dispatcher's scope is the whole county: no grid is foreign to it, so an id
            # that can never exist (0) stands in for "outside" and must read like a missing one.
            outside = 0
        else:
            inc = fresh(status)
        answers = []
        for value in (outside, missing):
            resp = client.post(f"/incidents/{inc.pk}/act/{action}/", {field: value, "version": inc.version,
                                                                      "approve": "1", "note": "测试"})
            answers.append((resp.status_code, _alert(resp)))
        assert answers[0] == answers[1] and answers[0][0] == 400, (action, answers)
        after = Incident.objects.get(pk=inc.pk)
        assert (after.status, after.department_id, after.grid_id, after.version) == \
            (inc.status, inc.department_id, inc.grid_id, inc.version), action
    # The same through the API, by code or number.
    inc = fresh("registered")
    for action, body_out, body_missing in [
        ("dispatch", {"department_code": foreign["department"].code}, {"department_code": "NO-SUCH"}),
        ("whistle", {"department_code": "JY-CG", "departments": [foreign["department"].code]},
         {"department_code": "JY-CG", "departments": ["NO-SUCH"]}),
        ("merge", {"into_number": foreign["case"].number}, {"into_number": "209901019999"}),
    ]:
        target = inc if action != "merge" else fresh("reported")
        a = api.post(f"/api/v1/incidents/{target.pk}/actions/{action}", json.dumps(body_out),
                     content_type="application/json")
        b = api.post(f"/api/v1/incidents/{target.pk}/actions/{action}", json.dumps(body_missing),
                     content_type="application/json")
        assert a.status_code == b.status_code == 422 and a.json()["errors"] == b.json()["errors"], action
        assert foreign["case"].number not in a.content.decode()
    # A foreign case's number in an action URL is a 404, like a number that does not exist.
    assert api.post(f"/api/v1/incidents/{foreign['case'].pk}/actions/accept", "{}",
                    content_type="application/json").status_code == 404
    assert api.post("/api/v1/incidents/999999999/actions/accept", "{}", content_type="application/json").status_code == 404
    # Patrols start only in one's own grid.
    worker = login(cast.grid_worker)
    a = worker.post("/incidents/patrols/start/", {"grid": foreign["grid"].pk})
    b = worker.post("/incidents/patrols/start/", {"grid": 10**9})
    assert a.status_code == b.status_code == 400 and a.content == b.content


def _alert(resp) -> str:
    import re

    found = re.search(r'role="alert">([^<]*)<', resp.content.decode())
    return found.group(1) if found else resp.content.decode()[:200]
