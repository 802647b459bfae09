"""Social assistance: a household file, an application through the village agent, the means test
shown line by line, public notice with objections, the county's confirmation, the next month's
payment list; a member in two households refused with the other named; the medical-insurance
feed counted once; payment lists with duplicate holds, approval and recorded corrections; and
the scoping that keeps assistance records inside civil affairs and their jurisdiction."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shanzhi.accounts.models import Post, User
from shanzhi.accounts.roles import Role
from shanzhi.api.models import ApiKey
from shanzhi.assistance import feed, means, payments, services
from shanzhi.assistance.models import (
    Alert,
    AlertRule,
    Beneficiary,
    Correction,
    Family,
    Group,
    Member,
    PaymentLine,
    PaymentList,
    Program,
    Signal,
    Standard,
)
from shanzhi.cases.errors import Conflict
from shanzhi.common import crypto
from shanzhi.common.models import AuditLog
from shanzhi.geo.models import Region
from shanzhi.registry.models import Person

from .conftest import login

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------- helpers
def free_people(region, n=1, exclude=()):
    """Registry people of a village who are in no household file yet."""
    taken = Member.objects.filter(left_at__isnull=True).values("person_id")
    qs = Person.objects.filter(region=region).exclude(pk__in=taken).exclude(pk__in=[p.pk for p in exclude])
    people = list(qs.order_by("id")[:n])
    assert len(people) == n, "the demo village has too few free people"
    return people


def unmasked(page: bytes) -> str:
    """A page without its per-request CSRF token."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", page.decode())


def program(code):
    return Program.objects.get(code=code)


def aide_village(cast):
    return Region.objects.get(pk=cast.village_aide.posts.get(role=Role.CIVIL_AFFAIRS).region_id)


def poor_family(cast, *, members=2, monthly_income=Decimal("1000")):
    """A family of ``members`` in the aide's village whose 12-month wage income is
    ``monthly_income`` a month (the means test's window)."""
    village = aide_village(cast)
    people = free_people(village, members)
    fam = services.open_family(actor=cast.village_aide, head=people[0], address=f"{village.name}12号")
    for p in people[1:]:
        services.add_member(actor=cast.village_aide, family_id=fam.pk, person=p, relation="配偶")
    w0, w1 = means.window(timezone.localdate())
    services.add_income(actor=cast.village_aide, family_id=fam.pk, kind="wage", start=w0, end=w1,
                        amount=monthly_income * 12, note="打零工")
    return Family.objects.get(pk=fam.pk)


def standard(fam):
    return means.standard_for("dibao", fam.region, timezone.localdate()).amount


def to_notice(cast, fam, code="DB01"):
    app = services.submit(actor=cast.village_aide, family=fam.pk, program=program(code).pk, channel="agent",
                          reason="丈夫突发脑梗住院，家中无其他收入来源")
    services.accept(actor=cast.civil_affairs, case_id=app.pk, note="材料齐全")
    services.record_visit(actor=cast.village_aide, case_id=app.pk, present="本人、配偶", housing="自有平房两间",
                          findings="家中无存款，配偶长期卧床", companions="村委委员")
    services.run_assessment(actor=cast.village_aide, case_id=app.pk)
    services.propose(actor=cast.civil_affairs, case_id=app.pk, note="符合条件，同意公示")
    app.refresh_from_db()
    return app


def unknown_id_number() -> str:
    """A well-formed ID number no one in the registry has."""
    from stdnum.cn import ric

    for seq in range(100, 999):
        body = f"32028119800101{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if not Person.objects.filter(id_bidx=crypto.blind_index("id", number)).exists():
            return number
    raise AssertionError("no free number")


def civil_officer_elsewhere(town_name="华士镇"):
    town = Region.objects.get(name=town_name, level=Region.Level.TOWN)
    user = User.objects.create(username=f"civil-{town.pk}", display_name="外镇民政员")
    Post.objects.create(user=user, role=Role.CIVIL_AFFAIRS, region=town)
    return user


# ------------------------------------------------------------------------------- the whole loop
def test_an_application_runs_to_next_months_payment_list(cast):
    fam = poor_family(cast, members=2, monthly_income=Decimal("1000"))
    app = to_notice(cast, fam)
    assert app.status == "notice" and app.notice_until > timezone.now() + dt.timedelta(days=6)
    s = standard(fam)
    latest = app.assessment
    # per capita 1000 / 2 = 500; the 低保 gap pays (standard − 500) × 2, rounded up to the yuan
    assert latest.per_capita == Decimal("500.00") and latest.eligible and latest.group == Group.DIBAO
    assert latest.benefit == (s - 500) * 2
    labels = [ln["label"] for ln in latest.lines]
    assert "月人均收入" in labels and any("低保标准" in la for la in labels)

    with pytest.raises(Conflict, match="届满"):
        services.notice_end(actor=cast.civil_affairs, case_id=app.pk)
    later = timezone.now() + dt.timedelta(days=8)
    services.notice_end(actor=cast.civil_affairs, case_id=app.pk, at=later)
    with pytest.raises(PermissionDenied):  # the town does not confirm its own proposal
        services.confirm(actor=cast.civil_affairs, case_id=app.pk, at=later)
    services.confirm(actor=cast.county_civil, case_id=app.pk, at=later, note="同意纳入低保")
    app.refresh_from_db()
    ben = Beneficiary.objects.get(application=app)
    first = services.next_month(timezone.localdate(later))
    assert app.status == "approved" and ben.start_month == first and ben.amount == latest.benefit
    assert Family.objects.get(pk=fam.pk).group == Group.DIBAO

    payments.run(month=first.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[app.program_id], at=later)
    line = PaymentLine.objects.get(beneficiary=ben, month=first)
    assert line.state == "pending" and line.amount == ben.amount and line.plist.state == "draft"


