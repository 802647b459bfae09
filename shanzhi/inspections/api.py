"""REST endpoints for random inspections (双随机一公开) and credit, under /api/v1/inspections/.

Reads go through the caller's jurisdiction; what a write names (the area, the departments, the
matters, a plan, a task, an organisation) is resolved inside the service through the same scope,
so one outside it is answered like one that does not exist. Status codes as in
``shanzhi.api.schemas``: a draw that cannot be made (too few eligible inspectors, nothing to draw)
is 422 with the reason, and nothing is drawn; someone else having acted first is 409.
The public endpoints (published plans, results and draw inputs) carry no personal data and are
rate-limited per source address.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from ninja import Field, Path, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from shanzhi.api import schemas
from shanzhi.common.ratelimit import client_ip, hit

from . import credit
from .kind import PLAN, TASK
from .models import Grade, Plan, Relation, Result, Sector, Task, TaskMember
from .selectors import (
    departments_for,
    entities_for,
    inspectors_for,
    matters_for,
    my_tasks,
    organisations_for,
    plan_regions,
    published_plans,
)
from .services import plans as plan_svc
from .services import registers
from .services import results as result_svc
from .states import PlanStatus, TaskStatus

router = Router(tags=["inspections"])
public = Router(tags=["inspections"], auth=None)

NoControl = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
PlanNumber = Path(..., min_length=1, max_length=30, pattern=r"^[0-9A-Za-z\-]+$")
PUBLIC_ERRORS = {400: schemas.ErrorOut, 404: schemas.ErrorOut, 422: schemas.ErrorOut, 429: schemas.ErrorOut}


def _throttle(request, limit: int = 120) -> None:
    if not hit(f"api-inspections:{client_ip(request)}", limit, 60):
        raise HttpError(429, "请求过于频繁，请稍后再试")


# --------------------------------------------------------------------------- the checklist and registers
class MatterOut(Schema):
    id: int
    code: str
    name: str
    department: str
    department_code: str
    sector: str
    method: str
    content: str
    legal_basis: str


@router.get("/matters", response={200: list[MatterOut], **schemas.READ_LIST}, summary="抽查事项清单（可用于本人计划的）")
def matters(request):
    return [{"id": m.pk, "code": m.code, "name": m.name, "department": m.department.name,
             "department_code": m.department.code, "sector": m.sector, "method": m.method, "content": m.content,
             "legal_basis": m.legal_basis} for m in matters_for(request.user).order_by("code")]


class EntityOut(Schema):
    organisation_id: int
    name: str
    uscc: str
    town: str
    sector: str
    risk: int
    grade: str
    supervisor: str | None
    is_active: bool


class EntityQuery(Schema):
    sector: Literal[tuple(Sector.values)] | None = None  # type: ignore[valid-type]
    risk: int | None = Field(None, ge=1, le=4)
    grade: Literal[tuple(Grade.values)] | None = None  # type: ignore[valid-type]
    town: schemas.TownCode | None = None
    q: str = Field("", max_length=40, pattern=NoControl)
    limit: schemas.Limit = 50
    offset: schemas.Offset = 0


@router.get("/entities", response={200: list[EntityOut], **schemas.READ_LIST},
            summary="检查对象名录（按类别、风险等级、信用等级、镇街筛选）")
def entities(request, params: Query[EntityQuery]):
    qs = entities_for(request.user).select_related("organisation__region__parent")
    if params.sector:
        qs = qs.filter(sector=params.sector)
    if params.risk:
        qs = qs.filter(risk=params.risk)
    if params.grade == Grade.B:
        qs = qs.filter(Q(organisation__credit__grade=Grade.B) | Q(organisation__credit__isnull=True))
    elif params.grade:
        qs = qs.filter(organisation__credit__grade=params.grade)
    if params.town:
        qs = qs.filter(organisation__region__parent__code=params.town)
    q = params.q.strip()
    if q:
        qs = qs.filter(Q(organisation__name__contains=q) | Q(organisation__uscc=q.upper()))
    out = []
    for p in qs.order_by("organisation_id")[params.offset: params.offset + params.limit]:
        org = p.organisation
        record = getattr(org, "credit", None)
        out.append({"organisation_id": org.pk, "name": org.name, "uscc": org.uscc,
                    "town": org.region.parent.name if org.region_id and org.region.parent_id else "",
                    "sector": p.sector, "risk": p.risk, "grade": record.grade if record else Grade.B,
                    "supervisor": p.supervisor.code if p.supervisor_id else None, "is_active": p.is_active})
    return out


class InspectorOut(Schema):
    id: int
    code: str
    name: str
    department: str
    department_code: str
    is_active: bool
    certificate_valid_until: dt.date | None


class InspectorQuery(Schema):
    department: str = Field("", max_length=30)
    limit: schemas.Limit = 100
    offset: schemas.Offset = 0


@router.get("/inspectors", response={200: list[InspectorOut], **schemas.READ_LIST}, summary="检查人员名录")
def inspectors(request, params: Query[InspectorQuery]):
    qs = inspectors_for(request.user)
    if params.department:
        qs = qs.filter(department__code=params.department)
    return [{"id": i.pk, "code": i.code, "name": str(i.user), "department": i.department.name,
             "department_code": i.department.code, "is_active": i.is_active,
             "certificate_valid_until": i.officer.certificate_valid_until if i.officer_id else i.certificate_valid_until}
            for i in qs.order_by("code")[params.offset: params.offset + params.limit]]


class RelationIn(Schema):
    inspector_code: str = Field(min_length=1, max_length=30)
    uscc: str = Field(min_length=18, max_length=18, pattern=r"^[0-9A-Za-z]{18}$")
    kind: Literal[tuple(Relation.Kind.values)]  # type: ignore[valid-type]
    note: str = Field("", max_length=200, pattern=NoControl)


class RelationOut(Schema):
    id: int
    inspector_code: str
    organisation: str
    kind: str


@router.post("/relations", response={201: RelationOut, **schemas.ACT}, summary="回避申报（本人或名录管理人员）")
def declare(request, payload: RelationIn):
    inspector = inspectors_for(request.user).filter(code=payload.inspector_code).values_list("pk", flat=True).first()
    org = organisations_for(request.user).filter(uscc=payload.uscc.upper()).values_list("pk", flat=True).first()
    r = registers.relation_declare(actor=request.user, inspector=inspector or 0, organisation=org or 0,
                                   kind=payload.kind, note=payload.note)
    return Answer(201, {"id": r.pk, "inspector_code": r.inspector.code, "organisation": r.organisation.name,
                        "kind": r.kind})


class CreditEventOut(Schema):
    source: str
    source_label: str
    ref: str
    at: dt.datetime
    severity: str
    severity_label: str
    note: str


class CreditOut(Schema):
    organisation_id: int
    name: str
    grade: str
    grade_label: str
    score: int
    review_at: dt.datetime | None
    counts: dict[str, int]
    by_source: dict[str, int]
    total: int
    last: list[CreditEventOut]


@router.get("/credit/{organisation_id}", response={200: CreditOut, **schemas.READ_ONE},
            summary="单位信用记录：等级、信用分、仍计入的记录、最近记录")
def credit_summary(request, organisation_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    org = organisations_for(request.user).filter(pk=organisation_id).first()
    if org is None:
        raise Http404
    return {"organisation_id": org.pk, "name": org.name, **credit.summary(org)}


# --------------------------------------------------------------------------- plans
class PlanIn(Schema):
    name: str = Field(min_length=1, max_length=120, pattern=NoControl)
    region: str = Field(pattern=r"^\d{12}$", description="抽查范围：镇（街道）或县的 12 位统计用区划代码")
    department: str = Field(min_length=1, max_length=30, description="组织实施部门代码")
    units: list[str] = Field(min_length=1, max_length=50, description="参加抽取的执法单位代码")
    matters: list[str] = Field(min_length=1, max_length=50, description="抽查事项编码")
    sectors: list[Literal[tuple(Sector.values)]] = Field([], description="检查对象类别；留空为所选事项的类别")  # type: ignore[valid-type]
    mode: Literal["ratio", "count"] = "ratio"
    ratio: str | None = Field(None, max_length=8, pattern=r"^\d{1,3}(\.\d{1,2})?$", description="基准比例（%）")
    count: int | None = Field(None, ge=1, le=plan_svc.MAX_COUNT)
    weights: dict[str, int] | None = Field(None, description="各层系数（%），键 1–4；默认 50/100/200/300")
    team_size: int = Field(2, ge=2, le=plan_svc.MAX_TEAM)
    cross_units: bool = True
    recent_days: int = Field(180, ge=0, le=plan_svc.MAX_RECENT_DAYS)
    period_start: dt.date
    period_end: dt.date
    description: str = Field("", max_length=2000, pattern=NoControl)


class PlanOut(Schema):
    id: int
    number: str
    name: str
    status: str
    status_label: str
    region: str
    department: str
    mode: str
    ratio_percent: float | None
    count: int | None
    team_size: int
    cross_units: bool
    recent_days: int
    period_start: dt.date
    period_end: dt.date
    drawn_at: dt.datetime | None
    seed: str
    method: str
    input_hash: str
    result_hash: str
    published_at: dt.datetime | None
    tasks: int
    done: int
    version: int


class PlanDetailOut(PlanOut):
    matters: list[str]
    units: list[str]
    sectors: list[str]
    weights: dict[str, int]
    draw_stats: dict
    preview: dict | None


def _plan_out(p: Plan) -> dict:
    counts = dict(p.tasks.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {"id": p.pk, "number": p.number, "name": p.name, "status": p.status, "status_label": p.get_status_display(),
            "region": p.region.code, "department": p.department.code, "mode": p.mode,
            "ratio_percent": p.ratio_percent, "count": p.count, "team_size": p.team_size, "cross_units": p.cross_units,
            "recent_days": p.recent_days, "period_start": p.period_start, "period_end": p.period_end,
            "drawn_at": p.drawn_at, "seed": p.seed, "method": p.method, "input_hash": p.input_hash,
            "result_hash": p.result_hash, "published_at": p.published_at, "tasks": sum(counts.values()),
            "done": counts.get(TaskStatus.DONE, 0), "version": p.version}


def _plan_detail(p: Plan) -> dict:
    return _plan_out(p) | {
        "matters": list(p.matters.order_by("code").values_list("code", flat=True)),
        "units": list(p.units.order_by("code").values_list("code", flat=True)), "sectors": p.sectors,
        "weights": p.weights, "draw_stats": p.draw_stats or {},
        "preview": plan_svc.preview(p) if p.status == PlanStatus.DRAFT else None}


def _get_plan(request, plan_id: int) -> Plan:
    p = PLAN.visible(request.user).filter(pk=plan_id).first()
    if p is None:
        raise Http404
    return p


def _pks(qs, codes: list[str], field: str = "code") -> list[int]:
    """Codes to ids within what the caller may use; an unknown one becomes 0 ("not found")."""
    found = dict(qs.filter(**{f"{field}__in": codes}).values_list(field, "pk"))
    return [found.get(c, 0) for c in codes]


@router.post("/plans", response={201: PlanDetailOut, 403: schemas.ErrorOut, **schemas.CREATE},
             summary="制定抽查计划（草拟；执法部门、镇街或县级领导）")
def plan_create(request, payload: PlanIn):
    actor = request.user
    region = plan_regions(actor).filter(code=payload.region).values_list("pk", flat=True).first() or 0
    from .selectors import organiser_departments

    department = organiser_departments(actor).filter(code=payload.department).values_list("pk", flat=True).first() or 0
    plan = plan_svc.plan_create(
        actor=actor, name=payload.name, region=region, department=department,
        units=_pks(departments_for(actor), payload.units), matters=_pks(matters_for(actor), payload.matters),
        sectors=payload.sectors, mode=payload.mode, ratio=payload.ratio, count=payload.count, weights=payload.weights,
        team_size=payload.team_size, cross_units=payload.cross_units, recent_days=payload.recent_days,
        period_start=payload.period_start, period_end=payload.period_end, description=payload.description)
    return Answer(201, _plan_detail(Plan.objects.select_related("region", "department").get(pk=plan.pk)))


class PlanQuery(Schema):
    status: Literal[tuple(PlanStatus.values)] | None = None  # type: ignore[valid-type]
    limit: schemas.Limit = 50
    offset: schemas.Offset = 0


@router.get("/plans", response={200: list[PlanOut], **schemas.READ_LIST}, summary="抽查计划（按管辖范围）")
def plans(request, params: Query[PlanQuery]):
    qs = PLAN.visible(request.user)
    if params.status:
        qs = qs.filter(status=params.status)
    return [_plan_out(p) for p in qs.order_by("-period_start", "-id")[params.offset: params.offset + params.limit]]


@router.get("/plans/{plan_id}", response={200: PlanDetailOut, **schemas.READ_ONE}, summary="抽查计划详情与抽取记录")
def plan(request, plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    return _plan_detail(_get_plan(request, plan_id))


class VersionIn(Schema):
    version: int | None = Field(None, ge=1, le=10**9, description="您看到的版本；他人先办理时返回 409")


class CancelIn(VersionIn):
    reason: str = Field(min_length=1, max_length=200, pattern=NoControl)


@router.post("/plans/{plan_id}/draw", response={200: PlanDetailOut, **schemas.ACT},
             summary="随机抽取（每个计划一次；种子由系统生成；检查人员不足时整体不抽取，返回 422）")
def plan_draw(request, payload: VersionIn, plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    _get_plan(request, plan_id)
    p = plan_svc.plan_draw(actor=request.user, plan_id=plan_id, expected_version=payload.version)
    return _plan_detail(Plan.objects.select_related("region", "department").get(pk=p.pk))


class VerifyOut(Schema):
    same: bool
    input_ok: bool
    input_hash: str
    result_hash: str
    tasks: int
    differences: list[str]


@router.post("/plans/{plan_id}/verify", response={200: VerifyOut, **schemas.ACT},
             summary="复核抽取：用记录的种子对抽取底册重新抽取并与已抽取结果比对")
def plan_verify(request, plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    v = plan_svc.plan_verify(actor=request.user, plan_id=plan_id)
    return {"same": v.same, "input_ok": v.input_ok, "input_hash": v.input_hash, "result_hash": v.result_hash,
            "tasks": v.tasks, "differences": v.differences}


@router.post("/plans/{plan_id}/publish", response={200: PlanDetailOut, **schemas.ACT},
             summary="结果公示（全部任务录入结果后）")
def plan_publish(request, payload: VersionIn, plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    _get_plan(request, plan_id)
    p = plan_svc.plan_publish(actor=request.user, plan_id=plan_id, expected_version=payload.version)
    return _plan_detail(Plan.objects.select_related("region", "department").get(pk=p.pk))


@router.post("/plans/{plan_id}/cancel", response={200: PlanDetailOut, **schemas.ACT}, summary="取消计划（草拟时）")
def plan_cancel(request, payload: CancelIn, plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    _get_plan(request, plan_id)
    p = plan_svc.plan_cancel(actor=request.user, plan_id=plan_id, reason=payload.reason,
                             expected_version=payload.version)
    return _plan_detail(Plan.objects.select_related("region", "department").get(pk=p.pk))


TEXT = {"responses": {"200": {"description": "抽取底册（UTF-8 文本）",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}}}


@router.get("/plans/{plan_id}/input", response={200: str, **schemas.READ_ONE}, summary="抽取底册（文本）",
            openapi_extra=TEXT)
def plan_input(request, plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    p = _get_plan(request, plan_id)
    if p.status not in (PlanStatus.DRAWN, PlanStatus.PUBLISHED):
        raise Http404
    return HttpResponse(plan_svc.stored_input(p), content_type="text/plain; charset=utf-8")


# --------------------------------------------------------------------------- tasks
class MemberOut(Schema):
    code: str
    name: str
    department: str
    lead: bool


class TaskOut(Schema):
    id: int
    number: str
    plan_id: int
    plan_number: str
    seq: int
    organisation_id: int
    entity_name: str
    entity_uscc: str
    level: int
    rank: str
    status: str
    due: dt.datetime
    result: str
    result_label: str
    severity: str
    findings: str
    done_at: dt.datetime | None
    referral: str
    lead_number: str | None
    members: list[MemberOut]
    version: int


def _task_out(t: Task) -> dict:
    members = [{"code": m.inspector.code, "name": str(m.inspector.user), "department": m.inspector.department.name,
                "lead": m.order == 1} for m in t.members.all()]
    return {"id": t.pk, "number": t.number, "plan_id": t.plan_id, "plan_number": t.plan.number, "seq": t.seq,
            "organisation_id": t.entity_id, "entity_name": t.entity_name, "entity_uscc": t.entity_uscc,
            "level": t.level, "rank": t.rank, "status": t.status, "due": t.due, "result": t.result,
            "result_label": t.get_result_display() if t.result else "", "severity": t.severity, "findings": t.findings,
            "done_at": t.done_at, "referral": t.referral, "lead_number": t.lead.number if t.lead_id else None,
            "members": members, "version": t.version}


def _with_members(qs):
    return qs.select_related("plan", "lead").prefetch_related("members__inspector__user",
                                                              "members__inspector__department")


class TaskQuery(Schema):
    state: Literal["pending", "done", "all"] = "pending"
    limit: schemas.Limit = 50
    offset: schemas.Offset = 0


@router.get("/tasks", response={200: list[TaskOut], **schemas.READ_LIST}, summary="我的检查任务")
def tasks(request, params: Query[TaskQuery]):
    qs = my_tasks(request.user)
    if params.state == "pending":
        qs = qs.filter(status=TaskStatus.PENDING, plan__status=PlanStatus.DRAWN)
    elif params.state == "done":
        qs = qs.filter(status=TaskStatus.DONE)
    page = _with_members(qs.order_by("due", "plan_id", "seq"))[params.offset: params.offset + params.limit]
    return [_task_out(t) for t in page]


class PlanTaskQuery(Schema):
    result: Literal[tuple(["pending", *Result.values])] | None = None  # type: ignore[misc]
    limit: schemas.Limit = 100
    offset: schemas.Offset = 0


@router.get("/plans/{plan_id}/tasks", response={200: list[TaskOut], **schemas.READ_ONE}, summary="计划的检查任务")
def plan_tasks(request, params: Query[PlanTaskQuery], plan_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    p = _get_plan(request, plan_id)
    qs = TASK.visible(request.user).filter(plan=p)
    if params.result == "pending":
        qs = qs.filter(status=TaskStatus.PENDING)
    elif params.result:
        qs = qs.filter(result=params.result)
    return [_task_out(t) for t in _with_members(qs.order_by("seq"))[params.offset: params.offset + params.limit]]


def _get_task(request, task_id: int) -> Task:
    t = _with_members(TASK.visible(request.user)).filter(pk=task_id).first()
    if t is None:
        raise Http404
    return t


@router.get("/tasks/{task_id}", response={200: TaskOut, **schemas.READ_ONE}, summary="检查任务详情")
def task(request, task_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    return _task_out(_get_task(request, task_id))


class ResultIn(VersionIn):
    result: Literal[tuple(Result.values)]  # type: ignore[valid-type]
    findings: str = Field("", max_length=result_svc.MAX_FINDINGS, pattern=NoControl)
    severity: Literal["minor", "general", "serious", "severe"] | None = Field(
        None, description="发现问题待后续处理时的问题程度（默认一般）")


@router.post("/tasks/{task_id}/result", response={200: TaskOut, **schemas.ACT},
             summary="录入检查结果（本任务的检查人员，一次；发现问题登记或移交执法案源）")
def task_result(request, payload: ResultIn, task_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    _get_task(request, task_id)
    result_svc.task_record(actor=request.user, task_id=task_id, result=payload.result, findings=payload.findings,
                           severity=payload.severity, expected_version=payload.version)
    return _task_out(_get_task(request, task_id))


@router.post("/tasks/{task_id}/lead", response={200: TaskOut, **schemas.ACT},
             summary="把移交的检查发现登记为执法案源（该镇街持证执法队员）")
def task_lead(request, payload: VersionIn, task_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    _get_task(request, task_id)
    result_svc.task_register_lead(actor=request.user, task_id=task_id, expected_version=payload.version)
    return _task_out(_get_task(request, task_id))


# --------------------------------------------------------------------------- public
class PublicPlanOut(Schema):
    number: str
    name: str
    region: str
    department: str
    period_start: dt.date
    period_end: dt.date
    matters: list[str]
    drawn_at: dt.datetime | None
    method: str
    seed: str
    input_hash: str
    result_hash: str
    published_at: dt.datetime | None
    tasks: int


class PublicResultOut(Schema):
    seq: int
    entity_id: int = Field(description="名录编号：抽取底册 E 行的编号")
    entity_name: str
    entity_uscc: str
    result: str
    result_label: str
    done_at: dt.date | None
    inspectors: list[str] = Field(description="检查人员编号（不公示姓名）")
    referred: bool


class PublicPlanDetailOut(PublicPlanOut):
    results: list[PublicResultOut]


def _public_plan_out(p: Plan) -> dict:
    return {"number": p.number, "name": p.name, "region": p.region.name, "department": p.department.name,
            "period_start": p.period_start, "period_end": p.period_end,
            "matters": list(p.matters.order_by("code").values_list("name", flat=True)), "drawn_at": p.drawn_at,
            "method": p.method, "seed": p.seed, "input_hash": p.input_hash, "result_hash": p.result_hash,
            "published_at": p.published_at, "tasks": p.tasks.count()}


class PublicQuery(Schema):
    q: str = Field("", max_length=40, pattern=NoControl)
    limit: schemas.Limit = 20
    offset: schemas.Offset = 0


@public.get("/public/plans", response={200: list[PublicPlanOut], **PUBLIC_ERRORS}, auth=None,
            summary="已公示的抽查计划（公开，按来源地址限流）")
def public_plans(request, params: Query[PublicQuery]):
    _throttle(request)
    qs = published_plans()
    q = params.q.strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(number=q))
    return [_public_plan_out(p) for p in qs[params.offset: params.offset + params.limit]]


class PublicResultQuery(Schema):
    limit: int = Field(500, ge=1, le=5000)
    offset: schemas.Offset = 0


@public.get("/public/plans/{number}", response={200: PublicPlanDetailOut, **PUBLIC_ERRORS}, auth=None,
            summary="抽查结果（公开；检查人员只以编号公示）")
def public_plan(request, params: Query[PublicResultQuery], number: str = PlanNumber):
    _throttle(request)
    p = published_plans().filter(number=number).first()
    if p is None:
        raise Http404
    rows = list(p.tasks.order_by("seq")[params.offset: params.offset + params.limit])
    codes: dict[int, list[str]] = {}
    for task_id, code in TaskMember.objects.filter(task__in=[t.pk for t in rows]).order_by("task_id", "order") \
            .values_list("task_id", "inspector__code"):
        codes.setdefault(task_id, []).append(code)
    labels = dict(Result.choices)
    return _public_plan_out(p) | {"results": [
        {"seq": t.seq, "entity_id": t.entity_id, "entity_name": t.entity_name, "entity_uscc": t.entity_uscc, "result": t.result,
         "result_label": str(labels.get(t.result, "")), "done_at": t.done_at.date() if t.done_at else None,
         "inspectors": codes.get(t.pk, []), "referred": bool(t.referral)} for t in rows]}


@public.get("/public/plans/{number}/input", response={200: str, **PUBLIC_ERRORS}, auth=None,
            summary="抽取底册（公开；用公示的种子和方法可重新运行抽取）", openapi_extra=TEXT)
def public_input(request, number: str = PlanNumber):
    _throttle(request, 30)
    p = published_plans().filter(number=number).first()
    if p is None:
        raise Http404
    return HttpResponse(plan_svc.stored_input(p), content_type="text/plain; charset=utf-8")

