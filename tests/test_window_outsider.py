"""What an outside tester found in the one window, each as the user would notice it: another's
certificates through a typed credit code, a clerk rating their own work, filing at another town's
hall, paper "checked" by the applicant, SMS to any number, kiosk numbers from the internet, 500s
on odd input, a certificate number taken twice, a password equal to the number, what public
verification shows, a signature with extra digits, and a resident shown the staff desks."""

import base64
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from shanzhi.accounts.models import Post, User
from shanzhi.notify.models import Outbox
from shanzhi.onewindow.models import Application, Certificate, ServiceItem
from shanzhi.onewindow.services import certificates

from .conftest import login
from .test_public_report import _clean_cache, last_code  # noqa: F401 — the fixture clears the rate limits

pytestmark = pytest.mark.django_db
API = "/api/v1/window"
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n").decode()


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def resident(mobile="13977771111"):
    user = User.objects.create(username=mobile, mobile=mobile, display_name="好奇的居民")
    Post.objects.create(user=user, role="citizen")
    return user


def org_certificate():
    return Certificate.objects.filter(holder_org__isnull=False, revoked_at__isnull=True).select_related(
        "holder_org").first()


def online_item():
    return ServiceItem.objects.filter(level="handling", is_active=True, online_depth__gte=3,
                                      applicant_kind__in=["organisation", "both"]).first()


def test_typing_a_companys_public_credit_code_gives_no_sight_of_its_certificates(cast, xxk):
    cert = org_certificate()
    nosy = login(resident())
    item = online_item()
    filed = post(nosy, f"{API}/applications", {
        "item_code": item.code, "town": xxk.code, "applicant_name": cert.holder_name, "applicant_kind": "organisation",
        "applicant_id": cert.holder_org.uscc})
    assert filed.status_code == 201
    assert cert.number not in [c["number"] for c in nosy.get(f"{API}/certificates", {"limit": 500}).json()]
    assert nosy.get(f"/window/certificates/{cert.number}/download.json").status_code == 404
    # Nor can it be attached as a material of the application filed in the company's name.
    material = item.materials.first()
    again = post(nosy, f"{API}/applications", {
        "item_code": item.code, "town": xxk.code, "applicant_name": cert.holder_name, "applicant_kind": "organisation",
        "applicant_id": cert.holder_org.uscc,
        "materials": [{"material_id": material.pk, "kind": "certificate", "certificate_number": cert.number}]})
    assert again.status_code == 422


def test_the_clerk_who_filed_it_cannot_rate_it(cast, xxk):
    a = Application.objects.filter(town=xxk, channel="window", rating__isnull=True, submitted_by__isnull=False,
                                   status__in=["completed", "delivered"]).exclude(rating_token="").first()
    clerk = login(a.submitted_by)
    assert post(clerk, f"{API}/applications/{a.pk}/rate", {"level": 5}).status_code == 403
    a.refresh_from_db()
    assert a.rating is None  # the applicant's SMS link still works
    assert "非常满意" in Client().get(f"/window/rate/{a.rating_token}/").content.decode()


def test_the_window_form_files_only_at_ones_own_hall(cast, huashi):
    item = ServiceItem.objects.filter(level="handling", is_active=True, county_wide=True).first()
    before = Application.objects.count()
    resp = login(cast.window_clerk).post(f"/window/applications/new/?item={item.code}", {
        "item_code": item.code, "town": huashi.pk, "applicant_name": "张三", "applicant_id": "110101199003070011",
        **{f"paper_{m.pk}": "1" for m in item.materials.all()}})
    assert resp.status_code == 400 and "受理地" in resp.content.decode()
    assert Application.objects.count() == before


def test_an_online_applicant_cannot_say_the_paper_was_checked(cast, xxk):
    item = online_item()
    org = cast.citizen  # noqa: F841 — the demo resident files for a company of the town
    from shanzhi.registry.models import Organisation

    company = Organisation.objects.filter(region__parent=xxk).first()
    resp = post(login(cast.citizen), f"{API}/applications", {
        "item_code": item.code, "town": xxk.code, "applicant_name": company.name, "applicant_kind": "organisation",
        "applicant_id": company.uscc, "materials": [{"material_id": m.pk, "kind": "paper"} for m in item.materials.all()]})
    assert resp.status_code == 422 and "纸质件只能由窗口或代办人员核验" in json.dumps(resp.json(), ensure_ascii=False)


def test_a_residents_sms_go_to_its_own_confirmed_number_only(cast, xxk):
    user = resident("13977772222")
    item = online_item()
    from shanzhi.registry.models import Organisation

    company = Organisation.objects.filter(region__parent=xxk).first()
    resp = post(login(user), f"{API}/applications", {
        "item_code": item.code, "town": xxk.code, "applicant_name": company.name, "applicant_kind": "organisation",
        "applicant_id": company.uscc, "contact_phone": "13812345678"})
    assert resp.status_code == 201
    from shanzhi.common import crypto

    sent = [crypto.unseal(o.phone_sealed) for o in Outbox.objects.filter(channel="sms", topic="submitted")
            .order_by("-id")[:1]]
    assert sent == ["13977772222"]


