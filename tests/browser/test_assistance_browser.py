"""Social assistance in the browser, with the demo's civil-affairs staff of 徐霞客镇:

a medical-insurance file is imported by the town and a resident's large bill raises an alert for
her village → the village aide verifies at home and opens a 低保 application from the alert →
records the household's income in its file → the town accepts → the aide records the home visit
and runs the means test, which shows its computation line by line → the town proposes, and the
village's public notice board shows the family with the name masked → after the 7 days the
notice ends → the county confirms → the town builds next month's payment lists, and the family
is in the 低保 list of 徐霞客镇 with the amount the means test found.

Only pages are clicked and filled. The server's SQLite file is read to pick a resident (and her ID
number, which the insurance file carries) and written once to let the 7 days of notice pass."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from .conftest import shot
from .test_window_browser import SEAL_KEY, server_db, users  # noqa: F401 — the shared fixtures

pytestmark = pytest.mark.browser


def one(con, sql, *args):
    row = con.execute(sql, args).fetchone()
    assert row is not None, sql
    return row


def status(page):
    return page.inner_text("h1 .st").strip()


def submit(page, selector, fill=None, select=None, button="button[type=submit]"):
    form = page.locator(selector).first
    for field, value in (select or {}).items():
        form.locator(field).select_option(value)
    for field, value in (fill or {}).items():
        form.locator(field).fill(value)
    with page.expect_navigation():
        form.locator(button).first.click()
    assert page.locator("#form-error").count() == 0, page.inner_text("#form-error")


def open_details(page, selector):
    """Open the <details> around a form (the page folds the rarer ones)."""
    page.evaluate("s => document.querySelectorAll(s).forEach(f => { const d = f.closest('details'); "
                  "if (d) d.open = true; })", selector)


def test_from_a_medical_bill_to_next_months_payment_list(server, users, server_db, tmp_path):  # noqa: F811
    from shanzhi.common import crypto

    con = server_db
    village_id, village_code, village = one(
        con, "select r.id, r.code, r.name from accounts_post po join accounts_user u on u.id = po.user_id "
             "join geo_region r on r.id = po.region_id where u.username = 'village_aide' and po.role = 'civil_affairs'")
    person_id, name, sealed = one(
        con, "select p.id, p.name, p.id_sealed from registry_person p where p.region_id = ? and length(p.name) >= 2 "
             "and not exists (select 1 from assistance_member m where m.person_id = p.id and m.left_at is null) "
             "and not exists (select 1 from assistance_signal s where s.person_id = p.id) "
             "and not exists (select 1 from assistance_alert a where a.person_id = p.id) order by p.id limit 1",
        village_id)
    with override_settings(SEAL_KEY=SEAL_KEY):
        number = crypto.unseal(sealed)

    # 1. The town imports the insurance bureau's settlements: a ¥68,000 bill (self-paid) is hers.
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    csv = tmp_path / "医保结算.csv"
    csv.write_text("结算单号,身份证号,姓名,结算日期,总费用,个人自付,医疗机构,诊断\n"
                   f"YB-BR-0001,{number},{name},{today - dt.timedelta(days=3)},182000.00,68000.00,无锡市人民医院,"
                   "急性髓系白血病\n"
                   "YB-BR-0002,123456,某某,2026-01-01,10,5,江阴市中医院,感冒\n", encoding="utf-8")
    town = users("civil_affairs")
    town.goto(f"{server}/assistance/signals/import/")
    town.locator("input[name=file]").set_input_files(str(csv))
    with town.expect_navigation():
        town.click("form[enctype] button[type=submit]")
    result = town.inner_text("#import-result")
    assert "生成预警" in result and "身份证号格式不正确" in result  # the bad row is named, the good one kept
    shot(town, "assistance-01-import")

    # 2. The village aide finds the alert in her list and verifies at home.
    aide = users("village_aide")
    aide.goto(f"{server}/assistance/alerts/")
    row = aide.locator("tr", has_text=name).first
    with aide.expect_navigation():
        row.locator("a").first.click()
    assert status(aide) == "待核查" and number not in aide.content()  # the ID number stays masked
    submit(aide, "#verify-form", fill={"input[name=housing]": "自有平房两间", "textarea[name=findings]":
                                       "白血病化疗中，丈夫务农，女儿读初中，医疗费已借款五万元"})
    assert status(aide) == "已核实，需救助"
    shot(aide, "assistance-02-alert-verified")
    program = aide.locator("#alert-apply-form select[name=program] option", has_text="城乡最低生活保障金")
    submit(aide, "#alert-apply-form", select={"select[name=program]": program.get_attribute("value")})
    assert status(aide) == "待受理"
    app_url = aide.url

    # 3. The household file: her income of the last 12 months (¥7,200: ¥600 a month, one person).
    with aide.expect_navigation():
        aide.locator("table a[href*='/assistance/families/']").first.click()  # the family in the application
    fam_url = aide.url
    w_end = today.replace(day=1) - dt.timedelta(days=1)
    w_start = (w_end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    open_details(aide, "form[action$='/income/']")
    submit(aide, "form[action$='/income/']", select={"select[name=kind]": "transfer"},
           fill={"input[name=start]": w_start.isoformat(), "input[name=end]": w_end.isoformat(),
                 "input[name=amount]": "7200", "input[name=note]": "城乡居民基础养老金"})
    assert "¥7200" in aide.inner_text("#income")

    # 4. The town accepts; the aide records the visit and runs the means test.
    town.goto(app_url)
    submit(town, "form[action$='/act/accept/']")
    assert status(town) == "调查审核中"
    aide.goto(app_url)
    open_details(aide, "#visit-form")
    submit(aide, "#visit-form", fill={"input[name=housing]": "自有平房两间，年久失修",
                                      "textarea[name=findings]": "本人卧床，无存款，无机动车", "input[name=companions]": "村委委员"})
    submit(aide, "form[action$='/act/assess/']")
    lines = aide.inner_text("#means-lines")
    assert "月人均收入" in lines and "600.00" in lines and "低保标准" in lines
    assert "符合条件" in aide.inner_text("#assessment")
    shot(aide, "assistance-03-means-test")

    # 5. The town proposes: on notice in the village, masked.
    town.goto(app_url)
    submit(town, "form[action$='/act/propose/']")
    assert status(town) == "公示中"
    public = users("citizen")
    public.goto(f"{server}/assistance/notice/{village_code}/")
    board = public.inner_text("#notice-items")
    assert name[0] in board and name not in board and number[-4:] not in board
    shot(public, "assistance-04-notice-board")

    # Seven days pass.
    app_id = int(app_url.rstrip("/").split("/")[-1])
    con.execute("update assistance_assistapplication set notice_from = datetime('now', '-8 day'), "
                "notice_until = datetime('now', '-1 hour') where id = ?", (app_id,))
    con.commit()
    town.goto(app_url)
    submit(town, "form[action$='/act/notice_end/']")
    assert status(town) == "待县级确认"

    # 6. The county confirms: paid from next month.
    county = users("county_civil")
    county.goto(app_url)
    submit(county, "form[action$='/act/confirm/']")
    assert status(county) == "已批准"
    benefit, start = one(con, "select benefit, start_month from assistance_assistapplication where id = ?", app_id)
    assert str(start)[:7] == (today.replace(day=28) + dt.timedelta(days=4)).strftime("%Y-%m")

    # 7. Next month's payment lists: the family is in the 低保 list of the town.
    town.goto(f"{server}/assistance/payments/")
    submit(town, "form[action$='/payments/run/']", fill={"input[name=month]": str(start)[:7]})
    row = town.locator("#payment-lists tr", has_text="城乡最低生活保障金").filter(has_text="徐霞客镇")
    with town.expect_navigation():
        row.locator("a").first.click()
    line = town.locator("#lines tr", has_text=name)
    assert line.count() == 1 and f"¥{benefit}" in line.inner_text() and "待发放" in line.inner_text()
    shot(town, "assistance-05-payment-list")
    town.goto(fam_url)
    assert "救助金发放" not in town.inner_text("h1")  # the timeline shows the payment, the title stays the family
    assert "城乡最低生活保障金" in town.inner_text("#stop")
