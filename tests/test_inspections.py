"""双随机一公开: a town's plan draws entities and teams of two inspectors from different squads at
random — never an inspector of the entity's own squad, never one who declared a relation with
it, never an entity inspected on the same matters lately — from a recorded seed by the
published method, so the draw runs again to the same result (and notices a tampered one); a draw
with too few eligible inspectors is refused with the reason and draws nothing; only the drawn
inspectors record a result, once; a problem becomes a lead of the squad (or is referred when the
inspector is not an officer of the town); results feed credit and are published; another town
sees nothing, exactly as if nothing were there."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shanzhi.accounts.models import Department
from shanzhi.cases.errors import Conflict
from shanzhi.enforcement.models import Officer, PenaltyCase, Squad
from shanzhi.inspections import demo, draw
from shanzhi.inspections.models import (
    CreditEvent,
    EntityProfile,
    InspectionMatter,
    Inspector,
    Plan,
    PlanInput,
    Relation,
    Sector,
    Task,
    TaskMember,
)
from shanzhi.inspections.services import plans, registers, results
from shanzhi.registry.models import Organisation

from .conftest import login

pytestmark = pytest.mark.django_db
API = "/api/v1/inspections"


@pytest.fixture
def registers_built(cast):
    """The checklist, the registers and the demo's plans (already there if the demo built them)."""
    demo.build(now=timezone.now())
    return True


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def squads(xxk):
    return list(Squad.objects.filter(town=xxk).select_related("department").order_by("name"))


def bureau(xxk):
    return Department.objects.get(code=f"{xxk.code[:9]}-ZF")


def make_plan(actor, xxk, *, units=None, matters=("SJ-002",), sectors=tuple(Sector.values), **kw):
    today = timezone.localdate()
    options = {"mode": "count", "count": 6, "team_size": 2, "cross_units": True, "recent_days": 180,
               "period_start": today, "period_end": today + dt.timedelta(days=30)} | kw
    return plans.plan_create(
        actor=actor, name="测试抽查计划", region=xxk.pk, department=bureau(xxk).pk,
        units=[u.pk for u in (units if units is not None else [s.department for s in squads(xxk)])],
        matters=list(InspectionMatter.objects.filter(code__in=matters).values_list("pk", flat=True)),
        sectors=list(sectors), **options)


def seed_of(n: int) -> str:
    return f"{n:064x}"


def drawn(plan):
    return list(Task.objects.filter(plan=plan).order_by("seq").prefetch_related("members__inspector"))


def teams(plan):
    return [(t.entity_id, tuple(m.inspector.code for m in t.members.order_by("order"))) for t in drawn(plan)]


# --------------------------------------------------------------------------- the demo
def test_the_demo_fills_the_checklist_the_registers_and_three_plans(registers_built, xxk):
    assert InspectionMatter.objects.count() >= 20
    assert not Organisation.objects.filter(inspection_profile__isnull=True).exists()
    assert Inspector.objects.filter(officer__isnull=False).count() == Officer.objects.count()
    assert Inspector.objects.filter(officer__isnull=True).exists()  # county department staff too
    statuses = set(Plan.objects.values_list("status", flat=True))
    assert {"published", "drawn", "draft"} <= statuses
    published = Plan.objects.filter(status="published").first()
    assert not published.tasks.filter(status="pending").exists()
    assert published.tasks.filter(lead__isnull=False).exists()  # the problem became a lead
    assert CreditEvent.objects.filter(source="inspection").count() == Task.objects.filter(status="done").count()
    assert demo.build(now=timezone.now()) == {}  # a second call does nothing


