"""One team (一队伍) in the browser with the demo's bureau of 徐霞客镇:

1. a grid incident about an illegal structure becomes a lead in one click on the incident's page;
   the squad leader of the area files it with the power that applies and names two officers; they
   record a photo and a record of inquiry (each shown with its SHA-256, intact); the investigation
   ends with a proposal inside the discretion band; the leader notifies the company, which asks for
   a hearing in time; the hearing is noticed 7 days ahead and held; the town leader decides; the
   decision is served; the company pays ten days late and the page works out the 3 % a day charge;
   the leader closes, publishes (the public page shows it) and archives; the decision prints on A4;
2. the simple procedure: two officers fine a resident ¥50 on the spot and the case closes there.

Only pages are clicked and filled. The server's SQLite file is read to learn who holds which post
(what a user would be told) and written only to let time pass: the days until the hearing and
until the late payment are moved back, as the calendar would."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from .conftest import shot
from .test_window_browser import act, server_db, users  # noqa: F401 — the shared fixtures

pytestmark = pytest.mark.browser
TOWN = "徐霞客镇"
LOCAL = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" \
      b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"


def one(con, sql, *args):
    row = con.execute(sql, args).fetchone()
    assert row is not None, sql
    return row


def status(page):
    return page.inner_text("h1 .st").strip()


def squad_people(con, squad_id):
    """The squad's leader and two of its officers whose certificates are valid (not the legal reviewer)."""
    leader = one(con, "select u.username from enforcement_squad s join accounts_user u on u.id = s.leader_id "
                      "where s.id = ?", squad_id)[0]
    rows = con.execute(
        "select u.username from enforcement_officer o join accounts_user u on u.id = o.user_id "
        "where o.squad_id = ? and o.legal_reviewer = 0 and o.certificate_valid_until > date('now', '+60 day') "
        "and u.username != ? and o.is_active = 1 order by o.certificate_number limit 2", (squad_id, leader)).fetchall()
    assert len(rows) == 2
    return leader, rows[0][0], rows[1][0]


def back(con, sql, *args):
    con.execute(sql, args)
    con.commit()


