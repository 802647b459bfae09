"""The general procedure after filing, as the bureau lives it: two certified investigators with
evidence whose SHA-256 shows tampering, legal review of a major case, the notice with its 5-day
hearing window, a hearing noticed 7 days ahead with the decision clock paused meanwhile, a decision
inside the discretion band (outside only by the exception path), service, payment with the late
charge, closing, publication and archiving; and the simple procedure on the spot."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanzhi.cases.errors import Conflict
from shanzhi.cases.models import Timer
from shanzhi.enforcement import cases as svc
from shanzhi.enforcement import procedure as proc
from shanzhi.enforcement.models import Officer, PenaltyCase, PenaltyItem, Squad
from shanzhi.registry.models import Organisation

from .conftest import login
from .test_penalty_cases import structure_incident

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def unlicensed_building(xxk):
    return PenaltyItem.objects.get(written_out=True, towns=xxk, violation__startswith="未取得建设工程规划许可证进行建设，尚可")


def members(squad, n=2, *, exclude=()):
    today = timezone.localdate()
    qs = Officer.objects.filter(squad=squad, certificate_valid_until__gt=today + dt.timedelta(days=60),
                                legal_reviewer=False).exclude(user=squad.leader).exclude(user__in=exclude)
    return list(qs.order_by("certificate_number")[:n])


def reviewer(town, *, not_in=()):
    return Officer.objects.filter(squad__town=town, legal_reviewer=True).exclude(pk__in=[o.pk for o in not_in]) \
        .filter(certificate_valid_until__gt=timezone.localdate()).first().user


def filed_case(cast, xxk, at=None):
    incident, squad = structure_incident(cast)
    first, second = members(squad)
    case = svc.lead_from_incident(actor=first.user, incident_id=incident.pk, at=at)
    svc.case_file(actor=squad.leader, case_id=case.pk, item=unlicensed_building(xxk).pk, at=at)
    return PenaltyCase.objects.get(pk=case.pk), squad, first, second


def investigated(cast, xxk, *, at, fine="20000", party_org=None):
    case, squad, a, b = filed_case(cast, xxk, at=at)
    proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, b.pk], at=at)
    proc.add_evidence(actor=a.user, case_id=case.pk, kind="photo", title="彩钢棚现场照片",
                      upload=SimpleUploadedFile("p.png", PNG, "image/png"), at=at)
    proc.add_evidence(actor=b.user, case_id=case.pk, kind="inquiry", title="对王某的询问笔录",
                      text="问：该彩钢棚是否办理规划许可？答：没有办理。", at=at)
    proc.submit(actor=a.user, case_id=case.pk, findings="未取得规划许可搭建彩钢棚约40平方米，造价约40万元",
                party_kind="org" if party_org else "person", party_name="王某", party_org=party_org,
                level="minor", penalty_types=["fine"], base="400000", fine=fine, at=at)
    return PenaltyCase.objects.get(pk=case.pk), squad, a, b


def test_two_certified_investigators_and_evidence_whose_digest_shows_tampering(cast, xxk):
    case, squad, a, b = filed_case(cast, xxk)
    lapsed = Officer.objects.filter(squad__town=xxk, certificate_valid_until__lt=timezone.localdate()).first()
    with pytest.raises(ValidationError, match="执法证不在有效期内"):
        proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, lapsed.pk])
    with pytest.raises(ValidationError, match="两名以上"):
        proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk])
    other_town = Officer.objects.exclude(squad__town=xxk).first()
    if other_town:  # an officer of another town is "missing", not "outside"
        with pytest.raises(ValidationError, match="不存在"):
            proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, other_town.pk])
    with pytest.raises(PermissionDenied):
        proc.assign(actor=a.user, case_id=case.pk, officers=[a.pk, b.pk])
    proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, b.pk])
    with pytest.raises(Conflict, match="尚未登记任何证据"):
        proc.submit(actor=a.user, case_id=case.pk, findings="x", party_kind="person", party_name="王某",
                    level="minor", penalty_types=["fine"], base="400000", fine="20000")
    outsider = members(squad, 3)[2].user
    with pytest.raises(PermissionDenied, match="办案人员"):
        proc.add_evidence(actor=outsider, case_id=case.pk, kind="photo", title="x", text="y")
    with pytest.raises(ValidationError, match="不是 PDF、JPG 或 PNG"):
        proc.add_evidence(actor=a.user, case_id=case.pk, kind="photo", title="照片",
                          upload=SimpleUploadedFile("p.exe", b"MZ\x90\x00", "image/png"))
    photo = proc.add_evidence(actor=a.user, case_id=case.pk, kind="photo", title="现场照片",
                              upload=SimpleUploadedFile("p.png", PNG, "image/png"))
    assert photo.current_digest() == photo.sha256
    page = login(a.user).get(f"/team/cases/{case.pk}/").content.decode()
    assert photo.sha256[:16] in page and "未被篡改" in page
    with open(photo.file.path, "ab") as fh:  # someone edits the stored file
        fh.write(b"edited")
    page = login(a.user).get(f"/team/cases/{case.pk}/").content.decode()
    assert "与登记时的摘要不一致" in page
    # A lapsed investigator cannot be one of the two at the end of the investigation.
    Officer.objects.filter(pk=b.pk).update(certificate_valid_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(Conflict, match="不足两名"):
        proc.submit(actor=a.user, case_id=case.pk, findings="x", party_kind="person", party_name="王某",
                    level="minor", penalty_types=["fine"], base="400000", fine="20000")


def test_a_major_case_needs_legal_review_by_someone_outside_the_case(cast, xxk):
    case, squad, a, b = investigated(cast, xxk, at=None)
    assert case.status == "review" and case.major and case.proposed_fine == Decimal("20000.00")
    with pytest.raises(Conflict, match="法制审核"):
        proc.notify(actor=squad.leader, case_id=case.pk)
    with pytest.raises(PermissionDenied, match="法制审核人员"):
        proc.legal_review(actor=a.user, case_id=case.pk, passed=True, opinion="同意")
    with pytest.raises(ValidationError, match="审核意见"):
        proc.legal_review(actor=reviewer(xxk), case_id=case.pk, passed=True, opinion=" ")
    proc.legal_review(actor=reviewer(xxk), case_id=case.pk, passed=True,
                      opinion="事实清楚，证据确凿，适用依据正确，程序合法，裁量适当")
    done = proc.notify(actor=squad.leader, case_id=case.pk)
    assert done.status == "notice" and done.documents.filter(kind="notice").exists()
    number = done.documents.get(kind="notice").number
    assert number.startswith("徐霞客综执罚告〔") and number.endswith("号")


def test_the_hearing_window_the_paused_clock_and_a_decision_not_heavier_than_the_notice(cast, xxk):
    t0 = timezone.now() - dt.timedelta(days=40)
    case, squad, a, b = investigated(cast, xxk, at=t0)
    proc.legal_review(actor=reviewer(xxk), case_id=case.pk, passed=True, opinion="同意", at=t0)
    proc.notify(actor=squad.leader, case_id=case.pk, at=t0 + dt.timedelta(days=1))
    with pytest.raises(Conflict, match="期满前不能作出决定"):
        proc.decide(actor=cast.town_leader, case_id=case.pk, outcome="penalty", level="minor",
                    penalty_types=["fine"], base="400000", fine="20000", at=t0 + dt.timedelta(days=2))
    proc.hearing_request(actor=a.user, case_id=case.pk, at=t0 + dt.timedelta(days=3))
    paused = Timer.objects.get(kind="penalty", case_id=case.pk, stage="decide", stopped_at__isnull=True)
    assert paused.paused_at is not None and paused.left is not None
    with pytest.raises(Conflict, match="听证举行后"):
        proc.decide(actor=cast.town_leader, case_id=case.pk, outcome="penalty", level="minor",
                    penalty_types=["fine"], base="400000", fine="20000", at=t0 + dt.timedelta(days=9))
    with pytest.raises(ValidationError, match="七日前"):
        proc.hearing_notice(actor=squad.leader, case_id=case.pk, hearing_at=t0 + dt.timedelta(days=8),
                            place="镇综合执法局听证室", at=t0 + dt.timedelta(days=4))
    proc.hearing_notice(actor=squad.leader, case_id=case.pk, hearing_at=t0 + dt.timedelta(days=12),
                        place="镇综合执法局听证室", at=t0 + dt.timedelta(days=4))
    with pytest.raises(Conflict, match="尚未到时间"):
        proc.hearing_held(actor=squad.leader, case_id=case.pk, record="x", at=t0 + dt.timedelta(days=11))
    proc.hearing_held(actor=squad.leader, case_id=case.pk, record="当事人承认搭建，请求从轻",
                      at=t0 + dt.timedelta(days=12, hours=2))
    resumed = Timer.objects.get(pk=paused.pk)
    assert resumed.paused_at is None and resumed.pauses[-1]["reason"] == "听证"
    filed = PenaltyCase.objects.get(pk=case.pk).filed_at
    assert resumed.due - filed > dt.timedelta(days=98)  # the 9 days of the hearing do not count
    with pytest.raises(Conflict, match="不得重于已告知"):
        proc.decide(actor=cast.town_leader, case_id=case.pk, outcome="penalty", level="minor",
                    penalty_types=["fine"], base="400000", fine="24000", at=t0 + dt.timedelta(days=13))
    with pytest.raises(PermissionDenied, match="中队长"):
        proc.decide(actor=a.user, case_id=case.pk, outcome="penalty", level="minor",
                    penalty_types=["fine"], base="400000", fine="20000", at=t0 + dt.timedelta(days=13))
    done = proc.decide(actor=cast.town_leader, case_id=case.pk, outcome="penalty", level="minor",
                       penalty_types=["fine"], base="400000", fine="20000", at=t0 + dt.timedelta(days=13))
    assert done.status == "decided" and done.documents.get(kind="decision").number.startswith("徐霞客综执罚决〔")


def test_a_fine_outside_the_band_needs_a_reason_and_a_leader_and_never_exceeds_the_law(cast, xxk):
    case, squad, a, b = filed_case(cast, xxk)
    proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, b.pk])
    proc.add_evidence(actor=a.user, case_id=case.pk, kind="inspection", title="现场检查笔录", text="现场搭建彩钢棚")
    common = dict(actor=a.user, case_id=case.pk, findings="未批先建", party_kind="person", party_name="王某",
                  level="minor", penalty_types=["fine"], base="400000")
    with pytest.raises(ValidationError, match="超出「较轻」情形的裁量范围|超出.*裁量范围"):
        proc.submit(**common, fine="30000")
    with pytest.raises(ValidationError, match="法定最高额"):
        proc.submit(**common, fine="50000", exception_reason="情节特别严重")
    with pytest.raises(ValidationError, match="法定处罚种类不包括"):
        proc.submit(**{**common, "penalty_types": ["detention"]}, fine="20000")
    proc.submit(**common, fine="30000", exception_reason="拒不停止建设，持续扩建")
    assert PenaltyCase.objects.get(pk=case.pk).status == "review"


def test_service_payment_late_charge_closing_publishing_archiving(cast, xxk):
    t0 = timezone.now() - dt.timedelta(days=60)
    org = Organisation.objects.filter(region__parent=xxk).first()
    case, squad, a, b = investigated(cast, xxk, at=t0, fine="20000", party_org=org.pk)
    assert case.party_name == org.name and not case.major  # ¥20,000 is not major for an organisation
    proc.notify(actor=squad.leader, case_id=case.pk, at=t0)
    proc.statement(actor=a.user, case_id=case.pk, text="当事人书面表示放弃陈述申辩和听证", waive=True, at=t0)
    decided = proc.decide(actor=squad.leader, case_id=case.pk, outcome="penalty", level="minor",
                          penalty_types=["fine"], base="400000", fine="20000", at=t0 + dt.timedelta(days=1))
    assert decided.publish_due is not None and decided.serve_due is not None
    with pytest.raises(ValidationError, match="送达方式"):
        proc.serve(actor=a.user, case_id=case.pk, method="pigeon", at=t0 + dt.timedelta(days=2))
    served = proc.serve(actor=a.user, case_id=case.pk, method="direct", at=t0 + dt.timedelta(days=2))
    assert served.status == "executing" and served.pay_due is not None
    paid_on = served.pay_due + dt.timedelta(days=10)  # ten days late
    days, charge = proc.late_charge(served.fine, served.pay_due, paid_on)
    assert days == 10 and charge == Decimal("6000.00")  # 3 % × 10 days of ¥20,000
    assert proc.late_charge(served.fine, served.pay_due, served.pay_due + dt.timedelta(days=100))[1] == served.fine
    with pytest.raises(ValidationError, match="应缴 26,000.00 元"):
        proc.pay(actor=a.user, case_id=case.pk, amount="20000", receipt_number="NS2026001", at=paid_on)
    paid = proc.pay(actor=a.user, case_id=case.pk, amount="26000", receipt_number="NS2026001", at=paid_on)
    assert paid.status == "executed" and paid.late_charge == Decimal("6000.00")
    closed = proc.close(actor=squad.leader, case_id=case.pk, at=paid_on)
    with pytest.raises(Conflict, match="先公示再归档"):
        proc.archive(actor=squad.leader, case_id=case.pk, at=paid_on)
    proc.publish(actor=squad.leader, case_id=case.pk, at=paid_on)
    assert proc.archive(actor=squad.leader, case_id=case.pk, at=paid_on).status == "archived"
    public = login(cast.outsider).get("/team/public/").content.decode()
    assert org.name in public and closed.documents.get(kind="decision").number in public
    late = Timer.objects.get(kind="penalty", case_id=case.pk, stage="publish")
    assert late.stopped_at is not None and late.late == (paid_on > late.due)  # the 20 working days on the record
    # A person's penalty is not published, and the credit record of the organisation shows the penalty.
    from shanzhi.inspections import credit

    assert any(e["ref"] == case.number for e in credit.summary(org)["last"])


def test_two_officers_serving_one_decision_one_wins(cast, xxk):
    case, squad, a, b = investigated(cast, xxk, at=timezone.now() - dt.timedelta(days=10), fine="20000")
    proc.legal_review(actor=reviewer(xxk), case_id=case.pk, passed=True, opinion="同意")
    proc.notify(actor=squad.leader, case_id=case.pk)
    proc.statement(actor=a.user, case_id=case.pk, text="放弃", waive=True)
    proc.decide(actor=cast.town_leader, case_id=case.pk, outcome="penalty", level="minor",
                penalty_types=["fine"], base="400000", fine="20000")
    seen = PenaltyCase.objects.get(pk=case.pk).version
    proc.serve(actor=a.user, case_id=case.pk, method="direct", expected_version=seen)
    with pytest.raises(Conflict):
        proc.serve(actor=b.user, case_id=case.pk, method="post", expected_version=seen)
    assert PenaltyCase.objects.get(pk=case.pk).service_method == "direct"


def test_first_violation_no_penalty_and_the_simple_procedure_on_the_spot(cast, xxk):
    squad = Squad.objects.filter(town=xxk).first()
    a, b = members(squad)
    waste = PenaltyItem.objects.get(written_out=True, towns=xxk, violation__startswith="随意倾倒、抛撒或者堆放建筑垃圾（个人）")
    with pytest.raises(ValidationError, match="两名执法人员"):
        proc.simple_penalty(actor=a.user, partner=a.pk, item=waste.pk, party_kind="person", party_name="李某",
                            facts="在河道边倾倒装修垃圾两袋", penalty_type="fine", fine="50")
    with pytest.raises(ValidationError, match="不得超过 200"):
        proc.simple_penalty(actor=a.user, partner=b.pk, item=waste.pk, party_kind="person", party_name="李某",
                            facts="在河道边倾倒装修垃圾两袋", penalty_type="fine", fine="500", level="serious")
    building = unlicensed_building(xxk)
    with pytest.raises(ValidationError, match="不适用简易程序"):
        proc.simple_penalty(actor=a.user, partner=b.pk, item=building.pk, party_kind="person", party_name="李某",
                            facts="x", penalty_type="fine", fine="50")
    spot = proc.simple_penalty(actor=a.user, partner=b.pk, item=waste.pk, party_kind="person", party_name="李某",
                               facts="在河道边倾倒装修垃圾两袋", penalty_type="fine", fine="50", paid_on_spot=True,
                               receipt_number="JS-0012345")
    assert spot.status == "closed" and spot.procedure == "simple" and spot.fine == Decimal("50.00")
    assert spot.documents.get(kind="simple").number.startswith("徐霞客综执简罚〔")
    doc = spot.documents.get(kind="simple")
    page = login(a.user).get(f"/team/cases/{spot.pk}/doc/{doc.pk}/").content.decode()
    assert "当场行政处罚决定书" in page and doc.number in page and "A4" in page
    warning = proc.simple_penalty(actor=a.user, partner=b.pk, item=waste.pk, party_kind="person", party_name="赵某",
                                  facts="乱倒碎砖", penalty_type="warning")
    assert warning.status == "closed" and warning.fine == 0


def test_a_stranger_sees_nothing_and_learns_nothing(cast, xxk):
    case, squad, a, b = filed_case(cast, xxk)
    assert login(cast.outsider).get(f"/team/cases/{case.pk}/").status_code == 404
    resp = login(cast.outsider).post(f"/team/cases/{case.pk}/act/assign/", {"officers": [a.pk, b.pk]})
    assert resp.status_code == 404
    assert not PenaltyCase.objects.get(pk=case.pk).investigators.exists()


# --------------------------------------------------------------------------- an outsider's findings
def test_an_organisation_party_must_be_in_the_registry_and_odd_money_is_refused(cast, xxk):
    case, squad, a, b = filed_case(cast, xxk)
    proc.assign(actor=squad.leader, case_id=case.pk, officers=[a.pk, b.pk])
    proc.add_evidence(actor=a.user, case_id=case.pk, kind="inspection", title="现场检查笔录", text="现场搭建彩钢棚")
    common = dict(actor=a.user, case_id=case.pk, findings="未批先建", level="minor", penalty_types=["fine"],
                  base="400000")
    with pytest.raises(ValidationError, match="统一社会信用代码"):  # a person's name and phone typed as a company
        proc.submit(**common, party_kind="org", party_name="张三丰 13905101234", fine="20000")
    for odd in ("2e4", "2_0000", "٢٠٠٠٠", "20000.004", "2,0,0,0,0"):
        with pytest.raises(ValidationError, match="金额"):
            proc.submit(**common, party_kind="person", party_name="王某", fine=odd)
    with pytest.raises(ValidationError, match="违法程度"):
        proc.submit(**{**common, "level": "<b>x</b>"}, party_kind="person", party_name="王某", fine="20000")
    done = proc.submit(**common, party_kind="person", party_name="王某", fine="２０,０００")
    assert done.proposed_fine == Decimal("20000.00")


def test_whoever_investigated_never_reviews_nor_decides_even_after_a_reassignment(cast, xxk):
    case, squad, a, b = investigated(cast, xxk, at=None)
    proc.send_back(actor=cast.town_leader, case_id=case.pk, reason="补充调查")
    c, d = members(squad, 4)[2:4]
    proc.assign(actor=squad.leader, case_id=case.pk, officers=[c.pk, d.pk])
    proc.submit(actor=c.user, case_id=case.pk, findings="补充后", party_kind="person", party_name="王某",
                level="minor", penalty_types=["fine"], base="400000", fine="20000")
    assert not svc.is_investigator(a.user, PenaltyCase.objects.get(pk=case.pk))
    assert svc.took_part(a.user, PenaltyCase.objects.get(pk=case.pk))
    Officer.objects.filter(pk=a.pk).update(legal_reviewer=True)  # even as the town's legal reviewer
    with pytest.raises(PermissionDenied, match="不得审核本人承办"):
        proc.legal_review(actor=a.user, case_id=case.pk, passed=True, opinion="同意")


def test_a_second_submit_of_the_same_review_is_told_and_long_statements_are_kept(cast, xxk):
    case, squad, a, b = investigated(cast, xxk, at=None)
    seen = PenaltyCase.objects.get(pk=case.pk).version
    proc.legal_review(actor=reviewer(xxk), case_id=case.pk, passed=True, opinion="同意", expected_version=seen)
    with pytest.raises(Conflict):
        proc.legal_review(actor=reviewer(xxk), case_id=case.pk, passed=False, opinion="不同意", expected_version=seen)
    assert PenaltyCase.objects.get(pk=case.pk).legal_passed is True
    proc.notify(actor=squad.leader, case_id=case.pk)
    long = "当事人陈述：" + "因赶工期先建后报，" * 120
    proc.statement(actor=a.user, case_id=case.pk, text=long)
    assert case.steps.filter(action="statement").last().data["text"] == long.strip()
    import datetime as _dt

    proc.hearing_request(actor=a.user, case_id=case.pk)
    with pytest.raises(ValidationError, match="正确的时间"):
        proc.hearing_notice(actor=squad.leader, case_id=case.pk, place="听证室",
                            hearing_at=_dt.datetime(9999, 12, 31, 23, 59, tzinfo=_dt.UTC))
