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


def test_the_team_menu_leads_to_the_cases_and_they_to_the_power_list(cast):
    page = login_page(cast.dispatcher)
    assert 'href="/team/cases/"' in page
    from .conftest import login

    assert 'href="/team/powers/"' in login(cast.dispatcher).get("/team/cases/").content.decode()


def login_page(user):
    from .conftest import login

    return login(user).get("/").content.decode()


# --------------------------------------------------------------------------- squads and officers
def test_88_officers_in_three_squads_own_the_towns_grids(cast, xxk):
    from shanzhi.enforcement.models import Officer, Squad

    squads = list(Squad.objects.filter(town=xxk))
    assert len(squads) == 3 and Officer.objects.filter(squad__town=xxk).count() == 88
    owned = [set(s.grids.values_list("pk", flat=True)) for s in squads]
    assert all(owned) and not (owned[0] & owned[1] or owned[1] & owned[2] or owned[0] & owned[2])
    from shanzhi.geo.models import Grid

    assert set().union(*owned) == set(Grid.objects.filter(town=xxk, level=1).values_list("pk", flat=True))
    assert Officer.objects.filter(user=cast.officer).exists()


def test_an_officer_with_a_lapsed_certificate_cannot_act(cast, xxk):
    import datetime as dt

    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from shanzhi.enforcement.models import Officer
    from shanzhi.enforcement.squads import certified_officer

    today = timezone.localdate()
    lapsed = Officer.objects.filter(certificate_valid_until__lt=today).select_related("user").first()
    with pytest.raises(PermissionDenied, match="已过期"):
        certified_officer(lapsed.user, today)
    assert certified_officer(lapsed.user, lapsed.certificate_valid_until) == lapsed  # it was valid that day
    with pytest.raises(PermissionDenied, match="执法证"):
        certified_officer(cast.window_clerk, today)
    ok = Officer.objects.filter(certificate_valid_until__gt=today + dt.timedelta(days=30)).first()
    assert certified_officer(ok.user, today) == ok


def test_the_grid_dispatches_to_the_squad_that_owns_the_area_and_its_officers_get_it(cast, xxk):
    from shanzhi.enforcement.models import Squad
    from shanzhi.incidents.services import loop
    from shanzhi.notify.models import Outbox

    from .test_incident_loop import home_grid, report

    grid = home_grid(cast)
    squad = Squad.objects.get(grids=grid.parent)
    incident = report(cast, description="马镇社区有人在村道边搭建彩钢棚")
    loop.incident_register(actor=cast.dispatcher, incident_id=incident.pk)
    loop.incident_dispatch(actor=cast.dispatcher, incident_id=incident.pk, department=squad.department)
    member = squad.officers.exclude(user=squad.leader).first().user
    assert Outbox.objects.filter(user=member, topic="dispatch").exists()
    loop.incident_accept(actor=member, incident_id=incident.pk)
    incident.refresh_from_db()
    assert incident.status == "handling" and incident.department == squad.department


def test_the_squad_pages_show_certificates_and_the_roster_to_staff_only(cast, xxk):
    from shanzhi.enforcement.models import Squad

    from .conftest import login

    squad = Squad.objects.filter(town=xxk).first()
    page = login(cast.officer).get("/team/squads/").content.decode()
    assert squad.name in page and "squad-row" in page
    detail = login(cast.town_leader).get(f"/team/squads/{squad.pk}/").content.decode()
    assert "执法证号" in detail and "本周排班" in detail
    assert login(cast.outsider).get(f"/team/squads/{squad.pk}/").status_code == 404  # another town's
    assert login(cast.citizen).get("/team/squads/").status_code == 403
    assert Client().get("/team/squads/").status_code == 302