# --------------------------------------------------------------------------- the draw
def test_teams_of_two_from_different_squads_never_the_entitys_own_squad_nor_a_declared_relation(
        registers_built, cast, xxk):
    squad_of = {s.department.code: s for s in squads(xxk)}
    org = Organisation.objects.filter(region__parent=xxk).order_by("pk").first()
    profile = EntityProfile.objects.get(organisation=org)
    # Every inspector of the other two squads but one declares a relation with ``org``: the
    # draw must then send exactly those not barred.
    others = list(Inspector.objects.filter(department__squad__town=xxk).exclude(department=profile.supervisor)
                  .order_by("code"))
    for inspector in others[:-12]:
        Relation.objects.get_or_create(inspector=inspector, organisation=org, defaults={"kind": "kin", "note": "测试"})
    plan = make_plan(cast.town_leader, xxk, mode="count", count=1000, recent_days=0)
    plans.plan_draw(actor=cast.town_leader, plan_id=plan.pk, seed=seed_of(1))
    tasks = drawn(plan)
    assert len(tasks) == EntityProfile.objects.filter(organisation__region__parent=xxk).count()
    barred = {i.pk for i in others[:-12]}
    for task in tasks:
        members = [m.inspector for m in task.members.order_by("order")]
        assert len(members) == 2 and len({m.department_id for m in members}) == 2
        supervisor = EntityProfile.objects.get(organisation=task.entity).supervisor_id
        assert all(m.department_id != supervisor for m in members)
        assert all(m.department.code in squad_of for m in members)
        if task.entity_id == org.pk:
            assert not barred & {m.pk for m in members}
    loads = {}
    for m in TaskMember.objects.filter(task__plan=plan):
        loads[m.inspector_id] = loads.get(m.inspector_id, 0) + 1
    assert max(loads.values()) <= 2  # about as often as anyone else


def test_the_same_seed_and_input_give_the_same_draw_and_the_check_says_so(registers_built, cast, xxk, client_for):
    plan = make_plan(cast.town_leader, xxk, mode="ratio", ratio="60", recent_days=0)
    plans.plan_draw(actor=cast.town_leader, plan_id=plan.pk, seed=seed_of(42))
    plan.refresh_from_db()
    assert plan.seed == seed_of(42) and plan.method == draw.METHOD and len(plan.input_hash) == 64
    text = plans.stored_input(plan)
    inp = draw.parse(text)
    assert inp.digest() == plan.input_hash
    again = draw.run(plan.seed, inp)
    assert [(a.key, a.inspectors) for a in again] == teams(plan)
    assert draw.result_digest(again) == plan.result_hash
    # The input's order does not matter, only its sets.
    shuffled = draw.parse(text)
    shuffled.entities = tuple(random.Random(3).sample(shuffled.entities, len(shuffled.entities)))
    random.Random(4).shuffle(shuffled.inspectors)
    assert draw.run(plan.seed, shuffled) == again
    assert [a.key for a in draw.run(seed_of(43), inp)] != [a.key for a in again] or len(again) < 3
    check = plans.plan_verify(actor=cast.town_leader, plan_id=plan.pk)
    assert check.same and check.input_ok and check.tasks == len(again)
    page = login(cast.town_leader).post(f"/inspections/plans/{plan.pk}/verify/")
    assert page.status_code == 200 and "复核一致" in page.content.decode()
    assert plan.steps.filter(action="verify").count() == 2
    # The record is kept whatever the registers do afterwards.
    EntityProfile.objects.filter(organisation__region__parent=xxk).update(risk=4)
    assert plans.plan_verify(actor=cast.town_leader, plan_id=plan.pk).same


def test_a_tampered_team_is_caught_by_the_check(registers_built, cast, xxk):
    plan = make_plan(cast.town_leader, xxk, mode="count", count=3, recent_days=0)
    plans.plan_draw(actor=cast.town_leader, plan_id=plan.pk, seed=seed_of(5))
    member = TaskMember.objects.filter(task__plan=plan, order=1).first()
    spare = Inspector.objects.exclude(memberships__task__plan=plan).filter(department=member.inspector.department).first()
    TaskMember.objects.filter(pk=member.pk).update(inspector=spare)
    check = plans.plan_verify(actor=cast.town_leader, plan_id=plan.pk)
    assert not check.same and check.input_ok and check.differences
    page = login(cast.town_leader).post(f"/inspections/plans/{plan.pk}/verify/").content.decode()
    assert "复核不一致" in page


