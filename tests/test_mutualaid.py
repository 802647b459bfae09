"""福村宝 village medical mutual aid: the payout and its caps, joining once a year, a fund that
cannot be overdrawn, scoping (outside looks like missing), stale versions, the public page (masked
names only, rate limited), the roles that may use it, and the demo's funds."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from shanzhi.cases.errors import Conflict
from shanzhi.common.models import AuditLog
from shanzhi.geo.models import Region
from shanzhi.mutualaid import services
from shanzhi.mutualaid.models import Claim, ClaimStep, Fund, Income, Membership, Payment
from shanzhi.mutualaid.payout import compute
from shanzhi.mutualaid.states import Status
from shanzhi.registry.models import Person

from .conftest import login

pytestmark = pytest.mark.django_db
D = Decimal


# --------------------------------------------------------------------------- helpers
def today():
    return timezone.localdate()


def stay():
    """A recent stay inside this year (admitted, discharged)."""
    day = today()
    return max(dt.date(day.year, 1, 1), day - dt.timedelta(days=5)), day


@pytest.fixture
def fresh(cast, huashi):
    """A new fund in a village of 华士镇 (the demo has none there), opened by the county bureau,
    with this year's scheme — ¥50 a person, two rules — and two members, and no other money."""
    boss = cast.county_civil
    village = Region.objects.filter(parent=huashi, level=Region.Level.VILLAGE).order_by("code").first()
    fund = services.fund_open(actor=boss, region=village.pk)
    fy = services.year_open(actor=boss, fund_id=fund.pk, year=today().year, contribution="50")
    cancer = services.rule_add(actor=boss, year_id=fy.pk, name="恶性肿瘤", deductible="5000", ratio="50%", cap="20000")
    general = services.rule_add(actor=boss, year_id=fy.pk, name="一般住院", deductible="10000", ratio="0.3",
                                cap="5000")
    people = list(Person.objects.filter(region=village, residence="registered").order_by("id")[:3])
    new_year = dt.datetime(today().year, 1, 1, 10, tzinfo=timezone.get_current_timezone())  # joined on the scheme's first day
    members = [services.member_join(actor=boss, fund_id=fund.pk, person=p.pk, paid_on=new_year.date(), at=new_year)
               for p in people[:2]]
    return {"boss": boss, "fund": fund, "fy": fy, "cancer": cancer, "general": general, "members": members,
            "outsider_person": people[2], "village": village}


def file_claim(actor, fund, member, rule, self_paid="30000", earlier=0, **extra):
    """A claim for a recent stay; ``earlier`` stays of a fortnight each before it (one stay, one claim)."""
    admitted, discharged = stay()
    admitted, discharged = admitted - dt.timedelta(days=14 * earlier), discharged - dt.timedelta(days=14 * earlier)
    return services.claim_submit(actor=actor, fund_id=fund.pk, membership=member.pk, rule=rule.pk,
                                 hospital=extra.pop("hospital", "江阴市人民医院"), admitted_on=admitted,
                                 discharged_on=discharged, self_paid=self_paid, **extra)


def same_page(response, pk) -> str:
    """A page with its own path and its per-request CSRF token taken out."""
    body = response.content.decode().replace(f"/mutualaid/claims/{pk}/", "/mutualaid/claims/…/")
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body))


def aide_fund(cast):
    region_id = cast.village_aide.posts.filter(role="civil_affairs").values_list("region_id", flat=True).first()
    return Fund.objects.get(region_id=region_id)


def spare_member(fund):
    """A member of this year's scheme with no claim yet."""
    return (Membership.objects.filter(fund=fund, fund_year__year=today().year, claims__isnull=True)
            .select_related("person").order_by("id").first())


