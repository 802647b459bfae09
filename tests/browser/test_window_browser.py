"""The one window (一窗口) in the browser with the fixed cast, three ways in:

1. online: a company of 徐霞客镇 applies for 食品经营许可（新办）and leaves a material out; the
   clerk issues the one-time correction notice (the accept clock pauses), the company uploads the
   missing file, the clerk accepts, the department reviews in two rounds, the reviewer grants; the
   certificate verifies publicly and as a downloaded signed file (and fails once a field is
   changed); the company rates it once — a second rating is refused;
2. walk-in: a number from the kiosk, called at the clerk's desk and shown on the hall's screen,
   the application taken in at that window with the paper materials checked;
3. village agent: the grid worker applies at home for an elderly resident (农村村民住宅用地审批),
   three departments review in parallel, and the agent follows it to the decision.

Only pages are clicked and filled. The server's SQLite file is read to pick the cast's company, an
elderly resident and the reviewing departments' handlers (what a user would know or be told), and
written once: when the test runs outside the hall's opening hours, the hall is opened for the day
so that the kiosk hands out numbers (restored afterwards)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from zoneinfo import ZoneInfo

import pytest

from .conftest import shot

pytestmark = pytest.mark.browser

PASSWORD = "Shanzhi@2026"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SEAL_KEY = "7c" * 32  # the server fixture's SHANZHI_SEAL_KEY (conftest.py)
LOCAL = ZoneInfo("Asia/Shanghai")
TOWN = "徐霞客镇"
HALL = f"{TOWN}便民服务中心"


# --------------------------------------------------------------------------- helpers
def sign_in(browser, server, username):
    """Like conftest.login, but residents land on their online hall rather than on "/"."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page.goto(f"{server}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


@pytest.fixture(scope="module")
def users(browser, server):
    """One signed-in page per user for the whole file (the login form is rate limited per IP)."""
    pages = {}

    def get(username):
        if username not in pages:
            pages[username] = sign_in(browser, server, username)
        return pages[username]

    yield get
    for page in pages.values():
        page.context.close()


@pytest.fixture(scope="module")
def server_db(data_dir):
    """The server's SQLite file (never named ``db``: pytest-django would move these tests first)."""
    con = sqlite3.connect(data_dir / "shanzhi.sqlite3", timeout=15)
    yield con
    con.close()


@pytest.fixture
def pdf(tmp_path):
    def make(name):
        path = tmp_path / name
        path.write_bytes(PDF)
        return str(path)

    return make


def cell(page, label):
    """The value next to a row heading of the detail's tables."""
    return page.locator(f"tr:has(> th:text-is('{label}')) > td").first.inner_text().strip()


def material_row(page, name):
    return page.locator(".card:has(h2:text-is('申请材料')) tr", has_text=name).first.inner_text()


def status(page):
    return page.inner_text("h1 .st").strip()


def act(page, action, fill=None, button=None, error=None):
    """Submit one form of the detail's action panel; the answer is the detail page again."""
    form = page.locator(f"form.act-{action}")
    for selector, value in (fill or {}).items():
        form.locator(selector).fill(value)
    with page.expect_navigation():
        form.locator(button or "button[type=submit]").first.click()
    message = page.locator("#action-panel .msg.error")
    if error:
        assert error in message.inner_text(), page.inner_text("#action-panel")
    else:
        assert message.count() == 0, message.inner_text()


def open_detail(page, server, pk):
    page.goto(f"{server}/window/applications/{pk}/")
    return page


def search_and_open(page, server, q, number):
    """The window's list: search, find the row, open it."""
    page.goto(f"{server}/window/")
    page.fill("form.toolbar input[name=q]", q)
    with page.expect_navigation():
        page.click("form.toolbar button:has-text('查询')")
    row = page.locator("tr.application-row", has_text=number)
    assert row.count() == 1, page.inner_text("main")
    text = row.inner_text()
    with page.expect_navigation():
        row.locator("a").first.click()
    return text


