"""The bureau's figures on the command center: every number is the size of the list it drills
to, on-time rates come from the kernel's stage clocks, money adds up, another town sees nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from shanzhi.enforcement import figures
from shanzhi.enforcement.models import PenaltyCase

from .conftest import login

pytestmark = pytest.mark.django_db


def period():
    now = timezone.now()
    return now - dt.timedelta(days=365), now + dt.timedelta(days=1)


def test_each_figure_is_the_size_of_its_drill_down_and_money_adds_up(cast, xxk):
    start, end = period()
    qs = figures.scoped_cases(cast.town_leader)
    data = figures.compute(qs, start, end)
    assert data["counts"]["registered"] == PenaltyCase.objects.filter(town=xxk).count() > 0
    for ind in data["indicators"]:
        for key in filter(None, (ind["num_key"], ind["den_key"])):
            assert figures.drill(qs, key, start, end).count() == data["counts"][key], key
    decided = PenaltyCase.objects.filter(town=xxk, status__in=figures.DECIDED).aggregate(s=Sum("fine"))["s"]
    assert data["money"]["decided"] == (decided or Decimal(0)) > 0
    assert data["money"]["principal_paid"] + data["money"]["late"] == data["money"]["paid"]
    assert sum(n for _s, _l, n in data["by_status"]) == data["counts"]["registered"]


def test_a_late_stage_counts_as_due_but_not_on_time(cast, xxk):
    from shanzhi.cases.models import Timer

    start, end = period()
    qs = figures.scoped_cases(cast.town_leader)
    before = figures.compute(qs, start, end)["counts"]
    timer = Timer.objects.filter(kind="penalty", stage="decide", stopped_at__isnull=False, late=False).first()
    Timer.objects.filter(pk=timer.pk).update(late=True)
    after = figures.compute(qs, start, end)["counts"]
    assert after["due_decide"] == before["due_decide"] and after["on_time_decide"] == before["on_time_decide"] - 1


def test_the_page_and_its_drill_down_and_an_outsider_sees_none(cast, xxk):
    page = login(cast.town_leader).get("/center/team/?days=365")
    assert page.status_code == 200
    text = page.content.decode()
    assert "按期率·作出决定" in text and "决定罚款（元）" in text and "第一中队" in text
    from shanzhi.inspections.selectors import figures as inspection_figures

    start, end = period()
    shown = inspection_figures(cast.town_leader, start, end)
    assert shown["planned"] > 0 and f'{shown["done"]} / {shown["planned"]}' in text  # 双随机 done against plan
    drill = login(cast.town_leader).get("/center/team/drill/decided/?days=365").content.decode()
    some = PenaltyCase.objects.filter(town=xxk, status="archived").first()
    assert some.number in drill
    assert login(cast.town_leader).get("/center/team/drill/nope/").status_code == 404
    assert login(cast.town_leader).get("/center/team/?days=9999").status_code == 400
    other = login(cast.outsider).get("/center/team/drill/registered/?days=365")
    assert other.status_code in (200, 403) and some.number not in other.content.decode()
