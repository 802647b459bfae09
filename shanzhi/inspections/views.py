"""Pages of 双随机一公开: plans (list, new, the plan with draw / verify / publish), my inspection
tasks and the result form, the checklist and the two registers, and the public pages (published
plans with their results, the method, the draw input, the checklist)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from shanzhi.cases.errors import Conflict
from shanzhi.common import params
from shanzhi.common.errors import error_fields, error_text
from shanzhi.common.ratelimit import limit_by_ip
from shanzhi.geo.models import Region

from . import draw
from .kind import PLAN, TASK, may_organise, may_use, roles_of
from .models import (
    Grade,
    InspectionMatter,
    Plan,
    Relation,
    Result,
    Risk,
    Sector,
    Severity,
    Task,
    TaskMember,
)
from .selectors import (
    departments_for,
    entities_for,
    inspectors_for,
    matters_for,
    my_tasks,
    organiser_departments,
    plan_regions,
    published_plans,
    relations_for,
)
from .services import plans as plan_svc
from .services import registers
from .services import results as result_svc
from .services.results import PROBLEM_SEVERITIES
from .states import PlanStatus, TaskStatus

PAGE = 50
PUBLIC_LIMIT = 120


def _staff(request):
    """None when the user may use the staff pages; otherwise the response to give."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not may_use(request.user):
        raise PermissionDenied
    return None


def _refusal(exc) -> tuple[int, str]:
    if isinstance(exc, ValidationError):
        return 400, error_text(exc)
    if isinstance(exc, Conflict):
        return 409, str(exc)
    return 403, str(exc) or _("无权执行此操作")


# --------------------------------------------------------------------------- plans
def index(request):
    if (resp := _staff(request)) is not None:
        return resp
    qs = PLAN.visible(request.user)
    status = request.GET.get("status", "")
    counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if status in PlanStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.annotate(n_tasks=Count("tasks", distinct=True),
                                 n_done=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE), distinct=True))
                     .order_by("-period_start", "-id"), 30).get_page(request.GET.get("page"))
    mine = my_tasks(request.user).filter(status=TaskStatus.PENDING, plan__status=PlanStatus.DRAWN).count()
    return render(request, "inspections/index.html", {
        "page": page, "status": status, "statuses": PlanStatus.choices, "counts": counts, "mine": mine,
        "can_organise": may_organise(request.user), "active": "team"})


def _plan_form_context(request, values, errors=None):
    actor = request.user
    regions = plan_regions(actor).order_by("level", "code")
    departments = organiser_departments(actor).filter(region__level__lte=Region.Level.TOWN).order_by("code")
    units = (departments_for(actor).annotate(n=Count("inspectors", filter=Q(inspectors__is_active=True)))
             .filter(n__gt=0).order_by("code"))
    matters = matters_for(actor).order_by("department__code", "code")
    return {"values": values, "errors": errors or {}, "regions": regions, "departments": departments, "units": units,
            "matters": matters, "sectors": Sector.choices, "modes": Plan.Mode.choices, "active": "team"}


