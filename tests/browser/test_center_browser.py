"""A county leader opens the command center, picks last quarter with one click and sees figures
that equal a direct count of the cases registered in it; narrowing to a village and a department
keeps them equal; the drill-down lists exactly the cases behind a figure."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import textwrap

import pytest

from .conftest import login
from .test_window_browser import server_db  # noqa: F401 — the shared fixture

pytestmark = pytest.mark.browser

PLAY = textwrap.dedent('''
    import datetime as dt, django
    django.setup()
    from django.utils import timezone
    from shanzhi.accounts.models import Department, User
    from shanzhi.geo.models import Grid
    from shanzhi.incidents.services import loop
    from shanzhi.incidents.services.intake import incident_report
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    q = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = q - dt.timedelta(days=1)
    start = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    worker = User.objects.get(username="grid_worker")
    grid = Grid.objects.get(pk=worker.posts.filter(grid__isnull=False).first().grid_id)
    d, h = User.objects.get(username="dispatcher"), User.objects.get(username="dept_handler")
    v = User.objects.get(username="informant")
    dept = Department.objects.get(code="JY-CG")
    for i in range(7):
        t = dt.datetime.combine(start + dt.timedelta(days=9 * i + 3), dt.time(9, 30), tzinfo=tz)
        H = dt.timedelta(hours=1)
        inc, _ = incident_report(actor=worker, source="patrol", description=f"上季度巡查发现占道经营第{i}处",
                                 subclass_code="0101", lon=grid.center_lon, lat=grid.center_lat, reported_at=t)
        loop.incident_register(actor=d, incident_id=inc.pk, at=t + 0.2 * H)
        loop.incident_dispatch(actor=d, incident_id=inc.pk, department=dept, at=t + 0.5 * H)
        loop.incident_accept(actor=h, incident_id=inc.pk, at=t + 1 * H)
        if i == 6:
            continue  # still with the handler, long past its deadline
        loop.incident_reply(actor=h, incident_id=inc.pk, note="已整改", at=t + (5 if i else 400) * H)
        loop.incident_verify(actor=v, incident_id=inc.pk, passed=True, at=t + (6 if i else 401) * H)
''')


def _last_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    q = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = q - dt.timedelta(days=1)
    return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def _kpi(page, key: str) -> int:
    return int(re.sub(r"\D", "", page.locator(f'.kpi[data-key="{key}"] b').inner_text()) or 0)


def test_last_quarter_on_the_dashboard_equals_a_direct_count(browser, server, server_db, data_dir):  # noqa: F811
    env = {**os.environ, "SHANZHI_DATA_DIR": str(data_dir), "DATABASE_URL": "", "SHANZHI_SEAL_KEY": "7c" * 32,
           "DJANGO_SETTINGS_MODULE": "shanzhi.config.settings"}
    subprocess.run([sys.executable, "-c", PLAY], env=env, check=True, capture_output=True)
    first, last = _last_quarter(dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date())
    lo = dt.datetime.combine(first, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0),
                             tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
    span = (lo.strftime("%Y-%m-%d %H:%M:%S"), hi.strftime("%Y-%m-%d %H:%M:%S"))

    def direct(extra: str = "", args: tuple = ()) -> dict:
        row = server_db.execute(
            "SELECT count(*), sum(status IN ('closed','archived')), sum(status IN ('closed','archived') AND NOT ran_late)"
            " FROM incidents_incident i WHERE registered_at >= ? AND registered_at < ?"
            " AND status NOT IN ('voided','merged')" + extra, span + args).fetchone()
        return {"registered": row[0], "closed": row[1] or 0, "on_time": row[2] or 0}

    page = login(browser, server, "county_leader")
    page.goto(f"{server}/center/")
    page.get_by_role("link", name="上季度").click()
    page.wait_for_url(re.compile(r"from=\d{4}-\d{2}-\d{2}&to="))
    assert page.locator("#f-from").input_value() == str(first)
    assert page.locator("#f-to").input_value() == str(last)
    want = direct()
    assert want["registered"] >= 7
    assert _kpi(page, "registered") == want["registered"]
    # 结案率 links its numerator: the closed cases of the quarter.
    closed_link = page.locator('.kpi[data-key="close_rate"] .muted a').first
    assert int(closed_link.inner_text()) == want["closed"]
    on_time = page.locator('.kpi[data-key="on_time_close_rate"] .muted a').first
    assert int(on_time.inner_text()) == want["on_time"]
    # Narrow to the department: still the direct count.
    page.select_option("#f-dept", "JY-CG")
    page.wait_for_url(re.compile(r"dept=JY-CG"))
    dept_id = server_db.execute("SELECT id FROM accounts_department WHERE code = 'JY-CG'").fetchone()[0]
    assert page.locator("#f-from").input_value() == str(first)  # the period is kept
    assert _kpi(page, "registered") == direct(" AND department_id = ?", (dept_id,))["registered"]
    # A figure opens the exact cases behind it.
    with page.expect_navigation():
        page.locator('.kpi[data-key="registered"] b a').click()
    assert page.locator("tr.drill-row").count() == direct(" AND department_id = ?", (dept_id,))["registered"]
    page.context.close()


def test_a_leader_adds_a_handler_and_sees_the_prediction_beside_the_actual(browser, server, server_db):  # noqa: F811
    """人员调配推演: from the town's dashboard, one more handler for the department that gets the most
    of the town's cases; the prediction (median and band) stands beside the actual figures, which are
    the dashboard's own for the same days."""
    code = server_db.execute("SELECT code FROM geo_region WHERE name = '徐霞客镇'").fetchone()[0]
    page = login(browser, server, "county_leader")
    page.goto(f"{server}/center/?town={code}")
    with page.expect_navigation():
        page.get_by_role("link", name="人员调配推演").click()
    assert page.locator("#wi-town").input_value() == code
    first = page.locator("#whatif-form tbody tr").first  # the department with most of the town's rounds
    dept = first.locator("th").inner_text().replace("县级", "").strip()
    box = first.locator("input[type=number]")
    today_staff = int(box.input_value())
    box.fill(str(today_staff + 1))
    with page.expect_navigation():
        page.get_by_role("button", name="开始推演").click()
    result = page.locator("#whatif-result")
    result.wait_for()
    rows = {r.locator("th").inner_text(): [c.inner_text() for c in r.locator("td").all()]
            for r in result.locator("tbody tr").all()}
    predicted, band, actual = rows["按期处置率"]
    assert re.fullmatch(r"\d+\.\d%", predicted), rows
    lo, hi = (float(x.rstrip("%")) for x in band.split(" – "))
    assert lo <= float(predicted.rstrip("%")) <= hi
    got = re.fullmatch(r"([\d.]+)%（(\d+)/(\d+)）", actual)
    assert got, actual
    # The changed department's row says so, today's staff → the what-if's.
    changed = page.locator("tr.changed")
    assert changed.count() == 1 and dept in changed.inner_text()
    assert f"{today_staff} → {today_staff + 1}" in changed.inner_text()
    # "Actual" is the command center's figure for the same days.
    s, e = re.search(r"实际”为最近 \d+ 天（(\d{4}-\d{2}-\d{2}) 至 (\d{4}-\d{2}-\d{2})", result.inner_text()).groups()
    page.goto(f"{server}/center/?town={code}&from={s}&to={e}")
    links = page.locator('.kpi[data-key="on_time_handle_rate"] .muted a')
    assert (links.nth(0).inner_text(), links.nth(1).inner_text()) == (got.group(2), got.group(3))
    page.context.close()


def test_the_center_on_a_leaders_phone_fits_and_its_filters_are_big_enough_to_tap(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/login/")
    page.fill("#id_username", "county_leader")
    page.fill("#id_password", "Shanzhi@2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    for path, controls in (("/center/", "#dash-filter select, #dash-filter input[type=date]"),
                           ("/center/whatif/", "#whatif-form select, #whatif-form input[type=number]")):
        page.goto(f"{server}{path}")
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{path}: {width} px wide in a {inner} px window"
        boxes = [c.bounding_box() for c in page.locator(controls).all()]
        assert boxes and all(b["height"] >= 44 and b["x"] >= 0 and b["x"] + b["width"] <= inner for b in boxes), \
            (path, boxes)
    context.close()
