"""The one window's REST API and the certificate library: a company applies online and forgets a
material, the clerk issues one notice, the company answers, the departments review, the back
office grants, the certificate verifies and an altered copy does not, the company rates — all
through /api/v1/window/. Plus the unhappy paths: stale versions, other towns, bad files,
revocation."""

import base64
import json

import pytest
from django.test import Client

from shanzhi.common.models import AuditLog
from shanzhi.onewindow.models import Application, Certificate, ServiceItem
from shanzhi.registry.models import Organisation

from .conftest import login

pytestmark = pytest.mark.django_db
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n").decode()
API = "/api/v1/window"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def food():
    return ServiceItem.objects.get(name="食品经营许可", variant="新办", level="handling")


def company(xxk):
    return Organisation.objects.filter(region__parent=xxk).first()


def apply_food(client, xxk, *, skip=0):
    item = food()
    org = company(xxk)
    materials = [{"material_id": m.pk, "kind": "file", "filename": f"{m.name}.pdf", "content_base64": PDF}
                 for m in item.materials.all()][: item.materials.count() - skip]
    return post(client, f"{API}/applications", {
        "item_code": item.code, "town": xxk.code, "applicant_name": org.name, "applicant_id": org.uscc,
        "applicant_kind": "organisation", "contact_phone": "13912345678", "materials": materials})


def handler_of(department):
    from shanzhi.accounts.models import User

    return User.objects.filter(posts__department=department, posts__role="dept_handler").first()


def test_the_catalog_is_public_searchable_and_lists_what_to_bring(cast):
    found = Client().get(f"{API}/items", {"q": "宅基地"}).json()
    assert found["total"] >= 1 and any(i["name"] == "农村村民住宅用地审批" for i in found["items"])
    online = Client().get(f"{API}/items", {"online": "true", "limit": 500}).json()
    assert online["items"] and all(i["online_depth"] >= 3 for i in online["items"])
    detail = Client().get(f"{API}/items/{food().code}").json()
    assert detail["legal_basis"].startswith("《中华人民共和国食品安全法》") and len(detail["materials"]) == 4
    assert [s["parallel_group"] for s in detail["review_steps"]] == [1, 2]
    assert Client().get(f"{API}/items/NO-SUCH").status_code == 404
    assert Client().get(f"{API}/items", {"limit": 0}).status_code == 400


def test_a_company_applies_online_forgets_one_answers_the_notice_is_granted_verifies_and_rates(cast, xxk):
    company_client, clerk = login(cast.citizen), login(cast.window_clerk)
    resp = apply_food(company_client, xxk, skip=1)
    assert resp.status_code == 201, resp.content
    a = resp.json()
    assert a["status"] == "submitted" and a["channel"] == "online" and len(a["missing"]) == 1
    assert post(clerk, f"{API}/applications/{a['id']}/actions/accept", {"version": a["version"]}).status_code == 422
    notice = post(clerk, f"{API}/applications/{a['id']}/actions/request_correction",
                  {"version": a["version"], "problems": {}}).json()
    assert notice["status"] == "correcting" and [n["name"] for n in notice["correction_notice"]] == a["missing"]
    missing_id = notice["correction_notice"][0]["material_id"]
    answered = post(company_client, f"{API}/applications/{a['id']}/actions/resubmit", {
        "version": notice["version"], "materials": [{"material_id": missing_id, "kind": "file", "filename": "制度.pdf",
                                                     "content_base64": PDF}]}).json()
    assert answered["status"] == "submitted" and answered["missing"] == []
    accepted = post(clerk, f"{API}/applications/{a['id']}/actions/accept", {"version": answered["version"]}).json()
    assert accepted["status"] == "reviewing" and accepted["promise_due"] < accepted["statute_due"]
    dept = Application.objects.get(pk=a["id"]).reviews.first().department
    handler = login(handler_of(dept))
    version = accepted["version"]
    for _group in (1, 2):
        reviewed = post(handler, f"{API}/applications/{a['id']}/actions/review",
                        {"version": version, "approve": True, "note": "材料齐全，现场符合要求"})
        assert reviewed.status_code == 200, reviewed.content
        version = reviewed.json()["version"]
    granted = post(login(cast.reviewer), f"{API}/applications/{a['id']}/actions/grant",
                   {"version": version, "note": "准予许可"}).json()
    assert granted["status"] == "completed" and granted["granted"] and granted["certificate_number"]
    number = granted["certificate_number"]
    verdict = Client().get(f"{API}/certificates/{number}/verify").json()
    assert verdict["valid"] and verdict["state"] == "valid" and verdict["shown"]["holder"] == company(xxk).name
    cert = Certificate.objects.get(number=number)
    altered = dict(cert.payload, valid_until="2099-12-31")
    copy = post(Client(), f"{API}/certificates/verify-copy", {"payload": altered, "signature": cert.signature}).json()
    assert not copy["valid"] and copy["state"] == "forged" and "篡改" in copy["verdict"]
    honest = post(Client(), f"{API}/certificates/verify-copy", {"payload": cert.payload, "signature": cert.signature})
    assert honest.json()["valid"]
    mine = company_client.get(f"{API}/certificates").json()
    assert number in [c["number"] for c in mine]
    rated = post(company_client, f"{API}/applications/{a['id']}/rate", {"level": 5, "comment": "一次就办好了"})
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    assert post(company_client, f"{API}/applications/{a['id']}/rate", {"level": 1}).status_code == 409
    steps = [s["action"] for s in company_client.get(f"{API}/applications/{a['id']}").json()["steps"]]
    assert steps[:5] == ["submit", "request_correction", "resubmit", "accept", "review"] and "rate" in steps


