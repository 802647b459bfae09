"""The power catalog (权责清单) in Excel: export → import changes nothing, bad rows are reported per
sheet, row and column and nothing is written, edits are applied and audited, a town code delegates
an item to that town, only the system administrator imports, the export stays public."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from shanzhi.common.models import AuditLog
from shanzhi.enforcement.catalog_io import export_powers, import_powers
from shanzhi.enforcement.models import DiscretionBand, PenaltyItem

from .conftest import login

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOWN_CODES = "行使的镇（街道）代码"
# The demo seeds 《城市道路管理条例》第四十二条 (up to ¥20,000, lowest band ¥0–6,000) as open to the
# simple procedure, which the importer refuses: no band stays within ¥3,000.
DEMO_SIMPLE_OVER_LIMIT = "320281-CG-XZCF-0006"


def written(name_part):
    return PenaltyItem.objects.get(written_out=True, violation__contains=name_part)


def state():
    """Everything the catalog holds, ids included (an import that changes nothing keeps them)."""
    items = list(PenaltyItem.objects.order_by("code").values())
    for row in items:
        row.pop("updated_at")
    towns = list(PenaltyItem.towns.through.objects.order_by("id").values_list("penaltyitem_id", "region_id"))
    return items, list(DiscretionBand.objects.order_by("id").values()), towns


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def column(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def rows_of(ws, code: str) -> list[int]:
    col = column(ws, "事项编码")
    return [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == code]


def row_of(ws, code: str) -> int:
    return rows_of(ws, code)[0]


def band_row(ws, code: str, level_label: str) -> int:
    col = column(ws, "违法程度")
    return next(r for r in rows_of(ws, code) if ws.cell(r, col).value == level_label)


def upload(data: bytes, name="powers.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX)


def some(*items):
    return PenaltyItem.objects.filter(pk__in=[i.pk for i in items])


def test_the_export_has_items_and_bands_in_chinese_and_stays_public(cast, xxk):
    tip = written("随意倾倒、抛撒或者堆放建筑垃圾（单位）")
    cost = written("未取得建设工程规划许可证进行建设，尚可")
    wb = workbook(export_powers(some(tip, cost)))
    assert wb.sheetnames == ["事项", "裁量基准"]
    items = wb["事项"]
    headers = [c.value for c in items[1]]
    assert headers[:4] == ["事项编码", "事项名称", "原实施部门（部门代码）", "执法领域"]
    assert {TOWN_CODES, "行使的镇（街道）名称（只读）", "处罚种类", "可适用简易程序", "在用"} <= set(headers)
    r = row_of(items, tip.code)
    assert items.cell(r, column(items, "执法领域")).value == "城市管理"
    assert items.cell(r, column(items, "处罚种类")).value == "警告、罚款"
    assert items.cell(r, column(items, "原实施部门（部门代码）")).value == "JY-CG"
    assert xxk.code in items.cell(r, column(items, TOWN_CODES)).value.split("、")
    assert "徐霞客镇" in items.cell(r, column(items, "行使的镇（街道）名称（只读）")).value
    bands = wb["裁量基准"]
    assert [c.value for c in bands[1]] == ["事项编码", "序号", "违法程度", "适用情形", "计罚方式", "罚款下限", "罚款上限",
                                           "其他处罚或措施"]
    assert len(rows_of(bands, tip.code)) == tip.bands.count()
    serious = band_row(bands, cost.code, "较重")
    assert bands.cell(serious, column(bands, "计罚方式")).value == "% 建设工程造价"
    assert bands.cell(serious, column(bands, "罚款上限")).value == 10

    # The published list: anyone, as filtered on the page; the first sheet's 4th column is the domain.
    resp = Client().get("/team/powers/export.xlsx", {"domain": "city"})
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    rows = list(workbook(resp.content).active.iter_rows(values_only=True))
    assert rows[0][0] == "事项编码" and len(rows) > 1 and all(r[3] == "城市管理" for r in rows[1:])
    # Retired items are not published; the administrator's full export has them.
    PenaltyItem.objects.filter(pk=tip.pk).update(is_active=False)
    public = workbook(Client().get("/team/powers/export.xlsx", {"q": tip.code, "all": "1"}).content)["事项"]
    assert rows_of(public, tip.code) == []
    full = workbook(login(cast.admin).get("/team/powers/export.xlsx", {"all": "1"}).content)["事项"]
    assert full.cell(row_of(full, tip.code), column(full, "在用")).value == "否"


def test_export_then_import_of_the_same_file_changes_nothing(cast):
    PenaltyItem.objects.filter(code=DEMO_SIMPLE_OVER_LIMIT).update(simple_procedure=False)
    # Text Excel would run as a formula goes out quoted and comes back as it was.
    band = written("露天焚烧秸秆").bands.order_by("order").last()
    DiscretionBand.objects.filter(pk=band.pk).update(other="=HYPERLINK(\"http://x\")")
    before = state()
    audits = AuditLog.objects.count()
    data = export_powers(PenaltyItem.objects.all())
    ws = workbook(data)["裁量基准"]
    quoted = [r for r in rows_of(ws, band.item.code) if ws.cell(r, column(ws, "序号")).value == band.order]
    assert ws.cell(quoted[0], column(ws, "其他处罚或措施")).value.startswith("'=")
    result = import_powers(cast.admin, data, "powers.xlsx")
    assert result.ok and result.errors == [], result.errors[:5]
    assert (result.created, result.updated) == (0, 0) and result.unchanged == PenaltyItem.objects.count()
    assert state() == before
    # Only the import itself is on the record: no item was touched.
    assert AuditLog.objects.count() == audits + 1
    assert AuditLog.objects.order_by("-id").first().action == "import"


def test_a_file_with_two_bad_rows_imports_nothing_and_lists_both(cast):
    tip, smoke = written("随意倾倒、抛撒或者堆放建筑垃圾（单位）"), written("露天焚烧秸秆")
    other = written("经营者不按照规定明码标价")
    wb = workbook(export_powers(some(tip, smoke, other)))
    items, bands = wb["事项"], wb["裁量基准"]
    bad_dept = row_of(items, tip.code)
    items.cell(bad_dept, column(items, "原实施部门（部门代码）")).value = "NO-SUCH"
    bad_band = band_row(bands, smoke.code, "一般")
    bands.cell(bad_band, column(bands, "罚款下限")).value = 1800
    bands.cell(bad_band, column(bands, "罚款上限")).value = 900
    # A good edit in the same file is not applied either.
    items.cell(row_of(items, other.code), column(items, "事项名称")).value = "对不明码标价的处罚（改名）"
    before = state()

    resp = login(cast.admin).post("/team/powers/import/", {"file": upload(save(wb))})
    assert resp.status_code == 400
    page = resp.content.decode()
    result = resp.context["result"]
    assert result.error_count == 2
    assert {(e.sheet, e.row, e.column) for e in result.errors} == {
        ("事项", bad_dept, "原实施部门（部门代码）"), ("裁量基准", bad_band, "罚款下限")}
    assert "部门代码 NO-SUCH 不存在" in page and "罚款下限（1800）不能大于罚款上限（900）" in page
    assert f"<td>{bad_dept}</td>" in page and f"<td>{bad_band}</td>" in page
    assert state() == before
    refused = AuditLog.objects.filter(action="import", object_type="enforcement.penaltyitem").order_by("-id").first()
    assert refused.note == "导入未通过" and refused.after["errors"] == 2


def test_each_kind_of_bad_cell_is_reported_with_its_reason(cast):
    picks = list(PenaltyItem.objects.filter(written_out=True, bands__fine_max__isnull=False, bands__basis="amount")
                 .exclude(code=DEMO_SIMPLE_OVER_LIMIT).distinct().order_by("code")[:10])
    cost = written("未取得建设工程规划许可证进行建设，尚可")
    wb = workbook(export_powers(some(*picks, cost)))
    items, bands = wb["事项"], wb["裁量基准"]
    r = [row_of(items, i.code) for i in picks]
    items.cell(r[0], column(items, "执法领域")).value = "城管执法"
    items.cell(r[1], column(items, "处罚种类")).value = "警告、罚金"
    items.cell(r[2], column(items, TOWN_CODES)).value = "320281999000"
    items.cell(r[3], column(items, "事项名称")).value = None
    items.cell(r[4], column(items, "违法行为")).value = "倾倒_x0007_垃圾"  # how Excel saves a control character
    items.cell(r[6], column(items, "事项编码")).value = picks[5].code
    high = [i for i in picks[7:] if i.bands.filter(basis="amount", fine_max__gt=3000).exists()
            and not i.bands.filter(basis="amount", fine_max__lte=3000).exists()][0]
    items.cell(row_of(items, high.code), column(items, "可适用简易程序")).value = "是"
    b = {i.code: rows_of(bands, i.code) for i in picks}
    bands.cell(b[picks[0].code][-1], column(bands, "违法程度")).value = "特别严重"
    bands.cell(b[picks[1].code][-1], column(bands, "计罚方式")).value = "美元"
    bands.cell(b[picks[2].code][-1], column(bands, "罚款下限")).value = -5
    pct = band_row(bands, cost.code, "较重")
    bands.cell(pct, column(bands, "罚款上限")).value = 120
    bands.cell(b[picks[3].code][-1], column(bands, "适用情形")).value = None
    bands.append(["NO-SUCH-ITEM", 1, "一般", "违法事实清楚", "元", 100, 200, None])
    last = bands.max_row
    result = import_powers(cast.admin, save(wb), "powers.xlsx")
    assert not result.ok and result.created == result.updated == 0
    got = {(e.sheet, e.row, e.column): e.message for e in result.errors}
    assert got[("事项", r[0], "执法领域")].startswith("应为以下之一：城市管理")
    assert "「罚金」不是处罚种类" in got[("事项", r[1], "处罚种类")]
    assert got[("事项", r[2], TOWN_CODES)] == "320281999000 不是本县的镇（街道）代码"
    assert got[("事项", r[3], "事项名称")] == "必填"
    assert "控制字符" in got[("事项", r[4], "违法行为")]
    assert got[("事项", r[6], "事项编码")] == f"与第 {r[5]} 行的事项编码重复"
    assert "3,000 元" in got[("事项", row_of(items, high.code), "可适用简易程序")]
    assert got[("裁量基准", b[picks[0].code][-1], "违法程度")].startswith("应为以下之一：不予处罚")
    assert got[("裁量基准", b[picks[1].code][-1], "计罚方式")].startswith("应为以下之一：元")
    assert got[("裁量基准", b[picks[2].code][-1], "罚款下限")] == "不能为负数"
    assert got[("裁量基准", pct, "罚款上限")] == "按百分比计罚（% 建设工程造价）时不能大于 100"
    assert got[("裁量基准", b[picks[3].code][-1], "适用情形")] == "必填"
    assert got[("裁量基准", last, "事项编码")] == "事项 NO-SUCH-ITEM 不在「事项」表中，系统中也不存在"
    assert len(got) == 13, got


def test_the_simple_procedure_needs_a_band_within_3000_or_a_warning(cast):
    smoke = written("露天焚烧秸秆")  # ¥500–2,000, fine only
    wb = workbook(export_powers(some(smoke)))
    items, bands = wb["事项"], wb["裁量基准"]
    items.cell(2, column(items, "可适用简易程序")).value = "是"
    assert import_powers(cast.admin, save(wb), "powers.xlsx").ok
    assert PenaltyItem.objects.get(pk=smoke.pk).simple_procedure
    # Raising the lowest band above ¥3,000 on the 裁量基准 sheet alone is refused…
    for r in rows_of(bands, smoke.code):
        if bands.cell(r, column(bands, "罚款上限")).value is not None:
            bands.cell(r, column(bands, "罚款上限")).value = 5000
    result = import_powers(cast.admin, save(wb), "powers.xlsx")
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("事项", 2, "可适用简易程序")]
    assert "对个人 200 元以下、对单位 3,000 元以下的罚款或者警告" in result.errors[0].message
    assert PenaltyItem.objects.get(pk=smoke.pk).bands.filter(fine_max=5000).count() == 0
    # …unless the item may also give a warning and has a band with no fine.
    wb = workbook(export_powers(some(smoke)))
    items, bands = wb["事项"], wb["裁量基准"]
    items.cell(2, column(items, "处罚种类")).value = "警告、罚款"
    level = column(bands, "违法程度")
    for r in rows_of(bands, smoke.code):
        if bands.cell(r, level).value == "轻微":
            bands.cell(r, column(bands, "罚款下限")).value = bands.cell(r, column(bands, "罚款上限")).value = None
            bands.cell(r, column(bands, "其他处罚或措施")).value = "警告"
        elif bands.cell(r, level).value != "不予处罚":
            bands.cell(r, column(bands, "罚款下限")).value, bands.cell(r, column(bands, "罚款上限")).value = 4000, 5000
    assert import_powers(cast.admin, save(wb), "powers.xlsx").ok
    assert PenaltyItem.objects.get(pk=smoke.pk).bands.get(level="minor").fine_max is None


def test_an_edit_of_a_band_is_applied_and_audited(cast):
    smoke = written("露天焚烧秸秆")
    general = smoke.bands.get(level="general")
    ids = list(smoke.bands.order_by("order").values_list("id", flat=True))
    wb = workbook(export_powers(some(smoke)))
    bands = wb["裁量基准"]
    bands.cell(band_row(bands, smoke.code, "一般"), column(bands, "罚款上限")).value = 1500.5

    resp = login(cast.admin).post("/team/powers/import/", {"file": upload(save(wb))})
    assert resp.status_code == 200 and "修改 1 项" in resp.content.decode()
    general.refresh_from_db()
    assert general.fine_max == Decimal("1500.50")
    assert list(smoke.bands.order_by("order").values_list("id", flat=True)) == ids  # same rows, edited in place
    smoke.refresh_from_db()
    assert smoke.version == 2
    row = AuditLog.objects.get(action="update", object_type="enforcement.penaltyitem", object_id=str(smoke.pk))
    assert row.actor == cast.admin and row.note == "导入权责清单"
    old = {b["level"]: b for b in row.before["bands"]}
    new = {b["level"]: b for b in row.after["bands"]}
    assert Decimal(new["general"]["fine_max"]) == Decimal("1500.5") and Decimal(old["general"]["fine_max"]) != Decimal("1500.5")
    assert row.region_id == smoke.department.region_id


def test_a_town_code_added_delegates_the_item_to_that_town(cast, huashi):
    sewage = written("超过水污染物排放标准")  # kept by the county (专业执法)
    assert not sewage.towns.exists()
    assert "超过水污染物排放标准" not in Client().get("/team/powers/", {"town": huashi.code, "q": "水污染"}).content.decode()
    wb = workbook(export_powers(some(sewage)))
    items = wb["事项"]
    items.cell(2, column(items, TOWN_CODES)).value = huashi.code
    wb.remove(wb["裁量基准"])  # bands left as they are
    bands = list(sewage.bands.values())
    result = import_powers(cast.admin, save(wb), "powers.xlsx")
    assert result.ok and result.updated == 1
    assert list(sewage.towns.all()) == [huashi]
    assert list(sewage.bands.values()) == bands
    assert "超过水污染物排放标准" in Client().get("/team/powers/", {"town": huashi.code, "q": "水污染"}).content.decode()
    row = AuditLog.objects.get(action="update", object_type="enforcement.penaltyitem", object_id=str(sewage.pk))
    assert row.before == {"towns": []} and row.after == {"towns": [huashi.code]}


def test_a_new_item_is_created_with_its_bands_and_retiring_one_keeps_it(cast):
    smoke = written("露天焚烧秸秆")
    wb = workbook(export_powers(some(smoke)))
    items, bands = wb["事项"], wb["裁量基准"]
    new_code = smoke.code[:-4] + "9999"
    items.append([new_code if c.value == smoke.code else c.value for c in items[2]])
    items.cell(3, column(items, "事项名称")).value = "对露天焚烧落叶的处罚"
    items.cell(2, column(items, "在用")).value = "否"
    bands.append([new_code, 1, "一般", "违法事实清楚", "元", 500, 2000, None])
    result = import_powers(cast.admin, save(wb), "powers.xlsx")
    assert result.ok and (result.created, result.updated) == (1, 1)
    new = PenaltyItem.objects.get(code=new_code)
    assert new.name == "对露天焚烧落叶的处罚" and new.department == smoke.department and set(new.towns.all()) == set(smoke.towns.all())
    assert list(new.bands.values_list("level", "fine_min", "fine_max")) == [("general", Decimal(500), Decimal(2000))]
    assert AuditLog.objects.filter(action="create", object_type="enforcement.penaltyitem", object_id=str(new.pk)).exists()
    smoke.refresh_from_db()
    assert not smoke.is_active and smoke.bands.exists()  # retired, not deleted
    assert Client().get(f"/team/powers/{smoke.code}/").status_code == 404


def test_only_the_system_administrator_imports(cast):
    data = export_powers(PenaltyItem.objects.all(), limit=3)
    for user in (cast.window_clerk, cast.dispatcher, cast.citizen):
        client = login(user)
        assert client.get("/team/powers/import/").status_code == 403
        assert client.post("/team/powers/import/", {"file": upload(data)}).status_code == 403
    assert Client().get("/team/powers/import/").status_code == 302  # to the login page
    admin = login(cast.admin)
    page = admin.get("/team/powers/import/")
    assert page.status_code == 200 and 'name="file"' in page.content.decode()
    assert "/team/powers/import/" in admin.get("/team/powers/").content.decode()
    assert "/team/powers/import/" not in login(cast.dispatcher).get("/team/powers/").content.decode()
    assert "/team/powers/import/" not in Client().get("/team/powers/").content.decode()


def test_a_file_that_is_not_xlsx_gets_a_clear_error(cast):
    before = state()
    admin = login(cast.admin)
    resp = admin.post("/team/powers/import/", {"file": SimpleUploadedFile("powers.csv", "事项编码\nX\n".encode())})
    assert resp.status_code == 400 and "只支持 .xlsx 文件" in resp.content.decode()
    resp = admin.post("/team/powers/import/", {"file": upload(b"PK\x03\x04 not really a zip")})
    assert resp.status_code == 400 and "无法读取 Excel 文件" in resp.content.decode()
    assert state() == before


def test_band_rules_towns_headers_and_limits(cast, huashi, monkeypatch):
    from shanzhi.enforcement import catalog_io

    smoke, tip = written("露天焚烧秸秆"), written("随意倾倒、抛撒或者堆放建筑垃圾（单位）")
    wb = workbook(export_powers(some(smoke, tip)))
    items, bands = wb["事项"], wb["裁量基准"]
    level, order = column(bands, "违法程度"), column(bands, "序号")
    s = rows_of(bands, smoke.code)
    bands.cell(s[2], order).value = bands.cell(s[1], order).value  # two bands numbered alike
    t = rows_of(bands, tip.code)
    bands.cell(t[1], level).value = bands.cell(t[0], level).value  # two bands of one level
    exempt = band_row(bands, smoke.code, "不予处罚")
    bands.cell(exempt, column(bands, "罚款上限")).value = 100  # no penalty, yet a fine
    huashi.valid_to = date(2020, 1, 1)
    huashi.save(update_fields=["valid_to"])
    items.cell(row_of(items, tip.code), column(items, TOWN_CODES)).value = huashi.code
    result = import_powers(cast.admin, save(wb), "powers.xlsx")
    got = {(e.sheet, e.row, e.column): e.message for e in result.errors}
    assert got == {
        ("裁量基准", s[2], "序号"): f"同一事项下序号重复（第 {s[1]} 行）",
        ("裁量基准", t[1], "违法程度"): f"同一事项下「{bands.cell(t[0], level).value}」情形重复（第 {t[0]} 行）",
        ("裁量基准", exempt, "罚款上限"): "「不予处罚」情形不能有罚款金额",
        # Both items: tip is given the retired town, smoke still lists it.
        ("事项", row_of(items, tip.code), TOWN_CODES): f"镇（街道）{huashi.code} 已停用，不能再行使处罚权，请从本列删去",
        ("事项", row_of(items, smoke.code), TOWN_CODES): f"镇（街道）{huashi.code} 已停用，不能再行使处罚权，请从本列删去",
    }

    # A header the importer does not know, or a required one missing, stops the file at row 1.
    wb = workbook(export_powers(some(smoke)))
    wb["事项"].cell(1, column(wb["事项"], "违法行为")).value = "违法事实"
    audits = AuditLog.objects.count()
    result = import_powers(cast.admin, save(wb), "powers.xlsx")
    assert {(e.row, e.column) for e in result.errors} == {(1, "违法行为"), (1, "违法事实")}
    assert "应有的列：事项编码、事项名称" in result.errors[-1].message
    assert AuditLog.objects.count() == audits  # not a catalog file at all: nothing on the record

    monkeypatch.setattr(catalog_io, "MAX_ROWS", {"事项": 1, "裁量基准": 100})
    result = import_powers(cast.admin, export_powers(some(smoke, tip)), "powers.xlsx")
    assert result.file_error == "「事项」表超过 1 行，请拆分后分批导入"
    monkeypatch.setattr(catalog_io, "MAX_BYTES", 100)
    assert import_powers(cast.admin, export_powers(some(smoke)), "powers.xlsx").file_error.startswith("文件过大")


def test_a_direction_override_in_a_name_is_refused(cast):
    item = written("露天焚烧秸秆")
    wb = workbook(export_powers(some(item)))
    items = wb["事项"]
    items.cell(row_of(items, item.code), column(items, "事项名称")).value = "对露天焚烧\u202e秸秆的处罚"
    before = state()
    resp = login(cast.admin).post("/team/powers/import/", {"file": upload(save(wb))})
    assert resp.status_code == 400 and "控制字符" in resp.content.decode()
    assert state() == before
