"""A grid worker reports in her own words; the town's dispatcher opens the case, sees three
suggested classes with their confidence (learnt from the county's registered cases) and picks the
second in one click; the case is registered in that class and the pick is stored as feedback."""

from __future__ import annotations

import pytest

from .conftest import login
from .test_window_browser import server_db  # noqa: F401 — the shared fixture

pytestmark = pytest.mark.browser


def test_a_dispatcher_picks_the_second_suggested_class_in_one_click(browser, server, server_db):  # noqa: F811
    lon, lat = server_db.execute(
        "SELECT g.center_lon, g.center_lat FROM geo_grid g JOIN accounts_post p ON p.grid_id = g.id "
        "JOIN accounts_user u ON u.id = p.user_id WHERE u.username = 'grid_worker'").fetchone()
    worker = login(browser, server, "grid_worker")
    worker.goto(f"{server}/incidents/new/")
    worker.wait_for_function("() => window.Shanzhi && Shanzhi.fieldReady === true")
    text = "都快半夜了对面烧烤店还在放音乐，喇叭对着居民楼，一个礼拜了天天这样"
    worker.fill("#id_description", text)
    worker.evaluate("([lon, lat]) => { document.getElementById('id_lon').value = lon;"
                    " document.getElementById('id_lat').value = lat; }", [lon, lat])
    worker.click("#report-form button[type=submit]")
    worker.wait_for_url(lambda url: "/incidents/new/" not in url)
    case_url = worker.url
    worker.context.close()

    desk = login(browser, server, "dispatcher")
    desk.goto(case_url)
    buttons = desk.locator("button.suggestion")
    assert buttons.count() == 3
    labels = [buttons.nth(i).inner_text() for i in range(3)]
    assert all(label.strip().endswith("%") for label in labels), labels
    second = buttons.nth(1).get_attribute("data-code")
    with desk.expect_navigation():
        buttons.nth(1).click()
    case_id = int(case_url.rstrip("/").rsplit("/", 1)[1])
    code, status = server_db.execute("SELECT c.code, i.status FROM incidents_incident i JOIN incidents_incidentclass c"
                                     " ON c.id = i.subclass_id WHERE i.id = ?", (case_id,)).fetchone()
    assert code == second and status == "registered"
    chosen, rank = server_db.execute("SELECT chosen, rank FROM incidents_classchoice WHERE incident_id = ?",
                                     (case_id,)).fetchone()
    assert chosen == second and rank == 2
    desk.context.close()
