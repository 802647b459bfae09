"""适老化 (GB/T 37668 / WCAG 2.1 AA) on the public pages, in chromium, on a phone and a desktop.

The pages a resident opens without an account — 随手拍, the rating links, the item guide, the
certificate checks and the login — must pass axe-core's WCAG 2.1 A/AA rules with no "serious" or
"critical" violation, in normal mode and with 大字 + 高对比 on; the two modes are one tap away and
stay on across pages and reloads; every control has a visible label; a form that is refused says
why in Chinese beside the field (aria-invalid, aria-describedby); and 随手拍 can be filled in and
sent with the keyboard alone.

The server's SQLite file is only read: to find a rating link and a certificate number (what a
resident has in an SMS or on paper) and the SMS code sent to a phone."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from .axe import serious
from .conftest import shot

pytestmark = pytest.mark.browser

SEAL_KEY = "7c" * 32  # the server fixture's SHANZHI_SEAL_KEY (conftest.py)
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
CONTROLS = "input:not([type=hidden]), select, textarea"


# --------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module")
def site_db(data_dir):
    """The server's SQLite file, read only (never named ``db``: pytest-django would claim it)."""
    con = sqlite3.connect(f"file:{data_dir / 'shanzhi.sqlite3'}?mode=ro", uri=True, timeout=15)
    yield con
    con.close()


def one(con, sql, *args):
    row = con.execute(sql, args).fetchone()
    assert row, sql
    return row[0]


@pytest.fixture(scope="module")
def pages(site_db):
    """Every public page, by name: (path, the text its <h1> holds)."""
    con = site_db
    incident = one(con, "SELECT rating_token FROM incidents_incident WHERE rating_token != '' AND rating IS NULL "
                        "ORDER BY id DESC LIMIT 1")
    rated = one(con, "SELECT rating_token FROM incidents_incident WHERE rating_token != '' AND rating IS NOT NULL "
                     "ORDER BY id LIMIT 1")
    application = one(con, "SELECT rating_token FROM onewindow_application WHERE rating_token != '' "
                           "AND rating IS NULL ORDER BY id DESC LIMIT 1")
    item = one(con, "SELECT i.code FROM onewindow_serviceitem i WHERE i.online_depth >= 3 AND EXISTS "
                    "(SELECT 1 FROM onewindow_reviewstep s WHERE s.item_id = i.id) ORDER BY i.id LIMIT 1")
    certificate = one(con, "SELECT number FROM onewindow_certificate ORDER BY id LIMIT 1")
    return {
        "report": ("/report/", "随手拍"),
        "rate": (f"/rate/{incident}/", "服务评价"),
        "rate-done": (f"/rate/{rated}/", "服务评价"),
        "window-rate": (f"/window/rate/{application}/", "好差评"),
        "guide": ("/window/guide/", "办事指南"),
        "guide-item": (f"/window/guide/{item}/", ""),
        "verify": (f"/verify/{certificate}/", "电子证照核验"),
        "verify-copy": ("/verify/copy/", "核验证照文件"),
        "login": ("/login/", "善治"),
    }


def new_page(browser, viewport="phone", modes=None, **options):
    """A fresh context (its own storage); ``modes`` are saved as if chosen on an earlier visit."""
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN", has_touch=phone, is_mobile=phone,
                                  **options)
    if modes:
        context.add_init_script(f"localStorage.setItem('shanzhi.a11y', {json.dumps(json.dumps(modes))})")
    return context.new_page()


def no_serious(page, where=""):
    found = serious(page)
    assert not found, json.dumps({"page": where or page.url, "violations": found}, ensure_ascii=False, indent=1)


def modes(page) -> set[str]:
    return set(page.evaluate("[...document.documentElement.classList].filter(c => c.startsWith('a11y-'))"))


def fits(page):
    """Nothing scrolls sideways (WCAG 1.4.10: a 390 px phone reads the page top to bottom)."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: {width} px wide in a {inner} px window"


def font_px(page, selector) -> float:
    return page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)")


def pressed(page, mode) -> list[str]:
    return page.eval_on_selector_all(f"button[data-a11y={mode}]", "bs => bs.map(b => b.getAttribute('aria-pressed'))")


def described_by(page, selector) -> str:
    """The text of the elements a control's aria-describedby names."""
    return page.eval_on_selector(selector, """el => (el.getAttribute('aria-describedby') || '').split(/\\s+/)
        .map(id => document.getElementById(id)).filter(Boolean).map(e => e.textContent.trim()).join(' ')""")