# --------------------------------------------------------------------------- the payout
def test_the_payout_is_the_share_above_the_deductible_up_to_what_is_left_of_the_cap():
    c = compute(self_paid=D("30000"), rule_name="恶性肿瘤", deductible=D("5000"), ratio=D("0.5"), cap=D("20000"))
    assert c.amount == D("12500.00") and c.reason == ""
    assert [ln["key"] for ln in c.lines] == ["self_paid", "deductible", "base", "ratio", "by_ratio", "cap_left",
                                             "payout"]
    assert c.lines[-1]["value"] == "¥12,500.00" and c.lines[4]["note"] == "¥25,000.00 × 50%"
    capped = compute(self_paid=D("30000"), rule_name="恶性肿瘤", deductible=D("5000"), ratio=D("0.5"), cap=D("20000"),
                     used_rule=D("15000"))
    assert capped.amount == D("5000.00") and "按封顶剩余补助" in capped.lines[-1]["note"]
    used_up = compute(self_paid=D("30000"), rule_name="恶性肿瘤", deductible=D("5000"), ratio=D("0.5"),
                      cap=D("20000"), used_rule=D("20000"))
    assert used_up.amount == 0 and used_up.reason == "cap_used"
    below = compute(self_paid=D("4999.99"), rule_name="恶性肿瘤", deductible=D("5000"), ratio=D("0.5"), cap=D("20000"))
    assert below.amount == 0 and below.reason == "below_deductible" and below.lines[2]["amount"] == "0.00"
    overall = compute(self_paid=D("30000"), rule_name="恶性肿瘤", deductible=D("5000"), ratio=D("0.5"), cap=D("20000"),
                      person_cap=D("30000"), used_year=D("27000.50"))
    assert overall.amount == D("2999.50") and overall.lines[-2]["key"] == "person_cap_left"
    odd = compute(self_paid=D("10001.01"), rule_name="一般住院", deductible=D("10000"), ratio=D("0.3"), cap=D("5000"))
    assert odd.amount == D("0.30")  # 1.01 × 30 % = 0.303, rounded half up once


def test_a_claim_stores_its_computation_and_the_cap_counts_what_was_granted_before(fresh):
    boss, fund, cancer, member = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["members"][0]
    town = _town_civil_for(fund)
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="100000", source="江阴市某纺织有限公司")
    first = file_claim(boss, fund, member, cancer, self_paid="35000")
    assert first.payout == D("15000.00") and first.lines[-1]["key"] == "payout" and first.status == Status.SUBMITTED
    assert first.steps.get().action == "submit"
    services.claim_review(actor=boss, claim_id=first.pk, expected_version=1)
    services.claim_approve(actor=town, claim_id=first.pk, expected_version=2)
    second = file_claim(boss, fund, member, cancer, self_paid="35000", hospital="无锡市人民医院", earlier=1)
    assert second.payout == D("5000.00")  # the 20,000 cap less the 15,000 granted
    assert second.lines[5]["note"] == "年度封顶 ¥20,000.00，本年度已获本病种补助 ¥15,000.00"
    services.claim_pay(actor=boss, claim_id=first.pk)
    services.claim_review(actor=boss, claim_id=second.pk)
    services.claim_approve(actor=town, claim_id=second.pk)
    with pytest.raises(ValidationError) as exc:  # a third stay: the cap is used up
        file_claim(boss, fund, member, cancer, self_paid="35000", hospital="江苏省人民医院", earlier=2)
    assert exc.value.message_dict["rule"][0].startswith("该参保人本年度补助已达封顶")
    # Another disease still pays; the other member's cap is their own.
    assert file_claim(boss, fund, member, fresh["general"], self_paid="20000", earlier=3).payout == D("3000.00")
    assert file_claim(boss, fund, fresh["members"][1], cancer, self_paid="35000").payout == D("15000.00")


def _town_civil_for(fund):
    """A second civil-affairs login who covers the fund (the four-eyes rule at approval)."""
    from shanzhi.accounts.models import Post, User
    from shanzhi.accounts.roles import Role

    user = User.objects.create_user(username=f"civil_{fund.town.code}", password="x", display_name="镇民政干部")
    Post.objects.create(user=user, role=Role.CIVIL_AFFAIRS, region=fund.town)
    return user


