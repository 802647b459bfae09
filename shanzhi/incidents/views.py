"""Thin views over the incident services: parse, call, render a page or a partial."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.accounts.models import Department
from shanzhi.cases.errors import Conflict
from shanzhi.common import params, references
from shanzhi.common.errors import error_fields, error_text
from shanzhi.common.ratelimit import limit_by_ip
from shanzhi.geo.selectors import grids_for_actor

from . import permissions
from .forms import ReportForm
from .models import Attachment, ExtensionRequest, IncidentClass
from .selectors import due_q, get_incident_for_actor, incident_list
from .services import loop
from .services.intake import incident_report
from .states import MOVES, OPEN, Action, Status


@login_required
def incident_index(request):
    qs = incident_list(actor=request.user)
    f = {k: request.GET.get(k, "") for k in ("status", "source", "major", "q", "late", "grid")}
    if f["status"] == "open":
        qs = qs.filter(status__in=OPEN)
    elif f["status"]:
        qs = qs.filter(status=f["status"])
    if f["source"]:
        qs = qs.filter(source=f["source"])
    if f["major"]:
        qs = qs.filter(subclass__parent__code=f["major"])
    if f["q"]:
        qs = qs.filter(number__contains=f["q"]) | qs.filter(description__contains=f["q"])
    if f["late"] == "1":
        qs = qs.filter(due_q(overdue=True))
    if f["grid"]:
        from shanzhi.geo.models import Grid

        grid_id = references.as_id(f["grid"])
        grid = Grid.objects.filter(pk=grid_id).only("path").first() if grid_id else None
        qs = qs.filter(grid__path__startswith=grid.path) if grid else qs.none()
    page = Paginator(qs.order_by("-reported_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(request, "incidents/list.html", {
        "page": page, "f": f, "statuses": Status.choices, "sources": loop.Incident.Source.choices,
        "majors": IncidentClass.objects.filter(parent__isnull=True), "active": "incidents",
        "can_report": permissions.roles_of(request.user) & permissions.REPORTERS, "now": timezone.now(),
        "can_supervise": request.user.is_superuser or permissions.roles_of(request.user) & (
            permissions.COMMAND | {"grid_inspector"}),
        "can_appraise": request.user.is_superuser or permissions.roles_of(request.user) & (
            permissions.COMMAND | {"auditor", "grid_inspector", "grid_chief", "dept_handler"}),
    })


@login_required
def incident_new(request):
    roles = permissions.roles_of(request.user)
    if not roles & permissions.REPORTERS:
        raise PermissionDenied
    center = bool(roles & permissions.COMMAND)
    form = ReportForm(request.POST or None, center=center)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            incident, _created = incident_report(
                actor=request.user, source=d["source"], description=d["description"],
                subclass_code=d["subclass"].code if d["subclass"] else "", lon=d["lon"], lat=d["lat"], crs=d["crs"],
                address_text=d["address_text"], reporter_name=d.get("reporter_name", ""),
                reporter_phone=d.get("reporter_phone", ""),
                photos=request.FILES.getlist("photos"))
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
        else:
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/new.html", {"form": form, "active": "incidents", "center": center})


# Panel actions and the kernel move whose table decides when each is offered.
PANEL = ["locate", "merge", "register", "void", "dispatch", "whistle", "accept", "return", "extend_request",
         "shelve", "resume", "reply", "verify", "escalate", "supervise", "check_in", "archive"]
MOVE_OF = {"verify": Action.VERIFY_PASS}


def _detail_context(request, incident):
    user = request.user
    actions = [a for a in PANEL if _offered(user, a, incident)]
    return {
        "incident": incident, "steps": incident.steps.select_related("department").order_by("at", "id"),
        "photos": incident.attachments.all(), "summons": incident.summons.select_related("department"),
        "extensions": incident.extensions.filter(state=ExtensionRequest.State.PENDING),
        "actions": actions, "departments": loop.dispatch_targets(incident).order_by("-region__level", "code")
        if incident.town_id else Department.objects.none(),
        "suggested_department": _suggested_department(incident),
        "classes": IncidentClass.objects.filter(parent__isnull=False, is_active=True).select_related("parent"),
        "grids": grids_for_actor(user).filter(level=2).order_by("code")[:500] if "locate" in actions else [],
        "can_decide": permissions.can(user, "extend_decide") and incident.status in MOVES[Action.EXTEND_APPROVE].sources,
        "suggestions": class_suggestions(incident) if "register" in actions else [],
        "active": "incidents", "now": timezone.now(),
    }


def class_suggestions(incident) -> list[dict]:
    """The suggester's top three classes for the report's text, with their confidence."""
    from .classify import suggest
    from .services.intake import catalog

    by_code = catalog.get().by_code
    return [{"cls": by_code[s.code], "code": s.code, "confidence": s.confidence, "by": s.by}
            for s in suggest(incident.description, 3) if s.code in by_code]


def _suggested_department(incident) -> int | None:
    """The village committee for village-tier matters, else the class's responsible department."""
    if incident.tier == "village" and incident.region_id:
        committee = Department.objects.filter(region_id=incident.region_id, is_active=True).values_list("id", flat=True)
        if committee:
            return committee[0]
    return incident.subclass.department_id


