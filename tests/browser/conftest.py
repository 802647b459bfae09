"""Browser fixtures: Debian's chromium driven by Playwright against the real server set-up
(gunicorn + whitenoise) on a demo county built into its own SQLite file."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SHANZHI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("SHANZHI_ARTIFACTS", tempfile.gettempdir())) / "shanzhi-screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def data_dir():
    return Path(tempfile.mkdtemp(prefix="shanzhi-browser-"))


@pytest.fixture(scope="session")
def server(data_dir):
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir), "DATABASE_URL": "", "SHANZHI_SEAL_KEY": "7c" * 32}
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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


def login(browser, server, username):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page.goto(f"{server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Shanzhi@2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


