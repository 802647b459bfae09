import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shanzhi.common.errors import error_text
from shanzhi.geo.selectors import town_list
from shanzhi.incidents import permissions
from shanzhi.incidents.states import Status
from shanzhi.registry.services.tabular import write_xlsx

from . import indicators, selectors, snapshots

VIEWERS = permissions.COMMAND | {"auditor", "grid_inspector", "grid_chief", "dept_handler"}


def _guard(request):
    if not (request.user.is_superuser or permissions.roles_of(request.user) & VIEWERS):
        raise PermissionDenied


def _bad_period(request, exc):
    return render(request, "command/bad_period.html", {"error": error_text(exc), "active": "center"}, status=400)


@login_required
def dashboard(request):
    _guard(request)
    town = request.GET.get("town", "")[:12]
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    days = (end - start).days
    if request.GET.get("from"):
        qs = selectors.scoped_incidents(request.user, town)
        data = {"figures": indicators.compute(qs, start, end), "trend": selectors.trend(qs, start, end),
                "rankings": selectors.rankings(qs, start, end), "points": selectors.map_points(qs), "label": label,
                "updated": timezone.now().isoformat()}
    else:
        data = snapshots.dashboard_data(request.user, town, days)
    ctx = {
        "figures": data["figures"], "label": data["label"], "towns": town_list(actor=request.user), "town": town,
        "trend": data["trend"], "rankings": data["rankings"], "points": data["points"], "active": "center",
        "query": request.GET.urlencode(), "updated": timezone.localtime(dt.datetime.fromisoformat(data["updated"])),
        "statuses": dict(Status.choices),
    }
    template = "command/partials/figures.html" if request.htmx else "command/dashboard.html"
    return render(request, template, ctx)


@login_required
def drill(request, key: str):
    """The list behind a figure: ?key is a numerator or denominator name of the indicator set."""
    _guard(request)
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    qs = selectors.scoped_incidents(request.user, request.GET.get("town", ""))
    try:
        rows = indicators.drill(qs, key, start, end)
    except KeyError:
        raise Http404 from None
    page = Paginator(rows.order_by("-registered_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "command/drill.html", {"page": page, "key": key, "label": label, "active": "center",
                                                  "now": timezone.now()})


@login_required
def export(request):
    _guard(request)
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    qs = selectors.scoped_incidents(request.user, request.GET.get("town", ""))
    figures = indicators.compute(qs, start, end)
    rows = [[i["label"], i["value"] if i["value"] is not None else "—", i["numerator"],
             i["denominator"] if i["denominator"] is not None else ""] for i in figures["indicators"]]
    rows.append(["平均处置时长（小时）", figures["avg_handle_hours"] or "—", "", ""])
    data = write_xlsx(["指标", "数值（%）或件数", "分子", "分母"], rows, sheet_title="指标",
                      notes=[f"统计周期：{label}（按立案时间）", indicators.__doc__])
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename=indicators-{timezone.localdate():%Y%m%d}.xlsx"
    return resp