def plan_new(request):
    if (resp := _staff(request)) is not None:
        return resp
    if not may_organise(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    values = {"name": "", "region": "", "department": "", "units": [], "matters": [], "sectors": [],
              "mode": "ratio", "ratio": "5", "count": "", "team_size": "2", "cross_units": True, "recent_days": "180",
              "period_start": today.isoformat(), "period_end": (today + dt.timedelta(days=60)).isoformat(),
              "description": ""}
    if request.method != "POST":
        return render(request, "inspections/plan_new.html", _plan_form_context(request, values))
    post = request.POST
    values = {k: post.get(k, "") for k in values if k not in ("units", "matters", "sectors", "cross_units")}
    values.update(units=post.getlist("units"), matters=post.getlist("matters"), sectors=post.getlist("sectors"),
                  cross_units=post.get("cross_units") == "on")
    try:
        plan = plan_svc.plan_create(
            actor=request.user, name=values["name"], region=values["region"], department=values["department"],
            units=values["units"], matters=values["matters"], sectors=values["sectors"], mode=values["mode"],
            ratio=values["ratio"] or None, count=values["count"] or None, team_size=values["team_size"],
            cross_units=values["cross_units"], recent_days=values["recent_days"],
            period_start=params.day(values["period_start"], "period_start"),
            period_end=params.day(values["period_end"], "period_end"), description=values["description"])
    except ValidationError as exc:
        return render(request, "inspections/plan_new.html",
                      _plan_form_context(request, values, error_fields(exc)), status=400)
    messages.success(request, _("抽查计划 %(n)s 已制定，可以随机抽取") % {"n": plan.number})
    return redirect("inspections:plan", pk=plan.pk)


def _plan_context(request, plan, *, error="", verification=None):
    actor = request.user
    can_act = PLAN.acts_on(actor, plan)
    tasks = plan.tasks.select_related("lead", "town").prefetch_related("members__inspector__user").order_by("seq")
    result = request.GET.get("result", "")
    if result == "pending":
        tasks = tasks.filter(status=TaskStatus.PENDING)
    elif result in Result.values:
        tasks = tasks.filter(result=result)
    page = Paginator(tasks, 100).get_page(request.GET.get("page"))
    tally = dict(plan.tasks.values_list("result").annotate(n=Count("id")).values_list("result", "n"))
    preview = None
    if plan.status == PlanStatus.DRAFT:
        preview = plan_svc.preview(plan)
    return {
        "plan": plan, "page": page, "steps": plan.steps.order_by("at", "id"), "can_act": can_act, "error": error,
        "verification": verification, "preview": preview, "tally": tally, "results": Result.choices,
        "result": result, "done": plan.tasks.filter(status=TaskStatus.DONE).count(),
        "total": plan.tasks.count(), "matters": plan.matters.select_related("department").order_by("code"),
        "units": plan.units.order_by("code"), "sector_labels": [dict(Sector.choices).get(s, s) for s in plan.sectors],
        "levels": _levels(plan), "active": "team"}


LEVEL_LABELS = {1: _l("低"), 2: _l("一般"), 3: _l("较高"), 4: _l("高")}


def _levels(plan):
    labels = LEVEL_LABELS
    stats = (plan.draw_stats or {}).get("levels") or {}
    weights = plan.weights or {}
    return [{"level": lv, "label": labels[lv], "weight": weights.get(str(lv), draw.DEFAULT_WEIGHTS[lv]),
             "eligible": stats.get(str(lv), [None, None])[0], "drawn": stats.get(str(lv), [None, None])[1]}
            for lv in draw.LEVELS]


def plan_detail(request, pk: int):
    if (resp := _staff(request)) is not None:
        return resp
    plan = PLAN.visible(request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return render(request, "inspections/plan.html", _plan_context(request, plan))


@require_POST
def plan_act(request, pk: int, action: str):
    if (resp := _staff(request)) is not None:
        return resp
    plan = PLAN.visible(request.user).filter(pk=pk).first()
    if plan is None or action not in ("draw", "verify", "publish", "cancel"):
        raise Http404
    verification = None
    try:
        version = params.version(request.POST.get("version"))
        if action == "draw":
            plan = plan_svc.plan_draw(actor=request.user, plan_id=pk, expected_version=version)
            messages.success(request, _("已随机抽取 %(n)d 个检查对象，种子已记录，可随时复核") % {"n": plan.tasks.count()})
        elif action == "verify":
            verification = plan_svc.plan_verify(actor=request.user, plan_id=pk)
        elif action == "publish":
            plan_svc.plan_publish(actor=request.user, plan_id=pk, expected_version=version)
            messages.success(request, _("抽查结果已公示"))
        else:
            plan_svc.plan_cancel(actor=request.user, plan_id=pk, reason=request.POST.get("reason", ""),
                                 expected_version=version)
            messages.success(request, _("计划已取消"))
    except (ValidationError, Conflict, PermissionDenied) as exc:
        status, message = _refusal(exc)
        plan.refresh_from_db()
        return render(request, "inspections/plan.html", _plan_context(request, plan, error=message), status=status)
    if verification is not None:
        plan.refresh_from_db()
        return render(request, "inspections/plan.html", _plan_context(request, plan, verification=verification))
    return redirect("inspections:plan", pk=pk)


def _input_response(plan) -> HttpResponse:
    resp = HttpResponse(plan_svc.stored_input(plan), content_type="text/plain; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{plan.number}-input.txt"'
    return resp


def plan_input(request, pk: int):
    """The frozen input of the draw (抽取底册), as the method reads it."""
    if (resp := _staff(request)) is not None:
        return resp
    plan = PLAN.visible(request.user).filter(pk=pk).exclude(status__in=[PlanStatus.DRAFT, PlanStatus.CANCELLED]).first()
    if plan is None:
        raise Http404
    return _input_response(plan)


# --------------------------------------------------------------------------- tasks
def task_list(request):
    if (resp := _staff(request)) is not None:
        return resp
    state = request.GET.get("state", "pending")
    qs = my_tasks(request.user)
    if state == "pending":
        qs = qs.filter(status=TaskStatus.PENDING, plan__status=PlanStatus.DRAWN)
    elif state == "done":
        qs = qs.filter(status=TaskStatus.DONE)
    page = Paginator(qs.prefetch_related("members__inspector__user").order_by("due", "plan_id", "seq"),
                     PAGE).get_page(request.GET.get("page"))
    referred = []
    if "enforcement_officer" in roles_of(request.user):
        referred = TASK.visible(request.user).filter(referral=Task.Referral.REFERRED).order_by("done_at")[:100]
    return render(request, "inspections/tasks.html", {"page": page, "state": state, "referred": referred,
                                                      "now": timezone.now(), "active": "team"})


def _task_context(request, task, *, error="", values=None):
    actor = request.user
    members = list(task.members.select_related("inspector__user", "inspector__department").order_by("order"))
    is_member = any(m.inspector.user_id == actor.pk for m in members)
    can_record = (task.status == TaskStatus.PENDING and task.plan.status == PlanStatus.DRAWN and is_member)
    can_register = False
    if task.referral == Task.Referral.REFERRED:
        try:
            TASK.permit(actor, "register_lead", task)
            can_register = True
        except PermissionDenied:
            pass
    return {"t": task, "plan": task.plan, "members": members, "can_record": can_record, "can_register": can_register,
            "results": Result.choices, "severities": [(s, dict(Severity.choices)[s]) for s in PROBLEM_SEVERITIES],
            "steps": task.steps.order_by("at", "id"), "error": error, "values": values or {},
            "matters": task.plan.matters.order_by("code"), "now": timezone.now(), "active": "team"}


def task_detail(request, pk: int):
    if (resp := _staff(request)) is not None:
        return resp
    task = TASK.visible(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    return render(request, "inspections/task.html", _task_context(request, task))


@require_POST
def task_result(request, pk: int):
    if (resp := _staff(request)) is not None:
        return resp
    task = TASK.visible(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    values = {k: request.POST.get(k, "") for k in ("result", "findings", "severity")}
    try:
        task = result_svc.task_record(actor=request.user, task_id=pk, result=values["result"],
                                      findings=values["findings"], severity=values["severity"] or None,
                                      expected_version=params.version(request.POST.get("version")))
    except (ValidationError, Conflict, PermissionDenied) as exc:
        status, message = _refusal(exc)
        task.refresh_from_db()
        return render(request, "inspections/task.html", _task_context(request, task, error=message, values=values),
                      status=status)
    if task.lead_id:
        messages.success(request, _("检查结果已录入，已登记执法案源 %(n)s") % {"n": task.lead.number})
    elif task.referral == Task.Referral.REFERRED:
        messages.success(request, _("检查结果已录入，发现的问题已移交执法中队登记案源"))
    else:
        messages.success(request, _("检查结果已录入"))
    return redirect("inspections:task", pk=pk)


@require_POST
def task_lead(request, pk: int):
    if (resp := _staff(request)) is not None:
        return resp
    task = TASK.visible(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    try:
        task = result_svc.task_register_lead(actor=request.user, task_id=pk,
                                             expected_version=params.version(request.POST.get("version")))
    except (ValidationError, Conflict, PermissionDenied) as exc:
        status, message = _refusal(exc)
        task.refresh_from_db()
        return render(request, "inspections/task.html", _task_context(request, task, error=message), status=status)
    messages.success(request, _("已登记执法案源 %(n)s") % {"n": task.lead.number})
    return redirect("inspections:task", pk=pk)


# --------------------------------------------------------------------------- the checklist and the registers
def matter_list(request):
    if (resp := _staff(request)) is not None:
        return resp
    return render(request, "inspections/matters.html", {"matters": matters_for(request.user).order_by("code"),
                                                        "public": False, "active": "team"})


def entity_list(request):
    """检查对象名录: the organisations as inspection targets, by sector, risk and credit."""
    if (resp := _staff(request)) is not None:
        return resp
    qs = entities_for(request.user)
    f = {k: request.GET.get(k, "").strip()[:40] for k in ("q", "sector", "risk", "grade", "town")}
    if f["q"]:
        qs = qs.filter(Q(organisation__name__contains=f["q"]) | Q(organisation__uscc=f["q"].upper()))
    if f["sector"] in Sector.values:
        qs = qs.filter(sector=f["sector"])
    if f["risk"].isdigit() and int(f["risk"]) in Risk.values:
        qs = qs.filter(risk=int(f["risk"]))
    if f["grade"] == Grade.B:
        qs = qs.filter(Q(organisation__credit__grade=Grade.B) | Q(organisation__credit__isnull=True))
    elif f["grade"] in Grade.values:
        qs = qs.filter(organisation__credit__grade=f["grade"])
    towns = plan_regions(request.user).filter(level=Region.Level.TOWN).order_by("code")
    town = towns.filter(code=f["town"]).first() if f["town"] else None
    if town is not None:
        qs = qs.filter(organisation__region__parent=town)
    page = Paginator(qs.order_by("organisation__name", "pk"), PAGE).get_page(request.GET.get("page"))
    can_manage = may_organise(request.user)
    return render(request, "inspections/entities.html", {
        "page": page, "f": f, "sectors": Sector.choices, "risks": Risk.choices, "grades": Grade.choices,
        "towns": towns, "total": page.paginator.count, "can_manage": can_manage,
        "unlisted": registers.unlisted_count(request.user) if can_manage else 0, "active": "team"})


@require_POST
def entity_fill(request):
    if (resp := _staff(request)) is not None:
        return resp
    try:
        n = registers.register_fill(actor=request.user)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403, content_type="text/plain; charset=utf-8")
    messages.success(request, _("已补录 %(n)d 个单位，请核对其检查对象类别、风险等级和日常监管单位") % {"n": n})
    return redirect("inspections:entities")


def entity_edit(request, org_pk: int):
    if (resp := _staff(request)) is not None:
        return resp
    from .selectors import organisations_for

    org = organisations_for(request.user).select_related("region").filter(pk=org_pk).first()
    if org is None:
        raise Http404
    profile = getattr(org, "inspection_profile", None)  # the reverse one-to-one: None when not listed
    errors = {}
    if request.method == "POST":
        try:
            registers.profile_save(actor=request.user, organisation=org.pk, sector=request.POST.get("sector", ""),
                                   risk=request.POST.get("risk", ""), supervisor=request.POST.get("supervisor") or None,
                                   is_active=request.POST.get("is_active") == "on", note=request.POST.get("note", ""))
        except ValidationError as exc:
            errors = error_fields(exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("inspections:entities")
    return render(request, "inspections/entity.html", {
        "org": org, "profile": profile, "errors": errors, "sectors": Sector.choices, "risks": Risk.choices,
        "departments": departments_for(request.user).filter(region__level__lte=Region.Level.TOWN).order_by("code"),
        "tasks": org.inspection_tasks.select_related("plan").exclude(plan__status=PlanStatus.CANCELLED)
        .order_by("-plan__period_start")[:20],
        "active": "team"}, status=400 if errors else 200)


def inspector_list(request):
    """检查人员名录 with the declared conflicts; inspectors declare their own here."""
    if (resp := _staff(request)) is not None:
        return resp
    qs = inspectors_for(request.user)
    dept = request.GET.get("department", "")
    if dept.isdigit():
        qs = qs.filter(department_id=int(dept))
    error, status = "", 200
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("withdraw"):
                registers.relation_withdraw(actor=request.user, relation_id=post.get("withdraw"),
                                            reason=post.get("reason", ""))
                messages.success(request, _("已撤销回避申报"))
            elif post.get("toggle"):
                inspector = registers.inspector_set_active(
                    actor=request.user, inspector_id=post.get("toggle"), active=post.get("active") == "1",
                    expected_version=params.version(post.get("version")))
                messages.success(request, _("%(i)s 已设为%(s)s") % {
                    "i": inspector.user, "s": _("在岗") if inspector.is_active else _("不在岗")})
            elif post.get("register"):
                from shanzhi.accounts.models import User

                login = post.get("username", "").strip()[:150]
                user = User.objects.filter(Q(username=login) | Q(mobile=login)).values_list("pk", flat=True).first() \
                    if login else None
                until = params.day(post["valid_until"], "certificate_valid_until") if post.get("valid_until") else None
                inspector = registers.inspector_register(
                    actor=request.user, user=user or 0, department=post.get("department"),
                    certificate_number=post.get("certificate_number", ""), certificate_valid_until=until)
                messages.success(request, _("%(u)s 已登记为检查人员 %(c)s") % {"u": inspector.user, "c": inspector.code})
            else:
                from .selectors import organisations_for

                uscc = post.get("organisation", "").strip().upper()[:18]
                org = organisations_for(request.user).filter(uscc=uscc).values_list("pk", flat=True).first() \
                    if uscc else None
                registers.relation_declare(actor=request.user, inspector=post.get("inspector"),
                                           organisation=org or 0, kind=post.get("kind", ""), note=post.get("note", ""))
                messages.success(request, _("回避申报已登记，今后的抽取不会派该检查人员检查该单位"))
        except (ValidationError, PermissionDenied, Conflict) as exc:
            status, error = _refusal(exc)
        else:
            return redirect(request.get_full_path())
    today = timezone.localdate()
    page = Paginator(qs.annotate(n_rel=Count("relations", filter=Q(relations__is_active=True)),
                                 n_open=Count("memberships", filter=Q(memberships__task__status=TaskStatus.PENDING,
                                                                      memberships__task__plan__status=PlanStatus.DRAWN)))
                     .order_by("department__code", "code"), PAGE).get_page(request.GET.get("page"))
    own = inspectors_for(request.user).filter(user=request.user).first()
    return render(request, "inspections/inspectors.html", {
        "page": page, "today": today, "department": dept, "error": error, "own": own,
        "departments": departments_for(request.user).filter(inspectors__isnull=False).distinct().order_by("code"),
        "units": departments_for(request.user).filter(region__level__lte=Region.Level.TOWN).order_by("code"),
        "relations": relations_for(request.user).order_by("inspector__code")[:200], "kinds": Relation.Kind.choices,
        "can_manage": may_organise(request.user), "active": "team"}, status=status)


# --------------------------------------------------------------------------- public
def _public(template):
    return limit_by_ip("inspections-public", limit=PUBLIC_LIMIT, methods=("GET",), signed_in_exempt=True)(template)


@_public
def public_list(request):
    """公示: published plans with their figures; no personal data."""
    qs = published_plans().annotate(
        n_tasks=Count("tasks", distinct=True),
        n_problem=Count("tasks", filter=~Q(tasks__result__in=[Result.OK, Result.NO_ACTIVITY]), distinct=True))
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(number=q) | Q(tasks__entity_name__contains=q)).distinct()
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "inspections/public_list.html", {"page": page, "q": q})


@_public
def public_plan(request, number: str):
    plan = published_plans().filter(number=number[:30]).first()
    if plan is None:
        raise Http404
    tasks = plan.tasks.order_by("seq").only("seq", "entity_id", "entity_name", "entity_uscc", "result", "done_at",
                                            "level", "rank", "plan_id", "referral")
    q = request.GET.get("q", "").strip()[:40]
    if q:
        tasks = tasks.filter(Q(entity_name__contains=q) | Q(entity_uscc=q.upper()))
    page = Paginator(tasks, 100).get_page(request.GET.get("page"))
    codes: dict[int, list[str]] = {}
    for task_id, code in TaskMember.objects.filter(task__in=[t.pk for t in page]).order_by("task_id", "order") \
            .values_list("task_id", "inspector__code"):
        codes.setdefault(task_id, []).append(code)
    rows = [{"t": t, "codes": codes.get(t.pk, [])} for t in page]
    tally = dict(plan.tasks.values_list("result").annotate(n=Count("id")).values_list("result", "n"))
    return render(request, "inspections/public_plan.html", {
        "plan": plan, "page": page, "rows": rows, "q": q, "tally": [(label, tally.get(v, 0)) for v, label in Result.choices],
        "matters": plan.matters.select_related("department").order_by("code"), "levels": _levels(plan),
        "sector_labels": [dict(Sector.choices).get(s, s) for s in plan.sectors]})


@_public
def public_input(request, number: str):
    plan = published_plans().filter(number=number[:30]).first()
    if plan is None:
        raise Http404
    return _input_response(plan)


@_public
def public_method(request):
    import inspect

    return render(request, "inspections/public_method.html", {
        "method": draw.METHOD, "doc": draw.__doc__, "source": inspect.getsource(draw),
        "weights": [(lv, LEVEL_LABELS[lv], w) for lv, w in draw.DEFAULT_WEIGHTS.items()]})


@_public
def public_matters(request):
    return render(request, "inspections/matters.html", {
        "matters": InspectionMatter.objects.filter(is_active=True).select_related("department").order_by("code"),
        "public": True})
