"""One window: the catalog and its guide, applications on the case kernel (correction with a
paused clock, parallel review, special procedures, decisions), SM2-signed certificates and
their public verification, ratings, scoping."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client

from shanzhi.accounts.models import User
from shanzhi.cases.errors import Conflict
from shanzhi.cases.models import Timer
from shanzhi.cases.scan import scan_timers
from shanzhi.common.workcal import WorkingCalendar
from shanzhi.onewindow.models import Application, Certificate, Review, ServiceItem
from shanzhi.onewindow.services import applications as svc
from shanzhi.onewindow.services import certificates
from shanzhi.onewindow.states import Status
from shanzhi.registry.models import Organisation, Person

from .conftest import login

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
MON = dt.datetime(2026, 11, 9, 9, 0, tzinfo=TZ)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def item(name, variant="新办"):
    return ServiceItem.objects.get(name=name, variant=variant, level="handling")


def company(xxk):
    return Organisation.objects.filter(region__parent=xxk).first()


def reviewer_of(item_, department):
    return User.objects.filter(posts__department=department, posts__role="dept_handler").first()


def apply_food(cast, xxk, *, at=MON, skip=None):
    food = item("食品经营许可")
    org = company(xxk)
    materials = {m.pk: pdf(f"{m.name}.pdf") for m in food.materials.all() if m.name != skip}
    return svc.application_submit(actor=cast.citizen, item=food.pk, town=xxk.pk, applicant_name=org.name,
                                  applicant_id=org.uscc, applicant_kind="organisation", contact_phone="13912345678",
                                  channel="online", materials=materials, at=at)


def test_the_catalog_holds_the_sources_228_items_with_their_elements(cast):
    handling = ServiceItem.objects.filter(level="handling")
    assert handling.count() == 228
    food = item("食品经营许可")
    assert food.legal_basis.startswith("《中华人民共和国食品安全法》第三十五条") and food.statutory_days == 20
    assert food.materials.count() == 4 and food.review_steps.count() == 2 and food.certificate_type
    assert food.parent.level == "main" and set(food.parent.children.values_list("variant", flat=True)) >= {"新办", "变更"}
    assert handling.filter(delegated=True).exists() and handling.filter(visits=0).exists()


def test_the_guide_is_public_searchable_and_shows_what_to_bring(cast):
    page = Client().get("/window/guide/", {"q": "宅基地"}).content.decode()
    assert "农村村民住宅用地审批" in page
    code = item("农村村民住宅用地审批").code
    guide = Client().get(f"/window/guide/{code}/").content.decode()
    assert "《中华人民共和国土地管理法》第六十二条" in guide and "村民小组会议讨论意见" in guide
    assert Client().get("/window/guide/NO-SUCH/").status_code == 404


def test_a_company_forgets_a_material_gets_one_notice_and_the_clock_stops_until_it_answers(cast, xxk):
    application = apply_food(cast, xxk, skip="食品安全自查、从业人员健康管理、进货查验记录等食品安全管理制度")
    assert application.status == Status.SUBMITTED and application.accept_due
    with pytest.raises(ValidationError, match="缺少必要材料"):
        svc.application_accept(actor=cast.window_clerk, application_id=application.pk, at=MON + dt.timedelta(hours=1))
    notice = svc.application_request_correction(actor=cast.window_clerk, application_id=application.pk, problems={},
                                                at=MON + dt.timedelta(hours=2))
    assert [i["name"] for i in notice.items] == ["食品安全自查、从业人员健康管理、进货查验记录等食品安全管理制度"]
    application.refresh_from_db()
    assert application.status == Status.CORRECTING and application.corrections == 1
    timer = Timer.objects.get(kind="application", case_id=application.pk, stage="accept")
    assert timer.paused_at is not None
    left = timer.left
    # Days pass while the company gathers the paper: the clock does not run, the scan does nothing.
    assert scan_timers(now=MON + dt.timedelta(days=20))["overdue"] == 0
    missing = next(m for m in application.item.materials.all() if m.name.startswith("食品安全自查"))
    with pytest.raises(ValidationError, match="尚未补正"):
        svc.application_resubmit(actor=cast.citizen, application_id=application.pk, materials={},
                                 at=MON + dt.timedelta(days=7))
    svc.application_resubmit(actor=cast.citizen, application_id=application.pk, materials={missing.pk: pdf()},
                             at=MON + dt.timedelta(days=7))
    application.refresh_from_db()
    back = MON + dt.timedelta(days=7)
    assert application.status == Status.SUBMITTED
    assert application.accept_due == WorkingCalendar("").resume(back, left, "working_days")
    accepted = svc.application_accept(actor=cast.window_clerk, application_id=application.pk,
                                      at=back + dt.timedelta(hours=1))
    assert accepted.status == Status.REVIEWING and accepted.promise_due < accepted.statute_due


def test_parallel_review_then_grant_issues_a_signed_certificate_that_verifies(cast, xxk):
    homestead = item("农村村民住宅用地审批")
    person = Person.objects.filter(region__parent=xxk).first()
    application = svc.application_submit(
        actor=cast.window_clerk, item=homestead.pk, town=xxk.pk, applicant_name=person.name,
        applicant_id=person.id_number, materials={m.pk: "paper" for m in homestead.materials.all()}, at=MON)
    svc.application_accept(actor=cast.window_clerk, application_id=application.pk, at=MON + dt.timedelta(hours=1))
    reviews = list(application.reviews.all())
    assert len(reviews) == 3 and {r.parallel_group for r in reviews} == {1}  # one joint review
    with pytest.raises(ValidationError, match="未出具审查意见"):
        svc.application_grant(actor=cast.reviewer, application_id=application.pk)
    for r in reviews:
        actor = reviewer_of(homestead, r.department)
        svc.application_review(actor=actor, application_id=application.pk, approve=True, opinion="符合一户一宅",
                               at=MON + dt.timedelta(hours=3))
    with pytest.raises(Conflict):
        svc.application_review(actor=reviewer_of(homestead, reviews[0].department), application_id=application.pk,
                               approve=True, opinion="再审一次")
    granted = svc.application_grant(actor=cast.reviewer, application_id=application.pk, note="准予",
                                    at=MON + dt.timedelta(days=1))
    assert granted.status == Status.COMPLETED and granted.granted and not granted.ran_late
    cert = Certificate.objects.get(application=granted)
    assert cert.holder_person == person and certificates.verify(cert)[0]
    page = Client().get(f"/verify/{cert.number}/").content.decode()
    assert "签名有效" in page and person.id_number not in page and cert.key.public_key in page
    assert Client().get(f"/verify/{cert.number}/qr.svg")["Content-Type"] == "image/svg+xml"
    # An altered copy fails: any field changed breaks the signature.
    forged = dict(cert.payload, holder="某某某")
    assert not certificates.verify(cert, payload=forged)[0]
    import json

    resp = Client().post("/verify/copy/", {"document": json.dumps({"payload": forged, "signature": cert.signature},
                                                                  ensure_ascii=False)})
    assert "签名校验失败" in resp.content.decode()
    good = Client().post("/verify/copy/", {"document": json.dumps({"payload": cert.payload, "signature": cert.signature},
                                                                  ensure_ascii=False)})
    assert "签名有效" in good.content.decode()


def test_signing_nonces_and_keys_come_from_a_secure_source(cast, xxk, monkeypatch):
    """gmssl's own nonce comes from Python's ``random``: a signature must not depend on it."""
    import random

    homestead = item("农村村民住宅用地审批")
    key = certificates.issuer_key(homestead.department)
    random.seed(1)
    a = certificates.sign(key, {"n": 1})
    random.seed(1)
    b = certificates.sign(key, {"n": 1})
    assert a != b and certificates.signature_holds(key.public_key, {"n": 1}, a)


def test_a_key_whose_public_half_begins_with_04_still_signs_and_verifies(cast, xxk, monkeypatch):
    """One key in 256 has a public key beginning "04": gmssl's constructor strips that as if it
    were the point marker, so a certificate signed with such a key must still verify."""
    private = "494865af8d1a3503cb2e77e9b89ab6bc34ddcbeb5012f5328d0588ba1218618d"
    monkeypatch.setattr(certificates, "_scalar", lambda: private)
    homestead = item("农村村民住宅用地审批")
    from django.utils import timezone

    from shanzhi.onewindow.models import IssuerKey

    IssuerKey.objects.filter(department=homestead.department).update(retired_at=timezone.now())
    key = certificates.issuer_key(homestead.department)
    assert key.public_key.startswith("04")
    monkeypatch.undo()
    signature = certificates.sign(key, {"n": 1})
    assert certificates.signature_holds(key.public_key, {"n": 1}, signature)
    assert not certificates.signature_holds(key.public_key, {"n": 2}, signature)


def test_without_a_notice_in_five_working_days_the_application_counts_as_accepted(cast, xxk):
    application = apply_food(cast, xxk)
    due = Application.objects.get(pk=application.pk).accept_due
    assert due == WorkingCalendar("").add(MON, 5, "working_days")
    scan_timers(now=due + dt.timedelta(minutes=1))
    application.refresh_from_db()
    assert application.status == Status.REVIEWING and application.accepted_at
    assert application.steps.filter(action="auto_accept", actor__isnull=True).exists()


def test_a_hearing_pauses_both_limits_and_a_denial_gives_its_reason(cast, xxk):
    application = apply_food(cast, xxk)
    svc.application_accept(actor=cast.window_clerk, application_id=application.pk, at=MON + dt.timedelta(hours=1))
    before = Application.objects.get(pk=application.pk)
    svc.application_suspend(actor=cast.reviewer, application_id=application.pk, procedure="hearing",
                            reason="利害关系人申请听证", at=MON + dt.timedelta(days=1))
    assert {t.stage for t in Timer.objects.filter(kind="application", case_id=application.pk, paused_at__isnull=False)} \
        == {"promise", "statute"}
    resumed = svc.application_resume(actor=cast.reviewer, application_id=application.pk, at=MON + dt.timedelta(days=15))
    assert resumed.statute_due > before.statute_due and resumed.promise_due > before.promise_due
    with pytest.raises(ValidationError, match="书面说明理由"):
        svc.application_deny(actor=cast.reviewer, application_id=application.pk, reason=" ")
    denied = svc.application_deny(actor=cast.reviewer, application_id=application.pk, reason="经营场所不符合卫生要求",
                                  at=MON + dt.timedelta(days=16))
    assert denied.granted is False and not Certificate.objects.filter(application=denied).exists()
    html = login(cast.reviewer).get(f"/window/applications/{denied.pk}/doc/decision/").content.decode()
    assert "不予许可" in html and "经营场所不符合卫生要求" in html and "行政复议" in html


def test_posts_and_scope_decide_who_does_what(cast, xxk, huashi):
    application = apply_food(cast, xxk)
    with pytest.raises(PermissionDenied):
        svc.application_accept(actor=cast.citizen, application_id=application.pk)
    with pytest.raises(Http404):
        svc.application_accept(actor=cast.outsider, application_id=application.pk)
    assert login(cast.outsider).get(f"/window/applications/{application.pk}/").status_code == 404
    assert login(cast.citizen).get(f"/window/applications/{application.pk}/").status_code == 200  # the applicant
    svc.application_accept(actor=cast.window_clerk, application_id=application.pk)
    food_review = Review.objects.get(application=application, parallel_group=1)
    wrong = User.objects.filter(posts__role="dept_handler").exclude(posts__department=food_review.department).first()
    with pytest.raises((PermissionDenied, Http404)):
        svc.application_review(actor=wrong, application_id=application.pk, approve=True, opinion="同意")


def test_uploads_are_checked_and_served_only_to_those_who_may_see_them(cast, xxk):
    food = item("食品经营许可")
    org = company(xxk)
    exe = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    before = Application.objects.filter(applicant_name=org.name).count()  # the demo history may hold some
    with pytest.raises(ValidationError, match="不是 PDF"):
        svc.application_submit(actor=cast.citizen, item=food.pk, town=xxk.pk, applicant_name=org.name,
                               applicant_id=org.uscc, applicant_kind="organisation", channel="online",
                               materials={food.materials.first().pk: exe})
    assert Application.objects.filter(applicant_name=org.name).count() == before  # nothing half-stored
    application = apply_food(cast, xxk)
    row = application.materials.first()
    assert login(cast.window_clerk).get(f"/window/materials/{row.pk}/").status_code == 200
    assert login(cast.outsider).get(f"/window/materials/{row.pk}/").status_code == 404
    assert Client().get(f"/window/materials/{row.pk}/").status_code == 302  # to the login


def test_two_clerks_at_once_one_wins_the_other_is_told(cast, xxk):
    application = apply_food(cast, xxk)
    seen = Application.objects.get(pk=application.pk).version
    svc.application_refuse(actor=cast.window_clerk, application_id=application.pk, reason="不属于本机关职权",
                           expected_version=seen)
    with pytest.raises(Conflict):
        svc.application_accept(actor=cast.reviewer, application_id=application.pk, expected_version=seen)


def test_the_window_pages_work_for_a_clerk(cast, xxk):
    application = apply_food(cast, xxk)
    client = login(cast.window_clerk)
    assert application.number in client.get(f"/window/?q={application.number}").content.decode()
    page = client.get(f"/window/applications/{application.pk}/").content.decode()
    assert "受理" in page and "一次性告知补正" in page
    resp = client.post(f"/window/applications/{application.pk}/act/accept/", {"version": application.version})
    assert resp.status_code == 302
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWING
    assert "受理通知书" in client.get(f"/window/applications/{application.pk}/doc/receipt/").content.decode()
    work = client.get("/work/").content.decode()
    assert "办件" in work


def test_a_rating_is_once_and_a_bad_link_is_refused(cast, xxk):
    homestead = item("农村村民住宅用地审批")
    person = Person.objects.filter(region__parent=xxk).first()
    application = svc.application_submit(actor=cast.window_clerk, item=homestead.pk, town=xxk.pk,
                                         applicant_name=person.name, applicant_id=person.id_number,
                                         materials={m.pk: "paper" for m in homestead.materials.all()})
    svc.application_accept(actor=cast.window_clerk, application_id=application.pk)
    for r in application.reviews.all():
        svc.application_review(actor=reviewer_of(homestead, r.department), application_id=application.pk,
                               approve=True, opinion="同意")
    done = svc.application_grant(actor=cast.reviewer, application_id=application.pk)
    resp = Client().post(f"/window/rate/{done.rating_token}/", {"level": "5"})
    assert "感谢" in resp.content.decode()
    again = Client().post(f"/window/rate/{done.rating_token}/", {"level": "1"})
    assert "已评价" in again.content.decode() and Application.objects.get(pk=done.pk).rating == 5
    assert Client().get("/window/rate/nope/").status_code == 404


def test_an_online_application_through_the_hall_page(cast, xxk):
    food = item("食品经营许可")
    org = company(xxk)
    client = login(cast.citizen)
    assert "可全程网办的事项" in client.get("/window/hall/").content.decode()
    data = {"town": xxk.pk, "applicant_kind": "organisation", "applicant_name": org.name, "applicant_id": org.uscc}
    files = {f"file_{m.pk}": pdf() for m in food.materials.all()}
    before = Application.objects.filter(submitted_by=cast.citizen).count()
    resp = client.post(f"/window/hall/apply/{food.code}/", {**data, **files})
    assert resp.status_code == 302
    application = Application.objects.filter(submitted_by=cast.citizen, item=food).latest("id")
    assert resp["Location"].endswith(f"/{application.pk}/") or application.number in resp["Location"]
    assert application.channel == "online" and application.materials.count() == 4
    bad = client.post(f"/window/hall/apply/{food.code}/", {**data, "applicant_id": "123"})
    assert bad.status_code == 400 and Application.objects.filter(submitted_by=cast.citizen).count() == before + 1


def test_correction_notices_of_two_days_with_the_same_serial_keep_their_own_numbers(cast, xxk):
    skip = "食品安全自查、从业人员健康管理、进货查验记录等食品安全管理制度"
    first = apply_food(cast, xxk, skip=skip, at=MON)
    second = apply_food(cast, xxk, skip=skip, at=MON + dt.timedelta(days=1))
    second.number = first.number[:-5].replace("20261109", "20261110") + first.number[-5:]
    Application.objects.filter(pk=second.pk).update(number=second.number)
    later = MON + dt.timedelta(days=1, hours=2)
    a = svc.application_request_correction(actor=cast.window_clerk, application_id=first.pk, problems={}, at=later)
    b = svc.application_request_correction(actor=cast.window_clerk, application_id=second.pk, problems={}, at=later)
    assert a.number != b.number and first.number[2:] in a.number
