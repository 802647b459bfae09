import io

import pytest
from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

from shanzhi.common import crypto
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.models import AuditLog
from shanzhi.geo.models import Address
from shanzhi.registry.models import Component, Household, Organisation, Person
from shanzhi.registry.services.imports import registry_import

from .conftest import login

pytestmark = pytest.mark.django_db

HEADER = "姓名,身份证号,手机号,人口类型,门牌编码,户号,与户主关系,民族,标签"


def new_id(seq: int, born="19880512") -> str:
    body = f"320281{born}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def address_for(actor) -> Address:
    return scope_for(actor).filter(Address.objects.all()).order_by("id").first()


def csv_bytes(*lines, encoding="utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def test_a_clean_file_imports_every_row_sealed_and_audited(cast):
    worker = cast.grid_worker
    addr = address_for(worker)
    data = csv_bytes(HEADER, f"王小明,{new_id(901)},13912345678,户籍人口,{addr.code},,,汉族,",
                     f"李芳,{new_id(902)},,流动人口,{addr.code},,,,")
    result = registry_import(actor=worker, kind="person", source=data, filename="people.csv")
    assert result.ok and result.created == 2
    p = Person.objects.get(id_bidx=crypto.blind_index("id", new_id(901)))
    assert p.name == "王小明" and p.phone == "13912345678" and p.grid_id == addr.grid_id
    assert new_id(901) not in p.id_sealed and p.gender == "M"
    assert AuditLog.objects.filter(action="import", actor=worker, object_type="registry.person").exists()


def test_a_file_with_one_bad_row_writes_nothing_and_names_row_and_column(cast):
    worker = cast.grid_worker
    addr = address_for(worker)
    before = Person.objects.count()
    bad_id = new_id(903)[:-1] + ("0" if new_id(903)[-1] != "0" else "1")
    data = csv_bytes(HEADER, f"赵一,{new_id(904)},,,{addr.code},,,,", f"钱二,{bad_id},1381234,,{addr.code},,,,",
                     f",{new_id(905)},,,NOPE,,,,")
    result = registry_import(actor=worker, kind="person", source=data, filename="p.csv")
    assert not result.ok and result.created == 0
    assert Person.objects.count() == before
    found = {(e.row, e.column) for e in result.errors}
    assert {(3, "身份证号"), (3, "手机号"), (4, "姓名")} <= found
    assert "第 3 行「身份证号」" in str(next(e for e in result.errors if e.row == 3 and e.column == "身份证号"))


def test_a_wrong_header_lists_the_expected_columns(cast):
    result = registry_import(actor=cast.grid_worker, kind="person", source=csv_bytes("名字,证件号", "a,b"),
                             filename="p.csv")
    assert not result.ok
    assert "缺少列：姓名、身份证号" in result.header_error
    assert "无法识别的列：名字、证件号" in result.header_error
    assert "应有的列：姓名、身份证号、手机号" in result.header_error


def test_duplicates_within_the_file_and_against_the_database_are_reported(cast):
    worker = cast.grid_worker
    addr = address_for(worker)
    existing = scope_for(worker).filter(Person.objects.all()).first()
    data = csv_bytes(HEADER, f"甲,{new_id(906)},,,{addr.code},,,,", f"乙,{new_id(906)},,,{addr.code},,,,",
                     f"丙,{existing.id_number},,,{addr.code},,,,")
    result = registry_import(actor=worker, kind="person", source=data, filename="p.csv")
    messages = {(e.row, e.message) for e in result.errors}
    assert (3, "与文件中前面的行重复") in messages and (4, "该身份证号已在您的辖区登记") in messages


def test_an_address_outside_the_users_jurisdiction_is_refused(cast):
    other = Address.objects.exclude(grid__path__startswith=address_for(cast.grid_worker).grid.path).filter(
        region__parent__name="华士镇").first()
    data = csv_bytes(HEADER, f"孙三,{new_id(907)},,,{other.code},,,,")
    result = registry_import(actor=cast.grid_worker, kind="person", source=data, filename="p.csv")
    assert result.errors[0].column == "门牌编码" and "管辖范围" in result.errors[0].message


def test_gbk_csv_from_excel_and_legacy_ids_are_accepted(cast):
    addr = address_for(cast.grid_worker)
    data = csv_bytes(HEADER, f"周四,320281650412013,,,{addr.code},,,,", encoding="gb18030")
    result = registry_import(actor=cast.grid_worker, kind="person", source=data, filename="p.csv")
    assert result.ok, result.errors
    assert Person.objects.filter(name="周四", birth_date__year=1965).exists()


def test_xlsx_households_then_people_with_household_numbers(cast):
    worker = cast.grid_worker
    addr = address_for(worker)
    wb = Workbook()
    wb.active.append(["户号", "户主姓名", "户类型", "门牌编码"])
    wb.active.append(["TEST-H-1", "吴五", "户籍户", addr.code])
    buf = io.BytesIO()
    wb.save(buf)
    assert registry_import(actor=worker, kind="household", source=buf.getvalue(), filename="h.xlsx").ok
    data = csv_bytes(HEADER, f"吴五,{new_id(908)},,,{addr.code},TEST-H-1,户主,,", f"吴六,{new_id(909)},,,{addr.code},NOPE,子女,,")
    result = registry_import(actor=worker, kind="person", source=data, filename="p.csv")
    assert [(e.row, e.column) for e in result.errors] == [(3, "户号")]
    data = csv_bytes(HEADER, f"吴五,{new_id(908)},,,{addr.code},TEST-H-1,户主,,")
    assert registry_import(actor=worker, kind="person", source=data, filename="p.csv").ok
    assert Household.objects.get(number="TEST-H-1").members.get().name == "吴五"


def test_organisations_need_a_valid_credit_code(cast):
    from stdnum.cn import uscc

    addr = address_for(cast.grid_worker)
    body = "91320281MA1PX3QL0"
    good = body + uscc.calc_check_digit(body + "0")
    header = "单位名称,统一社会信用代码,单位类型,行业,法定代表人,联系电话,从业人数,门牌编码,重点单位"
    bad = csv_bytes(header, f"江阴市测试有限公司,{good[:-1]}0,企业,纺织业,张三,,12,{addr.code},否")
    result = registry_import(actor=cast.grid_worker, kind="organisation", source=bad, filename="o.csv")
    if good[-1] != "0":
        assert result.errors[0].column == "统一社会信用代码"
    ok = csv_bytes(header, f"江阴市测试有限公司,{good},企业,纺织业,张三,13800001111,12,{addr.code},是")
    assert registry_import(actor=cast.grid_worker, kind="organisation", source=ok, filename="o.csv").ok
    assert Organisation.objects.get(uscc=good).is_key


def test_components_are_located_from_gcj02_coordinates(cast):
    from shanzhi.common.coords import wgs84_to_gcj02

    grid = address_for(cast.grid_worker).grid
    lon, lat = wgs84_to_gcj02(grid.center_lon, grid.center_lat)
    header = "部件编码,小类代码,部件名称,状态,经度,纬度,坐标系,主管部门代码"
    data = csv_bytes(header, f"BJTEST1,0301,路灯,完好,{lon},{lat},gcj02,JY-CG", "BJTEST2,0301,路灯,完好,116.4,39.9,,")
    result = registry_import(actor=None, kind="component", source=data, filename="c.csv")
    assert [(e.row, e.message) for e in result.errors] == [(3, "该位置不在任何网格内")]
    data = csv_bytes(header, f"BJTEST1,0301,路灯,完好,{lon},{lat},gcj02,JY-CG")
    assert registry_import(actor=None, kind="component", source=data, filename="c.csv").ok
    assert Component.objects.get(code="BJTEST1").grid_id is not None


def test_the_import_page_shows_errors_and_offers_templates(cast):
    client = login(cast.grid_worker)
    resp = client.get("/registry/import/template/person.xlsx")
    header = [c.value for c in next(load_workbook(io.BytesIO(resp.content)).active.iter_rows(max_row=1))]
    assert header[:3] == ["姓名", "身份证号", "手机号"]
    upload = io.BytesIO(csv_bytes(HEADER, f"郑七,{new_id(910)[:-1]}Z,,,,,,,"))
    upload.name = "people.csv"
    page = client.post("/registry/import/", {"kind": "person", "file": upload}).content.decode()
    assert "未导入" in page and "身份证号" in page


def test_roles_without_registry_duty_cannot_import(cast):
    assert login(cast.town_leader).get("/registry/import/").status_code == 403


def test_exports_are_masked_scoped_and_audited(cast):
    client = login(cast.grid_worker)
    resp = client.get("/registry/export/person.xlsx")
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    visible = scope_for(cast.grid_worker).filter(Person.objects.all())
    assert len(rows) - 1 == visible.count()
    sample = visible.first()
    flat = " ".join(str(c) for r in rows for c in r)
    assert sample.id_number not in flat and sample.id_masked in flat
    assert AuditLog.objects.filter(action="export", actor=cast.grid_worker).exists()
    plain = client.get("/registry/export/person.xlsx?plain=1")
    assert sample.id_number in " ".join(str(c) for r in load_workbook(io.BytesIO(plain.content)).active.iter_rows(values_only=True) for c in r)
    assert AuditLog.objects.filter(action="reveal", actor=cast.grid_worker, object_type="registry.person").exists()
    assert login(cast.citizen).get("/registry/export/person.xlsx").status_code == 403