def assert_error_beside(page, field_id, text=None):
    """The field is marked invalid; its message is Chinese, visible, in the field's block right
    above the control, and read out with it (aria-describedby)."""
    control = page.locator(f"#{field_id}")
    message = page.locator(f"#{field_id}-error")
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(message).to_be_visible()
    said = message.inner_text().strip()
    assert CHINESE.search(said), said
    if text:
        assert text in said, said
    assert said in described_by(page, f"#{field_id}"), (field_id, said)
    assert page.evaluate("([c, m]) => document.getElementById(c).closest('.field') === "
                         "document.getElementById(m).closest('.field')", [field_id, f"{field_id}-error"])
    box, below = message.bounding_box(), control.bounding_box()
    assert 0 <= below["y"] - (box["y"] + box["height"]) < 80, (field_id, box, below)


def last_code(site_db) -> str:
    """The SMS code the server queued last (sealed in the outbox until delivered)."""
    from django.test import override_settings

    from shanzhi.common import crypto

    sealed = one(site_db, "SELECT secret_sealed FROM notify_outbox WHERE topic = 'phone_code' ORDER BY id DESC LIMIT 1")
    with override_settings(SEAL_KEY=SEAL_KEY):
        return crypto.unseal(sealed)


# --------------------------------------------------------------------------- every public page
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("mode", ["normal", "large+contrast"])
def test_every_public_page_passes_axe(server, browser, pages, viewport, mode):
    on = mode != "normal"
    page = new_page(browser, viewport, {"large": True, "contrast": True} if on else None)
    try:
        for name, (path, heading) in pages.items():
            page.goto(server + path)
            assert modes(page) == ({"a11y-large", "a11y-contrast"} if on else set()), name
            assert page.evaluate("document.documentElement.lang").lower().startswith("zh"), name
            assert page.locator("main").count() == 1 and page.locator("h1").count() == 1, name
            assert heading in page.inner_text("h1"), name
            # The reading aids are on every one of these pages, and show the modes in force.
            toggle = page.locator(".a11y-toggle")
            expect(toggle.first).to_be_visible()
            assert pressed(page, "large") == ["true" if on else "false"], name
            assert pressed(page, "contrast") == ["true" if on else "false"], name
            no_serious(page, f"{name} ({viewport}, {mode})")
            fits(page)
            if on:
                assert font_px(page, "body") >= 20, name
        shot(page, f"a11y-{viewport}-{mode.replace('+', '-')}-login")  # the last page
        # A rating link that is wrong or expired: the "not found" page, in the modes chosen.
        assert page.goto(server + "/rate/no-such-link/").status == 404
        assert modes(page) == ({"a11y-large", "a11y-contrast"} if on else set())
        no_serious(page, f"rate, unknown link ({viewport}, {mode})")
        fits(page)
    finally:
        page.context.close()


def test_every_control_has_a_visible_label_and_a_name(server, browser, pages):
    page = new_page(browser, "phone")
    try:
        for name in ("report", "rate", "window-rate", "guide", "verify-copy", "login"):
            page.goto(server + pages[name][0])
            controls = page.locator(CONTROLS)
            assert controls.count(), name
            for i in range(controls.count()):
                control = controls.nth(i)
                what = f"{name}: {control.evaluate('el => el.outerHTML.slice(0, 120)')}"
                expect(control, what).to_have_accessible_name(re.compile(r"\S"))
                # A label one sees, not a placeholder or an aria-label only.
                visible = control.evaluate("""el => [...(el.labels || [])].some(l => {
                    const r = l.getBoundingClientRect(); return r.width > 0 && r.height > 0 && l.innerText.trim(); })""")
                assert visible, what
            for group in page.locator("input[type=radio]").all():
                assert group.evaluate("el => !!el.closest('fieldset') && !!el.closest('fieldset').querySelector('legend')")
    finally:
        page.context.close()