def test_an_illegal_structure_from_the_grid_to_a_published_penalty(server, users, server_db, tmp_path):  # noqa: F811
    con = server_db
    incident_id, = one(con, "select i.id from incidents_incident i join geo_region t on t.id = i.town_id "
                            "join incidents_incidentclass c on c.id = i.subclass_id where t.name = ? "
                            "and i.status not in ('closed', 'archived', 'voided', 'merged') and i.grid_id is not null "
                            "and not exists (select 1 from enforcement_penaltycase p where p.incident_id = i.id) "
                            "order by c.code = '0201' desc, c.code like '02%' desc, i.id desc limit 1", TOWN)
    # Any certified officer of the town may turn it into a lead.
    first, = one(con, "select u.username from enforcement_officer o join accounts_user u on u.id = o.user_id "
                      "where o.certificate_valid_until > date('now', '+60 day') and o.legal_reviewer = 0 "
                      "and u.username like 'officer%' order by u.username desc limit 1")
    page = users(first)
    page.goto(f"{server}/incidents/{incident_id}/")
    with page.expect_navigation():
        page.click("#penalty-lead button[type=submit]")
    assert status(page) == "案源待核查"
    case_id = int(page.url.rstrip("/").split("/")[-1])
    squad_id, number = one(con, "select squad_id, number from enforcement_penaltycase where id = ?", case_id)
    leader, a, b = squad_people(con, squad_id)
    company, uscc = one(con, "select o.name, o.uscc from registry_organisation o join geo_region v on v.id = o.region_id "
                             "join geo_region t on t.id = v.parent_id where t.name = ? and o.kind = 'enterprise' "
                             "order by o.id limit 1", TOWN)
    item_label, = one(con, "select name from enforcement_penaltyitem where written_out = 1 and violation like "
                           "'未取得建设工程规划许可证进行建设，尚可%'")

    boss = users(leader)
    boss.goto(f"{server}/team/cases/{case_id}/")
    boss.select_option("form.act-file select[name=item]", label=item_label)
    act(boss, "file")
    assert status(boss) == "调查取证" and "徐霞客综执立〔" in boss.inner_text("body")
    # Two officers are needed; one is refused with the reason.
    a_cert, = one(con, "select o.certificate_number from enforcement_officer o join accounts_user u on u.id = o.user_id "
                       "where u.username = ?", a)
    b_cert, = one(con, "select o.certificate_number from enforcement_officer o join accounts_user u on u.id = o.user_id "
                       "where u.username = ?", b)
    boss.locator("form.act-assign label.check", has_text=a_cert).locator("input").check()
    act(boss, "assign", error="两名以上")
    boss.locator("form.act-assign label.check", has_text=a_cert).locator("input").check()
    boss.locator("form.act-assign label.check", has_text=b_cert).locator("input").check()
    act(boss, "assign")

    officer = users(a)
    officer.goto(f"{server}/team/cases/{case_id}/")
    photo = tmp_path / "shed.png"
    photo.write_bytes(PNG)
    form = officer.locator("form.act-evidence")
    form.locator("select[name=kind]").select_option("photo")
    form.locator("input[name=title]").fill("违建厂房现场照片")
    form.locator("input[type=file]").set_input_files(str(photo))
    act(officer, "evidence")
    form = officer.locator("form.act-evidence")
    form.locator("select[name=kind]").select_option("inquiry")
    form.locator("input[name=title]").fill("对公司负责人的询问笔录")
    form.locator("textarea[name=text]").fill("问：厂房是否取得建设工程规划许可证？答：没有办理，先建了。")
    act(officer, "evidence")
    evidence = officer.inner_text("#evidence")
    assert evidence.count("未被篡改") == 2
    form = officer.locator("form.act-submit")
    form.locator("textarea[name=findings]").fill(f"{company}未取得建设工程规划许可证建设钢结构厂房约800平方米，造价约100万元")
    form.locator("input[name=party_kind][value=org]").check()
    form.locator("input[name=party_org]").fill(uscc)
    form.locator("select[name=level]").select_option("minor")
    form.locator("input[name=penalty_types][value=fine]").check()
    form.locator("input[name=base]").fill("1000000")
    form.locator("input[name=fine]").fill("90000")  # above the minor band (5–6.5 % of the cost)
    act(officer, "submit", error="裁量范围")
    form = officer.locator("form.act-submit")  # what was typed is still there; only the fine changes
    assert form.locator("input[name=party_org]").input_value() == uscc
    assert form.locator("input[name=penalty_types][value=fine]").is_checked()
    form.locator("input[name=fine]").fill("60000")
    act(officer, "submit")
    assert status(officer) == "审核"

    boss.goto(f"{server}/team/cases/{case_id}/")
    act(boss, "notify")
    assert status(boss).startswith("已告知") and "徐霞客综执罚告〔" in boss.inner_text("body")
    # The company asks for a hearing within the five days; the decision clock pauses.
    officer.goto(f"{server}/team/cases/{case_id}/")
    officer.locator("form.act-hearing_request input[name=note]").fill("公司书面申请听证")
    act(officer, "hearing_request")
    assert status(officer) == "听证" and "听证期间暂停计时" in officer.inner_text("body")
    boss.goto(f"{server}/team/cases/{case_id}/")
    assert boss.locator("form.act-decide").count() == 0  # no decision while the hearing is pending
    soon = (dt.datetime.now(tz=LOCAL) + dt.timedelta(days=3)).strftime("%Y-%m-%dT09:30")
    boss.locator("form.act-hearing_notice input[name=hearing_at]").evaluate("(el, v) => el.removeAttribute('min')")
    boss.fill("form.act-hearing_notice input[name=hearing_at]", soon)
    act(boss, "hearing_notice", error="七日前")
    later = (dt.datetime.now(tz=LOCAL) + dt.timedelta(days=8)).strftime("%Y-%m-%dT09:30")
    boss.fill("form.act-hearing_notice input[name=hearing_at]", later)
    act(boss, "hearing_notice")
    # Eight days pass: the hearing's day has come.
    back(con, "update enforcement_penaltycase set hearing_at = datetime('now', '-1 hour') where id = ?", case_id)
    boss.goto(f"{server}/team/cases/{case_id}/")
    boss.fill("form.act-hearing_held textarea[name=record]", "公司对违法事实无异议，称因赶工期先建后报，请求从轻处罚")
    act(boss, "hearing_held")
    assert status(boss) == "听证结束待决定"

    town_leader = users("town_leader")
    town_leader.goto(f"{server}/team/cases/{case_id}/")
    form = town_leader.locator("form.act-decide")
    form.locator("select[name=outcome]").select_option("penalty")
    form.locator("select[name=level]").select_option("minor")
    form.locator("input[name=penalty_types][value=fine]").check()
    form.locator("input[name=base]").fill("1000000")
    form.locator("input[name=fine]").fill("60000")
    act(town_leader, "decide")
    assert status(town_leader) == "已决定待送达"
    decision = town_leader.locator("a", has_text="行政处罚决定书")
    assert decision.count() == 1

    officer.goto(f"{server}/team/cases/{case_id}/")
    officer.locator("form.act-serve select[name=method]").select_option("direct")
    act(officer, "serve")
    assert status(officer) == "执行中"
    # The fifteen days to pay pass (to the end of a working day: a period ending on a weekend runs
    # to Monday), and ten more: the page works out the late charge.
    last_day = dt.datetime.now(tz=LOCAL).date() - dt.timedelta(days=10)
    pay_due = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=LOCAL).astimezone(dt.UTC)
    back(con, "update enforcement_penaltycase set pay_due = ? where id = ?",
         pay_due.strftime("%Y-%m-%d %H:%M:%S"), case_id)
    officer.goto(f"{server}/team/cases/{case_id}/")
    body = officer.inner_text("body")
    assert "已逾期 10 日，加处罚款 18000.00 元" in body.replace(",", ""), body
    assert officer.input_value("form.act-pay input[name=amount]") == "78000.00"
    officer.fill("form.act-pay input[name=amount]", "60000")
    officer.fill("form.act-pay input[name=receipt_number]", "JSFS2026120212345")
    act(officer, "pay", error="应缴 78,000.00 元")
    officer.fill("form.act-pay input[name=amount]", "78000.00")
    officer.fill("form.act-pay input[name=receipt_number]", "JSFS2026120212345")
    act(officer, "pay")
    assert status(officer) == "执行完毕待结案"

    boss.goto(f"{server}/team/cases/{case_id}/")
    act(boss, "close")
    act(boss, "archive", error="先公示再归档")
    act(boss, "publish")
    act(boss, "archive")
    assert status(boss) == "已归档"
    shot(boss, "team-case-archived")
    public = boss.context.browser.new_page(locale="zh-CN")
    public.goto(f"{server}/team/public/?q={uscc}")
    row = public.locator("tr.published-row").first.inner_text()
    assert company in row and "60000" in row.replace(",", "") and "徐霞客综执罚决〔" in row
    public.close()
    boss.goto(f"{server}/team/cases/{case_id}/")
    with boss.expect_navigation():
        boss.locator("a", has_text="行政处罚决定书").click()
    doc = boss.inner_text("body")
    assert "行政处罚决定书" in doc and "罚款人民币 60000.00 元" in doc and "十五日内" in doc
    width = float(boss.evaluate("getComputedStyle(document.querySelector('.page')).width").rstrip("px"))
    assert abs(width - 793.7) < 1  # 210 mm: an A4 page
    # The incident names the case, and the case its incident.
    boss.goto(f"{server}/incidents/{incident_id}/")
    assert number in boss.inner_text("#penalty-lead")