def _offered(user, action, incident) -> bool:
    if incident.status not in MOVES[MOVE_OF.get(action, action)].sources:
        return False
    if action == "merge" and not incident.possible_duplicate_id:
        return False
    if action == "locate" and incident.town_id:
        return False
    if action == "check_in":
        from shanzhi.common.jurisdiction import scope_for

        depts = scope_for(user).department_ids
        return incident.summons.filter(department_id__in=depts, checked_in_at__isnull=True).exists()
    return permissions.can(user, action, incident)


@login_required
def incident_detail(request, pk: int):
    incident = get_incident_for_actor(request.user, pk)
    return render(request, "incidents/detail.html", _detail_context(request, incident))


def perform(user, incident, action: str, p, files, *, at=None) -> None:
    """Carry out one loop action from a form's fields (``p``: a QueryDict or a mapping whose
    ``getlist`` gives lists). Every reference in the form (a department, a case to merge into, a
    grid) is passed through as it came: the service resolves it through the actor's scope. The
    action panel and the phone's offline queue (``field.services``) both come through here."""
    pk = incident.pk
    v = params.version(p.get("version"))
    common = {"actor": user, "incident_id": pk, "expected_version": v}
    if at is not None:
        common["at"] = at
    note = p.get("note", "")
    photos = files.getlist("photos") if files is not None else []
    if action == "locate":
        loop.incident_locate(**common, grid=p.get("grid") or None, lon=p.get("lon") or None,
                             lat=p.get("lat") or None, note=note)
    elif action == "register":
        sub = None
        picked = p.get("pick") or p.get("subclass")  # a suggested class picked in one click, or the list's
        if picked:
            sub = references.resolve(IncidentClass.objects.filter(parent__isnull=False, is_active=True),
                                     field="subclass", label=_("事件分类"), pk=picked)
        loop.incident_register(**common, subclass=sub, note=note)
    elif action == "void":
        loop.incident_void(**common, reason=note)
    elif action == "merge":
        loop.incident_merge(**common, into=p.get("into") or incident.possible_duplicate_id, note=note)
    elif action == "dispatch":
        if not p.get("department"):
            raise ValidationError({"department": _("请选择处置部门")})
        loop.incident_dispatch(**common, department=p.get("department"), note=note)
    elif action == "whistle":
        ids = p.getlist("departments")
        if not ids:
            raise ValidationError({"departments": _("请选择吹哨部门")})
        lead = p.get("lead") if p.get("lead") in ids else ids[0]
        loop.incident_whistle(**common, lead=lead, others=[i for i in ids if i != lead], note=note)
    elif action == "accept":
        loop.incident_accept(**common)
    elif action == "return":
        loop.incident_return(**common, reason=note)
    elif action == "extend_request":
        loop.incident_request_extension(**common, amount=p.get("amount") or 0, unit=p.get("unit", ""), reason=note)
    elif action == "extend_decide":
        loop.incident_decide_extension(**common, request_id=p.get("request"), approve=p.get("approve") == "1",
                                       note=note)
    elif action == "shelve":
        loop.incident_shelve(**common, reason=note)
    elif action == "resume":
        loop.incident_resume(**common, note=note)
    elif action == "reply":
        loop.incident_reply(**common, note=note, photos=photos)
    elif action == "verify":
        loop.incident_verify(**common, passed=p.get("passed") == "1", note=note, photos=photos)
    elif action == "escalate":
        loop.incident_escalate(**common, reason=note)
    elif action == "supervise":
        loop.incident_supervise(**common, note=note)
    elif action == "check_in":
        loop.incident_check_in(**common, reply=note)
    elif action == "archive":
        loop.incident_archive(**common)
    else:
        raise Http404