def find_item(page, server, query, variant="新办"):
    """办事指南: search the catalog and open the handling item of that variant."""
    page.goto(f"{server}/window/guide/")
    page.fill("input[name=q]", query)
    with page.expect_navigation():
        page.click("form.toolbar button:has-text('搜索')")
    row = page.locator("tr.item-row", has_text=f"（{variant}）").filter(has_text=query).first
    with page.expect_navigation():
        row.locator("a").first.click()
    assert query in page.inner_text("main h1")


def material_inputs(page, scope="form"):
    """[(material name, file input name)] of a material table."""
    out = []
    for row in page.locator(f"{scope} tr:has(input[type=file])").all():
        name = row.locator("td").first.inner_text().split("\n")[0].replace("*", "").strip()
        out.append((name, row.locator("input[type=file]").get_attribute("name")))
    return out


def application_id(page) -> int:
    m = re.search(r"/window/applications/(\d+)/$", page.url)
    assert m, page.url
    return int(m.group(1))


def handlers_of(server_db, item_id) -> list[tuple[str, str]]:
    """(department name, a handler's username) for each review step of an item, in order."""
    rows = server_db.execute(
        "SELECT d.name, (SELECT u.username FROM accounts_post p JOIN accounts_user u ON u.id = p.user_id "
        "                WHERE p.department_id = d.id AND p.role = 'dept_handler' AND p.is_active "
        "                ORDER BY u.username LIMIT 1) "
        "FROM onewindow_reviewstep s JOIN accounts_department d ON d.id = s.department_id "
        "WHERE s.item_id = ? ORDER BY s.parallel_group, s.\"order\"", (item_id,)).fetchall()
    assert rows and all(u for _d, u in rows), rows
    return rows


def item_id_of(server_db, name, variant="新办") -> int:
    return server_db.execute("SELECT id FROM onewindow_serviceitem WHERE level = 'handling' AND name = ? AND variant = ?",
                      (name, variant)).fetchone()[0]


def town_code(server_db) -> str:
    return server_db.execute("SELECT code FROM geo_region WHERE name = ? AND level = 4", (TOWN,)).fetchone()[0]


def id_number(born: dt.date, seq: str = "128") -> str:
    from stdnum.cn import ric

    body = f"320281{born:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