def test_the_means_test_counts_only_members_living_together_and_subtracts_rigid_expenses(cast):
    fam = poor_family(cast, members=2, monthly_income=Decimal("1600"))
    away = free_people(fam.region, 1)[0]
    services.add_member(actor=cast.village_aide, family_id=fam.pk, person=away, relation="子女",
                        lives_together=False)
    s = standard(fam)
    result = means.assess(Family.objects.get(pk=fam.pk), program("DB01"))
    assert result.members == 2 and result.per_capita == Decimal("800.00")  # the son away is not counted
    w0, w1 = means.window(timezone.localdate())
    services.add_expense(actor=cast.village_aide, family_id=fam.pk, kind="medical", incurred_on=w1, total="60000",
                         self_paid="14400")
    deep = means.assess(Family.objects.get(pk=fam.pk), program("DB03"))
    # (1600 × 12 − 14400) / 12 / 2 = 200 a person after rigid expenses
    assert deep.per_capita_after == Decimal("200.00")
    assert deep.per_capita < s * Decimal("1.5")
    assert any("刚性支出" in ln["label"] for ln in deep.lines)


def test_deep_assistance_grades_by_spending_and_stops_at_the_cap(cast):
    fam = poor_family(cast, members=3, monthly_income=Decimal("2000"))
    _w0, w1 = means.window(timezone.localdate())
    services.add_expense(actor=cast.village_aide, family_id=fam.pk, kind="medical", incurred_on=w1,
                         total="900000", self_paid="600000", note="白血病骨髓移植")
    result = means.assess(Family.objects.get(pk=fam.pk), program("YL07"))
    assert result.benefit == Decimal("150000")  # the source's cap
    assert any("封顶" in (ln["label"] + ln["note"]) for ln in result.lines)


def test_a_member_of_another_household_is_refused_with_that_household_named(cast):
    first = poor_family(cast, members=2)
    second = poor_family(cast, members=1)
    other = first.members.exclude(person=first.head).get().person
    with pytest.raises(ValidationError) as exc:
        services.add_member(actor=cast.village_aide, family_id=second.pk, person=other, relation="配偶")
    assert exc.value.error_dict["person"][0].code == "in_other_family"
    text = str(exc.value)
    assert first.number in text and first.region.name in text and first.head.name not in text  # masked
    assert second.members.filter(left_at__isnull=True).count() == 1  # nothing changed
    # after leaving the first, the person may join
    m = first.members.get(person=other)
    services.remove_member(actor=cast.village_aide, family_id=first.pk, member_id=m.pk, reason="离婚后迁出")
    services.add_member(actor=cast.village_aide, family_id=second.pk, person=other, relation="配偶")


def test_objection_upheld_goes_back_to_investigation_and_blocks_the_end_of_notice(cast):
    app = to_notice(cast, poor_family(cast))
    obj = services.record_objection(actor=cast.village_aide, case_id=app.pk, text="该户儿子在城里有商品房")
    later = timezone.now() + dt.timedelta(days=8)
    with pytest.raises(Conflict, match="异议"):
        services.notice_end(actor=cast.civil_affairs, case_id=app.pk, at=later)
    services.answer_objection(actor=cast.civil_affairs, case_id=app.pk, objection_id=obj.pk, upheld=True,
                              answer="经核实儿子名下有房，需重新核对")
    app.refresh_from_db()
    assert app.status == "reviewing"


def test_bad_input_is_refused_and_changes_nothing(cast):
    fam = poor_family(cast, members=1)
    before = fam.incomes.count()
    for kw, field in [({"amount": "十二"}, "amount"), ({"amount": "-5"}, "amount"),
                      ({"start": "2026-13-01"}, "start"), ({"kind": "lottery"}, "kind")]:
        args = {"kind": "wage", "start": "2026-01-01", "end": "2026-06-30", "amount": "600", **kw}
        with pytest.raises(ValidationError) as exc:
            services.add_income(actor=cast.village_aide, family_id=fam.pk, **args)
        assert field in exc.value.error_dict
    assert fam.incomes.count() == before
    with pytest.raises(ValidationError):
        services.update_family(actor=cast.village_aide, family_id=fam.pk, account="12ab")
    with pytest.raises(ValidationError):  # a program that does not exist
        services.submit(actor=cast.village_aide, family=fam.pk, program=999999, reason="x")


