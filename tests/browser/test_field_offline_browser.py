"""The field on a phone without a signal (390 × 844, Playwright's offline mode): the grid worker
(徐丽娟) starts a patrol with a signal, goes into a basement, reports three cases with photos and
checks in two patrol items; closes the page and opens it again — "待同步 5"; back in the signal,
all five arrive exactly once with the times they were made; the town's dispatcher (陈静) sees the
three cases. axe-core finds no serious or critical violation on the field pages.

Only pages are used. The server's SQLite file is read to confirm what arrived (once, and when)."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
from PIL import Image

from .axe import serious
from .conftest import shot
from .test_window_browser import server_db  # noqa: F401 — the shared fixture

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "Shanzhi@2026"


def jpeg(colour) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), colour).save(out, format="JPEG", quality=95)
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def phone(browser, server, username, **extra):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", service_workers="allow", **extra)
    context.on("page", lambda p: p.on("pageerror", lambda e: print("page error:", e)))
    page = context.new_page()
    page.on("pageerror", lambda e: print("page error:", e))
    page.goto(f"{server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


def counts(page) -> dict:
    return page.evaluate("() => Shanzhi.field.counts()")


def wait_until_sent(page, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = counts(page)
        if c["pending"] == 0:
            return c
        time.sleep(0.3)
    raise AssertionError(f"still queued: {counts(page)}")


def ready(page):
    try:
        page.wait_for_function("() => window.Shanzhi && Shanzhi.fieldReady === true", timeout=20000)
    except Exception:
        print("not ready:", page.url, page.title(), page.inner_text("body")[:300])
        raise


def test_a_grid_worker_reports_and_checks_in_offline_and_everything_arrives_once(browser, server, server_db):  # noqa: F811
    worker_grid = server_db.execute(
        "SELECT g.id, g.name, g.center_lon, g.center_lat FROM geo_grid g JOIN accounts_post p ON p.grid_id = g.id "
        "JOIN accounts_user u ON u.id = p.user_id WHERE u.username = 'grid_worker' AND p.is_active").fetchone()
    grid_id, grid_name, lon, lat = worker_grid
    # The position is allowed while reporting (the form takes it); on the patrol page it is not, so
    # that no track batch joins the queue and the count below is the five the worker made.
    context, page = phone(browser, server, "grid_worker", geolocation={"longitude": lon, "latitude": lat})
    # With a signal: the app installs itself and keeps the field pages.
    page.goto(f"{server}/incidents/patrols/")
    ready(page)
    page.evaluate("() => Promise.race([navigator.serviceWorker.ready.then(() => true), "
                  "new Promise((_, fail) => setTimeout(() => fail(new Error('no service worker')), 20000))])")
    for path in ("/incidents/new/", "/work/", "/field/queue/", "/incidents/patrols/"):
        page.goto(f"{server}{path}")
        ready(page)
    assert page.evaluate("() => !!navigator.serviceWorker.controller")
    assert not (found := serious(page)), json.dumps(found, ensure_ascii=False)
    page.select_option("#patrol-grid", str(grid_id))
    page.click("#patrol-start button[type=submit]")
    sheet = page.locator(f".patrol-sheet[data-grid='{grid_id}']")
    sheet.wait_for(state="visible")
    wait_until_sent(page)
    round_id, started = server_db.execute(
        "SELECT r.id, r.started_at FROM incidents_patrolround r JOIN accounts_user u ON u.id = r.user_id "
        "WHERE u.username = 'grid_worker' AND r.ended_at IS NULL").fetchone()

    def sent_so_far():
        # The reports and check-ins the worker makes below; a batch of track points the browser may
        # still send for the patrol just started (with a signal) is not one of them.
        return server_db.execute("SELECT count(*) FROM field_submission f JOIN accounts_user u ON u.id = f.user_id "
                                 "WHERE u.username = 'grid_worker' AND f.kind IN ('report', 'patrol_check')"
                                 ).fetchone()[0]

    sent_before = sent_so_far()  # other tests of the session may have sent some before

    # In the basement: no signal.
    context.set_offline(True)
    context.grant_permissions(["geolocation"])
    page.goto(f"{server}/incidents/new/")
    ready(page)
    assert page.inner_text("#net-state").startswith("离线")
    texts = ["地下车库B2层积水有十几公分深，电动车都泡在水里了",
             "小区东门口有人把装修垃圾倒在绿化带里，一大堆",
             "3号楼楼道里电瓶车在充电，线从窗户拉出来的"]
    made = []
    for n, text in enumerate(texts):
        page.wait_for_function("() => document.getElementById('id_lon').value !== ''")  # the device's position
        if n == 0:
            # A file that is not a picture, and one too large: refused when taken, with the reason.
            page.set_input_files("#photos", [{"name": "合同.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}])
            page.wait_for_function("() => document.querySelector('.photo-error').textContent.includes('不是有效的图片')")
            assert page.locator(".photo-thumb").count() == 0
        page.fill("#id_description", text)
        page.set_input_files("#photos", [jpeg((90 + 40 * n, 120, 80)), jpeg((30, 60 + 40 * n, 160))])
        page.locator(".photo-thumb img").nth(1).wait_for()
        before = dt.datetime.now(dt.UTC)
        page.click("#report-form button[type=submit]")
        page.locator(".queue-msg").wait_for()
        made.append((before, dt.datetime.now(dt.UTC)))
        assert f"待同步 {n + 1}" in page.inner_text(".queue-msg")
        assert page.locator(".photo-thumb").count() == 0 and page.input_value("#id_description") == ""
        if n == 0:
            assert not (found := serious(page)), json.dumps(found, ensure_ascii=False)
            shot(page, "field-report-offline")
        page.goto(f"{server}/incidents/new/")  # the next report: the page again, from the phone
        ready(page)

    context.clear_permissions()
    page.goto(f"{server}/incidents/patrols/")
    ready(page)
    sheet = page.locator(f".patrol-sheet[data-grid='{grid_id}']")
    assert sheet.is_visible()
    items = sheet.locator(".patrol-item")
    first, fourth = items.nth(0), items.nth(3)
    check_made = []
    before = dt.datetime.now(dt.UTC)
    first.locator("button[name=ok][value='1']").click()
    first.locator(".check-state.ok").wait_for()
    check_made.append((before, dt.datetime.now(dt.UTC)))
    fourth.locator("summary").click()
    fourth.locator("textarea[name=note]").fill("围墙边新搭了一间彩钢棚，像是要开小饭馆")
    fourth.locator("input[type=file]").set_input_files([jpeg((200, 80, 60))])
    fourth.locator(".photo-thumb img").wait_for()
    before = dt.datetime.now(dt.UTC)
    fourth.locator("button[name=ok][value='0']").click()
    fourth.locator(".check-state.err").wait_for()
    check_made.append((before, dt.datetime.now(dt.UTC)))
    assert not (found := serious(page)), json.dumps(found, ensure_ascii=False)
    shot(page, "field-patrol-offline")

    # The phone's storage is full: the worker is told, the report stays in the form, nothing is queued.
    context.grant_permissions(["geolocation"])
    page.goto(f"{server}/incidents/new/")
    ready(page)
    page.wait_for_function("() => document.getElementById('id_lon').value !== ''")
    page.evaluate("() => { window._put = IDBObjectStore.prototype.put; IDBObjectStore.prototype.put = function () {"
                  " throw new DOMException('full', 'QuotaExceededError'); }; }")
    page.fill("#id_description", "路口红绿灯不亮了")
    page.click("#report-form button[type=submit]")
    page.wait_for_function("() => (document.querySelector('.queue-msg') || {}).textContent?.includes('存储空间已满')")
    assert page.input_value("#id_description") == "路口红绿灯不亮了"
    page.evaluate("() => { IDBObjectStore.prototype.put = window._put; }")
    assert counts(page)["pending"] == 5

    # The worker closes the page; opens it again, still without a signal.
    page.close()
    page = context.new_page()
    page.goto(f"{server}/incidents/new/")
    ready(page)
    page.wait_for_function("() => document.getElementById('sync-count').textContent.includes('待同步')")
    assert page.inner_text("#sync-count") == "待同步 5"
    assert sent_so_far() == sent_before  # nothing has reached the server yet
    page.goto(f"{server}/field/queue/")
    ready(page)
    assert page.locator("#queue-pending .queue-item").count() == 5
    assert not (found := serious(page)), json.dumps(found, ensure_ascii=False)
    shot(page, "field-queue-offline")

    # Back in the signal: everything goes, in order, once.
    context.set_offline(False)
    page.evaluate("() => Shanzhi.field.sync()")
    wait_until_sent(page)
    page.wait_for_function("() => document.querySelectorAll('#queue-sent .queue-item').length >= 5")
    for text, (lo, hi) in zip(texts, made, strict=True):
        rows = server_db.execute("SELECT i.number, i.reported_at, i.grid_id, (SELECT count(*) FROM incidents_attachment a "
                                 "WHERE a.incident_id = i.id) FROM incidents_incident i WHERE i.description = ?",
                                 (text,)).fetchall()
        assert len(rows) == 1, rows
        number, reported_at, placed, photos = rows[0]
        at = dt.datetime.fromisoformat(reported_at).replace(tzinfo=dt.UTC)
        assert lo - dt.timedelta(seconds=1) <= at <= hi + dt.timedelta(seconds=1), (at, lo, hi)
        assert placed == grid_id and photos == 2
    checks = server_db.execute("SELECT c.checked_at, c.ok, c.incident_id FROM incidents_patrolcheck c "
                               "WHERE c.round_id = ? ORDER BY c.checked_at", (round_id,)).fetchall()
    assert len(checks) == 2, checks
    for (checked_at, _ok, _inc), (lo, hi) in zip(checks, check_made, strict=True):
        at = dt.datetime.fromisoformat(checked_at).replace(tzinfo=dt.UTC)
        assert lo - dt.timedelta(seconds=1) <= at <= hi + dt.timedelta(seconds=1), (at, lo, hi)
    assert checks[0][1] == 1 and checks[1][1] == 0 and checks[1][2]
    assert sent_so_far() == sent_before + 5
    # A 督办 arrives while the page is open: the badge and a notice, without reloading.
    worker_id = server_db.execute("SELECT id FROM accounts_user WHERE username = 'grid_worker'").fetchone()[0]
    before_unread = int(page.evaluate("() => document.querySelector('nav.bottom .unread-count').textContent") or 0)
    server_db.execute("INSERT INTO notify_message (user_id, title, body, link, created_at) VALUES (?, ?, ?, ?, ?)",
                      (worker_id, "督办：请今天核查东门垃圾", "镇指挥中心督办", "/work/", dt.datetime.now(dt.UTC).isoformat()))
    server_db.commit()
    page.evaluate("() => Shanzhi.pollMessages()")
    page.locator("#live-toast").wait_for(state="visible")
    assert "督办：请今天核查东门垃圾" in page.inner_text("#live-toast")
    page.wait_for_function(f"() => document.querySelector('nav.bottom .unread-count').textContent === '{before_unread + 1}'")
    # A second sync (the phone unsure it was heard) sends nothing again.
    page.evaluate("() => Shanzhi.field.sync()")
    assert server_db.execute("SELECT count(*) FROM incidents_incident WHERE description IN (?, ?, ?)",
                             texts).fetchone()[0] == 3
    context.close()

    # The town's dispatcher sees the three cases.
    desk = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    desk.goto(f"{server}/login/")
    desk.fill("#id_username", "dispatcher")
    desk.fill("#id_password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url(lambda url: "/login/" not in url)
    for text in texts:
        desk.goto(f"{server}/incidents/?q={text[:8]}")
        assert desk.locator("table tr", has_text=text[:8]).count() >= 1, text
    desk.context.close()