# --------------------------------------------------------------------------- 1. online, with a correction
def test_a_company_applies_online_answers_the_correction_and_gets_a_verifiable_certificate(
        server, browser, users, server_db, pdf):
    prefix = f"/{town_code(server_db)}/"
    company, uscc = server_db.execute(
        "SELECT o.name, o.uscc FROM registry_organisation o JOIN geo_region r ON r.id = o.region_id "
        "WHERE r.path LIKE ? AND o.kind = 'enterprise' ORDER BY (o.name LIKE '%餐饮%') DESC, o.id LIMIT 1",
        (f"%{prefix}%",)).fetchone()
    left_out = "食品安全管理制度"

    # The company (signed in as 李明) finds the item in the guide and applies online.
    citizen = users("citizen")
    assert "/window/hall/" in citizen.url and "网上办事大厅" in citizen.inner_text("h1")
    find_item(citizen, server, "食品经营许可")
    with citizen.expect_navigation():
        citizen.click("a.btn:has-text('网上申请')")
    assert "网上申请：食品经营许可（新办）" in citizen.inner_text("h1")
    citizen.select_option("select[name=town]", label=HALL)
    citizen.select_option("select[name=applicant_kind]", "organisation")
    citizen.fill("input[name=applicant_name]", company)
    citizen.fill("input[name=applicant_id]", uscc)
    materials = material_inputs(citizen)
    assert len(materials) == 4, materials
    missing = [name for name, _ in materials if left_out in name]
    assert len(missing) == 1, materials
    for n, (name, field) in enumerate(materials):
        if left_out not in name:
            citizen.set_input_files(f"input[name={field}]", pdf(f"material-{n}.pdf"))
    with citizen.expect_navigation():
        citizen.click("form.card button:has-text('提交申请')")
    pk = application_id(citizen)
    number = cell(citizen, "办件编号")
    assert status(citizen) == "待受理"
    assert cell(citizen, "渠道") == "网上办"
    assert company in cell(citizen, "申请人") and uscc in cell(citizen, "申请人")
    assert "未提交" in material_row(citizen, missing[0])

    # The clerk finds it in the window's list and sees what is missing.
    clerk = users("window_clerk")
    row = search_and_open(clerk, server, company, number)
    assert "网上办" in row and "待受理" in row
    assert "缺少必要材料" in clerk.inner_text("form.act-accept") and left_out in clerk.inner_text("form.act-accept")
    # One complete correction notice; the acceptance clock stops.
    act(clerk, "request_correction",
        {f"label:has-text('{left_out}') input": "未提交。请上传加盖公章的食品安全管理制度文本"},
        button="button:has-text('出具补正告知书')")
    assert status(clerk) == "待补正"
    assert cell(clerk, "期限") == "等待补正（计时暂停）"
    assert "一次性告知补正" in clerk.inner_text(".timeline")
    notice = clerk.locator("a:has-text('补正材料通知书')")
    clerk.goto(server + notice.get_attribute("href"))
    assert "补正材料通知书" in clerk.inner_text("h1") and "加盖公章" in clerk.inner_text("ol")

    # The company sees the request in its hall and uploads the missing file on the detail page.
    citizen.goto(f"{server}/window/hall/")
    mine = citizen.locator("tr", has_text=number).inner_text()
    assert "待补正" in mine and "请补正材料" in mine
    with citizen.expect_navigation():
        citizen.click(f"a:has-text('{number}')")
    assert status(citizen) == "待补正" and cell(citizen, "期限") == "等待补正（计时暂停）"
    form = citizen.locator("form.act-resubmit")
    assert "请补正以下材料" in form.inner_text()
    form.locator("tr", has_text=left_out).locator("input[type=file]").set_input_files(pdf("zhidu.pdf"))
    act(citizen, "resubmit", button="button:has-text('提交补正材料')")
    assert status(citizen) == "待受理"
    assert "zhidu.pdf" in material_row(citizen, left_out) and "未提交" not in material_row(citizen, left_out)
    assert cell(citizen, "期限").startswith("受理")

    # The clerk accepts: the review opens at the reviewing department.
    open_detail(clerk, server, pk)
    assert "缺少必要材料" not in clerk.inner_text("form.act-accept")
    act(clerk, "accept", button="button:has-text('受理')")
    assert status(clerk) == "审查中"
    assert cell(clerk, "受理人").startswith("吴敏")
    assert "承诺" in cell(clerk, "期限") and "法定" in cell(clerk, "期限")
    assert clerk.locator("tr.review-pending").count() == 1

    # The department's two rounds: material review, then the site check (a second group).
    steps = handlers_of(server_db, item_id_of(server_db, "食品经营许可"))
    assert len(steps) == 2 and steps[0][1] == steps[1][1]
    department, handler_name = steps[0]
    handler = users(handler_name)
    open_detail(handler, server, pk)
    assert department in handler.inner_text("tr.review-pending")
    act(handler, "review", {"textarea[name=note]": "材料齐全，符合法定形式"}, button="button[name=approve][value='1']")
    assert "同意：材料齐全" in handler.inner_text("tr.review-approved")
    assert "第 2 组" in handler.inner_text("tr.review-pending")
    act(handler, "review", {"textarea[name=note]": "现场核查：经营场所、设备设施与申请一致"},
        button="button[name=approve][value='1']")
    assert handler.locator("tr.review-approved").count() == 2 and handler.locator("tr.review-pending").count() == 0

    # The reviewer grants: the electronic certificate is issued.
    reviewer = users("reviewer")
    open_detail(reviewer, server, pk)
    act(reviewer, "grant", {"input[name=note]": "符合法定条件，准予许可"}, button="button:has-text('准予许可')")
    assert status(reviewer) == "已办结"
    assert cell(reviewer, "决定") == "准予"
    cert_text = cell(reviewer, "电子证照")
    m = re.search(r"食品经营许可证 (SPJYXK-\d{4}-\d{6})", cert_text)
    assert m, cert_text
    cert_no = m.group(1)

    # The company sees it on its detail page and checks it on the public verification page.
    open_detail(citizen, server, pk)
    assert status(citizen) == "已办结" and cert_no in cell(citizen, "电子证照")
    with citizen.expect_navigation():
        citizen.click("a:has-text('公开核验')")
    assert citizen.url.endswith(f"/verify/{cert_no}/")
    assert citizen.inner_text("#verdict") == "签名有效，证照真实有效"
    assert cell(citizen, "持证主体") == company and cell(citizen, "证件号码") == uscc
    # The library page: valid, and the signed file to download.
    open_detail(citizen, server, pk)
    with citizen.expect_navigation():
        citizen.click(f"a:has-text('{cert_no}')")
    assert citizen.url.endswith(f"/window/certificates/{cert_no}/")
    assert cell(citizen, "状态") == "有效" and citizen.inner_text("#verdict") == "签名有效，证照真实有效"
    with citizen.expect_download() as download:
        citizen.click("#download")
    assert download.value.suggested_filename == f"{cert_no}.json"
    with open(download.value.path(), encoding="utf-8") as fh:
        signed = fh.read()
    document = json.loads(signed)
    assert document["payload"]["holder"] == company and document["payload"]["number"] == cert_no

    # Anyone can check a copy: as downloaded it holds; with the holder changed it fails.
    public = browser.new_page(locale="zh-CN")
    public.goto(f"{server}/verify/copy/")
    public.fill("textarea[name=document]", signed)
    with public.expect_navigation():
        public.click("button:has-text('核验')")
    assert public.inner_text("#verdict") == "签名有效，证照真实有效"
    document["payload"]["holder"] = company + "分公司"
    public.fill("textarea[name=document]", json.dumps(document, ensure_ascii=False, indent=2))
    with public.expect_navigation():
        public.click("button:has-text('核验')")
    assert public.inner_text("#verdict").startswith("签名校验失败")
    assert "error" in public.get_attribute("#verdict", "class")

    # Rating through the link: five stars once; a second submission (an older tab) is refused.
    open_detail(citizen, server, pk)
    link = server + citizen.get_attribute("a:has-text('评价本次办理')", "href")
    older = public  # the rating link needs no login (it is the one in the completion SMS)
    older.goto(link)
    citizen.goto(link)
    assert number in citizen.inner_text("main")
    citizen.check("input[name=level][value='5']")
    citizen.fill("textarea[name=comment]", "材料一次告知清楚，补正后很快办结")
    with citizen.expect_navigation():
        citizen.click("button:has-text('提交评价')")
    assert "感谢您的评价！" in citizen.inner_text("main")
    older.check("input[name=level][value='1']")
    with older.expect_navigation():
        older.click("button:has-text('提交评价')")
    assert "该办件已评价" in older.inner_text(".msg.error")
    assert older.locator("form input[name=level]").count() == 0
    older.close()
    open_detail(citizen, server, pk)
    assert cell(citizen, "评价").startswith("5 / 5")
    assert citizen.locator("a:has-text('评价本次办理')").count() == 0
    shot(citizen, "window-online-granted-rated")


