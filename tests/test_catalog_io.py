"""The service item catalog in Excel: export → import changes nothing, bad rows are reported per
sheet, row and column and nothing is written, edits are applied and audited, only the system
administrator imports."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from shanzhi.common.models import AuditLog
from shanzhi.onewindow.catalog_io import export_catalog, import_catalog
from shanzhi.onewindow.models import Material, ReviewStep, ServiceItem, SubmittedMaterial

from .conftest import login

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def item(name, variant="新办"):
    return ServiceItem.objects.get(name=name, variant=variant, level="handling")


def state():
    """Everything the catalog holds, ids included (an import that changes nothing keeps them)."""
    items = list(ServiceItem.objects.order_by("code").values())
    for row in items:
        row.pop("updated_at")
    return (items, list(Material.objects.order_by("id").values()), list(ReviewStep.objects.order_by("id").values()))


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def column(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def row_of(ws, code: str) -> int:
    col = column(ws, "实施编码")
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == code)


def upload(data: bytes, name="catalog.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX)


def test_the_export_has_three_sheets_in_chinese_with_labels(cast):
    wb = workbook(export_catalog(ServiceItem.objects.all()))
    assert wb.sheetnames == ["事项", "材料", "审查环节"]
    items = wb["事项"]
    headers = [c.value for c in items[1]]
    assert {"实施编码", "事项名称", "事项类型", "实施主体（部门代码）", "承诺办结时限（工作日）", "办理渠道", "网上办理深度"} <= set(headers)
    food = item("食品经营许可")
    r = row_of(items, food.code)
    assert items.cell(r, column(items, "事项类型")).value == "行政许可"
    assert items.cell(r, column(items, "实施主体（部门代码）")).value == "JY-SJ"
    assert items.cell(r, column(items, "即办件")).value == "否"
    assert items.cell(r, column(items, "办理渠道")).value == "窗口、网上办、掌上办、村（社区）代办"
    materials = wb["材料"]
    names = [materials.cell(r, 3).value for r in range(2, materials.max_row + 1)
             if materials.cell(r, 1).value == food.code]
    assert names == list(food.materials.order_by("order").values_list("name", flat=True))
    assert [c.value for c in wb["审查环节"][1]] == ["实施编码", "顺序", "环节", "审查部门（部门代码）", "并联组"]


def test_export_then_import_of_the_same_file_changes_nothing(cast):
    # Text Excel would run as a formula goes out quoted and comes back as it was.
    ServiceItem.objects.filter(pk=item("临时救助").pk).update(keywords="=HYPERLINK(\"http://x\")")
    before = state()
    audits = AuditLog.objects.count()
    data = export_catalog(ServiceItem.objects.all())
    ws = workbook(data)["事项"]
    assert ws.cell(row_of(ws, item("临时救助").code), column(ws, "检索关键词")).value.startswith("'=")
    result = import_catalog(cast.admin, data, "catalog.xlsx")
    assert result.ok and result.error_count == 0 and result.errors == []
    assert (result.created, result.updated) == (0, 0) and result.unchanged == ServiceItem.objects.count()
    assert state() == before
    # Only the import itself is on the record: no item was touched.
    assert AuditLog.objects.order_by("-id").first().action == "import"
    assert AuditLog.objects.count() == audits + 1


def test_a_file_with_two_bad_rows_imports_nothing_and_lists_both(cast):
    food, license_ = item("食品经营许可"), item("个体工商户登记")
    wb = workbook(export_catalog(ServiceItem.objects.all()))
    ws = wb["事项"]
    ws.cell(row_of(ws, food.code), column(ws, "承诺办结时限（工作日）")).value = 30  # statutory is 20
    bad_dept_row = row_of(ws, license_.code)
    ws.cell(bad_dept_row, column(ws, "实施主体（部门代码）")).value = "NO-SUCH"
    # A good edit in the same file is not applied either.
    other = item("临时救助")
    ws.cell(row_of(ws, other.code), column(ws, "事项名称")).value = "临时救助（改名）"
    before = state()

    resp = login(cast.admin).post("/window/catalog/import/", {"file": upload(save(wb))})
    assert resp.status_code == 400
    page = resp.content.decode()
    result = resp.context["result"]
    assert result.error_count == 2
    assert {(e.sheet, e.row, e.column) for e in result.errors} == {
        ("事项", row_of(ws, food.code), "承诺办结时限（工作日）"), ("事项", bad_dept_row, "实施主体（部门代码）")}
    assert "承诺办结时限（30）不能大于法定办结时限（20）" in page and "部门代码 NO-SUCH 不存在" in page
    assert str(row_of(ws, food.code)) in page and str(bad_dept_row) in page
    assert state() == before
    refused = AuditLog.objects.filter(action="import").order_by("-id").first()
    assert refused.note == "导入未通过" and refused.after["errors"] == 2


def test_each_kind_of_bad_cell_is_reported_with_its_reason(cast):
    food = item("食品经营许可")
    wb = workbook(export_catalog(ServiceItem.objects.all()))
    ws = wb["事项"]
    rows = [r for r in range(2, ws.max_row + 1)][:8]
    ws.cell(rows[0], column(ws, "事项类型")).value = "行政审批"
    ws.cell(rows[1], column(ws, "法定办结时限（工作日）")).value = -1
    ws.cell(rows[2], column(ws, "承诺办结时限（工作日）")).value = "五天"
    ws.cell(rows[3], column(ws, "网上办理深度")).value = 5
    ws.cell(rows[4], column(ws, "办理渠道")).value = "窗口、信鸽"
    ws.cell(rows[5], column(ws, "即办件")).value = "也许"
    ws.cell(rows[6], column(ws, "实施编码")).value = ws.cell(rows[7], column(ws, "实施编码")).value
    materials = wb["材料"]
    materials.append(["NO-SUCH-ITEM", 1, "某材料", "是", "纸质", "申请人自备", 1, None, None])
    steps = wb["审查环节"]
    steps.append([food.code, 9, "会商", "NO-DEPT", 1])
    result = import_catalog(cast.admin, save(wb), "catalog.xlsx")
    assert not result.ok
    got = {(e.sheet, e.row, e.column): e.message for e in result.errors}
    assert got[("事项", rows[0], "事项类型")].startswith("应为以下之一：行政许可")
    assert got[("事项", rows[1], "法定办结时限（工作日）")] == "不能为负数"
    assert got[("事项", rows[2], "承诺办结时限（工作日）")] == "应为数字"
    assert "1 至 4" in got[("事项", rows[3], "网上办理深度")]
    assert "「信鸽」不是办理渠道" in got[("事项", rows[4], "办理渠道")]
    assert got[("事项", rows[5], "即办件")] == "应为「是」或「否」"
    assert got[("事项", rows[7], "实施编码")] == f"与第 {rows[6]} 行的实施编码重复"
    assert "不在「事项」表中，系统中也不存在" in got[("材料", materials.max_row, "实施编码")]
    assert got[("审查环节", steps.max_row, "审查部门（部门代码）")] == "部门代码 NO-DEPT 不存在"
    assert result.created == result.updated == 0


def test_an_edit_is_applied_and_audited_and_materials_follow_the_sheet(cast):
    food = item("食品经营许可")
    kept = list(food.materials.order_by("order").values_list("id", flat=True))
    wb = workbook(export_catalog(ServiceItem.objects.filter(pk=food.pk)))
    ws = wb["事项"]
    ws.cell(2, column(ws, "承诺办结时限（工作日）")).value = 3
    wb["材料"].append([food.code, 5, "场所平面图", "否", "电子", "申请人自备", 1, None, "标明操作间"])

    resp = login(cast.admin).post("/window/catalog/import/", {"file": upload(save(wb))})
    assert resp.status_code == 200 and "修改 1 项" in resp.content.decode()
    food.refresh_from_db()
    assert food.promised_days == Decimal("3") and food.version == 2
    assert list(food.materials.order_by("order").values_list("id", flat=True))[:4] == kept
    assert food.materials.get(order=5).note == "标明操作间"
    row = AuditLog.objects.get(action="update", object_type="onewindow.serviceitem", object_id=str(food.pk))
    assert row.actor == cast.admin and row.note == "导入事项目录"
    assert Decimal(row.before["promised_days"]) == 5 and Decimal(row.after["promised_days"]) == 3
    assert row.after["materials"][-1]["name"] == "场所平面图"
    assert row.region_id == food.department.region_id


def test_a_new_item_and_its_steps_are_created_under_its_parent(cast):
    food = item("食品经营许可")
    wb = workbook(export_catalog(ServiceItem.objects.filter(pk=food.pk)))
    ws = wb["事项"]
    new_code = food.code[:-2] + "99"
    ws.append([new_code if c.value == food.code else c.value for c in ws[2]])
    ws.cell(3, column(ws, "办理项类型")).value = "补证"
    wb["审查环节"].append([new_code, 1, "补证审查", "JY-SJ", 1])
    result = import_catalog(cast.admin, save(wb), "catalog.xlsx")
    assert result.ok and (result.created, result.updated, result.unchanged) == (1, 0, 1)
    new = ServiceItem.objects.get(code=new_code)
    assert new.parent == food.parent and new.variant == "补证" and new.promised_days == food.promised_days
    assert list(new.review_steps.values_list("name", flat=True)) == ["补证审查"]
    assert AuditLog.objects.filter(action="create", object_id=str(new.pk)).exists()


def test_a_material_already_submitted_cannot_be_dropped(cast):
    submitted = SubmittedMaterial.objects.select_related("material__item").first()
    assert submitted is not None, "the demo holds submitted materials"
    target = submitted.material.item
    wb = workbook(export_catalog(ServiceItem.objects.filter(pk=target.pk)))
    materials = wb["材料"]
    r = next(r for r in range(2, materials.max_row + 1) if materials.cell(r, 3).value == submitted.material.name)
    materials.delete_rows(r)
    before = state()
    result = import_catalog(cast.admin, save(wb), "catalog.xlsx")
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("事项", 2, "实施编码")]
    assert f"材料「{submitted.material.name}」已有办件提交，不能删除" in result.errors[0].message
    assert state() == before


def test_only_the_system_administrator_imports_and_staff_export(cast):
    data = export_catalog(ServiceItem.objects.all()[:5])
    for user in (cast.window_clerk, cast.reviewer, cast.citizen):
        client = login(user)
        assert client.get("/window/catalog/import/").status_code == 403
        assert client.post("/window/catalog/import/", {"file": upload(data)}).status_code == 403
    resp = login(cast.window_clerk).get("/window/catalog/export.xlsx")
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    assert workbook(resp.content).sheetnames == ["事项", "材料", "审查环节"]
    assert AuditLog.objects.filter(action="export", object_type="onewindow.serviceitem", actor=cast.window_clerk).exists()
    assert login(cast.citizen).get("/window/catalog/export.xlsx").status_code == 403
    admin = login(cast.admin)
    page = admin.get("/window/catalog/import/")
    assert page.status_code == 200 and 'name="file"' in page.content.decode()
    assert "/window/catalog/import/" in admin.get("/window/guide/").content.decode()
    assert "/window/catalog/import/" not in login(cast.window_clerk).get("/window/guide/").content.decode()


def test_a_file_that_is_not_xlsx_gets_a_clear_error(cast):
    before = state()
    admin = login(cast.admin)
    resp = admin.post("/window/catalog/import/", {"file": SimpleUploadedFile("catalog.csv", "实施编码\nX\n".encode())})
    assert resp.status_code == 400 and "只支持 .xlsx 文件" in resp.content.decode()
    # Renamed to .xlsx but not a workbook.
    resp = admin.post("/window/catalog/import/", {"file": upload(b"PK\x03\x04 not really a zip")})
    assert resp.status_code == 400 and "无法读取 Excel 文件" in resp.content.decode()
    assert state() == before


def test_a_control_character_as_excel_saves_it_or_a_direction_override_is_refused(cast):
    food = item("食品经营许可")
    for bad in ("食品_x0007_经营许可", "食品经营\u202e许可"):
        wb = workbook(export_catalog(ServiceItem.objects.filter(pk=food.pk)))
        ws = wb["事项"]
        ws.cell(row_of(ws, food.code), column(ws, "事项名称")).value = bad
        before = state()
        result = import_catalog(cast.admin, save(wb), "catalog.xlsx")
        assert not result.ok and any("控制字符" in e.message for e in result.errors), bad
        assert state() == before