def test_the_kiosk_hands_out_numbers_only_inside_the_intranet(cast, xxk):
    from django.test import override_settings

    with override_settings(KIOSK_NETWORKS=()):
        from shanzhi.onewindow.services.queue import kiosk_allowed

        assert kiosk_allowed("10.12.3.4") and kiosk_allowed("127.0.0.1")
        assert not kiosk_allowed("8.8.8.8") and not kiosk_allowed("not-an-ip")
        resp = Client().post(f"/window/halls/{xxk.code}/kiosk/", {"lane": "priority"}, REMOTE_ADDR="8.8.8.8")
        assert resp.status_code == 403


def test_odd_department_values_in_the_review_form_are_bad_input(cast, xxk):
    a = Application.objects.filter(town=xxk, status="reviewing").first()
    for bad in ("abc", "1.5", "99999999999999999999"):
        resp = login(cast.reviewer).post(f"/window/applications/{a.pk}/act/review/",
                                         {"note": "同意", "approve": "1", "department": bad, "version": a.version})
        assert resp.status_code == 400, bad


def test_a_deeply_nested_copy_is_refused_not_a_server_error(cast):
    cert = org_certificate()
    deep = "[" * 5000 + "]" * 5000
    doc = json.dumps({"payload": {"number": cert.number, "x": "X"}, "signature": "ab"}).replace('"X"', deep)
    resp = Client().post("/verify/copy/", {"document": doc})
    assert resp.status_code == 200 and "无法识别的证照文件" in resp.content.decode()


def test_two_type_codes_that_print_alike_never_share_a_number(cast):
    import datetime as dt

    from django.utils import timezone

    taken = Certificate.objects.filter(number__startswith="YYZZ-").values_list("number", flat=True)
    numbers = {certificates.certificate_number("yyzz", timezone.now()) for _ in range(3)}
    numbers |= {certificates.certificate_number("ZZ-YYZZ", timezone.now() + dt.timedelta(seconds=1))}
    assert len(numbers) == 4 and not numbers & set(taken)


def test_a_password_equal_to_the_number_is_refused(cast):
    from shanzhi.accounts.signup import sign_up
    from shanzhi.incidents.services import public

    public.send_code(phone="13977773333", purpose="signup")
    code = last_code("3333")
    with pytest.raises(ValidationError) as err:
        sign_up(phone="13977773333", code=code, name="钱多多", password="13977773333", password2="13977773333")
    assert "password" in err.value.message_dict
    assert not User.objects.filter(mobile="13977773333").exists()


def test_public_verification_half_shows_a_persons_name_and_hides_the_application(cast):
    cert = Certificate.objects.filter(holder_person__isnull=False).first()
    verdict = Client().get(f"{API}/certificates/{cert.number}/verify").json()
    assert verdict["shown"]["holder"] != cert.holder_name and verdict["shown"]["holder"][0] == cert.holder_name[0]
    assert "application" not in verdict["shown"]
    page = Client().get(f"/verify/{cert.number}/").content.decode()
    assert cert.holder_name not in page and (cert.application.number not in page)


def test_a_signature_with_extra_or_recased_digits_does_not_verify(cast):
    cert = org_certificate()
    for sig in (cert.signature + "00ff", cert.signature.upper(), cert.signature[:-2]):
        assert not certificates.verify(cert, payload=cert.payload, signature=sig)[0]
        resp = post(Client(), f"{API}/certificates/verify-copy", {"payload": cert.payload, "signature": sig})
        assert resp.status_code == 400 or not resp.json()["valid"]
    assert certificates.verify(cert, payload=cert.payload, signature=cert.signature)[0]


def test_a_resident_is_not_shown_the_staff_desks(cast):
    page = login(cast.citizen).get("/window/hall/").content.decode()
    nav = page.split('<nav class="main">', 1)[1].split("</nav>", 1)[0]
    assert "网上办事大厅" in nav and "我的证照" in nav
    assert "一网格" not in nav and "基础信息" not in nav and "一中心" not in nav


def test_an_unknown_department_code_reviews_nothing(cast, xxk):
    a = Application.objects.filter(town=xxk, status="reviewing", reviews__state="pending").first()
    pending = a.reviews.filter(state="pending").count()
    resp = post(login(cast.reviewer), f"{API}/applications/{a.pk}/actions/review",
                {"version": a.version, "note": "同意", "department_code": "NO-SUCH"})
    assert resp.status_code == 422 and a.reviews.filter(state="pending").count() == pending