@login_required
def appraisal(request):
    """Monthly league tables of grids, grid staff and departments."""
    import datetime as dt

    from django.db.models import Q

    from shanzhi.common.jurisdiction import scope_for

    from .appraisal import DEFAULT_WEIGHTS, LABELS, appraise, may_recompute, weights_for
    from .models import AppraisalResult, AppraisalScheme

    _guard(request)
    target = request.GET.get("target", "grid")
    if target not in AppraisalScheme.Target.values:
        raise Http404
    try:
        month = dt.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
    if request.method == "POST":
        if not may_recompute(request.user):
            raise PermissionDenied
        appraise(month, actor=request.user)
    scope = scope_for(request.user)
    rows = AppraisalResult.objects.filter(month=month, target=target)
    if not scope.unrestricted:
        visible = Q(town_id__in=scope.region_ids | scope.dept_region_ids)
        if target == "department":
            visible |= Q(town__isnull=True)
        rows = rows.filter(visible)
    if request.GET.get("format") == "xlsx":
        keys = list(weights_for(target))
        data = write_xlsx(["排名", "名称", "得分", "事件数", *[LABELS.get(k, k) for k in keys]],
                          [[r.rank, r.label, float(r.score), r.cases,
                            *[r.details.get(k, {}).get("value", "") for k in keys]] for r in rows],
                          sheet_title="考核", notes=[f"考核月份：{month:%Y-%m}"])
        resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f"attachment; filename=appraisal-{target}-{month:%Y%m}.xlsx"
        return resp
    weights = weights_for(target)
    months = [(timezone.localdate().replace(day=1) - dt.timedelta(days=31 * i)).replace(day=1) for i in range(6)]
    return render(request, "command/appraisal.html", {
        "rows": rows[:300], "target": target, "month": month, "months": months,
        "targets": AppraisalScheme.Target.choices, "weights": [(LABELS.get(k, k), v) for k, v in weights.items()],
        "keys": list(weights), "labels": LABELS, "active": "center", "defaults": DEFAULT_WEIGHTS,
        "can_recompute": may_recompute(request.user),
        "min_cases": settings.APPRAISAL_MIN_CASES,
    })


@login_required
def team(request):
    """The enforcement bureau's figures (一队伍), with the period and drill-down of the incidents."""
    from shanzhi.enforcement import figures
    from shanzhi.inspections.selectors import figures as inspection_figures

    _guard(request)
    town = request.GET.get("town", "")[:12]
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    qs = figures.scoped_cases(request.user, town)
    return render(request, "command/team.html", {
        "figures": figures.compute(qs, start, end), "squads": figures.per_squad(qs, start, end),
        "officers": figures.per_officer(qs, start, end), "label": label, "towns": town_list(actor=request.user),
        "town": town, "query": request.GET.urlencode(), "active": "center",
        "inspections": inspection_figures(request.user, start, end)})


@login_required
def team_drill(request, key: str):
    from shanzhi.enforcement import figures

    _guard(request)
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    qs = figures.scoped_cases(request.user, request.GET.get("town", "")[:12])
    try:
        rows = figures.drill(qs, key, start, end)
    except KeyError:
        raise Http404 from None
    page = Paginator(rows.order_by("-registered_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "command/team_drill.html", {"page": page, "key": key, "label": label, "active": "center",
                                                       "now": timezone.now()})


def _assistance_guard(request):
    from shanzhi.assistance.kind import level

    if level(request.user) is None:
        _guard(request)


@login_required
def assistance(request):
    """Social assistance figures (社会救助): coverage, spending, applications and alerts on time."""
    from shanzhi.assistance import figures

    _assistance_guard(request)
    town = request.GET.get("town", "")[:12]
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    spend = figures.spending(request.user, town_code=town)
    return render(request, "command/assistance.html", {
        "figures": figures.compute(request.user, start, end, town), "coverage": figures.coverage(request.user, town),
        "spending": spend, "label": label, "towns": town_list(actor=request.user), "town": town,
        "query": request.GET.urlencode(), "active": "center", "drill": figures.may_drill(request.user)})


@login_required
def assistance_drill(request, key: str):
    from shanzhi.assistance import figures

    if not figures.may_drill(request.user):
        raise Http404  # leaders see the counts; the families behind them are civil affairs' to see
    try:
        start, end, label = selectors.period(request.GET)
    except ValidationError as exc:
        return _bad_period(request, exc)
    try:
        what, rows = figures.drill(request.user, key, start, end, request.GET.get("town", "")[:12])
    except KeyError:
        raise Http404 from None
    order = ("-submitted_at", "-id") if what == "applications" else ("-raised_at", "-id")
    page = Paginator(rows.order_by(*order), 50).get_page(request.GET.get("page"))
    return render(request, "command/assistance_drill.html", {"page": page, "what": what, "key": key, "label": label,
                                                             "active": "center", "now": timezone.now(),
                                                             "query": request.GET.urlencode()})