def test_too_few_eligible_inspectors_is_refused_with_the_reason_and_draws_nothing(registers_built, cast, xxk):
    one_squad = [squads(xxk)[0].department]
    plan = make_plan(cast.town_leader, xxk, units=one_squad, recent_days=0)
    version = plan.version
    with pytest.raises(ValidationError, match="只来自 1 个单位") as exc:
        plans.plan_draw(actor=cast.town_leader, plan_id=plan.pk)
    assert exc.value.error_dict["draw"][0].code == "too_few_inspectors"
    # Without the cross-unit rule, the squad's own area is still barred (its daily supervisor).
    plan2 = make_plan(cast.town_leader, xxk, units=one_squad, cross_units=False, mode="count", count=1000,
                      recent_days=0)
    with pytest.raises(ValidationError, match="可选的检查人员不足 2 名"):
        plans.plan_draw(actor=cast.town_leader, plan_id=plan2.pk)
    # Everyone of a unit on leave: the pool itself is too small.
    Inspector.objects.filter(department=one_squad[0]).update(is_active=False)
    plan3 = make_plan(cast.town_leader, xxk, units=one_squad, cross_units=False, recent_days=0)
    with pytest.raises(ValidationError, match="可参加抽取的检查人员只有 0 名"):
        plans.plan_draw(actor=cast.town_leader, plan_id=plan3.pk)
    for p in (plan, plan2, plan3):
        p.refresh_from_db()
        assert p.status == "draft" and not p.seed and not p.tasks.exists()
        assert not PlanInput.objects.filter(plan=p).exists() and not p.steps.filter(action="draw").exists()
    assert plan.version == version
    resp = login(cast.town_leader).post(f"/inspections/plans/{plan.pk}/draw/", {"version": plan.version})
    assert resp.status_code == 400 and "未进行抽取" in resp.content.decode()
    api = post_json(login(cast.town_leader), f"{API}/plans/{plan.pk}/draw", {})
    assert api.status_code == 422 and api.json()["codes"]["draw"] == ["too_few_inspectors"]


def test_entities_inspected_lately_on_the_same_matters_sit_out(registers_built, cast, xxk):
    first = make_plan(cast.town_leader, xxk, matters=("SJ-002", "SJ-007"), mode="count", count=1000,
                      recent_days=0)
    plans.plan_draw(actor=cast.town_leader, plan_id=first.pk, seed=seed_of(7))
    drawn_first = {t.entity_id for t in drawn(first)}
    overlapping = make_plan(cast.town_leader, xxk, matters=("SJ-007",), mode="ratio", ratio="100", recent_days=180)
    stats = plans.preview(overlapping)
    assert stats["excluded_recent"] == len(drawn_first) and stats["eligible"] == 0
    with pytest.raises(ValidationError, match="近 180 天内已被抽查"):
        plans.plan_draw(actor=cast.town_leader, plan_id=overlapping.pk)
    other_matter = make_plan(cast.town_leader, xxk, matters=("SJ-004",), mode="ratio", ratio="100", recent_days=180)
    assert plans.preview(other_matter)["excluded_recent"] == 0


def test_sampling_is_weighted_by_risk_and_credit():
    assert draw.quotas({1: 100, 2: 100, 3: 100, 4: 100}, mode="ratio", ratio_bp=500) == {1: 3, 2: 5, 3: 10, 4: 15}
    assert draw.quotas({1: 10, 2: 0, 3: 3, 4: 1}, mode="ratio", ratio_bp=10000) == {1: 5, 2: 0, 3: 3, 4: 1}
    sizes = {1: 1000, 2: 1000, 3: 100, 4: 10}
    shared = draw.quotas(sizes, mode="count", count=100)
    assert sum(shared.values()) == 100 and shared == {1: 29, 2: 58, 3: 11, 4: 2}
    rates = [shared[lv] / sizes[lv] for lv in draw.LEVELS]
    assert rates == sorted(rates)  # the riskier, the likelier to be drawn
    assert draw.quotas({1: 5, 2: 5}, mode="count", count=50) == {1: 5, 2: 5, 3: 0, 4: 0}
    from shanzhi.inspections.credit import sampling_level

    assert sampling_level(2, "A") == 1 and sampling_level(2, None) == 2 and sampling_level(2, "C") == 3
    assert sampling_level(3, "D") == 4 and sampling_level(1, "A") == 1


