"""福村宝 in the browser with the fixed cast: the village aide (许春燕) books a donation into her
village's fund, files a claim for a member and watches the payout computed as she types, checks
it; the town's civil-affairs officer (邵红梅) approves it; the aide pays it; and the village's
public page — no login — lists it under the member's masked name, with nothing else about them.

Only pages are clicked and filled. The server's SQLite file is read once, to pick a member of this
year with no claim yet (what the aide would know from the family standing in front of her)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from .conftest import shot
from .test_window_browser import server_db, users  # noqa: F401 — the shared fixtures

pytestmark = pytest.mark.browser

LOCAL = ZoneInfo("Asia/Shanghai")


def status(page) -> str:
    return page.inner_text("#status").strip()


def act(page, form_id, fill=None):
    form = page.locator(f"#{form_id}")
    for selector, value in (fill or {}).items():
        form.locator(selector).fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("#form-error").count() == 0, page.inner_text("#form-error")


def money(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


def test_the_aide_files_a_claim_the_town_approves_it_it_is_paid_and_published_masked(
        browser, server, users, server_db):  # noqa: F811
    today = dt.datetime.now(LOCAL).date()
    aide = users("village_aide")
    # 1. /mutualaid/ is her own village's fund desk.
    aide.goto(f"{server}/mutualaid/")
    assert "福村宝医疗互助基金" in aide.inner_text("h1")
    fund_id, code, village = server_db.execute(
        "SELECT f.id, r.code, r.name FROM mutualaid_fund f JOIN geo_region r ON r.id = f.region_id "
        "WHERE r.id = (SELECT p.region_id FROM accounts_post p JOIN accounts_user u ON u.id = p.user_id "
        "              WHERE u.username = 'village_aide' AND p.role = 'civil_affairs')").fetchone()
    assert village in aide.inner_text("h1")
    shot(aide, "mutualaid-desk")

    # 2. A local donor's money comes in; the balance grows by it.
    before = money(aide.inner_text("#balance"))
    aide.click("#income summary")
    form = aide.locator("#income-form")
    form.locator("select[name=kind]").select_option("donation")
    form.locator("input[name=amount]").fill("5000")
    form.locator("input[name=source]").fill("本村乡贤联谊会")
    with aide.expect_navigation():
        form.locator("button[type=submit]").click()
    assert money(aide.inner_text("#balance")) == pytest.approx(before + 5000)

    # 3. The claim form: the payout is computed as she fills it in.
    member_id, name = server_db.execute(
        "SELECT m.id, p.name FROM mutualaid_membership m JOIN mutualaid_fundyear y ON y.id = m.fund_year_id "
        "JOIN registry_person p ON p.id = m.person_id WHERE m.fund_id = ? AND y.year = ? "
        "AND NOT EXISTS (SELECT 1 FROM mutualaid_claim c WHERE c.membership_id = m.id) ORDER BY m.id LIMIT 1",
        (fund_id, today.year)).fetchone()
    aide.click("nav.subnav >> text=登记申请")
    aide.wait_for_selector("#claim-form")
    aide.select_option("#membership", str(member_id))
    aide.select_option("#rule", aide.locator("#rule option", has_text="一般住院").get_attribute("value"))
    aide.fill("#hospital", "江阴市人民医院")
    aide.fill("#admitted_on", max(dt.date(today.year, 1, 1), today - dt.timedelta(days=6)).isoformat())
    aide.fill("#discharged_on", today.isoformat())
    aide.fill("#total_cost", "31000")
    aide.fill("#diagnosis", "股骨颈骨折置换术")
    aide.fill("#self_paid", "12000")
    aide.wait_for_selector("#preview-amount:has-text('¥600.00')")  # the CSP forbids wait_for_function's eval
    lines = aide.inner_text("#payout-lines")
    assert "起付线" in lines and "30%" in lines and "¥2,000.00 × 30%" in lines
    shot(aide, "mutualaid-claim-form")
    with aide.expect_navigation():
        aide.click("#claim-form button[type=submit]")
    assert re.search(r"/mutualaid/claims/\d+/$", aide.url), aide.inner_text("main")
    claim_url = aide.url
    assert status(aide) == "待村级审核" and aide.inner_text("#payout") == "¥600.00"
    assert "本次补助金额" in aide.inner_text("#computation")

    # 4. She checks it; approving is not hers to do.
    act(aide, "review-form", {"input[name=note]": "已核对医保结算单和出院小结"})
    assert status(aide) == "待镇级审批" and aide.locator("#approve-form").count() == 0
    assert "等待镇（街道）民政部门审批" in aide.inner_text("#action-panel")

    # 5. The town approves.
    town = users("civil_affairs")
    town.goto(claim_url)
    act(town, "approve-form", {"input[name=note]": "同意补助"})
    assert status(town) == "已批准待支付"

    # 6. The aide pays it; it is published.
    aide.goto(claim_url)
    act(aide, "pay-form", {"input[name=reference]": f"FCB{today:%Y%m%d}01"})
    assert status(aide) == "已支付" and "已公示" in aide.inner_text("#published")
    steps = aide.inner_text("#steps")
    assert all(s in steps for s in ("提出申请", "村级审核通过", "镇级审批通过", "支付补助"))
    shot(aide, "mutualaid-claim-paid")

    # 7. The public page, signed out and on a phone: the masked name, the category, the amount.
    from shanzhi.common.masking import mask_name

    visitor = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    visitor.goto(f"{server}/mutualaid/public/{code}/")
    rows = visitor.locator("#public-payments tr", has_text=mask_name(name)).filter(has_text="600.00")
    assert rows.count() >= 1, visitor.inner_text("#public-payments")
    cells = rows.first.locator("td").all_inner_texts()  # on a phone each row is a card
    assert cells == [mask_name(name), "一般住院", "600.00", today.isoformat()], cells
    text = visitor.inner_text("body")
    assert name not in text and "股骨颈骨折置换术" not in text and f"FCB{today:%Y%m%d}01" not in text
    assert "江阴市人民医院" not in text
    assert not re.search(r"\d{17}[\dXx]", text) and "******" not in text  # no ID number, not even masked
    assert not re.search(r"1[3-9]\d{9}", text)  # no phone
    shot(visitor, "mutualaid-public-phone")
    visitor.context.close()