def test_a_fine_on_the_spot_closes_there(server, users, server_db):  # noqa: F811
    con = server_db
    squad_id, = one(con, "select s.id from enforcement_squad s join geo_region t on t.id = s.town_id "
                         "where t.name = ? order by s.name limit 1", TOWN)
    _leader, a, b = squad_people(con, squad_id)
    b_label, = one(con, "select u.display_name from accounts_user u where u.username = ?", b)
    page = users(a)
    page.goto(f"{server}/team/simple/")
    page.locator("select[name=partner]").select_option(label=next(
        o for o in page.locator("select[name=partner] option").all_inner_texts() if o.startswith(b_label)))
    waste, = one(con, "select name from enforcement_penaltyitem where written_out = 1 and violation like "
                      "'随意倾倒、抛撒或者堆放建筑垃圾（个人）%'")
    page.locator("select[name=item]").select_option(label=waste)
    page.fill("input[name=party_name]", "钱某")
    page.fill("textarea[name=facts]", "在璜塘河边倾倒装修垃圾两袋，经劝导承认并当场清理")
    page.fill("input[name=fine]", "500")
    with page.expect_navigation():
        page.click("form.act-simple button[type=submit]")
    assert "不得超过 200" in page.inner_text(".msg.error")
    page.fill("input[name=fine]", "50")
    page.check("input[name=paid_on_spot]")
    page.fill("input[name=receipt_number]", "苏财罚00012345")
    with page.expect_navigation():
        page.click("form.act-simple button[type=submit]")
    assert status(page) == "已结案" and "简易程序" in page.inner_text("h1")
    with page.expect_navigation():
        page.locator("a", has_text="当场行政处罚决定书").click()
    assert "罚款已当场收缴" in page.inner_text("body")