def test_a_claim_below_the_deductible_or_with_bad_input_is_refused_and_changes_nothing(fresh):
    boss, fund, general, member = fresh["boss"], fresh["fund"], fresh["general"], fresh["members"][0]
    before = (Claim.objects.count(), AuditLog.objects.count())
    admitted, discharged = stay()
    cases = [
        ({"self_paid": "9000"}, "self_paid", "未超过「一般住院」起付线 ¥10,000.00"),
        ({"self_paid": "1e5"}, "self_paid", "须为金额"),
        ({"self_paid": "-5"}, "self_paid", "须为金额"),
        ({"self_paid": "20000", "total_cost": "15000"}, "self_paid", "不能超过医疗总费用"),
        ({"self_paid": "20000", "admitted_on": discharged, "discharged_on": admitted - dt.timedelta(days=1)},
         "discharged_on", "不能早于入院日期"),
        ({"self_paid": "20000", "admitted_on": dt.date(today().year - 1, 12, 30)}, "admitted_on", "不在"),
        ({"self_paid": "20000", "discharged_on": today() + dt.timedelta(days=1)}, "discharged_on", "不能晚于今天"),
        ({"self_paid": "20000", "hospital": " "}, "hospital", "请填写就诊医院"),
        ({"self_paid": "20000", "rule": 10**12}, "rule", "不存在或不在您的管辖范围内"),
        ({"self_paid": "20000", "membership": "abc"}, "membership", "不存在或不在您的管辖范围内"),
    ]
    for change, field, text in cases:
        args = {"actor": boss, "fund_id": fund.pk, "membership": member.pk, "rule": general.pk,
                "hospital": "江阴市中医院", "admitted_on": admitted, "discharged_on": discharged, **change}
        with pytest.raises(ValidationError) as exc:
            services.claim_submit(**args)
        assert text in exc.value.message_dict[field][0], (change, exc.value.message_dict)
    assert (Claim.objects.count(), AuditLog.objects.count()) == before


def test_the_claim_form_previews_the_payout_live_and_writes_nothing(fresh, cast):
    boss, fund, cancer, member = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["members"][0]
    client = login(boss)
    url = f"/mutualaid/funds/{fund.pk}/claims/preview/"
    page = client.post(url, {"membership": member.pk, "rule": cancer.pk, "self_paid": "25000"})
    body = page.content.decode()
    assert page.status_code == 200 and "¥10,000.00" in body and "本次补助金额" in body and "超过基金当前可用余额" in body
    assert client.post(url, {"membership": member.pk}).status_code == 200  # not filled in yet: a hint
    bad = client.post(url, {"membership": member.pk, "rule": cancer.pk, "self_paid": "abc"})
    assert bad.status_code == 400 and "须为金额" in bad.content.decode()
    assert not Claim.objects.filter(fund=fund).exists()
    form = client.get(f"/mutualaid/funds/{fund.pk}/claims/new/").content.decode()
    assert f'hx-post="/mutualaid/funds/{fund.pk}/claims/preview/"' in form and member.person.name in form


# --------------------------------------------------------------------------- members
def test_a_person_joins_once_per_fund_year_and_a_second_join_is_refused(fresh):
    boss, fund, member = fresh["boss"], fresh["fund"], fresh["members"][0]
    assert member.contribution == D("50.00")
    assert Income.objects.get(membership=member).amount == D("50.00")
    counts = (Membership.objects.count(), Income.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.member_join(actor=boss, fund_id=fund.pk, person=member.person_id)
    err = exc.value.error_dict["person"][0]
    assert err.code == "already_member" and "每个年度只能参加一次" in err.message and member.person.name in err.message
    page = login(boss).post(f"/mutualaid/funds/{fund.pk}/members/join/", {"person": member.person_id})
    assert page.status_code == 400 and "每个年度只能参加一次" in page.content.decode()
    assert (Membership.objects.count(), Income.objects.count()) == counts
    # By ID number and name: a wrong name answers like an unknown number.
    other = fresh["outsider_person"]
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):
        services.member_join(actor=boss, fund_id=fund.pk, id_number=other.id_number, name=other.name + "x")
    with pytest.raises(ValidationError, match="个人缴费标准为 ¥50.00"):
        services.member_join(actor=boss, fund_id=fund.pk, person=other.pk, contribution="40")
    joined = services.member_join(actor=boss, fund_id=fund.pk, id_number=other.id_number, name=other.name)
    assert joined.person_id == other.pk and joined.paid_on == today()