# --------------------------------------------------------------------------- 2. walk-in through the queue
def _open_hall_today(server_db, town_id):
    """Make the hall open now (all day, and today a working day); returns how to restore it."""
    today = dt.datetime.now(LOCAL).date().isoformat()
    hours = server_db.execute("SELECT am_open, am_close, pm_open, pm_close FROM onewindow_servicehall WHERE town_id = ?",
                       (town_id,)).fetchone()
    had_day = server_db.execute("SELECT 1 FROM common_calendarday WHERE date = ? AND region_code = ''", (today,)).fetchone()
    with server_db:
        server_db.execute("UPDATE onewindow_servicehall SET am_open = '00:00:00', am_close = '23:59:59', "
                   "pm_open = '23:59:59', pm_close = '23:59:59' WHERE town_id = ?", (town_id,))
        if not had_day:
            server_db.execute("INSERT INTO common_calendarday (date, is_workday, region_code, note) VALUES (?, 1, '', ?)",
                       (today, "浏览器测试：大厅开放"))
        _bump_calendar(server_db)
    time.sleep(2.5)  # the calendar's overrides are re-read at most every two seconds

    def restore():
        with server_db:
            server_db.execute("UPDATE onewindow_servicehall SET am_open = ?, am_close = ?, pm_open = ?, pm_close = ? "
                       "WHERE town_id = ?", (*hours, town_id))
            if not had_day:
                server_db.execute("DELETE FROM common_calendarday WHERE date = ? AND region_code = ''", (today,))
            _bump_calendar(server_db)

    return restore


