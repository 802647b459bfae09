"""A town user's map, grid card and masked search; login errors; an audited reveal."""

import pytest

from .conftest import login as _login
from .conftest import shot as _shot

pytestmark = pytest.mark.browser


def test_a_town_user_sees_their_towns_map_opens_a_grid_card_and_searches_masked(server, browser):
    page = _login(browser, server, "town_leader")
    assert "顾晓东" in page.content()
    page.click("text=一网格")
    page.wait_for_selector("#map[data-loaded='1']", timeout=15000)
    counts = page.inner_text("#count")
    assert "个网格" in counts
    # Only 徐霞客镇 is offered and drawn.
    options = page.locator("#town option").all_inner_texts()
    assert options[1:] == ["徐霞客镇"]
    _shot(page, "map")
    # Click inside a second-level grid (its representative point, from the API).
    grid = page.evaluate("fetch('/api/v1/geo/grids?level=2').then(r => r.json()).then(g => g[5])")
    point = page.evaluate(f"(() => {{ const p = gridMap.latLngToContainerPoint([{grid['center_lat']}, {grid['center_lon']}]);"
                          "const r = document.getElementById('map').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()")
    page.mouse.click(*point)
    page.wait_for_selector("#card h2[data-grid]", timeout=10000)
    card = page.inner_text("#card")
    assert "一长五员" in card and "实有人口" in card and "徐霞客镇" in card
    assert page.get_attribute("#card h2[data-grid]", "data-grid").startswith(grid["code"][:12])
    # Registry search: results masked.
    page.goto(f"{server}/registry/?q=江阴市徐霞客镇")
    page.wait_for_selector(".person-row")
    masked = page.locator(".person-row td.masked").first.inner_text()
    assert "*" in masked and len(masked) == 18
    _shot(page, "search")


def test_a_login_with_a_wrong_password_is_refused_in_chinese(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/login/")
    page.fill("#id_username", "grid_worker")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "密码不正确" in page.inner_text(".msg.error")


def test_a_grid_worker_reveals_an_id_number_after_confirming(server, browser):
    page = _login(browser, server, "grid_worker")
    page.goto(f"{server}/registry/?q=江阴市")
    page.wait_for_selector(".person-row a")
    page.locator(".person-row a").first.click()
    page.on("dialog", lambda d: d.accept())
    page.locator("button:has-text('查看')").first.click()
    page.wait_for_selector(".revealed")
    value = page.inner_text(".revealed")
    assert "*" not in value and len(value) == 18