def test_joining_in_the_aides_village_goes_through_the_page(cast):
    fund = aide_fund(cast)
    client = login(cast.village_aide)
    page = client.get(f"/mutualaid/funds/{fund.pk}/members/").content.decode()
    assert "已参保" in page and "登记参保" in page
    member = spare_member(fund)
    again = client.post(f"/mutualaid/funds/{fund.pk}/members/join/", {"person": member.person_id,
                                                                      "year": today().year})
    assert again.status_code == 400 and "同一人每个年度只能参加一次" in again.content.decode()


# --------------------------------------------------------------------------- money
def test_a_claim_that_would_overdraw_the_fund_is_not_approved(fresh):
    boss, fund, cancer, member = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["members"][0]
    town = _town_civil_for(fund)
    services.income_add(actor=boss, fund_id=fund.pk, kind="collective", amount="1000")
    claim = file_claim(boss, fund, member, cancer, self_paid="30000")  # payout 12,500 against 1,100
    services.claim_review(actor=boss, claim_id=claim.pk)
    with pytest.raises(Conflict) as exc:
        services.claim_approve(actor=town, claim_id=claim.pk, expected_version=2)
    assert exc.value.code == "overdraw" and "基金余额不足" in exc.value.message and "¥1,100.00" in exc.value.message
    claim.refresh_from_db()
    assert claim.status == Status.REVIEWED and claim.version == 2 and not Payment.objects.filter(claim=claim).exists()
    page = login(town).post(f"/mutualaid/claims/{claim.pk}/act/approve/", {"version": 2})
    assert page.status_code == 409 and "基金余额不足" in page.content.decode()
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="20000", source="本村乡贤联谊会")
    services.claim_approve(actor=town, claim_id=claim.pk, expected_version=2)
    assert services.figures(fund).available == D("21100.00") - D("12500.00")
    payment = services.claim_pay(actor=boss, claim_id=claim.pk, expected_version=3, reference="FCB-1")
    money = services.figures(fund)
    assert payment.amount == D("12500.00") and money.paid == D("12500.00") and money.balance == D("8600.00")
    assert money.by_kind == {"member": D("100.00"), "collective": D("1000.00"), "donation": D("20000.00")}
    # Member fees come only with a membership.
    with pytest.raises(ValidationError, match="随参保登记自动入账"):
        services.income_add(actor=boss, fund_id=fund.pk, kind="member", amount="50")
    with pytest.raises(ValidationError, match="请填写捐赠单位或个人"):
        services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="50")


def test_the_approver_is_someone_else_and_only_the_town_or_county_approves(fresh, cast):
    boss, fund, cancer, member = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["members"][0]
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="50000", source="旅外乡贤")
    claim = file_claim(boss, fund, member, cancer)
    services.claim_review(actor=boss, claim_id=claim.pk)
    with pytest.raises(PermissionDenied, match="不能审批同一申请"):
        services.claim_approve(actor=boss, claim_id=claim.pk)
    mine = aide_fund(cast)
    rule = mine.years.get(year=today().year).rules.get(name="一般住院")
    theirs = file_claim(cast.village_aide, mine, spare_member(mine), rule, self_paid="12000")
    services.claim_review(actor=cast.village_aide, claim_id=theirs.pk)
    with pytest.raises(PermissionDenied, match="须由镇（街道）或县级民政部门审批"):
        services.claim_approve(actor=cast.village_aide, claim_id=theirs.pk)
    page = login(cast.village_aide).get(f"/mutualaid/claims/{theirs.pk}/").content.decode()
    assert "approve-form" not in page and "等待镇（街道）民政部门审批" in page
    assert "approve-form" in login(cast.civil_affairs).get(f"/mutualaid/claims/{theirs.pk}/").content.decode()