# --------------------------------------------------------------------------- the two modes
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_modes_are_one_tap_away_and_stay_on(server, browser, pages, viewport):
    page = new_page(browser, viewport)

    def press(mode):
        button = page.locator(f"button[data-a11y={mode}]").first
        if viewport == "phone":
            button.tap()
        else:
            button.click()

    try:
        page.goto(server + "/report/")
        assert modes(page) == set() and pressed(page, "large") == ["false"]
        body, label = font_px(page, "body"), font_px(page, "label[for=description]")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")

        press("large")  # one tap: 大字
        assert modes(page) == {"a11y-large"} and pressed(page, "large") == ["true"]
        assert font_px(page, "body") >= 20 > body and font_px(page, "label[for=description]") > label
        line = page.eval_on_selector("body", "el => parseFloat(getComputedStyle(el).lineHeight)")
        assert line >= 1.6 * 20, line
        assert page.eval_on_selector("#phone", "el => el.getBoundingClientRect().height") >= 44
        fits(page)

        press("contrast")  # one tap: 高对比
        assert modes(page) == {"a11y-large", "a11y-contrast"} and pressed(page, "contrast") == ["true"]
        colours = page.evaluate("['body', 'label[for=phone]', '#phone'].map(s => "
                                "getComputedStyle(document.querySelector(s))).map(c => [c.backgroundColor, c.color])")
        assert colours[0] == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"] and colours[0][0] != background, colours
        assert colours[1][1] == colours[2][1] == "rgb(255, 255, 255)", colours
        assert json.loads(page.evaluate("localStorage.getItem('shanzhi.a11y')")) == {"large": True, "contrast": True}
        shot(page, f"a11y-{viewport}-report-both-modes")

        # A reload and another page keep them, with the buttons' state right.
        page.reload()
        assert modes(page) == {"a11y-large", "a11y-contrast"}
        assert pressed(page, "large") == ["true"] and pressed(page, "contrast") == ["true"]
        page.goto(server + pages["guide"][0])
        assert modes(page) == {"a11y-large", "a11y-contrast"} and pressed(page, "large") == ["true"]
        assert font_px(page, "body") >= 20
        fits(page)

        # And one more tap turns 大字 off again, also after a reload.
        press("large")
        assert modes(page) == {"a11y-contrast"} and pressed(page, "large") == ["false"]
        page.reload()
        assert modes(page) == {"a11y-contrast"} and pressed(page, "large") == ["false"]
        assert pressed(page, "contrast") == ["true"] and font_px(page, "body") < 20
    finally:
        page.context.close()


def test_high_contrast_follows_the_systems_setting_until_the_user_chooses(server, browser):
    page = new_page(browser, "phone", contrast="more")
    try:
        page.goto(server + "/verify/copy/")
        assert modes(page) == {"a11y-contrast"} and pressed(page, "contrast") == ["true"]
        no_serious(page, "verify-copy (prefers-contrast: more)")
        page.locator("button[data-a11y=contrast]").tap()  # the user prefers it off here
        page.reload()
        assert modes(page) == set() and pressed(page, "contrast") == ["false"]
    finally:
        page.context.close()


# --------------------------------------------------------------------------- forms that are refused
REPORT_FIELDS = ("phone", "code", "description", "address_text")


def test_an_empty_report_says_what_is_missing_beside_each_field(server, browser):
    page = new_page(browser, "phone")
    try:
        page.goto(server + "/report/")
        page.locator("#public-form button[type=submit]").tap()
        # Checked before sending: every required field says what is missing, and the list on top
        # of the form (which takes the focus) links to each.
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        assert page.url.endswith("/report/") and page.locator("#report-done").count() == 0
        for field in REPORT_FIELDS:
            assert_error_beside(page, field)
        assert "请描述问题" in page.inner_text("#description-error")
        assert summary.locator("a").count() == len(REPORT_FIELDS)
        summary.locator("a[href='#code']").tap()
        expect(page.locator("#code")).to_be_focused()
        no_serious(page, "report with errors")
        shot(page, "a11y-phone-report-empty")
        page.locator("button[data-a11y=large]").tap()
        page.locator("button[data-a11y=contrast]").tap()
        no_serious(page, "report with errors, large + contrast")
        fits(page)
        shot(page, "a11y-phone-report-empty-both-modes")

        # The server's own answer goes to the same places: a wrong code is refused beside it.
        page.fill("#phone", "13900001111")
        page.fill("#code", "123456")
        page.fill("#description", "小区门口路灯不亮")
        page.fill("#address_text", "徐霞客镇璜塘路")
        with page.expect_navigation():
            page.locator("#public-form button[type=submit]").tap()
        assert page.title().startswith("请修改后提交")
        assert_error_beside(page, "code", "验证码不正确或已失效")
        expect(page.locator("#error-summary")).to_be_focused()
        assert page.input_value("#description") == "小区门口路灯不亮"  # what was typed is kept
        assert page.get_attribute("#description", "aria-invalid") is None
        no_serious(page, "report refused by the server, large + contrast")
    finally:
        page.context.close()


