"""One team, first part: the power catalog with discretion bands — 750 powers of 12 departments
exercised by 徐霞客镇, the rest kept by the county's departments, published with their bands, and
a fine checked against the band of the case's circumstances."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from shanzhi.enforcement.discretion import band_range, check_fine
from shanzhi.enforcement.models import PenaltyItem

pytestmark = pytest.mark.django_db


def written(name_part):
    return PenaltyItem.objects.get(written_out=True, violation__contains=name_part)


def test_the_showcase_town_exercises_the_sources_750_powers_of_12_departments(cast, xxk):
    delegated = PenaltyItem.objects.filter(towns=xxk)
    assert delegated.count() == 750
    assert delegated.values("department").distinct().count() == 12
    retained = PenaltyItem.objects.filter(towns__isnull=True)
    assert retained.exists() and not retained.filter(pk__in=delegated).exists()
    sewage = written("超过水污染物排放标准")
    assert not sewage.towns.exists()  # 生态环境 keeps the specialist cases (专业执法)
    rural = written("乡村建设规划许可证")
    assert rural.towns.filter(pk=xxk.pk).exists() and rural.law == "《中华人民共和国城乡规划法》" and rural.article == "第六十五条"


def test_the_public_list_searches_filters_and_shows_the_bands(cast, xxk):
    page = Client().get("/team/powers/", {"q": "建筑垃圾"}).content.decode()
    assert "随意倾倒、抛撒或者堆放建筑垃圾" in page and "《城市建筑垃圾管理规定》" in page
    county = Client().get("/team/powers/", {"town": xxk.code, "scope": "county"}).content.decode()
    assert "超过水污染物排放标准" in Client().get("/team/powers/", {"scope": "county", "q": "水污染"}).content.decode()
    assert "power-row" in county
    item = written("未取得建设工程规划许可证进行建设，尚可")
    detail = Client().get(f"/team/powers/{item.code}/").content.decode()
    assert "建设工程造价百分之五以上百分之十以下" in detail and "% 建设工程造价" in detail
    assert "不予处罚" in detail or "从轻或减轻" in detail  # the general rules of discretion are listed
    assert Client().get("/team/powers/NO-SUCH/").status_code == 404
    xlsx = Client().get("/team/powers/export.xlsx", {"domain": "city"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "事项编码" and all(r[3] == "城市管理" for r in rows[1:])


def test_a_fine_inside_the_band_passes_and_outside_it_needs_a_written_reason(cast):
    item = written("排放油烟的餐饮服务业经营者")  # ¥5,000–50,000
    general = item.bands.get(level="general")
    lo, hi = band_range(general)
    assert Decimal(5000) < lo < hi < Decimal(50000)
    assert check_fine(item, level="general", amount=lo) == general
    with pytest.raises(ValidationError, match="超出「一般」情形的裁量范围"):
        check_fine(item, level="general", amount=hi + 1)
    assert check_fine(item, level="general", amount=hi + 1, exception_reason="情节特别恶劣，报局务会批准") == general
    with pytest.raises(ValidationError, match="不予罚款"):  # first violation: no fine at all
        check_fine(item, level="exempt", amount=Decimal(100))
    with pytest.raises(ValidationError, match="负数"):
        check_fine(item, level="general", amount=Decimal(-1))


def test_a_band_counted_on_the_building_cost_needs_the_cost(cast):
    item = written("未取得建设工程规划许可证进行建设，尚可")  # 5–10 % of the building cost
    with pytest.raises(ValidationError, match="建设工程造价"):
        check_fine(item, level="general", amount=Decimal(10000))
    serious = item.bands.get(level="serious")
    lo, hi = band_range(serious, Decimal(200000))
    assert lo >= Decimal(13000) and hi == Decimal(20000)  # up to 10 % of ¥200,000
    check_fine(item, level="serious", amount=Decimal(18000), base=Decimal(200000))
    with pytest.raises(ValidationError):
        check_fine(item, level="serious", amount=Decimal(25000), base=Decimal(200000))


def test_the_team_menu_leads_to_the_power_list(cast):
    page = login_page(cast.dispatcher)
    assert 'href="/team/powers/"' in page


def login_page(user):
    from .conftest import login

    return login(user).get("/").content.decode()