# --------------------------------------------------------------------------- scope and concurrency
def test_a_claim_outside_the_actors_villages_is_404_exactly_like_a_missing_one(cast, xxk):
    aide = cast.village_aide
    mine = aide_fund(cast)
    theirs = Claim.objects.filter(fund__town=xxk).exclude(fund=mine).order_by("id").first()
    missing = Claim.objects.order_by("-id").first().pk + 1000
    client = login(aide)
    outside, absent = client.get(f"/mutualaid/claims/{theirs.pk}/"), client.get(f"/mutualaid/claims/{missing}/")
    assert outside.status_code == absent.status_code == 404
    assert same_page(outside, theirs.pk) == same_page(absent, missing)
    for action in ("review", "refuse", "approve", "pay"):
        assert client.post(f"/mutualaid/claims/{theirs.pk}/act/{action}/", {"version": theirs.version,
                                                                           "reason": "x"}).status_code == 404
    assert client.get(f"/mutualaid/funds/{theirs.fund_id}/").status_code == 404
    assert client.get(f"/mutualaid/funds/{theirs.fund_id}/members/").status_code == 404
    assert client.post(f"/mutualaid/funds/{theirs.fund_id}/claims/preview/", {}).status_code == 404
    for pk in (theirs.pk, missing):
        with pytest.raises(Http404):
            services.get_claim(aide, pk)
        with pytest.raises(Http404):
            services.claim_refuse(actor=aide, claim_id=pk, reason="越权")
    theirs.refresh_from_db()
    assert theirs.status != Status.REFUSED or theirs.refused_by_id != aide.pk
    # A member of another village cannot be named in a claim here either.
    other_member = Membership.objects.exclude(fund=mine).first()
    with pytest.raises(ValidationError, match="参保人不存在或不在您的管辖范围内"):
        file_claim(aide, mine, other_member, mine.years.get(year=today().year).rules.first())
    # The town office sees every village of the town.
    assert services.get_claim(cast.civil_affairs, theirs.pk) == theirs
    assert login(cast.civil_affairs).get(f"/mutualaid/claims/{theirs.pk}/").status_code == 200


def test_a_stale_version_is_refused_and_the_first_move_stands(cast):
    fund = aide_fund(cast)
    member = spare_member(fund)
    rule = fund.years.get(year=today().year).rules.get(name="一般住院")
    claim = file_claim(cast.village_aide, fund, member, rule, self_paid="12000")
    seen = claim.version
    aide, town = login(cast.village_aide), login(cast.civil_affairs)
    first = aide.post(f"/mutualaid/claims/{claim.pk}/act/review/", {"version": seen, "note": "已核对"})
    assert first.status_code == 302
    late = town.post(f"/mutualaid/claims/{claim.pk}/act/refuse/", {"version": seen, "reason": "材料不全"})
    assert late.status_code == 409 and "已被他人处理（当前状态：待镇级审批），请刷新后查看" in late.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.REVIEWED and claim.version == seen + 1 and claim.refuse_reason == ""
    assert list(claim.steps.values_list("action", flat=True)) == ["submit", "review"]
    with pytest.raises(Conflict) as exc:  # the state moved on: the kernel says so before the version
        services.claim_review(actor=cast.civil_affairs, claim_id=claim.pk, expected_version=seen)
    assert exc.value.code == "not_allowed_in_state"
    with pytest.raises(Conflict, match="不能执行「村级审核通过」"):  # no version given: the state itself says no
        services.claim_review(actor=cast.civil_affairs, claim_id=claim.pk)
    bad = town.post(f"/mutualaid/claims/{claim.pk}/act/approve/", {"version": "２"})
    assert bad.status_code == 400 and "页面版本无效" in bad.content.decode()


def test_every_move_writes_a_step_and_an_audit_row(fresh):
    boss, fund, cancer, member = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["members"][0]
    town = _town_civil_for(fund)
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="50000", source="旅外乡贤")
    claim = file_claim(boss, fund, member, cancer)
    services.claim_review(actor=boss, claim_id=claim.pk, expected_version=1)
    services.claim_approve(actor=town, claim_id=claim.pk, expected_version=2)
    services.claim_pay(actor=boss, claim_id=claim.pk, expected_version=3)
    services.payment_publish(actor=boss, claim_id=claim.pk, published=False, reason="家属申请不予公示")
    rows = AuditLog.objects.filter(object_type="mutualaid.claim", object_id=str(claim.pk)).order_by("id")
    assert [(r.action, (r.after or {}).get("status")) for r in rows] == [
        ("create", None), ("update", "reviewed"), ("update", "approved"), ("update", "paid"), ("update", None)]
    assert all(r.region_id == fund.region_id for r in rows)
    assert member.person.name not in str(rows[0].after) and rows[0].after["payout"] == "12500.00"
    assert AuditLog.objects.filter(object_type="mutualaid.payment", note="撤下公示").exists()
    assert AuditLog.objects.filter(object_type="mutualaid.membership", object_id=str(member.pk)).exists()
    assert list(ClaimStep.objects.filter(claim=claim).values_list("action", flat=True)) == [
        "submit", "review", "approve", "pay", "unpublish"]
    claim.refresh_from_db()
    assert claim.version == 5 and claim.approved_by == town


