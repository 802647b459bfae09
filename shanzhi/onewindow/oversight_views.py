"""督着办 pages (the figures with drill-down, the open cases against their limits) and the
rectification cases that bad ratings open."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.common import params
from shanzhi.common.errors import error_text
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Region

from . import oversight, rectification
from .kind import WINDOW, _roles
from .models import RStatus, ServiceItem

WATCH = WINDOW | {Role.TOWN_LEADER, Role.COUNTY_LEADER, Role.DISPATCHER, Role.DEPT_HANDLER, Role.AUDITOR}


def _period(request):
    today = timezone.localdate()
    g = request.GET
    start = params.day(g["start"], "start") if g.get("start") else today.replace(day=1) - dt.timedelta(days=60)
    end = params.day(g["end"], "end") if g.get("end") else today
    if end < start or (end - start).days > 731:
        raise ValidationError({"end": ValidationError("起止日期无效（最长两年）", code="invalid")})
    return start, end


def _towns(actor):
    scope = scope_for(actor)
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
    if scope.unrestricted:
        return towns
    return towns.filter(pk__in=scope.region_ids) | towns.filter(parent_id__in=scope.region_ids)


@login_required
def supervise(request):
    """督着办: totals, a table per department / item / window / clerk with drill-down, the county's
    time targets, the open cases nearest their limit and the rectifications of bad ratings."""
    user = request.user
    if not _roles(user) & WATCH:
        raise PermissionDenied
    try:
        start, end = _period(request)
        dept = params.bounded_int(request.GET.get("department"), "department", lo=1, hi=2**31) \
            if request.GET.get("department") else None
        item = params.bounded_int(request.GET.get("item"), "item", lo=1, hi=2**31) if request.GET.get("item") else None
    except ValidationError as exc:
        return render(request, "onewindow/supervise.html", {"error": error_text(exc), "active": "window"}, status=400)
    towns = _towns(user)
    town = towns.filter(code=request.GET.get("town", "")[:12]).first() if request.GET.get("town") else None
    group = request.GET.get("group", "")
    if group not in oversight.GROUPS:
        group = "item" if dept else "department"
    f = oversight.figures(user, start, end, group=group, town=town, department=dept, item=item)
    chart = [{"name": r["name"], "used": r["used_days"], "statutory": r["statutory_days"]}
             for r in f["rows"] if r["completed"]][:15]
    return render(request, "onewindow/supervise.html", {
        "f": f, "start": start, "end": end, "group": group, "groups": [
            ("department", "按部门"), ("item", "按事项"), ("window", "按窗口"), ("clerk", "按人员")],
        "towns": towns, "town": town, "department": dept, "item": item,
        "item_obj": ServiceItem.objects.filter(pk=item).select_related("department").first() if item else None,
        "targets": oversight.targets(user, start, end, town=town), "open": oversight.open_cases(user, town=town),
        "rect": oversight.rectifications(user, town=town), "chart": chart, "now": timezone.now(), "active": "window"})


# --------------------------------------------------------------------------- rectifications
@login_required
def rectification_list(request):
    qs = rectification.RECTIFICATION.visible(request.user).select_related("application__item", "clerk", "window")
    status = request.GET.get("status", "")
    if status in RStatus.values:
        qs = qs.filter(status=status)
    return render(request, "onewindow/rectifications.html", {
        "rows": qs.order_by("status", "due")[:200], "status": status, "statuses": RStatus.choices,
        "now": timezone.now(), "active": "window"})


def _detail(request, case, error="", status=200):
    return render(request, "onewindow/rectification.html", {
        "c": case, "steps": case.steps.order_by("at", "id"), "error": error, "now": timezone.now(),
        "can_rectify": _can(request.user, "rectify", case), "can_visit": _can(request.user, "visit", case),
        "active": "window"}, status=status)


def _can(user, action, case) -> bool:
    if case.status not in rectification.RECTIFICATION.moves[action].sources:
        return False
    try:
        rectification.RECTIFICATION.permit(user, action, case)
    except PermissionDenied:
        return False
    return True


@login_required
def rectification_detail(request, pk: int):
    case = rectification.RECTIFICATION.visible(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return _detail(request, case)


@login_required
@require_POST
def rectification_act(request, pk: int, action: str):
    case = rectification.RECTIFICATION.visible(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    p = request.POST
    try:
        version = params.version(p.get("version"))
        if action == "rectify":
            rectification.rectify(actor=request.user, case_id=pk, measures=p.get("measures", ""),
                                  expected_version=version)
        elif action == "visit":
            if p.get("satisfied") not in ("1", "0"):
                raise ValidationError({"satisfied": "请选择回访结果"})
            rectification.visit(actor=request.user, case_id=pk, satisfied=p.get("satisfied") == "1",
                                note=p.get("note", ""), expected_version=version)
        else:
            raise Http404
    except ValidationError as exc:
        case.refresh_from_db()
        return _detail(request, case, error_text(exc), 400)
    except Conflict as exc:
        case.refresh_from_db()
        return _detail(request, case, str(exc), 409)
    except PermissionDenied as exc:
        case.refresh_from_db()
        return _detail(request, case, str(exc) or "无权执行此操作", 403)
    return redirect("onewindow:rectification", pk=pk)