def test_the_second_of_two_clerks_is_told_and_outsiders_see_nothing(cast, xxk):
    a = apply_food(login(cast.citizen), xxk).json()
    first = post(login(cast.window_clerk), f"{API}/applications/{a['id']}/actions/accept", {"version": a["version"]})
    assert first.status_code == 200
    second = post(login(cast.reviewer), f"{API}/applications/{a['id']}/actions/refuse",
                  {"version": a["version"], "note": "不属于本机关职权"})
    assert second.status_code == 409
    outsider = login(cast.outsider)
    foreign = outsider.get(f"{API}/applications/{a['id']}")
    missing = outsider.get(f"{API}/applications/999999999")
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    assert a["id"] not in [x["id"] for x in outsider.get(f"{API}/applications").json()]
    # The applicant cannot take its own application in.
    other = apply_food(login(cast.citizen), xxk).json()
    assert post(login(cast.citizen), f"{API}/applications/{other['id']}/actions/accept",
                {"version": other["version"]}).status_code == 403
    assert post(login(cast.citizen), f"{API}/applications/{a['id']}/rate", {"level": 5}).status_code == 422


def test_bad_files_and_bad_references_are_refused_and_nothing_is_stored(cast, xxk):
    client = login(cast.citizen)
    org = company(xxk)
    before = Application.objects.count()
    item = food()
    m = item.materials.first()
    base = {"item_code": item.code, "town": xxk.code, "applicant_name": org.name, "applicant_id": org.uscc,
            "applicant_kind": "organisation"}
    exe = base64.b64encode(b"MZ\x90\x00 not a pdf").decode()
    bad = post(client, f"{API}/applications", base | {"materials": [
        {"material_id": m.pk, "kind": "file", "filename": "virus.pdf", "content_base64": exe}]})
    assert bad.status_code == 422 and "不是 PDF" in json.dumps(bad.json(), ensure_ascii=False)
    garbled = post(client, f"{API}/applications", base | {"materials": [
        {"material_id": m.pk, "kind": "file", "content_base64": "%%%"}]})
    assert garbled.status_code == 422
    other_item = ServiceItem.objects.filter(level="handling").exclude(pk=item.pk).first().materials.first()
    foreign = post(client, f"{API}/applications", base | {"materials": [{"material_id": other_item.pk, "kind": "paper"}]})
    assert foreign.status_code == 422
    unknown_cert = post(client, f"{API}/applications", base | {"materials": [
        {"material_id": m.pk, "kind": "certificate", "certificate_number": "NO-SUCH-1"}]})
    assert unknown_cert.status_code == 422
    assert post(client, f"{API}/applications", base | {"town": "999999999999"}).status_code == 422
    assert post(client, f"{API}/applications", base | {"item_code": "NO-SUCH"}).status_code == 422
    assert Application.objects.count() == before
    # A clerk files only at the halls of their own town.
    clerk_elsewhere = post(login(cast.window_clerk), f"{API}/applications",
                           base | {"town": next(t for t in _towns() if t != xxk.code), "channel": "window"})
    assert clerk_elsewhere.status_code == 422