def test_without_javascript_the_server_marks_the_field(server, browser):
    page = new_page(browser, "desktop", java_script_enabled=False)
    try:
        page.goto(server + "/report/")
        with page.expect_navigation():
            page.click("#public-form button[type=submit]")
        assert_error_beside(page, "phone", "手机号应为 11 位")
        assert "手机号应为 11 位" in page.inner_text("#error-summary")
    finally:
        page.context.close()


def test_the_other_public_forms_say_why_beside_the_field(server, browser, pages):
    page = new_page(browser, "desktop", {"large": True, "contrast": True})
    try:
        # A rating sent without a choice: the message sits in the group, which is marked.
        for name in ("rate", "window-rate"):
            page.goto(server + pages[name][0])
            with page.expect_navigation():
                page.click("button:has-text('提交评价')")
            error = page.locator("#level-error")
            expect(error).to_be_visible()
            assert CHINESE.search(error.inner_text()) and "整数" not in error.inner_text(), error.inner_text()
            assert page.get_attribute("fieldset.choices", "aria-describedby") == "level-error"
            assert page.get_attribute("input[name=level] >> nth=0", "aria-invalid") == "true"
            assert page.locator("input[name=level]").count() == 5  # not rated: the choices are still there
            no_serious(page, f"{name} refused")

        # A copy that is not a certificate file: the verdict is tied to the text box.
        page.goto(server + pages["verify-copy"][0])
        page.fill("#document", "不是证照文件")
        with page.expect_navigation():
            page.click("main button:has-text('核验')")
        assert page.inner_text("#verdict") == "无法识别的证照文件"
        assert page.get_attribute("#document", "aria-invalid") == "true"
        assert "无法识别的证照文件" in described_by(page, "#document")
        assert page.input_value("#document") == "不是证照文件"
        no_serious(page, "verify-copy refused")

        # The login sent empty: each field says it is required.
        page.goto(server + pages["login"][0])
        with page.expect_navigation():
            page.click("form.login button[type=submit]")
        for field in ("username", "password"):
            control = page.locator(f"#id_{field}")
            expect(control).to_have_attribute("aria-invalid", "true")
            assert CHINESE.search(described_by(page, f"#id_{field}"))
        no_serious(page, "login refused")
        fits(page)
    finally:
        page.context.close()


# --------------------------------------------------------------------------- the keyboard alone
def focused(page) -> str:
    return page.evaluate("""() => { const el = document.activeElement;
        return el.id || el.getAttribute('data-a11y') || el.getAttribute('type') || el.tagName.toLowerCase(); }""")


def tab_to(page, target, limit=6) -> list[str]:
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == target:
            ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
            assert ring[0] != "none" and ring[1] >= 2, (target, ring)  # the focus is seen
            return seen
    raise AssertionError(f"Tab never reached #{target}: {seen}")


def test_a_report_is_filled_in_and_sent_with_the_keyboard_alone(server, browser, site_db):
    page = new_page(browser, "desktop")
    try:
        page.goto(server + "/report/")
        # The reading aids come first; Space turns 大字 on.
        assert tab_to(page, "large", 1) == ["large"]
        page.keyboard.press("Space")
        assert modes(page) == {"a11y-large"} and pressed(page, "large") == ["true"]
        assert tab_to(page, "phone", 2) == ["contrast", "phone"]
        page.keyboard.type("13900002222")
        tab_to(page, "get-code", 1)
        page.keyboard.press("Enter")
        expect(page.locator("#code-msg")).to_contain_text("验证码已发送")
        code = last_code(site_db)
        tab_to(page, "code", 1)
        page.keyboard.type(code)
        tab_to(page, "description", 1)
        page.keyboard.type("村口石桥栏杆断了，老人小孩经过危险")
        tab_to(page, "address_text", 1)
        page.keyboard.type("徐霞客镇马镇村石桥")
        assert tab_to(page, "name", 3) == ["locate", "photos", "name"]
        page.keyboard.type("王大爷")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        done = page.locator("#report-done")
        expect(done).to_contain_text("提交成功")
        expect(done).to_be_focused()
        assert re.search(r"您的反映编号是 \S+", done.inner_text())
        assert page.title().startswith("提交成功")
        no_serious(page, "report sent")
        shot(page, "a11y-desktop-report-sent")
    finally:
        page.context.close()