def test_the_method_is_the_published_one():
    """A known seed and input give a known result (the method may not drift between versions),
    and step 1 written afresh from the published text selects the same entities."""
    import hashlib

    inp = draw.DrawInput(plan="T", team=2, cross=True, quotas={1: 0, 2: 2, 3: 1, 4: 0},
                         entities=[(1000 + n, 2 if n < 6 else 3, "U1" if n % 2 else "U2") for n in range(10)],
                         inspectors=[(f"JC{n:03d}", f"U{n % 3 + 1}") for n in range(9)],
                         recusals=[("JC002", 1000)])
    seed = "ab" * 32
    result = draw.run(seed, inp)
    assert [(a.key, a.level, a.rank, a.inspectors) for a in result] == [
        (1005, 2, "0baf996344d33047", ("JC008", "JC007")), (1009, 3, "becec47538c53dc9", ("JC005", "JC001")),
        (1002, 2, "c418fe0114dcdaaa", ("JC003", "JC002"))]
    assert inp.digest() == "893df33e86facde3a1e782e1030b062cd6a2f4877b39c4acd842164b5991a1b2"
    assert draw.parse(inp.canonical()).digest() == inp.digest()

    def h(text):
        return hashlib.sha256(text.encode()).digest()

    def below(level, i, m):
        c = 0
        while True:
            v = int.from_bytes(h(f"{seed}|L|{level}|{i}|{c}")[:8], "big")
            if v < 2**64 - 2**64 % m:
                return v % m
            c += 1

    chosen = []
    for level, q in ((2, 2), (3, 1)):
        keys = sorted(k for k, lv, _u in inp.entities if lv == level)
        for i in range(q):
            j = i + below(level, i, len(keys) - i)
            keys[i], keys[j] = keys[j], keys[i]
        chosen += keys[:q]
    assert sorted(chosen, key=lambda k: h(f"{seed}|E|{k}")) == [a.key for a in result]
    assert [h(f"{seed}|E|{a.key}")[:8].hex() for a in result] == [a.rank for a in result]


# --------------------------------------------------------------------------- jurisdiction
def test_another_town_sees_nothing_exactly_like_nothing_there(registers_built, cast, xxk):
    plan = make_plan(cast.town_leader, xxk, recent_days=0)
    outsider = login(cast.outsider)
    for path in (f"/inspections/plans/{plan.pk}/", "/inspections/plans/99999999/"):
        assert outsider.get(path).status_code == 404
    assert outsider.post(f"/inspections/plans/{plan.pk}/draw/").status_code == 404
    with pytest.raises(Http404):
        plans.plan_draw(actor=cast.outsider, plan_id=plan.pk)
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):
        plans.plan_verify(actor=cast.outsider, plan_id=plan.pk)
    missing = outsider.get(f"{API}/plans/99999999")
    hidden = outsider.get(f"{API}/plans/{plan.pk}")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert plan.number not in outsider.get("/inspections/").content.decode()
    # What a write names is resolved the same way: another town's area, departments or squads.
    with pytest.raises(ValidationError, match="不存在或不在您的管辖范围内"):
        make_plan(cast.outsider, xxk)
    huashi_bureau = Department.objects.filter(code__endswith="-ZF", region__name="华士镇").first()
    with pytest.raises(ValidationError, match="执法单位不存在或不在您的管辖范围内"):
        plans.plan_create(actor=cast.outsider, name="x", region=huashi_bureau.region_id, department=huashi_bureau.pk,
                          units=[squads(xxk)[0].department.pk], matters=[InspectionMatter.objects.first().pk],
                          period_start=timezone.localdate(), period_end=timezone.localdate())
    # A grid worker is not on the inspection pages at all.
    assert login(cast.grid_worker).get("/inspections/").status_code == 403


def test_bad_plans_are_refused_field_by_field(registers_built, cast, xxk):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="请从抽查事项清单中选择"):
        make_plan(cast.town_leader, xxk, matters=())
    with pytest.raises(ValidationError, match="0.01% 至 100%"):
        make_plan(cast.town_leader, xxk, mode="ratio", ratio="120")
    with pytest.raises(ValidationError, match="应为整数"):
        make_plan(cast.town_leader, xxk, team_size="２")
    with pytest.raises(ValidationError, match="应在 2 至 5 之间"):
        make_plan(cast.town_leader, xxk, team_size=1)
    with pytest.raises(ValidationError, match="不能早于开始日期"):
        make_plan(cast.town_leader, xxk, period_start=today, period_end=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="抽查事项不存在"):
        plans.plan_create(actor=cast.town_leader, name="x", region=xxk.pk, department=bureau(xxk).pk,
                          units=[squads(xxk)[0].department.pk], matters=["abc", 99999999],
                          period_start=today, period_end=today)
    with pytest.raises(PermissionDenied):
        make_plan(cast.grid_worker, xxk)
    with pytest.raises(PermissionDenied):  # a squad's officer is drawn, does not organise
        make_plan(cast.officer, xxk)
    form = login(cast.town_leader).post("/inspections/plans/new/", {"name": "", "region": xxk.pk,
                                                                    "period_start": "2026-13-01"})
    assert form.status_code == 400 and "日期 2026-13-01 无效" in form.content.decode()
    assert not Plan.objects.filter(name="").exists()