def _towns():
    from shanzhi.geo.models import Region

    return list(Region.objects.filter(level=Region.Level.TOWN).values_list("code", flat=True))


def _granted_certificate(cast, xxk):
    cert = Certificate.objects.filter(application__town=xxk, revoked_at__isnull=True,
                                      application__submitted_by=cast.citizen).first()
    if cert:
        return cert
    cert = Certificate.objects.filter(application__town=xxk, revoked_at__isnull=True).first()
    Application.objects.filter(pk=cert.application_id).update(submitted_by=cast.citizen)
    return cert


def test_the_library_shows_each_their_own_and_revocation_is_audited_and_shown(cast, xxk):
    cert = _granted_certificate(cast, xxk)
    citizen = login(cast.citizen)
    assert cert.number in [c["number"] for c in citizen.get(f"{API}/certificates", {"limit": 500}).json()]
    assert cert.number not in [c["number"] for c in login(cast.outsider).get(f"{API}/certificates",
                                                                              {"q": cert.number}).json()]
    assert post(citizen, f"{API}/certificates/{cert.number}/revoke", {"reason": "不想要了"}).status_code == 403
    assert post(login(cast.outsider), f"{API}/certificates/{cert.number}/revoke",
                {"reason": "恶意注销"}).status_code == 404
    reviewer = login(cast.reviewer)
    assert post(reviewer, f"{API}/certificates/{cert.number}/revoke", {"reason": ""}).status_code == 400
    done = post(reviewer, f"{API}/certificates/{cert.number}/revoke", {"reason": "持证主体申请注销"})
    assert done.status_code == 200 and done.json()["state"] == "revoked"
    assert post(reviewer, f"{API}/certificates/{cert.number}/revoke", {"reason": "再注销"}).status_code == 409
    verdict = Client().get(f"{API}/certificates/{cert.number}/verify").json()
    assert not verdict["valid"] and verdict["state"] == "revoked" and "持证主体申请注销" in verdict["verdict"]
    assert "持证主体申请注销" in Client().get(f"/verify/{cert.number}/").content.decode()
    assert AuditLog.objects.filter(object_id=str(cert.pk), note="注销电子证照").exists()


def test_the_library_pages_list_filter_and_download_with_an_audit(cast, xxk):
    cert = _granted_certificate(cast, xxk)
    citizen = login(cast.citizen)
    page = citizen.get("/window/certificates/", {"state": "valid"}).content.decode()
    assert cert.number in page
    assert "certificate-row" not in login(cast.outsider).get("/window/certificates/", {"q": cert.number}).content.decode()
    assert login(cast.outsider).get(f"/window/certificates/{cert.number}/").status_code == 404
    detail = citizen.get(f"/window/certificates/{cert.number}/").content.decode()
    assert "签名有效" in detail and "注销证照" not in detail  # a holder cannot revoke
    download = citizen.get(f"/window/certificates/{cert.number}/download.json")
    data = json.loads(download.content)
    assert data["signature"] == cert.signature and data["payload"]["number"] == cert.number
    assert AuditLog.objects.filter(action="reveal", object_id=str(cert.pk), note="下载电子证照文件").exists()
    # The copy as downloaded verifies on the public page; the same with one field changed does not.
    ok = Client().post("/verify/copy/", {"document": download.content.decode()}).content.decode()
    assert "签名有效" in ok
    data["payload"]["holder"] = "别人家的公司"
    bad = Client().post("/verify/copy/", {"document": json.dumps(data, ensure_ascii=False)}).content.decode()
    assert "签名校验失败" in bad
    reviewer_page = login(cast.reviewer).get(f"/window/certificates/{cert.number}/").content.decode()
    assert "注销证照" in reviewer_page


