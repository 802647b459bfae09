import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import Department
from shanzhi.common.errors import error_text
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Region
from shanzhi.geo.selectors import town_list
from shanzhi.incidents import permissions
from shanzhi.incidents.models import IncidentClass
from shanzhi.incidents.states import Status
from shanzhi.registry.services.tabular import write_xlsx

from . import board, indicators, selectors

VIEWERS = permissions.COMMAND | {"auditor", "grid_inspector", "grid_chief", "dept_handler"}


def _guard(request):
    if not (request.user.is_superuser or permissions.roles_of(request.user) & VIEWERS):
        raise PermissionDenied


def _bad_period(request, exc):
    return render(request, "command/bad_period.html", {"error": error_text(exc), "active": "center"}, status=400)


def _presets(today: dt.date) -> list[tuple[str, str]]:
    """Quick periods a leader asks for: last quarter, this year, last year's same month."""
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_q_end = q_start - dt.timedelta(days=1)
    last_q_start = dt.date(last_q_end.year, 3 * ((last_q_end.month - 1) // 3) + 1, 1)
    month_ly = today.replace(year=today.year - 1, day=1)
    month_ly_end = (month_ly.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return [(_("上季度"), f"from={last_q_start}&to={last_q_end}"),
            (_("本年"), f"from={today.replace(month=1, day=1)}&to={today}"),
            (_("去年同月"), f"from={month_ly}&to={month_ly_end}")]


def _area_or_400(request):
    try:
        start, end, label = selectors.period(request.GET)
        area = board.resolve(request.user, request.GET)
    except ValidationError as exc:
        return None, _bad_period(request, exc)
    return (start, end, label, area), None


def _scope_query(request) -> str:
    """The area part of the query string (for links that change only the period)."""
    q = request.GET.copy()
    for k in ("days", "from", "to", "page"):
        q.pop(k, None)
    return q.urlencode()


@login_required
def dashboard(request):
    _guard(request)
    got, error = _area_or_400(request)
    if error:
        return error
    start, end, label, area = got
    data = board.dashboard_data(request.user, area, start, end, label)
    chosen = area.chosen
    town = chosen["town"]
    scope = scope_for(request.user)
    village_town = town or (chosen["village"].parent if chosen["village"] else None)
    villages = scope.regions(Region.objects.filter(parent=village_town, level=Region.Level.VILLAGE)).order_by(
        "code") if village_town else Region.objects.none()
    depts = Department.objects.filter(is_active=True).select_related("region")
    depts = depts.filter(region=town) | depts.filter(region__level=Region.Level.COUNTY) if town else \
        depts.filter(region__level=Region.Level.COUNTY)
    if not scope.unrestricted:
        depts = depts.filter(Q(pk__in=scope.department_ids) | Q(region_id__in=scope.region_ids | scope.dept_region_ids)
                             | Q(region__level=Region.Level.COUNTY))
    ctx = {
        "figures": data["figures"], "label": data["label"], "towns": town_list(actor=request.user),
        "town": town.code if town else "", "area": area, "villages": villages, "depts": depts.order_by("code"),
        "classes": list(IncidentClass.objects.filter(parent__isnull=True, is_active=True).order_by("code"))
        + ([chosen["cls"]] if chosen["cls"] and chosen["cls"].parent_id else []),
        "trend": data["trend"], "rankings": data["rankings"], "points": data["points"], "active": "center",
        "query": request.GET.urlencode(), "scope_query": _scope_query(request),
        "updated": timezone.localtime(dt.datetime.fromisoformat(data["updated"])),
        "statuses": dict(Status.choices), "presets": _presets(timezone.localdate()),
        "days": "" if request.GET.get("from") else request.GET.get("days", "30"),
        "date_from": request.GET.get("from", f"{timezone.localtime(start):%Y-%m-%d}"),
        "date_to": request.GET.get("to", f"{timezone.localtime(end - dt.timedelta(seconds=1)):%Y-%m-%d}"),
        "from_rollup": area.fact is not None, "period_query": _period_query(request),
        "no_grid_query": _without(request, "grid"),
    }
    template = "command/partials/figures.html" if request.htmx else "command/dashboard.html"
    return render(request, template, ctx)


@login_required
def drill(request, key: str):
    """The list behind a figure: ?key is a numerator or denominator name of the indicator set."""
    _guard(request)
    got, error = _area_or_400(request)
    if error:
        return error
    start, end, label, area = got
    qs = selectors.scoped_incidents(request.user).filter(area.incidents)
    try:
        rows = indicators.drill(qs, key, start, end)
    except KeyError:
        raise Http404 from None
    page = Paginator(rows.order_by("-registered_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "command/drill.html", {
        "page": page, "key": key, "title": indicators.SUBSET_LABELS.get(key, key), "label": f"{area.label} · {label}",
        "active": "center", "now": timezone.now(), "query": _page_query(request)})


def _period_query(request) -> str:
    q = request.GET.copy()
    return "&".join(f"{k}={q[k]}" for k in ("days", "from", "to") if q.get(k))


def _without(request, key: str) -> str:
    q = request.GET.copy()
    q.pop(key, None)
    return q.urlencode()


def _page_query(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def export(request):
    _guard(request)
    got, error = _area_or_400(request)
    if error:
        return error
    start, end, label, area = got
    figures = board.figures(request.user, area, start, end)
    rows = [[i["label"], i["value"] if i["value"] is not None else "—", i["numerator"],
             i["denominator"] if i["denominator"] is not None else ""] for i in figures["indicators"]]
    rows.append(["平均处置时长（小时）", figures["avg_handle_hours"] or "—", "", ""])
    data = write_xlsx(["指标", "数值（%）或件数", "分子", "分母"], rows, sheet_title="指标",
                      notes=[f"范围：{area.label}", f"统计周期：{label}（按立案时间）", indicators.__doc__])
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