def _bump_calendar(server_db):
    if not server_db.execute("UPDATE common_changecounter SET value = value + 1 WHERE name = 'calendar'").rowcount:
        server_db.execute("INSERT INTO common_changecounter (name, value) VALUES ('calendar', 1)")


def test_a_walk_in_takes_a_number_is_called_and_applies_at_that_window(server, browser, users, server_db, pdf):
    town_id = server_db.execute("SELECT id FROM geo_region WHERE name = ? AND level = 4", (TOWN,)).fetchone()[0]

    # The clerk starts the day at the desk: signs in to a free window.
    clerk = users("window_clerk")
    clerk.goto(f"{server}/window/desk/")
    assert HALL in clerk.inner_text("h1")
    if clerk.locator("form[action$='/desk/sign_out/']").count():
        with clerk.expect_navigation():
            clerk.click("form[action$='/desk/sign_out/'] button")
    free = clerk.locator("select[name=window] option:not([disabled])").first
    window_label = free.inner_text().strip()
    window_no = int(re.match(r"(\d+)号窗口", window_label).group(1))
    clerk.select_option("select[name=window]", free.get_attribute("value"))
    with clerk.expect_navigation():
        clerk.click("button:has-text('签到')")
    assert clerk.inner_text(".grid2 .card h2").startswith(f"{window_no}号窗口")
    screen_path = clerk.get_attribute("a:has-text('大厅叫号屏')", "href")
    kiosk_url = server + screen_path.replace("/screen/", "/kiosk/")

    # The visitor takes a normal number at the kiosk.
    visitor = browser.new_page(locale="zh-CN")
    visitor.goto(kiosk_url)
    restore = None
    if "现在不是办公时间" in visitor.inner_text("main"):
        restore = _open_hall_today(server_db, town_id)
        visitor.reload()
    try:
        assert "现在不是办公时间" not in visitor.inner_text("main")
        assert "自助取号" in visitor.inner_text("h1")
        with visitor.expect_navigation():
            visitor.click("button.kiosk-btn:not(.priority)")
        ticket_url = visitor.url
        ticket = visitor.inner_text(".ticket-number").strip()
        assert re.fullmatch(r"A\d{3}", ticket), ticket
        ahead = int(visitor.inner_text(".ticket-pos b"))
        assert "您前面还有" in visitor.inner_text(".ticket-pos")

        # The clerk calls the next number until it is the visitor's (others may be waiting ahead).
        clerk.reload()
        assert clerk.locator("tr.queue-row", has_text=ticket).count() == 1
        for _ in range(ahead + 1):
            with clerk.expect_navigation():
                clerk.click("#call-next")
            if clerk.locator("#desk-current").count() and clerk.inner_text("#desk-current").strip() == ticket:
                break
        assert clerk.inner_text("#desk-current").strip() == ticket

        # The hall's screen and the visitor's slip show where to go.
        screen = browser.new_page(locale="zh-CN")
        screen.goto(server + screen_path)
        assert re.search(rf"{ticket}\s*→\s*{window_no}\s*号窗口", screen.inner_text("#screen-call"))
        shot(screen, "window-screen-called")
        screen.close()
        visitor.goto(ticket_url)
        assert f"请到 {window_no} 号窗口办理" in visitor.inner_text(".ticket-pos")
    finally:
        if restore:
            restore()

    # At the window: the application for this number, paper materials checked.
    with clerk.expect_navigation():
        clerk.click("a:has-text('为本号受理申请')")
    assert "窗口受理新申请" in clerk.inner_text("h1")
    option = clerk.locator("select[name=item] option", has_text="城乡居民基本养老保险参保登记（新办）").first
    clerk.select_option("select[name=item]", option.get_attribute("value"))
    with clerk.expect_navigation():
        clerk.click("button:has-text('下一步')")
    assert "城乡居民基本养老保险参保登记（新办）" in clerk.inner_text("form.card h2")
    clerk.select_option("select[name=town]", label=HALL)
    person_id = id_number(dt.date(1968, 4, 9), "245")
    clerk.fill("input[name=applicant_name]", "陆秀英")
    clerk.fill("input[name=applicant_id]", person_id)
    clerk.fill("input[name=contact_phone]", "13912345678")
    boxes = clerk.locator("input[type=checkbox][name^=paper_]")
    assert boxes.count() == 2
    for i in range(boxes.count()):
        boxes.nth(i).check()
    with clerk.expect_navigation():
        clerk.click("form.card button:has-text('提交申请')")
    pk = application_id(clerk)
    assert status(clerk) == "待受理"
    assert cell(clerk, "渠道") == "窗口"
    assert cell(clerk, "受理人") == f"吴敏 · {window_label}"
    assert cell(clerk, "申请人").startswith("陆秀英 · ") and person_id not in cell(clerk, "申请人")
    papers = clerk.locator("div.sub-received", has_text="纸质件已核验")
    assert papers.count() == 2
    act(clerk, "accept", button="button:has-text('受理')")
    assert status(clerk) == "审查中" and "受理通知书" in clerk.inner_text(".print-links")
    number = cell(clerk, "办件编号")

    # The number is done: the slip says so, and the list shows the application.
    clerk.goto(f"{server}/window/desk/")
    with clerk.expect_navigation():
        clerk.click("button:has-text('办结本号')")
    assert "当前没有正在办理的号码" in clerk.inner_text(".desk-current")
    visitor.goto(ticket_url)
    assert "已办理完毕" in visitor.inner_text(".ticket-pos")
    visitor.close()
    row = search_and_open(clerk, server, number, number)
    assert "陆秀英" in row and "窗口" in row and "审查中" in row
    assert application_id(clerk) == pk
    shot(clerk, "window-walk-in-taken-in")