# --------------------------------------------------------------------------- results
def _drawn_plan(cast, xxk, **kw):
    plan = make_plan(cast.town_leader, xxk, recent_days=0, **kw)
    plans.plan_draw(actor=cast.town_leader, plan_id=plan.pk, seed=seed_of(11))
    return plan


def test_only_a_drawn_inspector_records_a_result_and_only_once(registers_built, cast, xxk):
    plan = _drawn_plan(cast, xxk, count=2)
    task = drawn(plan)[0]
    member = task.members.order_by("order").first().inspector.user
    stranger = Inspector.objects.filter(department__squad__town=xxk).exclude(memberships__task=task).first().user
    with pytest.raises(PermissionDenied, match="只有本任务抽中的检查人员"):
        results.task_record(actor=stranger, task_id=task.pk, result="ok")
    with pytest.raises(PermissionDenied, match="只有本任务抽中的检查人员"):
        results.task_record(actor=cast.town_leader, task_id=task.pk, result="ok")
    with pytest.raises(Http404):
        results.task_record(actor=cast.outsider, task_id=task.pk, result="ok")
    with pytest.raises(ValidationError, match="请写明检查情况"):
        results.task_record(actor=member, task_id=task.pk, result="corrected")
    seen = task.version
    done = results.task_record(actor=member, task_id=task.pk, result="ok", expected_version=seen)
    assert done.status == "done" and done.result == "ok" and done.done_by == member
    with pytest.raises(Conflict):
        results.task_record(actor=member, task_id=task.pk, result="ok", expected_version=seen)
    with pytest.raises(Conflict):
        results.task_record(actor=member, task_id=task.pk, result="corrected", findings="再来一次")
    again = login(member).post(f"/inspections/tasks/{task.pk}/result/", {"result": "ok", "version": seen})
    assert again.status_code == 409
    event = CreditEvent.objects.get(source="inspection", ref=task.number)
    assert event.severity == "ok" and event.organisation_id == task.entity_id
    other = drawn(plan)[1]
    assert login(stranger).post(f"/inspections/tasks/{other.pk}/result/", {"result": "ok"}).status_code == 403


def test_a_problem_found_by_an_officer_of_the_town_becomes_a_lead_of_the_squad(registers_built, cast, xxk):
    plan = _drawn_plan(cast, xxk, count=2)
    task = drawn(plan)[0]
    member = task.members.order_by("order").first().inspector.user
    client = login(member)
    page = client.get(f"/inspections/tasks/{task.pk}/").content.decode()
    assert "提交检查结果" in page
    resp = client.post(f"/inspections/tasks/{task.pk}/result/", {
        "result": "problem", "severity": "serious", "findings": "无证经营，现场有过期食品 3 批次", "version": task.version})
    assert resp.status_code == 302
    task.refresh_from_db()
    assert task.referral == "lead" and task.lead.source == "inspection" and task.lead.party_name == task.entity_name
    assert task.lead.registered_by == member and "无证经营" in task.lead.facts and task.lead.town == xxk
    assert CreditEvent.objects.get(ref=task.number).severity == "serious"
    assert task.lead.number in client.get(f"/inspections/tasks/{task.pk}/").content.decode()