# ------------------------------------------------------------------------------- scoping
def test_assistance_is_for_civil_affairs_inside_their_jurisdiction(cast, client_for):
    fam = poor_family(cast, members=1)
    outsider = civil_officer_elsewhere()
    missing = Family.objects.order_by("-pk").first().pk + 1000
    assert client_for(outsider).get(f"/assistance/families/{fam.pk}/").status_code == 404
    a = client_for(outsider).get(f"/assistance/families/{fam.pk}/").content
    b = client_for(outsider).get(f"/assistance/families/{missing}/").content
    assert unmasked(a) == unmasked(b)  # outside looks exactly like missing
    with pytest.raises(ValidationError) as out:
        services.find_person(outsider, id_number=fam.head.id_number, name=fam.head.name)
    with pytest.raises(ValidationError) as nope:
        services.find_person(outsider, id_number=unknown_id_number(), name="不存在")
    assert str(out.value) == str(nope.value)
    # a grid worker or the town leader, not civil affairs, does not see the desk at all
    for user in (cast.grid_worker, cast.outsider, cast.citizen):
        assert client_for(user).get("/assistance/").status_code == 404
        assert client_for(user).get(f"/assistance/families/{fam.pk}/").status_code == 404
    # the county sees it; the village aide of another village does not
    assert client_for(cast.county_civil).get(f"/assistance/families/{fam.pk}/").status_code == 200


def test_a_write_naming_a_family_elsewhere_is_not_found(cast):
    fam = poor_family(cast, members=1)
    outsider = civil_officer_elsewhere()
    with pytest.raises(ValidationError) as exc:
        services.add_income(actor=outsider, family_id=fam.pk, kind="wage", start="2026-01-01", end="2026-01-31",
                            amount="100")
    assert "family" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.submit(actor=outsider, family=fam.pk, program=program("DB01").pk, reason="代申请")


# ------------------------------------------------------------------------------- concurrency
def test_a_stale_version_is_told_not_applied(cast, client_for):
    fam = poor_family(cast, members=1)
    app = services.submit(actor=cast.village_aide, family=fam.pk, program=program("LS01").pk, channel="agent",
                          reason="火灾")
    old = app.version
    services.accept(actor=cast.civil_affairs, case_id=app.pk, expected_version=old)
    r = client_for(cast.civil_affairs).post(f"/assistance/applications/{app.pk}/act/not_accept/",
                                           {"version": old, "reason": "材料不全"})
    assert r.status_code == 409 and "刷新" in r.content.decode()
    app.refresh_from_db()
    assert app.status == "reviewing"


# ------------------------------------------------------------------------------- the feed
def settlement(person, ext, self_paid, day=None):
    return {"external_id": ext, "id_number": person.id_number, "occurred_on": (day or timezone.localdate()).isoformat(),
            "total": str(self_paid * 3), "self_paid": str(self_paid), "detail": {"hospital": "江阴市人民医院",
                                                                                  "diagnosis": "急性心肌梗死"}}


def test_a_large_bill_raises_one_alert_and_a_record_sent_twice_counts_once(cast):
    fam = poor_family(cast, members=1)
    Family.objects.filter(pk=fam.pk).update(group=Group.DIBAO)
    rule = AlertRule.objects.filter(source="medical", group=Group.DIBAO).order_by("threshold").first()
    big = (rule.threshold or Decimal(5000)) + 1
    rows = [settlement(fam.head, "YB-T-0001", big), settlement(fam.head, "YB-T-0002", Decimal(100))]
    first = feed.ingest(rows, source="medical", batch="T1", actor=cast.admin)
    assert first.accepted == 2 and first.alerts == 1 and first.duplicates == 0
    again = feed.ingest(rows, source="medical", batch="T2", actor=cast.admin)
    assert again.accepted == 0 and again.duplicates == 2 and again.alerts == 0
    assert Signal.objects.filter(external_id__startswith="YB-T-").count() == 2
    alert = Alert.objects.get(person=fam.head)
    assert alert.status == "open" and alert.verify_due and alert.family_id == fam.pk
    assert fam.expenses.filter(kind="medical").count() == 2  # the bill is in the household file
    # a further bill in the window raises no second alert for the same rule
    more = feed.ingest([settlement(fam.head, "YB-T-0003", big)], source="medical", actor=cast.admin)
    assert more.alerts == 0


def test_bad_feed_rows_are_reported_by_row_and_the_good_ones_kept(cast):
    fam = poor_family(cast, members=1)
    rows = [settlement(fam.head, "YB-B-1", Decimal(50)),
            {"external_id": "YB-B-2", "id_number": "123", "occurred_on": "2026-01-01", "total": "1", "self_paid": "1"},
            {**settlement(fam.head, "YB-B-3", Decimal(50)), "self_paid": "999999"},
            {**settlement(fam.head, "YB-B-4", Decimal(50)), "occurred_on": "2099-01-01"},
            {"external_id": "YB-B-5", "id_number": "11010519491231002X", "occurred_on": timezone.localdate().isoformat(),
             "total": "10", "self_paid": "5"}]
    r = feed.ingest(rows, source="medical", actor=cast.admin)
    assert r.accepted == 2 and r.unmatched == 1
    assert sorted((e["row"], e["field"]) for e in r.errors) == [(2, "id_number"), (3, "self_paid"),
                                                                (4, "occurred_on")]
    assert not Signal.objects.filter(external_id__in=["YB-B-2", "YB-B-3", "YB-B-4"]).exists()