# --------------------------------------------------------------------------- 3. the village agent
def _elderly_resident(server_db):
    """A registered resident of 徐霞客镇 aged 70 or more (the grid worker's village first), with
    the ID number from their ID card (sealed in the registry)."""
    from django.test import override_settings

    from shanzhi.common import crypto

    today = dt.datetime.now(LOCAL).date()
    cutoff = today.replace(year=today.year - 70).isoformat()
    village = server_db.execute("SELECT g.region_id FROM accounts_post p JOIN accounts_user u ON u.id = p.user_id "
                         "JOIN geo_grid g ON g.id = p.grid_id WHERE u.username = 'grid_worker'").fetchone()[0]
    name, born, sealed = server_db.execute(
        "SELECT p.name, p.birth_date, p.id_sealed FROM registry_person p JOIN geo_region r ON r.id = p.region_id "
        "WHERE r.path LIKE ? AND p.residence = 'registered' AND p.birth_date <= ? AND p.id_sealed != '' "
        "ORDER BY (p.region_id = ?) DESC, p.birth_date DESC, p.id LIMIT 1",
        (f"%/{town_code(server_db)}/%", cutoff, village)).fetchone()
    with override_settings(SEAL_KEY=SEAL_KEY):
        number = crypto.unseal(sealed)
    born = dt.date.fromisoformat(born)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert age >= 70, (name, born)
    return name, number


