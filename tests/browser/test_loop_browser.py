"""The whole loop in the browser with the fixed cast: the informant reports with a photo, the
dispatcher dispatches, the department handles and reports back, the informant verifies, the case
closes, the citizen rates — and the command center's figures move."""

import re
import sqlite3

import pytest
from PIL import Image

from .conftest import login, shot

pytestmark = pytest.mark.browser


def closed_today(page, server) -> tuple[int, int]:
    page.goto(f"{server}/center/?days=1")
    text = page.inner_text(".kpi[data-key='close_rate']")
    m = re.search(r"(\d+)\s*/\s*(\d+)", text)
    return int(m.group(1)), int(m.group(2))


def act(page, action, fill=None, button=None):
    form = page.locator(f"form.act-{action}")
    for selector, value in (fill or {}).items():
        if selector.startswith("select"):
            form.locator(selector).select_option(**value)
        else:
            form.locator(selector).fill(value)
    with page.expect_navigation():  # success answers HX-Redirect back to the case page
        form.locator(button or "button[type=submit]").first.click()


def test_the_whole_loop_in_the_browser(server, browser, data_dir, tmp_path):
    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(photo)

    leader = login(browser, server, "town_leader")
    closed_before, _ = closed_today(leader, server)

    # 1. The informant reports from the phone form, with a photo and the device position.
    informant = login(browser, server, "informant")
    grid = informant.evaluate("fetch('/api/v1/geo/grids?level=2').then(r => r.json()).then(g => g[0])")
    informant.goto(f"{server}/incidents/new/")
    informant.fill("#id_description", "马镇社区路口窨井盖缺失，存在安全隐患")
    informant.evaluate(f"document.getElementById('id_lon').value='{grid['center_lon']}';"
                       f"document.getElementById('id_lat').value='{grid['center_lat']}'")
    informant.set_input_files("#photos", str(photo))
    informant.click("#report-form button[type=submit]")
    informant.wait_for_url(re.compile(r"/incidents/\d+/$"))
    case_url = informant.url
    assert "井盖缺损" in informant.inner_text("h1") and informant.locator("img").count() == 1
    shot(informant, "loop-reported")

    # 2. The dispatcher registers the case and dispatches it to the city-management bureau.
    dispatcher = login(browser, server, "dispatcher")
    dispatcher.goto(case_url)
    act(dispatcher, "register")
    act(dispatcher, "dispatch", {"select[name=department]": {"label": "江阴市城市管理局"}})
    assert "已派遣待签收" in dispatcher.inner_text("#status")

    # 3. The department handler signs for it and reports back with a photo.
    handler = login(browser, server, "dept_handler")
    handler.goto(case_url)
    act(handler, "accept")
    handler.locator("form.act-reply textarea").fill("已更换新井盖并设置警示")
    handler.locator("form.act-reply input[type=file]").set_input_files(str(photo))
    with handler.expect_navigation():
        handler.locator("form.act-reply button").click()
    assert "已反馈待核查" in handler.inner_text("#status")

    # 4. The informant verifies on site: the case closes.
    informant.goto(case_url)
    act(informant, "verify", button="button[value='1']")
    assert "已结案" in informant.inner_text("#status")
    shot(informant, "loop-closed")

    # 5. The citizen rates through the link in the closing SMS.
    number = case_url.rstrip("/").rsplit("/", 1)[1]
    with sqlite3.connect(data_dir / "shanzhi.sqlite3") as db:
        token = db.execute("SELECT rating_token FROM incidents_incident WHERE id = ?", (number,)).fetchone()[0]
    citizen = browser.new_page()
    citizen.goto(f"{server}/rate/{token}/")
    citizen.check("input[name=level][value='5']")
    citizen.click("button[type=submit]")
    assert "感谢您的评价" in citizen.inner_text("main")

    # 6. The command center's figures moved.
    closed_after, _ = closed_today(leader, server)
    assert closed_after == closed_before + 1
    leader.goto(case_url)
    assert "评价" in leader.inner_text(".timeline") and "5 / 5" in leader.inner_text("main")


def test_the_address_picker_sets_the_position(server, browser):
    page = login(browser, server, "informant")
    page.goto(f"{server}/incidents/new/")
    page.fill("#id_address_text", "马镇社区")
    page.wait_for_selector(".addr-option", timeout=10000)
    page.locator(".addr-option").first.click()
    assert page.input_value("#id_lon") and page.input_value("#id_lat")
    assert "已按标准地址定位" in page.inner_text("#loc-text")
