"""Credit: penalties and inspection results feed an organisation's record, once per (source,
ref) however often they are sent; the grade follows from what still counts (a clean inspection
makes A, a serious penalty C, a severe one D; old events stop counting and the grade recovers);
the registry's organisation page shows the record; the draw samples worse credit more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shanzhi.common.models import AuditLog
from shanzhi.inspections import credit, demo
from shanzhi.inspections.models import CreditEvent, CreditRecord, EntityProfile
from shanzhi.registry.models import Organisation

from .conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(xxk):
    return Organisation.objects.filter(region__parent=xxk, credit_events__isnull=True).order_by("pk").first()


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def test_the_same_event_sent_twice_is_recorded_once(org, cast):
    first = credit.record(organisation=org, source="penalty", ref="XZCF202600001", at=days_ago(3),
                          severity="general", note="占道经营，罚款 500 元", actor=cast.officer)
    again = credit.record(organisation=org, source="penalty", ref="XZCF202600001", at=first.at,
                          severity="general", note="占道经营，罚款 500 元")
    assert again.pk == first.pk and CreditEvent.objects.filter(organisation=org).count() == 1
    assert AuditLog.objects.filter(object_type="inspections.creditevent", object_id=str(first.pk)).count() == 1
    revised = credit.record(organisation=org, source="penalty", ref="XZCF202600001", at=first.at,
                            severity="serious", note="复议后变更")
    assert revised.pk == first.pk and revised.severity == "serious"
    assert credit.grade(org) == "C" and CreditRecord.objects.get(organisation=org).grade == "C"
    # The same ref from another source is another event; the same ref for another organisation is refused.
    credit.record(organisation=org, source="inspection", ref="XZCF202600001", at=days_ago(1), severity="ok")
    other = Organisation.objects.exclude(pk=org.pk).first()
    with pytest.raises(ValidationError, match="已记在另一单位名下"):
        credit.record(organisation=other, source="penalty", ref="XZCF202600001", at=days_ago(1), severity="minor")


def test_bad_events_are_refused(org):
    for kwargs, message in (({"source": "rumour"}, "来源无效"), ({"severity": "awful"}, "程度无效"),
                            ({"ref": " "}, "来源编号无效"), ({"ref": "x" * 61}, "来源编号无效"),
                            ({"at": dt.datetime(2026, 1, 1)}, "时间无效")):  # noqa: DTZ001 — a naive time is the bad input
        args = {"organisation": org, "source": "penalty", "ref": "R1", "at": days_ago(1), "severity": "minor"} | kwargs
        with pytest.raises(ValidationError, match=message):
            credit.record(**args)
    with pytest.raises(ValidationError, match="单位不存在"):
        credit.grade(None)
    assert not CreditEvent.objects.filter(organisation=org).exists()


def test_the_grade_follows_what_still_counts(org):
    assert credit.grade(org) == "B"  # nobody has looked yet
    credit.record(organisation=org, source="inspection", ref="T-1", at=days_ago(30), severity="ok")
    assert credit.grade(org) == "A"
    credit.record(organisation=org, source="inspection", ref="T-2", at=days_ago(20), severity="minor")
    assert credit.grade(org) == "B"
    credit.record(organisation=org, source="penalty", ref="P-1", at=days_ago(10), severity="serious")
    assert credit.grade(org) == "C"
    credit.record(organisation=org, source="penalty", ref="P-2", at=days_ago(5), severity="severe")
    s = credit.summary(org)
    assert s["grade"] == "D" and s["score"] == 100 - 5 - 30 - 60
    assert s["counts"] == {"ok": 1, "minor": 1, "general": 0, "serious": 1, "severe": 1}
    assert s["by_source"] == {"penalty": 2, "inspection": 2} and [e["ref"] for e in s["last"]][:2] == ["P-2", "P-1"]
    assert s["review_at"] is not None


def test_old_events_stop_counting_and_the_stored_grade_recovers(org):
    credit.record(organisation=org, source="inspection", ref="T-9", at=days_ago(100), severity="ok")
    credit.record(organisation=org, source="penalty", ref="P-9", at=days_ago(364), severity="minor")
    record = CreditRecord.objects.get(organisation=org)
    assert record.grade == "B" and record.review_at < timezone.now() + dt.timedelta(days=2)
    assert credit.refresh_due(timezone.now() + dt.timedelta(days=3)) >= 1
    record.refresh_from_db()
    assert record.grade == "A"
    # Four general matters within two years take the score under 60: D without a severe one.
    other = Organisation.objects.exclude(pk=org.pk).filter(credit_events__isnull=True).first()
    for n in range(4):
        credit.record(organisation=other, source="penalty", ref=f"G-{n}", at=days_ago(100 + n), severity="general")
    assert credit.grade(other) == "D" and credit.summary(other)["score"] == 40


def test_the_registry_page_shows_the_record(org, cast):
    credit.record(organisation=org, source="penalty", ref="XZCF202600077", at=days_ago(2), severity="serious",
                  note="未取得许可从事经营")
    page = login(cast.dispatcher).get(f"/registry/organisation/{org.pk}/").content.decode()
    assert "信用记录" in page and "C 级" in page and "XZCF202600077" in page and "未取得许可从事经营" in page


def test_the_draw_samples_worse_credit_more(org, cast):
    demo.build(now=timezone.now())
    profile = EntityProfile.objects.get(organisation=org)
    profile.risk = 2
    profile.save()
    from shanzhi.inspections.services import plans

    from .test_inspections import make_plan

    plan = make_plan(cast.town_leader, org.region.parent, recent_days=0)
    level = dict((k, lv) for k, lv, _u in plans.freeze(plan, timezone.now()).input.entities)
    assert level[org.pk] in (1, 2)  # B (2) or, after a clean inspection in the demo, A (1)
    credit.record(organisation=org, source="penalty", ref="P-D", at=days_ago(1), severity="severe")
    level = dict((k, lv) for k, lv, _u in plans.freeze(plan, timezone.now()).input.entities)
    assert level[org.pk] == 4
