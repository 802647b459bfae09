"""Demo: the checklist of inspection matters (一单), the two registers (两库) filled from the
demo county's organisations, enforcement officers and department staff, and three plans played
through the same services as the pages — one published with its results (one problem became a
lead of the squad), one drawn and being worked, one draft.

``build()`` is safe to call once the squads are seeded, and again (it does nothing the second
time). It takes a few seconds at any demo scale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from django.db import transaction
from django.utils import timezone

MATTERS = [
    # (code, name, department code or "TOWN-ZF", sector, method, legal basis, content)
    ("SJ-001", "食品经营者经营条件和经营过程检查", "JY-SJ", "food", "on_site",
     "《中华人民共和国食品安全法》第五十三条至第五十五条、第一百一十条",
     "许可证件、从业人员健康证明、进货查验记录、贮存条件、过期食品处置"),
    ("SJ-002", "餐饮服务食品安全检查", "JY-SJ", "food", "on_site",
     "《中华人民共和国食品安全法》第五十五条、第五十六条；《餐饮服务食品安全操作规范》",
     "加工制作过程、餐具清洗消毒、食品添加剂使用、原料索证索票"),
    ("SJ-003", "企业公示信息情况检查", "JY-SJ", "trade", "documents",
     "《企业信息公示暂行条例》第十四条、第十七条", "年度报告公示信息、即时公示信息的真实性"),
    ("SJ-004", "经营主体登记事项检查", "JY-SJ", "trade", "on_site",
     "《中华人民共和国市场主体登记管理条例》第三十五条、第四十六条", "住所（经营场所）、经营范围、法定代表人等登记事项"),
    ("SJ-005", "特种设备使用单位安全检查", "JY-SJ", "equipment", "on_site",
     "《中华人民共和国特种设备安全法》第三十二条至第四十二条、第五十七条",
     "使用登记、定期检验、作业人员持证、安全技术档案、应急预案"),
    ("SJ-006", "生产领域产品质量监督抽查", "JY-SJ", "product", "sampling",
     "《中华人民共和国产品质量法》第十五条", "按产品质量监督抽查实施细则抽样检验"),
    ("SJ-007", "计量器具使用情况检查", "JY-SJ", "trade", "on_site",
     "《中华人民共和国计量法》第九条", "强制检定计量器具的登记、检定和使用"),
    ("HB-001", "排污许可证执行情况检查", "JY-HB", "ecology", "on_site",
     "《排污许可管理条例》第二十四条、第三十条", "许可排放浓度和排放量、自行监测、执行报告、台账记录"),
    ("HB-002", "建设项目环境影响评价和“三同时”执行情况检查", "JY-HB", "ecology", "on_site",
     "《中华人民共和国环境影响评价法》第二十五条；《建设项目环境保护管理条例》第十五条至第十九条",
     "环评审批、防治污染设施与主体工程同时设计、施工、投产"),
    ("HB-003", "危险废物规范化环境管理检查", "JY-HB", "hazchem", "on_site",
     "《中华人民共和国固体废物污染环境防治法》第七十八条至第八十一条", "管理计划、申报登记、贮存设施、转移联单"),
    ("YJ-001", "工贸企业安全生产主体责任落实情况检查", "JY-YJ", "safety", "on_site",
     "《中华人民共和国安全生产法》第二十条至第二十五条、第四十一条", "安全管理机构和人员、教育培训、隐患排查治理"),
    ("YJ-002", "危险化学品经营、使用单位安全检查", "JY-YJ", "hazchem", "on_site",
     "《危险化学品安全管理条例》第六条、第二十条至第二十五条", "储存条件、专人管理、出入库核查、应急器材"),
    ("YJ-003", "粉尘涉爆和有限空间作业安全检查", "JY-YJ", "safety", "on_site",
     "《工贸企业粉尘防爆安全规定》；《工贸企业有限空间作业安全规定》", "除尘系统、清扫制度、作业审批、检测通风"),
    ("CG-001", "沿街商户“门前三包”和市容秩序检查", "JY-CG", "city", "on_site",
     "《江苏省城市市容和环境卫生管理条例》第十五条、第二十二条", "门前责任区整洁、占道经营、乱堆乱放"),
    ("CG-002", "户外招牌设施设置情况检查", "JY-CG", "city", "on_site",
     "《江苏省城市市容和环境卫生管理条例》第十四条", "招牌设置规范、安全检测、破损维护"),
    ("CG-003", "餐饮服务经营者油烟排放检查", "JY-CG", "food", "on_site",
     "《中华人民共和国大气污染防治法》第八十一条", "油烟净化设施安装和正常使用、清洗记录"),
    ("ZJ-001", "建筑施工安全生产和文明施工检查", "JY-ZJ", "building", "on_site",
     "《建设工程安全生产管理条例》第二十一条至第二十八条", "安全生产许可、特种作业人员、扬尘防治、临边防护"),
    ("JT-001", "道路货物运输经营者检查", "JY-JT", "transport", "documents",
     "《中华人民共和国道路运输条例》第二十二条至第二十六条", "经营许可、车辆技术档案、驾驶员从业资格"),
    ("RS-001", "用人单位遵守劳动保障法律法规情况检查", "JY-RS", "labour", "documents",
     "《劳动保障监察条例》第十一条", "劳动合同签订、工资支付、工作时间、社会保险"),
    ("MZ-001", "社会组织年度工作报告和活动情况检查", "JY-MZ", "social", "documents",
     "《社会团体登记管理条例》第二十八条", "年度工作报告、活动与章程一致、财务管理"),
    ("ZF-001", "沿街店铺占道经营、乱堆乱放检查（镇综合执法）", "TOWN-ZF", "city", "on_site",
     "《江苏省城市市容和环境卫生管理条例》第二十二条；江苏省赋予乡镇（街道）行政执法事项", "店外经营、占道堆放、门前责任区"),
    ("ZF-002", "餐饮油烟净化设施使用检查（镇综合执法）", "TOWN-ZF", "food", "on_site",
     "《中华人民共和国大气污染防治法》第八十一条；江苏省赋予乡镇（街道）行政执法事项", "油烟净化设施安装、运行和清洗"),
]

# County departments whose own staff are drawn with the squads (and how many).
DEPARTMENT_INSPECTORS = {"JY-SJ": 6, "JY-HB": 4, "JY-YJ": 4}

FINDINGS = {
    "corrected": ["从业人员健康证明过期 1 人，已责令当场停止上岗并补办", "门前堆放纸箱杂物，已责令当场清理",
                  "灭火器压力不足 2 具，已责令三日内更换"],
    "problem": ["店外设置烧烤摊位占用人行道约 12 平方米，经劝阻拒不整改，需立案查处",
                "未按排污许可证规定开展自行监测，近三个月无监测记录"],
    "not_found": ["登记住所为空置厂房，电话无法接通，经营者下落不明"],
}


def built() -> bool:
    from .models import InspectionMatter

    return InspectionMatter.objects.exists()


def build(*, now: dt.datetime | None = None, seed: int = 2026, log=lambda m: None) -> dict:
    """The checklist, the registers and three plans. Needs the demo's departments, organisations
    and squads; returns counts (empty when it was built already)."""
    from shanzhi.notify.services import suppressed

    if built():
        return {}
    now = now or timezone.now()
    rng = random.Random(seed + 31)
    with transaction.atomic(), suppressed():
        counts = {"matters": _matters(), "entities": _entities(rng), "inspectors": _inspectors(now),
                  "relations": _relations(rng, now)}
        counts.update(_plans(now, seed, rng, log))
    return counts


def _showcase():
    from shanzhi.demo import places
    from shanzhi.geo.models import Region

    return Region.objects.get(name=places.SHOWCASE_TOWN, level=Region.Level.TOWN)


def _matters() -> int:
    from shanzhi.accounts.models import Department

    from .models import InspectionMatter

    town = _showcase()
    depts = {d.code: d for d in Department.objects.filter(code__in={m[2] for m in MATTERS} | {f"{town.code[:9]}-ZF"})}
    rows = []
    for code, name, dept, sector, method, basis, content in MATTERS:
        department = depts.get(f"{town.code[:9]}-ZF" if dept == "TOWN-ZF" else dept)
        if department is None:
            continue
        rows.append(InspectionMatter(code=code, name=name, department=department, sector=sector, method=method,
                                     legal_basis=basis, content=content))
    InspectionMatter.objects.bulk_create(rows)
    return len(rows)


def _entities(rng: random.Random) -> int:
    from .models import EntityProfile
    from .services.registers import profiles_fill

    made = profiles_fill()
    # The registry's industry says little of risk: the departments' gradings vary within it.
    changed = []
    for profile in EntityProfile.objects.all().order_by("pk"):
        shift = rng.choices([-1, 0, 1], weights=[20, 65, 15])[0]
        if shift:
            profile.risk = max(1, min(4, profile.risk + shift))
            changed.append(profile)
    EntityProfile.objects.bulk_update(changed, ["risk"], batch_size=2000)
    return made


def _inspectors(now) -> int:
    from shanzhi.accounts.models import Department, Post, User
    from shanzhi.accounts.roles import Role
    from shanzhi.enforcement.models import Officer

    from .models import Inspector

    rows, n = [], 0
    for officer in Officer.objects.select_related("squad").order_by("certificate_number"):
        n += 1
        rows.append(Inspector(user_id=officer.user_id, code=f"JC{n:05d}", department_id=officer.squad.department_id,
                              officer=officer, certificate_number=officer.certificate_number,
                              fields=list(officer.fields or [])))
    template = User.objects.filter(username="officer").values_list("password", flat=True).first() or ""
    today = timezone.localtime(now).date()
    surnames, given = "张王李陈刘周吴徐孙朱胡沈顾钱黄夏蒋杨蔡邵", "伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    staff_rng = random.Random(77)
    for code, count in DEPARTMENT_INSPECTORS.items():
        dept = Department.objects.filter(code=code).first()
        if dept is None:
            continue
        handler = User.objects.filter(posts__department=dept, posts__role=Role.DEPT_HANDLER).order_by("pk").first()
        people = [handler] if handler else []
        for k in range(1, count + (0 if handler else 1)):
            name = staff_rng.choice(surnames) + staff_rng.choice(given) + staff_rng.choice(given)
            user = User.objects.create(username=f"inspector_{code[3:].lower()}_{k:02d}", display_name=name,
                                       password=template, is_active=True)
            Post.objects.create(user=user, role=Role.DEPT_HANDLER, department=dept, title="执法检查人员")
            people.append(user)
        for user in people:
            if Inspector.objects.filter(user=user).exists() or any(r.user_id == user.pk for r in rows):
                continue
            n += 1
            rows.append(Inspector(user=user, code=f"JC{n:05d}", department=dept,
                                  certificate_number=f"苏{code[3:]}{2024000 + n:07d}",
                                  certificate_valid_until=today + dt.timedelta(days=400 + staff_rng.randrange(900)),
                                  fields=[code]))
    Inspector.objects.bulk_create(rows)
    from shanzhi.common.models import ChangeCounter

    ChangeCounter.objects.update_or_create(name="inspector-code", defaults={"value": n})
    return len(rows)


def _relations(rng: random.Random, now) -> int:
    from shanzhi.registry.models import Organisation

    from .models import Inspector, Relation

    town = _showcase()
    orgs = list(Organisation.objects.filter(region__parent=town).order_by("pk")[:200])
    inspectors = list(Inspector.objects.filter(officer__isnull=False).order_by("code"))
    made = 0
    kinds = [Relation.Kind.KIN, Relation.Kind.FORMER, Relation.Kind.INTEREST, Relation.Kind.KIN]
    for kind in kinds:
        if not orgs or not inspectors:
            break
        org, inspector = rng.choice(orgs), rng.choice(inspectors)
        if Relation.objects.filter(inspector=inspector, organisation=org).exists():
            continue
        note = {"kin": "配偶在该单位任财务负责人", "former": "2019 年至 2021 年在该单位任安全员",
                "interest": "本人持有该单位股份"}[kind]
        Relation.objects.create(inspector=inspector, organisation=org, kind=kind, note=note,
                                declared_by=inspector.user)
        made += 1
    return made


def _seed(seed: int, number: str) -> str:
    return hashlib.sha256(f"shanzhi-demo-{seed}-{number}".encode()).hexdigest()


def _plan(*, actor, name, region, department, units, matters, at, start, end, **kw):
    from .models import InspectionMatter
    from .services import plans

    matter_ids = list(InspectionMatter.objects.filter(code__in=matters).values_list("pk", flat=True))
    return plans.plan_create(actor=actor, name=name, region=region.pk, department=department.pk,
                             units=[u.pk for u in units], matters=matter_ids, period_start=start, period_end=end,
                             at=at, **kw)


def _work(plan, *, rng: random.Random, start: dt.datetime, end: dt.datetime, share: float, problem_at=None) -> int:
    """Results of the drawn tasks, recorded by their lead inspectors (the first a problem that
    becomes a lead, when ``problem_at`` is given)."""
    from .models import Task
    from .services import results

    tasks = list(Task.objects.filter(plan=plan).select_related("entity").prefetch_related("members__inspector__user")
                 .order_by("seq"))
    done = 0
    span = max(1, int((end - start).total_seconds()))
    for k, task in enumerate(tasks):
        if rng.random() > share:
            continue
        members = [m.inspector.user for m in task.members.all()]
        at = start + dt.timedelta(seconds=rng.randrange(span))
        at = at.replace(hour=rng.randint(9, 16), minute=rng.randrange(60))
        if problem_at is not None and k == 0:
            result, findings, at = "problem", rng.choice(FINDINGS["problem"]), problem_at
        else:
            result = rng.choices(["ok", "corrected", "not_found", "no_activity"], weights=[78, 14, 4, 4])[0]
            findings = rng.choice(FINDINGS[result]) if result in FINDINGS else (
                "现场未发现该主体开展本次抽查涉及的经营活动" if result == "no_activity" else "")
        results.task_record(actor=members[0], task_id=task.pk, result=result, findings=findings, at=at)
        done += 1
    return done


def _draw(plan, actor, at, seed: int, log) -> bool:
    """The demo's draws use a seed derived from the demo's own (the product draws with a fresh one)."""
    from django.core.exceptions import ValidationError

    from .services import plans

    try:
        plans.plan_draw(actor=actor, plan_id=plan.pk, at=at, seed=_seed(seed, plan.number))
    except ValidationError as exc:  # a very small county: the plan stays a draft
        log(f"双随机：{plan.name} 未抽取（{'；'.join(exc.messages)}）")
        return False
    return True


def _plans(now, seed: int, rng: random.Random, log) -> dict:
    from shanzhi.accounts.models import Department, User
    from shanzhi.enforcement.models import Squad
    from shanzhi.geo.models import Region

    from .services import plans

    town = _showcase()
    leader = User.objects.filter(username="town_leader").first()
    bureau = Department.objects.filter(code=f"{town.code[:9]}-ZF").first()
    squads = [s.department for s in Squad.objects.filter(town=town).select_related("department").order_by("name")]
    counts = {"plans": 0, "tasks": 0, "results": 0}
    if leader is None or bureau is None or len(squads) < 2:
        log("双随机：缺少镇领导、综合执法局或执法中队，未生成抽查计划")
        return counts
    local = timezone.localtime(now)
    day = local.date()

    def at_day(offset: int, hour: int = 9) -> dt.datetime:
        return local.replace(hour=hour, minute=30, second=0, microsecond=0) + dt.timedelta(days=offset)

    # 1. Published: drawn six weeks ago, worked, one problem registered as a lead, results public.
    p1 = _plan(actor=leader, name=f"{local.year}年度{town.name}经营主体“双随机、一公开”联合抽查（第一批）",
               region=town, department=bureau, units=squads, at=at_day(-50),
               matters=["SJ-001", "SJ-003", "CG-001", "ZF-001", "YJ-001"], start=day - dt.timedelta(days=45),
               end=day - dt.timedelta(days=4), mode="count", count=12, team_size=2, cross_units=True,
               description="镇综合行政执法局会同市场监管、应急管理条线开展，检查组由不同中队执法人员交叉组成。")
    if _draw(p1, leader, at_day(-45, 10), seed, log):
        counts["results"] += _work(p1, rng=rng, start=at_day(-40), end=at_day(-8), share=1.0,
                                   problem_at=at_day(-6, 10))
        plans.plan_verify(actor=leader, plan_id=p1.pk, at=at_day(-3, 15))
        plans.plan_publish(actor=leader, plan_id=p1.pk, at=at_day(-3, 16))
    # 2. Drawn and being worked: entities inspected in the first batch on the same matters sit out.
    p2 = _plan(actor=leader, name=f"{local.year}年度{town.name}安全生产和生态环境“双随机”抽查",
               region=town, department=bureau, units=squads, at=at_day(-12),
               matters=["YJ-001", "YJ-003", "HB-001", "HB-003"], start=day - dt.timedelta(days=10),
               end=day + dt.timedelta(days=30), mode="count", count=8, team_size=2, cross_units=True)
    if _draw(p2, leader, at_day(-10, 10), seed, log):
        counts["results"] += _work(p2, rng=rng, start=at_day(-8), end=at_day(-1), share=0.35)
    # 3. A county department's draft, to be drawn.
    sj = Department.objects.filter(code="JY-SJ").first()
    county = sj.region if sj else None
    handler = User.objects.filter(posts__department=sj, posts__role="dept_handler").order_by("pk").first() if sj else None
    made = [p1, p2]
    if sj and handler and county and county.level == Region.Level.COUNTY:
        yj = Department.objects.filter(code="JY-YJ").first()
        p3 = _plan(actor=handler, name=f"{local.year}年度江阴市特种设备使用单位“双随机”抽查", region=county,
                   department=sj, units=[sj] + ([yj] if yj else []), at=at_day(-2), matters=["SJ-005"],
                   start=day + dt.timedelta(days=3), end=day + dt.timedelta(days=60), mode="ratio", ratio="10",
                   team_size=2, cross_units=bool(yj))
        made.append(p3)
    from .models import Task

    counts["plans"] = len(made)
    counts["tasks"] = Task.objects.filter(plan__in=made).count()
    return counts