def test_a_village_agent_applies_at_home_for_an_elderly_resident_and_follows_it(server, browser, users, server_db, pdf):
    name, number_on_card = _elderly_resident(server_db)
    item = "农村村民住宅用地审批"

    # The grid worker (a village agent) finds the item and files it for the resident, at home.
    agent = users("grid_worker")
    find_item(agent, server, item)
    with agent.expect_navigation():
        agent.click("a.btn:has-text('窗口受理')")
    assert "代办申请（为居民代为申请）" in agent.inner_text("h1")
    assert agent.locator("select[name=town] option").all_inner_texts() == [HALL]
    agent.fill("input[name=applicant_name]", name)
    agent.fill("input[name=applicant_id]", number_on_card)
    agent.fill("input[name=contact_phone]", "13812340070")
    agent.check("input[name=home_visit]")
    materials = material_inputs(agent)
    assert len(materials) == 5, materials
    for n, (_name, field) in enumerate(materials):
        agent.set_input_files(f"input[name={field}]", pdf(f"zhaijidi-{n}.pdf"))
    with agent.expect_navigation():
        agent.click("form.card button:has-text('提交申请')")
    pk = application_id(agent)
    number = cell(agent, "办件编号")
    assert status(agent) == "待受理"
    assert cell(agent, "渠道") == "村（社区）代办 · 代办 · 上门办理"
    assert cell(agent, "申请人").startswith(f"{name} · ") and number_on_card not in cell(agent, "申请人")
    assert cell(agent, "受理地") == TOWN
    assert "受理人" not in agent.inner_text("main")  # nobody at a window took it in

    # The agent follows it from the online hall.
    agent.goto(f"{server}/window/hall/")
    assert "待受理" in agent.locator("tr", has_text=number).inner_text()

    # The clerk sees an agent's application and accepts it: three departments review together.
    clerk = users("window_clerk")
    row = search_and_open(clerk, server, number, number)
    assert "代办" in row and "村（社区）代办" in row and name in row
    act(clerk, "accept", button="button:has-text('受理')")
    assert status(clerk) == "审查中"
    steps = handlers_of(server_db, item_id_of(server_db, item))
    assert len(steps) == 3 and len({d for d, _ in steps}) == 3
    pending = clerk.locator("tr.review-pending")
    assert pending.count() == 3  # one parallel group: all three are open at once
    assert "第 " not in clerk.inner_text(".card:has(h2:text-is('审查'))")
    for department, _ in steps:
        assert department in clerk.inner_text(".card:has(h2:text-is('审查'))")

    # Each department gives its opinion on its own review (in the reverse of the catalog's order).
    reviewer = users("reviewer")
    opinions = {}
    for i, (department, username) in enumerate(reversed(steps)):
        handler = users(username)
        open_detail(handler, server, pk)
        opinions[department] = f"符合一户一宅和村庄规划（{department}）"
        act(handler, "review", {"textarea[name=note]": opinions[department]}, button="button[name=approve][value='1']")
        assert handler.locator("tr.review-approved", has_text=department).count() == 1, handler.inner_text("main")
        assert handler.locator("tr.review-pending").count() == 2 - i
        if i == 1:  # one department still to answer: no decision yet
            open_detail(reviewer, server, pk)
            act(reviewer, "grant", {"input[name=note]": "准予"}, button="button:has-text('准予许可')",
                error="还有部门未出具审查意见")
            assert status(reviewer) == "审查中"

    # The reviewer decides; the agent sees the outcome.
    open_detail(reviewer, server, pk)
    assert reviewer.locator("tr.review-approved").count() == 3
    act(reviewer, "grant", {"input[name=note]": "经自然资源、建设、农业农村联审，准予"}, button="button:has-text('准予许可')")
    assert status(reviewer) == "已办结"
    agent.goto(f"{server}/window/hall/")
    assert "已办结" in agent.locator("tr", has_text=number).inner_text()
    with agent.expect_navigation():
        agent.click(f"a:has-text('{number}')")
    assert status(agent) == "已办结"
    assert "农村宅基地批准书" in cell(agent, "电子证照")
    timeline = agent.inner_text(".timeline")
    assert timeline.count("审查意见") == 3 and "准予许可" in timeline
    for opinion in opinions.values():
        assert opinion in agent.inner_text(".card:has(h2:text-is('审查'))")
    assert cell(agent, "渠道").endswith("上门办理")
    shot(agent, "window-agent-followed")