def test_a_problem_found_by_a_department_inspector_is_referred_and_an_officer_registers_it(registers_built, cast, xxk):
    county_sj = Department.objects.get(code="JY-SJ")
    # The town leader cannot name a county department as a unit; the county department can.
    with pytest.raises(ValidationError, match="执法单位不存在"):
        make_plan(cast.town_leader, xxk, units=[county_sj])
    handler = Inspector.objects.filter(department=county_sj).first().user
    plan = plans.plan_create(
        actor=handler, name="市场监管抽查", region=xxk.pk, department=county_sj.pk, units=[county_sj.pk],
        matters=list(InspectionMatter.objects.filter(code="SJ-002").values_list("pk", flat=True)),
        sectors=list(Sector.values), mode="count", count=2, cross_units=False, period_start=timezone.localdate(),
        period_end=timezone.localdate() + dt.timedelta(days=20), recent_days=0)
    plans.plan_draw(actor=handler, plan_id=plan.pk, seed=seed_of(12))
    task = drawn(plan)[0]
    inspector = task.members.order_by("order").first().inspector.user
    results.task_record(actor=inspector, task_id=task.pk, result="refused", findings="拒绝提供进货台账，阻碍检查")
    task.refresh_from_db()
    assert task.referral == "referred" and task.lead is None and "执法证" in task.referral_note
    with pytest.raises(PermissionDenied, match="执法队员"):
        results.task_register_lead(actor=inspector, task_id=task.pk)
    lapsed = Officer.objects.filter(squad__town=xxk, certificate_valid_until__lt=timezone.localdate()).first()
    with pytest.raises(PermissionDenied, match="已过期"):
        results.task_register_lead(actor=lapsed.user, task_id=task.pk)
    assert task.number in login(cast.officer).get("/inspections/tasks/").content.decode()
    registered = results.task_register_lead(actor=cast.officer, task_id=task.pk)
    assert registered.referral == "lead" and registered.lead.registered_by == cast.officer
    with pytest.raises(Conflict, match="已登记为执法案源"):
        results.task_register_lead(actor=cast.officer, task_id=task.pk)
    assert PenaltyCase.objects.filter(source="inspection", party_name=task.entity_name).count() == 1


def test_results_are_published_once_all_are_in_and_the_public_sees_no_names(registers_built, cast, xxk):
    cache.clear()
    plan = _drawn_plan(cast, xxk, count=2)
    with pytest.raises(Conflict, match="还有 2 个检查任务未录入结果"):
        plans.plan_publish(actor=cast.town_leader, plan_id=plan.pk)
    from django.test import Client

    anonymous = Client()
    assert anonymous.get(f"/inspections/public/{plan.number}/").status_code == 404
    for task in drawn(plan):
        lead = task.members.order_by("order").first().inspector.user
        results.task_record(actor=lead, task_id=task.pk, result="corrected", findings="灭火器过期，已责令更换")
    member = drawn(plan)[0].members.first().inspector.user
    with pytest.raises(PermissionDenied, match="无权办理"):  # a member of a task sees the plan, not publishes it
        plans.plan_publish(actor=member, plan_id=plan.pk)
    plans.plan_publish(actor=cast.town_leader, plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == "published" and plan.published_at
    page = anonymous.get(f"/inspections/public/{plan.number}/").content.decode()
    assert plan.seed in page and plan.input_hash in page
    names = [str(m.inspector.user) for t in drawn(plan) for m in t.members.all()]
    for t in drawn(plan):
        assert t.entity_name in page and t.members.first().inspector.code in page
    assert not any(n in page for n in names)
    assert plan.number in anonymous.get("/inspections/public/").content.decode()
    body = anonymous.get(f"/inspections/public/{plan.number}/input.txt").content.decode()
    assert draw.parse(body).digest() == plan.input_hash
    api = anonymous.get(f"{API}/public/plans/{plan.number}").json()
    assert api["seed"] == plan.seed and len(api["results"]) == 2 and "name" not in api["results"][0]
    assert "复核抽取" in login(cast.town_leader).get(f"/inspections/plans/{plan.pk}/").content.decode()
    with pytest.raises(PermissionDenied, match="计划已「已公示」"):
        results.task_record(actor=member, task_id=drawn(plan)[0].pk, result="ok")


def test_the_public_pages_are_rate_limited(registers_built, monkeypatch):
    import shanzhi.common.ratelimit as ratelimit

    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.0)
    cache.clear()
    from django.test import Client

    anonymous = Client()
    codes = [anonymous.get("/inspections/public/").status_code for _ in range(125)]
    assert codes[0] == 200 and codes[-1] == 429
    assert anonymous.get("/inspections/public/method/").status_code == 429
    cache.clear()
    method = anonymous.get("/inspections/public/method/").content.decode()
    assert draw.METHOD in method and "def assign_inspectors" in method
    cache.clear()


