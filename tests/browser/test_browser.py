"""Browser tests: Debian's chromium driven by Playwright against the real server set-up
(gunicorn + whitenoise) on a demo county built into its own SQLite file."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("SHANZHI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("SHANZHI_ARTIFACTS", tempfile.gettempdir())) / "shanzhi-screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    data_dir = tempfile.mkdtemp(prefix="shanzhi-browser-")
    env = {**os.environ, "SHANZHI_DATA_DIR": data_dir, "DATABASE_URL": "", "SHANZHI_SEAL_KEY": "7c" * 32}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "demo", "--scale", "tiny", "--no-serve"], env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "collectstatic", "--noinput", "-v0"], env=env, check=True)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "shanzhi.config.wsgi:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2"], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


def _login(browser, server, username):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page.goto(f"{server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Shanzhi@2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


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