def test_the_feed_api_needs_a_key_with_the_permission_and_is_idempotent(cast, client):
    fam = poor_family(cast, members=1)
    body = {"source": "medical", "records": [
        {"external_id": "YB-API-1", "id_number": fam.head.id_number, "occurred_on": timezone.localdate().isoformat(),
         "total": "300.00", "self_paid": "120.50", "hospital": "江阴市中医院"}]}
    _key, raw = ApiKey.issue("测试医保接口")
    r = client.post("/api/v1/assistance/signals", body, content_type="application/json", HTTP_X_API_KEY=raw)
    assert r.status_code == 403  # a key without the feed permission
    assert client.post("/api/v1/assistance/signals", body, content_type="application/json").status_code == 401
    yibao = User.objects.get(username="svc_yibao")
    k2, raw2 = ApiKey.issue("医保结算推送")
    k2.user.user_permissions.add(*yibao.user_permissions.all())
    for expected in (1, 0):
        r = client.post("/api/v1/assistance/signals", body, content_type="application/json", HTTP_X_API_KEY=raw2)
        assert r.status_code == 200, r.content
        assert r.json()["accepted"] == expected and r.json()["received"] == 1
    bad = {**body, "records": [{**body["records"][0], "occurred_on": "not a date"}]}
    assert client.post("/api/v1/assistance/signals", bad, content_type="application/json",
                       HTTP_X_API_KEY=raw2).status_code == 400
    batch = AuditLog.objects.get(action="import", actor=k2.user, after__accepted=1)  # one row per batch
    assert batch.after["received"] == 1 and batch.after["source"] == "medical"


def test_the_village_aide_verifies_an_alert_and_opens_an_application_from_it(cast, client_for):
    fam = poor_family(cast, members=1)
    Family.objects.filter(pk=fam.pk).update(group=Group.EDGE)
    rule = AlertRule.objects.filter(source="medical", group=Group.EDGE).order_by("threshold").first()
    feed.ingest([settlement(fam.head, "YB-V-1", (rule.threshold or Decimal(5000)) + 500)], source="medical",
                actor=cast.admin)
    alert = Alert.objects.get(person=fam.head)
    page = client_for(cast.village_aide).get(f"/assistance/alerts/{alert.pk}/").content.decode()
    assert alert.number in page and fam.head.id_number not in page
    c = client_for(cast.village_aide)
    r = c.post(f"/assistance/alerts/{alert.pk}/act/verify/", {"version": alert.version, "present": "本人",
                                                               "housing": "平房", "findings": "心梗术后，无力支付"})
    assert r.status_code == 302
    alert.refresh_from_db()
    r = c.post(f"/assistance/alerts/{alert.pk}/act/apply/", {"version": alert.version,
                                                              "program": program("LS01").pk, "reason": alert.reason})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "applied" and alert.application.channel == "alert"
    assert alert.application.family_id == fam.pk


# ------------------------------------------------------------------------------- payments
def enrol(fam, code, amount="500", start=None):
    p = program(code)
    return Beneficiary.objects.create(family=fam, program=p, town=fam.town, region=fam.region, members=1,
                                      amount=Decimal(amount), start_month=start or timezone.localdate().replace(day=1))


def test_two_programs_of_one_exclusive_group_hold_the_line_as_a_duplicate(cast):
    fam = poor_family(cast, members=1)
    month = services.next_month(services.next_month(timezone.localdate()))
    enrol(fam, "DB01", start=month)
    enrol(fam, "TK01", start=month)
    payments.run(month=month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id])
    lines = PaymentLine.objects.filter(family=fam, month=month)
    assert lines.count() == 2
    held = [ln for ln in lines if ln.state == "held"]
    assert len(held) == 1 and "互斥" in held[0].flag  # the first is paid, the second of the group held
    assert [ln.state for ln in lines if ln.pk != held[0].pk] == ["pending"]


def test_an_approved_list_changes_only_by_a_recorded_correction(cast, client_for):
    fam = poor_family(cast, members=1)
    month = services.next_month(services.next_month(services.next_month(timezone.localdate())))
    enrol(fam, "DB01", amount="640", start=month)
    services.update_family(actor=cast.civil_affairs, family_id=fam.pk, bank="江苏江阴农村商业银行",
                           account="6231234567890123456")
    payments.run(month=month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[program("DB01").pk])
    line = PaymentLine.objects.get(family=fam, month=month)
    pl = line.plist
    with pytest.raises(PermissionDenied):
        payments.approve(actor=cast.civil_affairs, plist_id=pl.pk)  # the county approves
    with pytest.raises(Conflict):
        payments.export(actor=cast.county_civil, plist_id=pl.pk, fmt="csv")  # not before approval
    payments.approve(actor=cast.county_civil, plist_id=pl.pk, expected_version=pl.version)
    # a rerun leaves the approved list as it is
    Beneficiary.objects.filter(pk=line.beneficiary_id).update(amount=Decimal("999"))
    payments.run(month=month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[program("DB01").pk])
    line.refresh_from_db()
    assert line.amount == Decimal("640") and PaymentList.objects.get(pk=pl.pk).state == "approved"
    with pytest.raises((Conflict, ValidationError)):
        payments.release(actor=cast.civil_affairs, line_id=line.pk, reason="x")
    with pytest.raises(ValidationError):
        payments.correct(actor=cast.county_civil, line_id=line.pk, reason="", amount="700")
    payments.correct(actor=cast.county_civil, line_id=line.pk, reason="标准调整补差", amount="700")
    line.refresh_from_db()
    c = Correction.objects.get(line=line)
    assert line.amount == Decimal("700") and c.before["amount"] == "640.00" and c.by == cast.county_civil
    assert PaymentList.objects.get(pk=pl.pk).total >= Decimal("700")
    data, _ctype, name = payments.export(actor=cast.county_civil, plist_id=pl.pk, fmt="csv")
    text = data.decode("utf-8-sig")
    assert "6231234567890123456" in text and "700.00" in text and name.endswith(".csv")
    assert AuditLog.objects.filter(action="reveal", actor=cast.county_civil).exists()
    # the town sees the list but its page offers no bank file
    page = client_for(cast.civil_affairs).get(f"/assistance/payments/{pl.pk}/").content.decode()
    assert "6231234567890123456" not in page and "bank.xlsx" not in page
    # reconciliation: every pending line answered, an unknown one refused
    with pytest.raises(ValidationError):
        payments.reconcile(actor=cast.county_civil, plist_id=pl.pk, rows=[{"line": "999999999", "result": "成功"}])
    lines = list(PaymentList.objects.get(pk=pl.pk).lines.exclude(state__in=["void", "held"]))
    payments.reconcile(actor=cast.county_civil, plist_id=pl.pk,
                       rows=[{"line": str(ln.pk), "result": "成功", "ref": f"B{ln.pk}"} for ln in lines])
    assert PaymentList.objects.get(pk=pl.pk).state == "reconciled"