# --------------------------------------------------------------------------- pages and API
def test_the_pages_make_draw_verify_and_show_a_plan(registers_built, cast, xxk):
    leader = login(cast.town_leader)
    form = leader.get("/inspections/plans/new/").content.decode()
    assert "制定抽查计划" in form and "SJ-002" in form
    matter = InspectionMatter.objects.get(code="SJ-002")
    today = timezone.localdate()
    resp = leader.post("/inspections/plans/new/", {
        "name": "页面制定的计划", "region": xxk.pk, "department": bureau(xxk).pk,
        "units": [s.department.pk for s in squads(xxk)], "matters": [matter.pk], "sectors": list(Sector.values),
        "mode": "count", "count": "3", "team_size": "2", "cross_units": "on", "recent_days": "0",
        "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=10)).isoformat()})
    plan = Plan.objects.get(name="页面制定的计划")
    assert resp.status_code == 302 and resp["Location"] == f"/inspections/plans/{plan.pk}/"
    page = leader.get(resp["Location"]).content.decode()
    assert "随机抽取" in page and "将抽取 3 个" in page
    resp = leader.post(f"/inspections/plans/{plan.pk}/draw/", {"version": plan.version})
    assert resp.status_code == 302
    plan.refresh_from_db()
    page = leader.get(f"/inspections/plans/{plan.pk}/").content.decode()
    assert plan.seed in page and plan.tasks.count() == 3
    assert leader.post(f"/inspections/plans/{plan.pk}/draw/", {"version": 1}).status_code == 409
    member = drawn(plan)[0].members.first().inspector.user
    mine = login(member).get("/inspections/tasks/").content.decode()
    assert drawn(plan)[0].entity_name in mine
    work = login(member).get("/work/").content.decode()
    assert "待检查的抽查任务" in work
    for path in ("/inspections/", "/inspections/matters/", "/inspections/entities/?sector=food&grade=B",
                 "/inspections/inspectors/", "/inspections/public/matters/"):
        assert leader.get(path).status_code == 200, path


def test_the_api_makes_draws_and_records(registers_built, cast, xxk):
    leader = login(cast.town_leader)
    today = timezone.localdate()
    body = {"name": "接口计划", "region": xxk.code, "department": bureau(xxk).code,
            "units": [s.department.code for s in squads(xxk)], "matters": ["SJ-002"], "mode": "count", "count": 2,
            "sectors": list(Sector.values), "recent_days": 0, "period_start": today.isoformat(),
            "period_end": (today + dt.timedelta(days=5)).isoformat()}
    created = post_json(leader, f"{API}/plans", body)
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    assert created.json()["preview"]["to_draw"] == 2
    bad = post_json(leader, f"{API}/plans", body | {"matters": ["NOPE"]})
    assert bad.status_code == 422 and bad.json()["codes"]["matters"] == ["not_found"]
    assert post_json(leader, f"{API}/plans", body | {"team_size": 1}).status_code == 400
    done = post_json(leader, f"{API}/plans/{plan_id}/draw", {"version": created.json()["version"]})
    assert done.status_code == 200 and done.json()["status"] == "drawn" and done.json()["tasks"] == 2
    assert post_json(leader, f"{API}/plans/{plan_id}/draw", {}).status_code == 409
    check = post_json(leader, f"{API}/plans/{plan_id}/verify", {})
    assert check.json()["same"] is True
    tasks = leader.get(f"{API}/plans/{plan_id}/tasks").json()
    task = tasks[0]
    member = Inspector.objects.get(code=task["members"][0]["code"]).user
    inspector = login(member)
    assert any(t["id"] == task["id"] for t in inspector.get(f"{API}/tasks").json())
    forbidden = post_json(leader, f"{API}/tasks/{task['id']}/result", {"result": "ok"})
    assert forbidden.status_code == 403
    ok = post_json(inspector, f"{API}/tasks/{task['id']}/result", {"result": "ok", "version": task["version"]})
    assert ok.status_code == 200 and ok.json()["result"] == "ok"
    assert post_json(inspector, f"{API}/tasks/{task['id']}/result", {"result": "ok"}).status_code == 409
    assert post_json(leader, f"{API}/plans/{plan_id}/publish", {}).status_code == 409
    org = task["organisation_id"]
    summary = leader.get(f"{API}/credit/{org}").json()
    assert summary["by_source"]["inspection"] >= 1
    assert login(cast.outsider).get(f"{API}/credit/{org}").status_code == 404
    listed = leader.get(f"{API}/entities", {"sector": "food", "grade": "B"})
    assert listed.status_code == 200
    assert leader.get(f"{API}/entities", {"grade": "Z"}).status_code == 400


def test_a_conflict_declared_on_the_page_is_honoured(registers_built, cast, xxk):
    officer = Inspector.objects.get(user=cast.officer)
    org = Organisation.objects.filter(region__parent=xxk).exclude(
        inspection_profile__supervisor=officer.department).order_by("pk").first()
    resp = login(cast.officer).post("/inspections/inspectors/", {
        "inspector": officer.pk, "organisation": org.uscc, "kind": "former", "note": "曾在该单位任职"})
    assert resp.status_code == 302
    assert Relation.objects.filter(inspector=officer, organisation=org, is_active=True).exists()
    again = login(cast.officer).post("/inspections/inspectors/", {
        "inspector": officer.pk, "organisation": org.uscc, "kind": "former"})
    assert again.status_code == 400 and "已申报" in again.content.decode()
    with pytest.raises(ValidationError, match="单位不存在或不在您的管辖范围内"):
        registers.relation_declare(actor=cast.officer, inspector=officer.pk, organisation=99999999, kind="kin")
    frozen = plans.freeze(make_plan(cast.town_leader, xxk, recent_days=0, mode="ratio", ratio="100"),
                          timezone.now())
    assert (officer.code, org.pk) in frozen.input.recusals


def test_the_registers_are_kept_on_their_pages(registers_built, cast, xxk):
    from shanzhi.accounts.models import Post, User
    from shanzhi.geo.models import Region

    leader = login(cast.town_leader)
    village = Region.objects.filter(parent=xxk).first()
    new = Organisation.objects.create(name="江阴市霞客新开餐饮有限公司", uscc="91320281MA7TEST01X", industry="住宿和餐饮业",
                                      region=village)
    assert "尚未列入检查对象名录" in leader.get("/inspections/entities/").content.decode()
    assert login(cast.outsider).post("/inspections/entities/fill/").status_code == 302
    assert not EntityProfile.objects.filter(organisation=new).exists()  # not in the outsider's town
    assert leader.post("/inspections/entities/fill/").status_code == 302
    profile = EntityProfile.objects.get(organisation=new)
    assert profile.sector == "food" and profile.is_active
    squad = squads(xxk)[0]
    resp = leader.post(f"/inspections/entities/{new.pk}/", {"sector": "food", "risk": "4",
                                                           "supervisor": squad.department.pk, "is_active": "on"})
    assert resp.status_code == 302
    profile.refresh_from_db()
    assert profile.risk == 4 and profile.supervisor == squad.department and profile.version == 2
    assert login(cast.outsider).get(f"/inspections/entities/{new.pk}/").status_code == 404
    bad = leader.post(f"/inspections/entities/{new.pk}/", {"sector": "space", "risk": "4"})
    assert bad.status_code == 400 and "检查对象类别无效" in bad.content.decode()

    # An inspector from the town's safety office: a certificate is required of non-officers.
    office = Department.objects.get(code=f"{xxk.code[:9]}-AJ")
    clerk = User.objects.create(username="aj_inspector", display_name="安监检查员")
    Post.objects.create(user=clerk, role="dept_handler", department=office)
    page = leader.post("/inspections/inspectors/", {"register": "1", "department": office.pk, "username": "aj_inspector"})
    assert page.status_code == 400 and "须填写执法证号" in page.content.decode()
    stranger = leader.post("/inspections/inspectors/", {"register": "1", "department": office.pk,
                                                        "username": "dispatcher", "certificate_number": "X1",
                                                        "valid_until": "2030-01-01"})
    assert stranger.status_code == 400 and "本单位人员不存在" in stranger.content.decode()
    ok = leader.post("/inspections/inspectors/", {"register": "1", "department": office.pk, "username": "aj_inspector",
                                                  "certificate_number": "苏AJ2026001", "valid_until": "2030-01-01"})
    assert ok.status_code == 302
    inspector = Inspector.objects.get(user=clerk)
    assert inspector.department == office and inspector.code.startswith("JC")
    plan = make_plan(cast.town_leader, xxk, units=[office] + [s.department for s in squads(xxk)], recent_days=0)
    assert inspector.code in dict(plans.freeze(plan, timezone.now()).input.inspectors)
    toggled = leader.post("/inspections/inspectors/", {"toggle": inspector.pk, "active": "0",
                                                       "version": inspector.version})
    assert toggled.status_code == 302 and not Inspector.objects.get(pk=inspector.pk).is_active
    stale = leader.post("/inspections/inspectors/", {"toggle": inspector.pk, "active": "1",
                                                     "version": inspector.version})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert inspector.code not in dict(plans.freeze(plan, timezone.now()).input.inspectors)