# --------------------------------------------------------------------------- public page
def test_the_public_page_shows_masked_names_only(fresh):
    boss, fund, cancer, member = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["members"][0]
    town = _town_civil_for(fund)
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="50000", source="旅外乡贤")
    claim = file_claim(boss, fund, member, cancer, hospital="复旦大学附属肿瘤医院", diagnosis="肺恶性肿瘤术后化疗")
    services.claim_review(actor=boss, claim_id=claim.pk)
    services.claim_approve(actor=town, claim_id=claim.pk)
    services.claim_pay(actor=boss, claim_id=claim.pk, reference="FCB2026-77")
    cache.clear()
    page = Client().get(f"/mutualaid/public/{fund.region.code}/")
    body = page.content.decode()
    flat = body.replace(",", "")
    person = member.person
    from shanzhi.common.masking import mask_id_number, mask_name

    assert page.status_code == 200 and mask_name(person.name) in body and "12500.00" in body and "恶性肿瘤" in body
    assert person.name not in body and person.id_number not in body and mask_id_number(person.id_number) not in body
    if person.phone:
        assert person.phone not in body
    for private in ("复旦大学附属肿瘤医院", "肺恶性肿瘤术后化疗", "FCB2026-77", claim.number):
        assert private not in body
    assert "50100.00" in flat and "37600.00" in flat  # income: 2 × ¥50 + ¥50,000; the balance after ¥12,500
    # Held back from publication: gone from the page, the money still counted.
    services.payment_publish(actor=boss, claim_id=claim.pk, published=False, reason="本人申请不予公示")
    again = Client().get(f"/mutualaid/public/{fund.region.code}/").content.decode()
    assert mask_name(person.name) not in again and "37600.00" in again.replace(",", "")
    assert Client().get("/mutualaid/public/320281999999/").status_code == 404
    assert Client().get("/mutualaid/public/abc/").status_code == 404


def test_the_public_page_uses_the_published_label_of_a_sensitive_disease(fresh):
    boss, fund, member = fresh["boss"], fresh["fund"], fresh["members"][1]
    town = _town_civil_for(fund)
    rule = services.rule_add(actor=boss, year_id=fresh["fy"].pk, name="重症精神病", deductible="2000", ratio="0.6",
                             cap="10000", public_label="其他重大疾病")
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="50000", source="旅外乡贤")
    claim = file_claim(boss, fund, member, rule, self_paid="7000")
    services.claim_review(actor=boss, claim_id=claim.pk)
    services.claim_approve(actor=town, claim_id=claim.pk)
    services.claim_pay(actor=boss, claim_id=claim.pk)
    cache.clear()
    body = Client().get(f"/mutualaid/public/{fund.region.code}/").content.decode()
    assert "其他重大疾病" in body and "重症精神病" not in body and "3000.00" in body


def test_the_public_page_is_rate_limited(settings, monkeypatch, cast):
    import shanzhi.common.ratelimit as ratelimit

    settings.PUBLIC_RATE_LIMIT = 5
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.0)
    cache.clear()
    url = f"/mutualaid/public/{aide_fund(cast).region.code}/"
    anonymous = Client()
    codes = [anonymous.get(url).status_code for _ in range(7)]
    assert codes == [200] * 5 + [429, 429]
    assert "请求过于频繁" in anonymous.get(url).content.decode()
    assert login(cast.village_aide).get(url).status_code == 200  # signed-in staff are not counted
    cache.clear()


# --------------------------------------------------------------------------- roles
@pytest.mark.parametrize("username", ["grid_worker", "town_leader", "county_leader", "window_clerk", "citizen",
                                      "dispatcher"])