def test_a_stopped_enrolment_is_not_paid_and_resumes_with_its_history(cast):
    fam = poor_family(cast, members=1)
    month = services.next_month(services.next_month(timezone.localdate())) + dt.timedelta(days=0)
    ben = enrol(fam, "DB03", start=month)
    services.set_enrolment(actor=cast.civil_affairs, beneficiary_id=ben.pk, stop=True, reason="外出务工收入增加，待复核")
    payments.run(month=month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[program("DB03").pk])
    assert not PaymentLine.objects.filter(beneficiary=ben).exists()
    with pytest.raises(PermissionDenied):
        services.set_enrolment(actor=cast.village_aide, beneficiary_id=ben.pk, stop=False, reason="复核")
    services.set_enrolment(actor=cast.civil_affairs, beneficiary_id=ben.pk, stop=False, reason="复核后恢复")
    ben.refresh_from_db()
    assert ben.state == "active" and [h["reason"] for h in ben.history][-2:] == ["外出务工收入增加，待复核", "复核后恢复"]


# ------------------------------------------------------------------------------- pages
def test_the_public_notice_board_shows_masked_names_only(cast, client):
    fam = poor_family(cast, members=2)
    app = to_notice(cast, fam)
    page = client.get(f"/assistance/notice/{fam.region.code}/").content.decode()
    assert app.number in page and fam.head.name not in page and fam.head.name[0] in page
    assert fam.head.id_number not in page and fam.head.id_number[-4:] not in page
    assert "丈夫突发脑梗" not in page  # no reason on a public board
    assert client.get("/assistance/notice/000000000000/").status_code == 404


def test_every_page_opens_for_its_roles(cast, client_for):
    fam = poor_family(cast, members=1)
    app = to_notice(cast, fam)
    pl = PaymentList.objects.filter(town=fam.town).first()
    alert = Alert.objects.filter(town=fam.town).first()
    assert pl is not None and alert is not None, "the demo town has payment lists and alerts"
    pages = ["/assistance/", "/assistance/families/", f"/assistance/families/{fam.pk}/", "/assistance/applications/",
             f"/assistance/applications/{app.pk}/", "/assistance/alerts/", "/assistance/payments/",
             "/assistance/catalog/", "/assistance/signals/import/", "/assistance/families/new/", "/assistance/apply/"]
    pages += [f"/assistance/payments/{pl.pk}/", f"/assistance/alerts/{alert.pk}/"]
    for user in (cast.civil_affairs, cast.county_civil):
        c = client_for(user)
        for url in pages:
            r = c.get(url)
            assert r.status_code == 200, (user.username, url, r.status_code)
    detail = client_for(cast.civil_affairs).get(f"/assistance/applications/{app.pk}/").content.decode()
    assert "means-lines" in detail and "月人均收入" in detail and "公示中" in detail
    assert "社会救助" in client_for(cast.civil_affairs).get("/").content.decode()


def bind(person, user):
    """The registry knows the person by the account's confirmed mobile number (实名)."""
    Person.objects.filter(pk=person.pk).update(phone_sealed=crypto.seal(user.mobile),
                                               phone_bidx=crypto.blind_index("phone", user.mobile))


def test_a_resident_applies_online_and_sees_only_where_it_stands(cast, client_for):
    village = aide_village(cast)
    person = free_people(village, 1)[0]
    bind(person, cast.citizen)
    c = client_for(cast.citizen)
    r = c.post("/assistance/apply/", {"program": program("LS01").pk, "name": person.name,
                                      "id_number": person.id_number, "reason": "家中失火，房屋烧毁"})
    assert r.status_code == 302, r.content.decode()[:500]
    page = c.get(r["Location"]).content.decode()
    assert "待受理" in page and "means-lines" not in page
    wrong = c.post("/assistance/apply/", {"program": program("LS01").pk, "name": person.name + "明",
                                          "id_number": person.id_number, "reason": "再申请"})
    assert wrong.status_code == 400 and "未能核验" in wrong.content.decode()
    assert c.get("/assistance/families/").status_code == 404
    assert Standard.objects.exists()