def test_a_file_given_before_is_offered_and_reused_but_never_anothers(cast, xxk):
    citizen = login(cast.citizen)
    first = apply_food(citizen, xxk).json()
    licence = next(m for m in first["materials"] if m["name"] == "营业执照")
    page = citizen.get(f"/window/hall/apply/{food().code}/").content.decode()
    assert f'name="prior_{licence["material_id"]}"' in page and first["number"] in page  # offered on the form
    item, org = food(), company(xxk)
    reuse = [{"material_id": licence["material_id"], "kind": "earlier", "earlier_id": licence["submitted_id"]}]
    reuse += [{"material_id": m.pk, "kind": "file", "filename": "x.pdf", "content_base64": PDF}
              for m in item.materials.exclude(pk=licence["material_id"])]
    body = {"item_code": item.code, "town": xxk.code, "applicant_name": org.name, "applicant_id": org.uscc,
            "applicant_kind": "organisation", "materials": reuse}
    second = post(citizen, f"{API}/applications", body)
    assert second.status_code == 201 and second.json()["missing"] == []
    from shanzhi.onewindow.models import SubmittedMaterial

    original = SubmittedMaterial.objects.get(pk=licence["submitted_id"])
    copy = SubmittedMaterial.objects.get(application_id=second.json()["id"], material_id=licence["material_id"])
    assert copy.file.name == original.file.name and copy.sha256 == original.sha256
    # Someone else naming the same company and that file id gets "not found", and nothing is stored.
    before = Application.objects.count()
    from shanzhi.accounts.models import Post, User

    other = User.objects.create(username="13977770000", mobile="13977770000", display_name="另一个居民")
    Post.objects.create(user=other, role="citizen")
    stranger = post(login(other), f"{API}/applications", body)
    assert stranger.status_code == 422 and "以前提交的材料" in json.dumps(stranger.json(), ensure_ascii=False)
    assert Application.objects.count() == before


def test_an_agent_lands_in_the_hall_and_a_department_is_not_offered_a_review_it_gave(cast, xxk):
    agent = login(cast.grid_worker)
    resp = agent.get("/window/")
    assert resp.status_code == 302 and resp["Location"] == "/window/hall/"
    assert "代办：为居民申请" in agent.get("/window/hall/").content.decode()
    a = apply_food(login(cast.citizen), xxk).json()
    accepted = post(login(cast.window_clerk), f"{API}/applications/{a['id']}/actions/accept",
                    {"version": a["version"]}).json()
    dept = Application.objects.get(pk=a["id"]).reviews.first().department
    handler = login(handler_of(dept))
    assert f'action="/window/applications/{a["id"]}/act/review/"' in handler.get(
        f"/window/applications/{a['id']}/").content.decode()
    post(handler, f"{API}/applications/{a['id']}/actions/review", {"version": accepted["version"], "note": "同意"})
    post(handler, f"{API}/applications/{a['id']}/actions/review", {"note": "同意"})  # the second group too
    page = handler.get(f"/window/applications/{a['id']}/").content.decode()
    assert 'act/review/' not in page  # nothing left for this department to give


def test_the_application_list_costs_the_same_for_50_rows_as_for_5(cast, xxk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk = login(cast.reviewer)
    counts, rows = [], []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            rows = clerk.get(f"{API}/applications", {"limit": limit}).json()
        counts.append(len(ctx.captured_queries))
        assert len(rows) == limit
    assert any(r["certificate_number"] for r in rows)  # the numbers are there, from the same query
    assert counts[1] == counts[0]  # no query per application


def test_a_body_that_is_not_json_is_told_so_in_chinese(cast):
    resp = login(cast.citizen).post(f"{API}/applications", "{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["detail"] == "请求体不是有效的 JSON"