def test_other_roles_are_forbidden(cast, username):
    user = getattr(cast, username)
    claim = Claim.objects.filter(fund=aide_fund(cast)).first()
    client = login(user)
    assert client.get("/mutualaid/").status_code == 403
    assert client.get(f"/mutualaid/claims/{claim.pk}/").status_code == 403
    assert client.get(f"/mutualaid/claims/{claim.pk + 10**6}/").status_code == 403  # the same either way
    assert client.post(f"/mutualaid/claims/{claim.pk}/act/review/", {"version": claim.version}).status_code == 403
    assert client.get(f"/mutualaid/funds/{claim.fund_id}/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.funds(user)
    with pytest.raises(PermissionDenied):
        services.claim_review(actor=user, claim_id=claim.pk)
    assert Claim.objects.get(pk=claim.pk).version == claim.version


def test_signed_out_visitors_are_sent_to_log_in(cast):
    page = Client().get("/mutualaid/")
    assert page.status_code == 302 and "/login/" in page["Location"]


def test_only_the_town_or_county_sets_up_a_fund(cast, xxk):
    village = Region.objects.filter(parent=xxk, level=Region.Level.VILLAGE).first()
    with pytest.raises(PermissionDenied, match="须由镇（街道）或县级民政部门"):
        services.fund_open(actor=cast.village_aide, region=village.pk)
    with pytest.raises(Conflict, match="已设立福村宝基金"):
        services.fund_open(actor=cast.civil_affairs, region=village.pk)
    huashi_village = Region.objects.filter(parent__name="华士镇", level=Region.Level.VILLAGE).first()
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):  # another town's village
        services.fund_open(actor=cast.civil_affairs, region=huashi_village.pk)


# --------------------------------------------------------------------------- desk and demo
def test_the_desk_shows_the_aides_fund_and_the_towns_villages(cast, xxk):
    fund = aide_fund(cast)
    page = login(cast.village_aide).get("/mutualaid/")
    body = page.content.decode()
    assert page.status_code == 200 and fund.name in body and "基金余额" in body and "年度参保人数" in body
    town = login(cast.civil_affairs).get("/mutualaid/").content.decode()
    assert "各村基金" in town and all(f.region.name in town for f in Fund.objects.filter(town=xxk))
    claim = Claim.objects.filter(fund=fund, status=Status.PAID).first()
    detail = login(cast.village_aide).get(f"/mutualaid/claims/{claim.pk}/").content.decode()
    assert "补助计算过程" in detail and "本次补助金额" in detail and claim.membership.person.name in detail
    for url in (f"/mutualaid/funds/{fund.pk}/claims/", f"/mutualaid/funds/{fund.pk}/claims/new/",
                f"/mutualaid/funds/{fund.pk}/members/?q=王"):
        assert login(cast.village_aide).get(url).status_code == 200, url


def test_the_demo_runs_a_fund_in_every_village_of_xuxiake_without_overdrawing_any(xxk):
    villages = Region.objects.filter(parent=xxk, level=Region.Level.VILLAGE)
    funds = Fund.objects.filter(town=xxk)
    assert funds.count() == villages.count() == 21
    states = set(Claim.objects.filter(fund__town=xxk).values_list("status", flat=True))
    assert {Status.PAID, Status.SUBMITTED} <= states and len(states) >= 4
    for fund in funds:
        money = services.figures(fund)
        assert money.available >= 0 and money.by_kind.get("member", 0) > 0
        assert fund.years.count() == 2 and fund.years.get(year=today().year).rules.count() == 6
    assert Payment.objects.filter(fund__town=xxk).exclude(claim__status=Status.PAID).count() == 0
    assert Payment.objects.filter(fund__town=xxk, published=True).exists()
    paid = Claim.objects.filter(fund__town=xxk, status=Status.PAID).first()
    assert paid.lines[-1]["amount"] == str(paid.payout) and paid.steps.count() == 4