# ------------------------------------------------------------------------------- figures
def test_the_command_center_counts_coverage_spending_and_days_to_payment(cast, client_for):
    from shanzhi.assistance import figures

    fam = poor_family(cast, members=3, monthly_income=Decimal("900"))
    app = to_notice(cast, fam)
    later = timezone.now() + dt.timedelta(days=8)
    services.notice_end(actor=cast.civil_affairs, case_id=app.pk, at=later)
    services.confirm(actor=cast.county_civil, case_id=app.pk, at=later)
    ben = Beneficiary.objects.get(application=app)
    enrol(fam, "DB02", amount="200", start=ben.start_month)  # a second item of the same class
    before = figures.coverage(cast.county_civil)
    dibao = next(r for r in before["by_class"] if r["key"] == "dibao")
    others = Beneficiary.objects.filter(state="active", program__klass="dibao").exclude(family=fam) \
        .values("family").distinct().count()
    assert dibao["families"] == others + 1  # the family counted once in its class, with its 3 people
    payments.run(month=ben.start_month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[app.program_id], at=later)
    pl = PaymentLine.objects.get(beneficiary=ben).plist
    paid_at = later + dt.timedelta(days=3)
    payments.approve(actor=cast.county_civil, plist_id=pl.pk, at=paid_at)
    start = timezone.now() - dt.timedelta(days=1)
    end = timezone.now() + dt.timedelta(days=1)
    apps = figures._apps(cast.county_civil).filter(pk=app.pk)
    d = figures.days_to_payment(apps)
    assert d["n"] == 1 and 10.9 < d["avg"] < 11.1  # 8 days of notice + 3 to the approved list
    counted = figures.compute(cast.county_civil, start, end)["counts"]["approved"]
    _what, behind = figures.drill(cast.county_civil, "approved", start, end)
    assert counted == behind.count() and app.pk in behind.values_list("pk", flat=True)  # the figure is its list
    # the county sees and drills; a town leader sees the counts of the town, not the families
    page = client_for(cast.county_civil).get("/center/assistance/?days=30")
    assert page.status_code == 200 and "在保人数" in page.content.decode()
    assert client_for(cast.county_civil).get("/center/assistance/drill/approved/?days=30").status_code == 200
    leader = client_for(cast.town_leader)
    assert leader.get("/center/assistance/?days=30").status_code == 200
    assert leader.get("/center/assistance/drill/approved/?days=30").status_code == 404
    assert fam.head.name not in leader.get("/center/assistance/?days=30").content.decode()
    assert client_for(cast.citizen).get("/center/assistance/").status_code == 403


def test_the_scheduler_builds_next_months_lists_from_the_25th_once(cast, monkeypatch):
    from shanzhi.assistance import tasks

    fam = poor_family(cast, members=1)
    today = timezone.localdate()
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: today.replace(day=10))
    assert tasks.build_next_month_lists.call() == {"skipped": "before the 25th"}
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: today.replace(day=26))
    month = services.next_month(today.replace(day=26))
    ben = enrol(fam, "DB03", start=month)
    PaymentList.objects.filter(month=month).delete()
    first = tasks.build_next_month_lists.call()
    assert first["lines"] >= 1 and PaymentLine.objects.filter(beneficiary=ben, month=month).exists()
    line = PaymentLine.objects.get(beneficiary=ben, month=month)
    line.state = "held"
    line.save()
    assert tasks.build_next_month_lists.call()["lists"] == 0  # built once: a town's work is not undone
    line.refresh_from_db()
    assert line.state == "held"


def test_online_one_applies_only_for_oneself_and_learns_nothing_about_others(cast, client_for):
    mine, theirs = free_people(aide_village(cast), 2)
    bind(mine, cast.citizen)
    c = client_for(cast.citizen)
    form = {"program": program("LS01").pk, "reason": "家中失火，房屋烧毁"}
    assert c.post("/assistance/apply/", {**form, "name": mine.name, "id_number": mine.id_number}).status_code == 302
    again = c.post("/assistance/apply/", {**form, "name": mine.name, "id_number": mine.id_number})
    assert again.status_code == 409 and "JZSQ" in again.content.decode()  # their own: the number to follow
    # someone else's name and number, right or wrong, and an unknown number: one answer, nothing filed
    answers = {c.post("/assistance/apply/", {**form, **who}).content.decode().split('id="form-error">')[1][:80]
               for who in ({"name": theirs.name, "id_number": theirs.id_number},
                           {"name": theirs.name + "明", "id_number": theirs.id_number},
                           {"name": "王某某", "id_number": unknown_id_number()})}
    assert len(answers) == 1 and "本人名义" in answers.pop()
    assert services.membership(theirs) is None
    # staff cannot pass an application off as made online
    r = client_for(cast.village_aide).post("/assistance/apply/", {**form, "name": theirs.name,
                                                                  "id_number": theirs.id_number, "channel": "online"})
    assert r.status_code == 400 and services.membership(theirs) is None