@login_required
@require_POST
def incident_act(request, pk: int, action: str):
    """One endpoint for every loop action; errors come back in the action panel, nothing changes."""
    incident = get_incident_for_actor(request.user, pk)
    try:
        perform(request.user, incident, action, request.POST, request.FILES)
    except ValidationError as exc:
        return _action_error(request, incident, error_text(exc), 400)
    except Conflict as exc:
        return _action_error(request, incident, str(exc), 409)
    except PermissionDenied as exc:
        return _action_error(request, incident, str(exc) or _("无权执行此操作"), 403)
    if request.htmx:
        resp = HttpResponse(status=204)
        resp["HX-Redirect"] = request.path.rsplit("/act/", 1)[0] + "/"
        return resp
    return redirect("incidents:detail", pk=pk)


def _action_error(request, incident, message: str, status: int):
    incident.refresh_from_db()
    ctx = _detail_context(request, incident) | {"error": message}
    template = "incidents/partials/actions.html" if request.htmx else "incidents/detail.html"
    return render(request, template, ctx, status=status)


@login_required
def photo(request, pk: int):
    att = Attachment.objects.filter(pk=pk).select_related("incident").first()
    if att is None:
        raise Http404
    get_incident_for_actor(request.user, att.incident_id)  # 404 outside the jurisdiction
    return FileResponse(att.image.open("rb"), content_type="image/jpeg")


@limit_by_ip("rate", limit=20)
def rate(request, token: str):
    """The public rating page from the closing SMS: no login, no personal data shown."""
    incident = loop.Incident.objects.filter(rating_token=token).select_related("subclass").first() if token else None
    if incident is None:
        raise Http404
    error, done = "", incident.rating is not None
    if request.method == "POST" and not done:
        try:
            loop.incident_rate(token=token, level=int(request.POST.get("level", "0") or 0),
                               comment=request.POST.get("comment", ""))
            done = True
            incident.refresh_from_db()
        except (ValidationError, ValueError) as exc:
            error = error_text(exc) if isinstance(exc, ValidationError) else _("请选择评价")
        except Conflict as exc:
            error, done = str(exc), True
    return render(request, "incidents/rate.html", {"incident": incident, "levels": loop.RATING_LABELS, "error": error,
                                                   "done": done})




@limit_by_ip("public-code", limit=10)
@limit_by_ip("public-code-hour", limit=30, window=3600)
@require_POST
def public_code(request):
    from .services.public import send_code

    try:
        send_code(phone=request.POST.get("phone", ""),
                  purpose="signup" if request.POST.get("purpose") == "signup" else "report")
    except ValidationError as exc:
        return HttpResponse(f'<span class="err">{error_text(exc)}</span>', status=400)
    return HttpResponse(f'<span class="ok">{_("验证码已发送，10 分钟内有效")}</span>')


@limit_by_ip("public-report", limit=20)
def public_report(request):
    """随手拍: the citizen's page — no account; the number is confirmed by an SMS code."""
    from .services.public import citizen_report

    errors, values, done = {}, {}, None
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("phone", "code", "description", "address_text", "name", "lon",
                                                       "lat", "crs")}
        try:
            done = citizen_report(
                phone=values["phone"], code=values["code"], description=values["description"],
                lon=values["lon"] or None, lat=values["lat"] or None, crs=values["crs"] or "wgs84",
                address_text=values["address_text"], name=values["name"], photos=request.FILES.getlist("photos"))
        except ValidationError as exc:
            errors = error_fields(exc)
    return render(request, "incidents/public_report.html", {"errors": errors, "v": values, "done": done},
                  status=400 if errors else 200)
