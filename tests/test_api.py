import pytest

from shanzhi.geo.models import Grid

from .conftest import login

pytestmark = pytest.mark.django_db


def test_locate_through_the_api(cast):
    g = Grid.objects.filter(level=2, town__name="徐霞客镇").order_by("code").first()
    data = login(cast.dispatcher).get("/api/v1/geo/locate", {"lon": g.center_lon, "lat": g.center_lat}).json()
    assert data["town"]["name"] == "徐霞客镇" and data["grid"]["level"] >= 2 and data["declared_crs"] == "wgs84"


def test_locate_refuses_bad_input_with_a_specific_error(cast):
    client = login(cast.dispatcher)
    assert client.get("/api/v1/geo/locate", {"lon": "abc", "lat": 31}).status_code == 400
    resp = client.get("/api/v1/geo/locate", {"lon": 120.3, "lat": 31.8, "crs": "utm"})
    assert resp.status_code == 400 and "crs" in resp.json()["errors"] and resp.json()["code"] == "invalid"
    assert client.get("/api/v1/geo/locate", {"lon": 500, "lat": 31}).status_code == 400


def test_grids_api_is_scoped_and_paged(cast):
    client = login(cast.town_leader)
    rows = client.get("/api/v1/geo/grids", {"level": 1}).json()
    assert len(rows) == 21 and {r["town"] for r in rows} == {"徐霞客镇"}
    assert client.get("/api/v1/geo/grids", {"limit": 0}).status_code == 400


def test_the_openapi_document_is_served(cast):
    resp = login(cast.town_leader).get("/api/v1/openapi.json")
    assert resp.status_code == 200 and "/api/v1/geo/locate" in resp.json()["paths"]


def test_scheduler_enqueues_each_due_job_once(django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from shanzhi.common.management.commands.scheduler import run_due

    with django_capture_on_commit_callbacks(execute=True):
        first = run_due()
    with django_capture_on_commit_callbacks(execute=True):
        second = run_due()
    assert "calendar-coverage" in first and second == []


def test_calendar_coverage_task_reports_the_next_year():
    from shanzhi.common.tasks import check_calendar_coverage

    result = check_calendar_coverage.call()
    assert "year" in result and isinstance(result["known"], bool)