def test_household_documents_are_checked_by_content_and_served_only_inside_the_jurisdiction(cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fam = poor_family(cast, members=1)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    aide = client_for(cast.village_aide)
    r = aide.post(f"/assistance/families/{fam.pk}/document/",
                  {"title": "残疾人证", "file": SimpleUploadedFile("残疾证.png", png, "image/png")})
    assert r.status_code == 302
    doc = fam.documents.get()
    assert doc.sha256 and doc.content_type == "image/png"
    fake = aide.post(f"/assistance/families/{fam.pk}/document/",
                     {"title": "收入证明", "file": SimpleUploadedFile("收入.pdf", b"<html>not a pdf</html>", "application/pdf")})
    assert fake.status_code == 400 and "不是 PDF" in fake.content.decode() and fam.documents.count() == 1
    url = f"/assistance/families/{fam.pk}/documents/{doc.pk}/"
    got = aide.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == png
    assert client_for(civil_officer_elsewhere()).get(url).status_code == 404
    assert client_for(cast.grid_worker).get(url).status_code == 404


def test_a_window_clerk_takes_an_assistance_application_at_the_one_door(cast, client_for):
    clerk = cast.window_clerk
    town_ids = services.persons(clerk).values_list("region__parent_id", flat=True).distinct()
    person = Person.objects.filter(region__parent_id__in=list(town_ids)[:1]).exclude(
        pk__in=Member.objects.filter(left_at__isnull=True).values("person_id")).order_by("id").first()
    c = client_for(clerk)
    assert "社会救助申请" in c.get("/window/").content.decode()
    r = c.post("/assistance/apply/", {"program": program("LS01").pk, "name": person.name, "id_number": person.id_number,
                                      "channel": "counter", "reason": "家中突发火灾"})
    assert r.status_code == 302
    app = services.membership(person).family.applications.get()
    assert app.channel == "counter" and app.submitted_by == clerk and app.status == "submitted"
    page = c.get(r["Location"]).content.decode()
    assert "待受理" in page and "means-lines" not in page  # the clerk follows it, the file is civil affairs'
    assert c.get(f"/assistance/families/{app.family_id}/").status_code == 404


def test_bills_arriving_out_of_order_still_add_up_over_the_window(cast):
    person = free_people(aide_village(cast), 1)[0]
    rule = AlertRule.objects.filter(source="medical", group=Group.GENERAL).order_by("threshold").first()
    part = (rule.threshold / 3).quantize(Decimal("1")) + 10
    today = timezone.localdate()
    for i, days_ago in enumerate((10, 100, 200)):  # the newest bill first, older hospital batches later
        result = feed.ingest([settlement(person, f"YB-OOO-{i}", part, today - dt.timedelta(days=days_ago))],
                             source="medical", actor=cast.admin)
        assert result.alerts == (1 if i == 2 else 0)
    alert = Alert.objects.get(person=person)
    assert alert.amount == part * 3 and alert.family_id is None
    # A bill from before the window, however large, is kept and counts for nothing.
    other = free_people(aide_village(cast), 1, exclude=[person])[0]
    old = feed.ingest([settlement(other, "YB-OOO-9", rule.threshold * 5,
                                  today - dt.timedelta(days=rule.window_days + 5))], source="medical", actor=cast.admin)
    assert old.accepted == 1 and old.alerts == 0 and not Alert.objects.filter(person=other).exists()


def test_a_school_aid_record_for_a_family_on_the_edge_raises_a_check(cast):
    fam = poor_family(cast, members=2)
    Family.objects.filter(pk=fam.pk).update(group=Group.EDGE)
    child = fam.members.exclude(person=fam.head).get().person
    row = {"external_id": "JY-2026-0001", "id_number": child.id_number, "occurred_on": timezone.localdate().isoformat(),
           "detail": {"school": "江阴市徐霞客中学", "aid": "家庭经济困难学生生活补助"}}
    r = feed.ingest([row], source="school", actor=cast.admin)
    assert r.accepted == 1 and r.alerts == 1
    assert Alert.objects.get(person=child).family_id == fam.pk
    assert feed.ingest([row], source="school", actor=cast.admin).duplicates == 1


def test_a_corrected_record_under_an_old_number_is_reported_and_a_wrong_name_refused(cast):
    fam = poor_family(cast, members=1)
    first = settlement(fam.head, "YB-C-1", Decimal(300))
    assert feed.ingest([first], source="medical", actor=cast.admin).accepted == 1
    changed = {**first, "self_paid": "900.00", "total": "2700.00"}
    r = feed.ingest([changed, {**settlement(fam.head, "YB-C-2", Decimal(50)), "name": "李四"}], source="medical",
                    actor=cast.admin)
    assert r.accepted == 0 and r.duplicates == 0
    assert sorted((e["row"], e["field"]) for e in r.errors) == [(1, "external_id"), (2, "name")]
    assert Signal.objects.get(external_id="YB-C-1").self_paid == Decimal("300.00")


def test_money_and_accounts_are_bounded_and_a_payee_who_left_is_not_paid(cast):
    fam = poor_family(cast, members=2)
    for field, value in (("amount", "99999999999"), ("amount", "100000000")):
        with pytest.raises(ValidationError) as exc:
            services.add_income(actor=cast.village_aide, family_id=fam.pk, kind="wage", start="2026-01-01",
                                end="2026-01-31", amount=value)
        assert field in exc.value.error_dict
    services.update_family(actor=cast.civil_affairs, family_id=fam.pk, account="６２２２０２１２３４５６７８９０")
    assert Family.objects.get(pk=fam.pk).account == "6222021234567890"  # fullwidth digits stored as digits
    with pytest.raises(ValidationError):
        services.update_family(actor=cast.village_aide, family_id=fam.pk, account="6222-0212-3456-7890")
    spouse = fam.members.exclude(person=fam.head).get()
    services.update_family(actor=cast.civil_affairs, family_id=fam.pk, payee=spouse.pk, bank="中国农业银行江阴支行",
                           account="6228480012345678901")
    services.remove_member(actor=cast.village_aide, family_id=fam.pk, member_id=spouse.pk, reason="离婚迁出")
    fam.refresh_from_db()
    assert fam.payee_id is None  # payments go back to the applicant, and the change is flagged
    month = services.next_month(services.next_month(services.next_month(timezone.localdate())))
    ben = Beneficiary.objects.create(family=fam, program=program("DB01"), town=fam.town, region=fam.region,
                                     members=2, amount=Decimal("1300"), start_month=month)
    payments.run(month=month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[program("DB01").pk])
    line = PaymentLine.objects.get(beneficiary=ben, month=month)
    assert line.payee_name == fam.head.name and line.state == "pending"
    assert "现共同生活 1 人" in line.flag and "账户" in line.flag
    page = login(cast.civil_affairs).get(f"/assistance/families/{fam.pk}/").content.decode()
    assert "离婚迁出" in page  # the move-out is on the file's timeline


def test_an_approved_list_refuses_odd_corrections_and_a_bank_file_that_answers_a_line_twice(cast):
    fam = poor_family(cast, members=1)
    month = services.next_month(services.next_month(services.next_month(timezone.localdate())))
    enrol(fam, "DB03", amount="300", start=month)
    payments.run(month=month.isoformat()[:7], actor=cast.civil_affairs, towns=[fam.town_id],
                 programs=[program("DB03").pk])
    line = PaymentLine.objects.get(family=fam, month=month)
    payments.approve(actor=cast.county_civil, plist_id=line.plist_id)
    for amount in ("999999999999", "0", "500000"):
        with pytest.raises(ValidationError):
            payments.correct(actor=cast.county_civil, line_id=line.pk, reason="笔误", amount=amount)
    other = PaymentList.objects.exclude(pk=line.plist_id).filter(state="approved").first() or \
        PaymentList.objects.exclude(pk=line.plist_id).first()
    with pytest.raises(ValidationError):  # a line of another list, posted on this list's page
        payments.correct(actor=cast.county_civil, line_id=line.pk, reason="调整", amount="320", plist_id=other.pk)
    pending = list(PaymentLine.objects.filter(plist_id=line.plist_id, state="pending").values_list("pk", flat=True))
    rows = [{"line": str(pk), "result": "成功"} for pk in pending] + [{"line": str(line.pk), "result": "失败"}]
    with pytest.raises(ValidationError, match="重复"):
        payments.reconcile(actor=cast.county_civil, plist_id=line.plist_id, rows=rows)
    assert PaymentList.objects.get(pk=line.plist_id).state == "approved"


def test_the_payee_lives_in_the_household_and_takes_their_account_when_they_leave(cast):
    fam = poor_family(cast, members=2)
    friend = free_people(fam.region, 1)[0]
    away = services.add_member(actor=cast.village_aide, family_id=fam.pk, person=friend, relation="朋友",
                               lives_together=False)
    with pytest.raises(ValidationError):  # someone who does not live with them cannot receive the money
        services.update_family(actor=cast.village_aide, family_id=fam.pk, payee=away.pk)
    spouse = fam.members.filter(lives_together=True).exclude(person=fam.head).get()
    services.update_family(actor=cast.civil_affairs, family_id=fam.pk, payee=spouse.pk, bank="中国银行江阴支行",
                           account="6216600000001234")
    services.remove_member(actor=cast.village_aide, family_id=fam.pk, member_id=spouse.pk, reason="外出务工迁出")
    fam.refresh_from_db()
    assert fam.payee_id is None and fam.account == "" and fam.bank == ""
    enrol(fam, "DB01", amount="800", start=services.next_month(timezone.localdate()))
    with pytest.raises(Conflict, match="已纳入"):  # a family on 低保 does not apply for it again
        services.submit(actor=cast.village_aide, family=fam.pk, program=program("DB01").pk, reason="再次申请")


def test_a_village_cannot_redirect_a_familys_money_alone(cast, client_for):
    fam = poor_family(cast, members=2)
    spouse = fam.members.exclude(person=fam.head).get()
    services.update_family(actor=cast.village_aide, family_id=fam.pk, payee=spouse.pk, bank="中国建设银行江阴支行",
                           account="6217001234567890123")
    fam.refresh_from_db()
    assert fam.payee_id is None and fam.account == "" and fam.account_pending["account_shown"] == "****0123"
    with pytest.raises(PermissionDenied):  # the village does not check its own request
        services.confirm_account(actor=cast.village_aide, family_id=fam.pk, approve=True)
    page = client_for(cast.civil_affairs).get(f"/assistance/families/{fam.pk}/").content.decode()
    assert "account-pending" in page and "审核通过" in page and "6217001234567890123" not in page
    r = client_for(cast.civil_affairs).post(f"/assistance/families/{fam.pk}/account/",
                                            {"approve": "1", "version": fam.version})
    assert r.status_code == 302
    fam.refresh_from_db()
    assert fam.payee_id == spouse.person_id and fam.account == "6217001234567890123" and not fam.account_pending
    services.update_family(actor=cast.village_aide, family_id=fam.pk, account="6217009999999999999")
    services.confirm_account(actor=cast.civil_affairs, family_id=fam.pk, approve=False, reason="与户主口述不符")
    fam.refresh_from_db()
    assert fam.account == "6217001234567890123" and not fam.account_pending