def test_claims_are_cases_of_the_kernel_on_my_work_and_its_clocks(cast):
    from shanzhi.cases.models import Timer
    from shanzhi.cases.scan import scan_timers

    fund = aide_fund(cast)
    member = spare_member(fund)
    rule = fund.years.get(year=today().year).rules.get(name="一般住院")
    claim = file_claim(cast.village_aide, fund, member, rule, self_paid="12000")
    timer = Timer.objects.get(kind="mutualaid", case_id=claim.pk, stage="review", stopped_at__isnull=True)
    claim.refresh_from_db()
    assert claim.due == timer.due and claim.region_id == fund.region_id
    assert claim.number in login(cast.village_aide).get("/work/").content.decode()
    services.claim_review(actor=cast.village_aide, claim_id=claim.pk)
    assert Timer.objects.get(kind="mutualaid", case_id=claim.pk, stage="review").stopped_at is not None
    approve = Timer.objects.get(kind="mutualaid", case_id=claim.pk, stage="approve")
    assert claim.number in login(cast.civil_affairs).get("/work/").content.decode()
    scan_timers(now=approve.due + dt.timedelta(minutes=5))
    actions = list(ClaimStep.objects.filter(claim=claim).values_list("action", flat=True))
    assert "overdue" in actions  # the one scan marks a late claim like any other case
    from shanzhi.notify.models import Outbox

    assert Outbox.objects.filter(title=f"督办：互助申请 {claim.number} 已超期", user=cast.civil_affairs).exists()
    claim.refresh_from_db()
    assert claim.status == Status.REVIEWED  # a system mark does not move the version a person acts on
    services.claim_approve(actor=cast.civil_affairs, claim_id=claim.pk, expected_version=claim.version)


def test_a_late_joiner_cannot_back_date_the_payment_or_claim_one_stay_twice(fresh):
    boss, fund, cancer, general = fresh["boss"], fresh["fund"], fresh["cancer"], fresh["general"]
    other = fresh["outsider_person"]
    from shanzhi.accounts.models import Post, User

    aide = User.objects.create(username="aide-huashi", display_name="村救助协理员")
    Post.objects.create(user=aide, role="civil_affairs", region=fresh["village"])
    with pytest.raises(ValidationError) as exc:  # the village alone: no further back than a week
        services.member_join(actor=aide, fund_id=fund.pk, person=other.pk, paid_on=today() - dt.timedelta(days=60))
    assert exc.value.error_dict["paid_on"][0].code == "backdated"
    assert not Membership.objects.filter(person=other).exists()
    with pytest.raises(ValidationError):  # nor money booked months ago …
        services.income_add(actor=aide, fund_id=fund.pk, kind="donation", amount="500", source="某企业",
                            received_on=today() - dt.timedelta(days=90))
    with pytest.raises(PermissionDenied):  # … nor a sum beyond what a village raises
        services.income_add(actor=aide, fund_id=fund.pk, kind="donation", amount="80000", source="某企业")
    assert services.income_add(actor=aide, fund_id=fund.pk, kind="donation", amount="2000", source="乡贤").pk
    services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="50000", source="旅外乡贤")
    member = fresh["members"][0]
    admitted, discharged = stay()
    first = file_claim(boss, fund, member, cancer)
    for rule, hospital, shift in ((general, "江阴市人民医院", 0), (cancer, "江阴人民医院", 1)):
        with pytest.raises(Conflict, match=first.number):  # another disease, another spelling, a day later
            services.claim_submit(actor=boss, fund_id=fund.pk, membership=member.pk, rule=rule.pk, hospital=hospital,
                                  admitted_on=admitted + dt.timedelta(days=shift), discharged_on=discharged,
                                  self_paid="30000")
    with pytest.raises(ValidationError):
        services.income_add(actor=boss, fund_id=fund.pk, kind="donation", amount="99999999999", source="笔误")


def test_the_public_standards_do_not_give_away_a_disease_published_under_a_common_label(cast, client):
    fund = aide_fund(cast)
    fy = fund.years.get(year=today().year)
    labelled = list(fy.rules.exclude(public_label="").values_list("name", "public_label", "cap"))
    assert labelled, "the demo publishes some diseases under a common label"
    page = client.get(f"/mutualaid/public/{fund.region.code}/").content.decode()
    for name, label, _cap in labelled:
        assert name not in page and page.count(f"<td>{label}") == 1
    assert "\x1b" not in page
    with pytest.raises(ValidationError):
        services.income_add(actor=cast.village_aide, fund_id=fund.pk, kind="donation", amount="100",
                            source="乡贤\x1b[31m")
