"""双随机一公开 in the browser: the town leader of 徐霞客镇 makes a plan on the form, draws it (the
seed, the method and the input's digest are shown), checks the draw by running it again from the
recorded seed ("复核一致"); each task's lead inspector — an officer of another squad than the one
that supervises the entity — records the result on their task page (one problem, which becomes a
lead of the enforcement bureau), the leader publishes, and a visitor who is not signed in sees
the results with the seed and the input to re-run, but no inspector's name.

Only pages are clicked and filled. The server's SQLite file is read for the usernames of the
drawn inspectors (what each of them would be told by their in-app message). The demo builder may
not carry the inspection demo yet: ``shanzhi inspections_demo`` adds it (and does nothing if it
is there)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import pytest

from .conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "Shanzhi@2026"
SEAL_KEY = "7c" * 32  # the server fixture's SHANZHI_SEAL_KEY (conftest.py)
TOWN = "徐霞客镇"


def sign_in(browser, server, username):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page.goto(f"{server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.fixture(scope="module")
def inspection_demo(server, data_dir):
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir), "DATABASE_URL": "", "SHANZHI_SEAL_KEY": SEAL_KEY}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([sys.executable, "-m", "shanzhi.cli", "inspections_demo"], env=env, check=True, capture_output=True)
    return server


@pytest.fixture(scope="module")
def server_db(data_dir):
    """The server's SQLite file (never named ``db``: pytest-django would move these tests first)."""
    con = sqlite3.connect(data_dir / "shanzhi.sqlite3", timeout=15)
    yield con
    con.close()


@pytest.fixture(scope="module")
def users(browser, inspection_demo):
    pages = {}

    def get(username):
        if username not in pages:
            pages[username] = sign_in(browser, inspection_demo, username)
        return pages[username]

    yield get
    for page in pages.values():
        page.context.close()


def lead_inspectors(server_db, plan_number):
    """(task id, entity name, username of the team's first member) of a plan, in task order."""
    return server_db.execute(
        "SELECT t.id, t.entity_name, u.username FROM inspections_task t "
        "JOIN inspections_plan p ON p.id = t.plan_id "
        "JOIN inspections_taskmember m ON m.task_id = t.id AND m.\"order\" = 1 "
        "JOIN inspections_inspector i ON i.id = m.inspector_id JOIN accounts_user u ON u.id = i.user_id "
        "WHERE p.number = ? ORDER BY t.seq", (plan_number,)).fetchall()


def member_names(server_db, plan_number):
    return [r[0] for r in server_db.execute(
        "SELECT u.display_name FROM inspections_taskmember m JOIN inspections_task t ON t.id = m.task_id "
        "JOIN inspections_plan p ON p.id = t.plan_id JOIN inspections_inspector i ON i.id = m.inspector_id "
        "JOIN accounts_user u ON u.id = i.user_id WHERE p.number = ?", (plan_number,))]


def test_a_plan_is_drawn_checked_from_its_seed_worked_and_published(browser, inspection_demo, users, server_db):
    server = inspection_demo
    leader = users("town_leader")

    # 1. The plan, on the form.
    leader.goto(f"{server}/inspections/")
    with leader.expect_navigation():
        leader.click("#new-plan")
    leader.fill("#id_name", "浏览器测试：餐饮服务食品安全“双随机”抽查")
    leader.select_option("#id_region", label=TOWN)
    leader.select_option("#id_department", label=f"{TOWN}综合行政执法局")
    for box in leader.locator("#units input[type=checkbox]").all():
        box.check()
    leader.locator("#matters label", has_text="SJ-002").locator("input").check()
    for box in leader.locator("input[name=sectors]").all():
        box.check()
    leader.select_option("#id_mode", "count")
    leader.fill("#id_count", "2")
    leader.fill("#id_recent", "0")
    shot(leader, "inspection-01-plan-form")
    with leader.expect_navigation():
        leader.click("#plan-form button[type=submit]")
    assert re.search(r"/inspections/plans/\d+/$", leader.url), leader.inner_text("main")
    plan_url = leader.url
    assert "草拟" in leader.inner_text("#plan-status")
    assert "将抽取 2 个" in leader.inner_text("#preview")
    number = re.search(r"CCJH\d{8}", leader.inner_text("main")).group(0)

    # 2. The draw: the seed, the method and the input's digest are on record.
    with leader.expect_navigation():
        leader.click("#draw")
    assert "已抽取" in leader.inner_text("#plan-status")
    seed = leader.inner_text("#seed").strip()
    assert re.fullmatch(r"[0-9a-f]{64}", seed)
    assert re.fullmatch(r"[0-9a-f]{64}", leader.inner_text("#input-hash").strip())
    rows = leader.locator("tr.task-row")
    assert rows.count() == 2
    drawn = [r.inner_text() for r in rows.all()]
    shot(leader, "inspection-02-drawn")

    # 3. Drawn again from the recorded seed and the frozen input: the same result, and it says so.
    with leader.expect_navigation():
        leader.click("#verify")
    assert "复核一致" in leader.inner_text("#verification")
    assert [r.inner_text() for r in leader.locator("tr.task-row").all()] == drawn
    shot(leader, "inspection-03-verified")
    with leader.expect_navigation():  # publishing before the results are in is refused
        leader.click("#publish")
    assert "未录入结果" in leader.inner_text("#plan-error")

    # 4. Each task's lead inspector records the result on the task page; one finds a problem.
    tasks = lead_inspectors(server_db, number)
    assert len(tasks) == 2
    for k, (task_id, entity, username) in enumerate(tasks):
        page = users(username)
        page.goto(f"{server}/inspections/tasks/")
        assert entity in page.inner_text("main")
        with page.expect_navigation():
            page.locator("tr.task-row", has_text=entity).locator("a").first.click()
        assert page.url.endswith(f"/inspections/tasks/{task_id}/")
        form = page.locator("#result-form")
        if k == 0:
            form.locator("input[value=ok]").check()
        else:
            form.locator("input[value=problem]").check()
            form.locator("textarea[name=findings]").fill("后厨未配备餐具消毒设施，现场有过期调味品两瓶")
        with page.expect_navigation():
            page.click("#record")
        if k == 0:
            assert "未发现问题" in page.inner_text("#task-status")
        else:
            assert "发现问题" in page.inner_text("#task-status")
            lead = page.inner_text("#referral")
            assert "已登记执法案源" in lead or "移交" in lead, lead
            shot(page, "inspection-04-problem-recorded")
        assert page.locator("#result-form").count() == 0  # once only

    # 5. Published; the public page shows the results, the seed and the input to re-run.
    leader.goto(plan_url)
    with leader.expect_navigation():
        leader.click("#publish")
    assert "已公示" in leader.inner_text("#plan-status")
    visitor = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
    visitor.goto(f"{server}/inspections/public/")
    with visitor.expect_navigation():
        visitor.locator("tr.public-plan-row", has_text=number).locator("a").first.click()
    text = visitor.inner_text("main")
    assert seed in visitor.inner_text("#public-seed")
    for _task_id, entity, _username in tasks:
        assert entity in text
    assert "未发现问题" in text and "发现问题待后续处理" in text
    for name in member_names(server_db, number):
        assert name not in text
    shot(visitor, "inspection-05-public")
    body = visitor.request.get(f"{server}/inspections/public/{number}/input.txt").text()
    assert body.startswith("shanzhi-draw/1\n") and f"plan {number}" in body
    visitor.goto(f"{server}/inspections/public/method/")
    assert "def select_entities" in visitor.inner_text("#method-source")
    visitor.context.close()
