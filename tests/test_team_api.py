"""The team's REST API: a lead, every move of the procedure, the simple procedure and the public
penalty information — scoped like the pages, with the same refusals and codes."""

import json

import pytest
from django.test import Client

from shanzhi.enforcement.models import PenaltyCase, PenaltyItem, Squad

from .conftest import login
from .test_penalty_procedure import members, reviewer, unlicensed_building

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_case_through_the_api_from_lead_to_closed(cast, xxk):
    squad = Squad.objects.filter(town=xxk).first()
    a, b = members(squad)
    officer, leader = login(a.user), login(squad.leader)
    resp = post(officer, "/api/v1/team/leads", {"source": "complaint", "facts": "群众投诉：村道边新建彩钢棚约40平方米",
                                                "party_name": "王某", "address": "马镇村"})
    assert resp.status_code == 201, resp.content
    case = resp.json()
    url = f"/api/v1/team/cases/{case['id']}/actions/"
    assert post(leader, url + "file", {"version": case["version"], "item_code": "nope"}).status_code == 422
    item = unlicensed_building(xxk)
    filed = post(leader, url + "file", {"version": case["version"], "item_code": item.code})
    assert filed.status_code == 200 and filed.json()["status"] == "filed"
    assert filed.json()["documents"][0]["number"].startswith("徐霞客综执立〔")
    stale = post(leader, url + "decline", {"version": case["version"], "note": "重复"})
    assert stale.status_code == 409
    assert post(leader, url + "assign", {"officers": [a.pk]}).json()["code"] == "refused"
    assert post(leader, url + "assign", {"officers": [a.pk, b.pk]}).status_code == 200
    ev = post(officer, url + "evidence", {"evidence_kind": "inquiry", "title": "询问笔录", "text": "问：是否办理许可？答：没有。"})
    assert ev.status_code == 200 and ev.json()["evidence"][0]["intact"] and len(ev.json()["evidence"][0]["sha256"]) == 64
    outside = post(officer, url + "submit", {"findings": "未批先建", "party_kind": "person", "party_name": "王某",
                                             "level": "minor", "penalty_types": ["fine"], "base": "400000",
                                             "fine": "99999"})
    assert outside.status_code == 422 and outside.json()["codes"]["fine"] == ["outside_band"]
    ok = post(officer, url + "submit", {"findings": "未批先建", "party_kind": "person", "party_name": "王某",
                                        "level": "minor", "penalty_types": ["fine"], "base": "400000", "fine": "20000"})
    assert ok.status_code == 200 and ok.json()["major"]
    assert post(login(reviewer(xxk)), url + "legal_review", {"passed": True, "note": "同意"}).status_code == 200
    assert post(leader, url + "notify", {}).json()["status"] == "notice"
    assert post(officer, url + "statement", {"text": "放弃陈述申辩和听证", "waive": True}).status_code == 200
    decided = post(login(cast.town_leader), url + "decide", {"outcome": "penalty", "level": "minor",
                                                            "penalty_types": ["fine"], "base": "400000", "fine": "20000"})
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    assert post(officer, url + "serve", {"method": "direct"}).json()["status"] == "executing"
    detail = officer.get(f"/api/v1/team/cases/{case['id']}").json()
    assert detail["amount_due"] == "20000.00"
    wrong = post(officer, url + "pay", {"amount": "100", "receipt_number": "R1"})
    assert wrong.status_code == 422 and "应缴 20,000.00 元" in wrong.json()["errors"]["amount"][0]
    assert post(officer, url + "pay", {"amount": "20000", "receipt_number": "R1"}).json()["status"] == "executed"
    assert post(leader, url + "close", {}).json()["status"] == "closed"
    assert post(leader, url + "publish", {}).json()["code"] == "not_published_kind"  # a person's penalty
    # Another town's staff: the same answer as a case that does not exist.
    stranger = login(cast.outsider)
    assert stranger.get(f"/api/v1/team/cases/{case['id']}").status_code == 404
    assert post(stranger, url + "archive", {}).status_code == 404
    assert stranger.get(f"/api/v1/team/cases/{10**9}").status_code == 404
    assert case["number"] not in json.dumps(stranger.get("/api/v1/team/cases").json())


def test_the_simple_procedure_and_the_public_list_over_the_api(cast, xxk):
    squad = Squad.objects.filter(town=xxk).first()
    a, b = members(squad)
    waste = PenaltyItem.objects.get(written_out=True, towns=xxk, violation__startswith="随意倾倒、抛撒或者堆放建筑垃圾（个人）")
    over = post(login(a.user), "/api/v1/team/simple", {
        "partner_officer_id": b.pk, "item_code": waste.code, "party_kind": "person", "party_name": "李某",
        "facts": "倾倒装修垃圾", "penalty_type": "fine", "fine": "300", "level": "serious"})
    assert over.status_code == 422 and over.json()["codes"]["fine"] == ["above_simple_max"]
    ok = post(login(a.user), "/api/v1/team/simple", {
        "partner_officer_id": b.pk, "item_code": waste.code, "party_kind": "person", "party_name": "李某",
        "facts": "倾倒装修垃圾", "penalty_type": "fine", "fine": "50", "paid_on_spot": True, "receipt_number": "R9"})
    assert ok.status_code == 201 and ok.json()["status"] == "closed"
    public = Client().get("/api/v1/team/published").json()
    published = PenaltyCase.objects.filter(published_at__isnull=False)
    assert len(public) == min(50, published.count())
    assert all(row["uscc"] and "某" not in row["party_name"] for row in public)  # organisations only
    assert all(set(row) >= {"decision_number", "fine", "authority"} for row in public)
