"""The what-if page of the command center: staffing and handling limits of one town's departments,
predicted against the figures of the last days (``command.whatif``). A GET form, so a scenario is
a link that can be shared."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import Department
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.workcal import UNIT_LABELS, TimeUnit
from shanzhi.geo.selectors import town_list

from . import indicators, selectors
from . import whatif as model
from .views import _guard

WINDOW_DAYS, MIN_WINDOW, MAX_WINDOW = 60, 14, 180
HORIZON_DAYS = 30
RUNS, SEED = 20, 1
CACHE_SECONDS = 300
MAX_LIMIT_HOURS = 2000
NUMBER = re.compile(r"[0-9]{1,6}(\.[0-9]{1,2})?")


def _calibration(town, start: dt.datetime, end: dt.datetime) -> model.Calibration:
    """One calibration per town and window, shared by every process for a few minutes."""
    key = f"whatif:cal:v1:{town.code}:{start:%Y%m%d%H}:{end:%Y%m%d%H}"
    data = cache.get(key)
    if data is None:
        data = model.calibrate(start, end, town=town).to_dict()
        cache.set(key, data, CACHE_SECONDS)
    return model.Calibration.from_dict(data)


def _ascii_int(raw: str) -> int | None:
    text = raw.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    return sign * (int(digits) if len(digits) <= 12 else 10**12)  # out of every range, never a huge int


def _days(raw, default: int, lo: int, hi: int, errors: dict, field: str, label: str) -> int:
    if raw in (None, ""):
        return default
    value = _ascii_int(str(raw))
    if value is None:
        errors[field] = _("%(l)s应为整数") % {"l": label}
    elif not lo <= value <= hi:
        errors[field] = _("%(l)s应在 %(lo)d 至 %(hi)d 天之间") % {"l": label, "lo": lo, "hi": hi}
    else:
        return value
    return default


def _staff(request, calib: model.Calibration, visible: set[int] | None, errors: dict) -> dict[int, int]:
    """staff_<department id>=N for the town's departments: a whole number of handlers, 1–50. A
    department the actor may not see looks exactly like a missing one."""
    out = {}
    for key, raw in request.GET.items():
        if not key.startswith("staff_"):
            continue
        dept_id = _ascii_int(key[6:])
        if dept_id is None or not Department.objects.filter(pk=dept_id).exists() or (
                visible is not None and dept_id not in visible):
            errors[key] = _("部门编号 %(k)s 不存在") % {"k": key[6:][:20]}
            continue
        if calib.department(dept_id) is None:
            errors[key] = _("该部门不是本镇（街道）事件的处置部门")
            continue
        value = _ascii_int(raw) if raw.strip() else None
        if not raw.strip():
            errors[key] = _("请填写处置人员数")
        elif value is None:
            errors[key] = _("处置人员数应为整数")
        elif value < 0:
            errors[key] = _("处置人员数不能为负数")
        elif value == 0:
            errors[key] = _("处置人员数至少为 1 人")
        elif value > model.MAX_STAFF:
            errors[key] = _("处置人员数不能超过 %(n)d 人") % {"n": model.MAX_STAFF}
        else:
            out[dept_id] = value
    return out


def _limits(request, calib: model.Calibration, errors: dict) -> dict[str, float]:
    """limit_<subclass code>=hours: a changed handling limit in working hours; blank keeps it."""
    codes = {s.code for s in calib.subclasses}
    out = {}
    for key, raw in request.GET.items():
        if not key.startswith("limit_") or not raw.strip():
            continue
        code = key[6:]
        if code not in codes:
            errors[key] = _("事件分类 %(c)s 不在本镇（街道）的校准数据中") % {"c": code[:12]}
            continue
        text = raw.strip()
        value = float(text) if NUMBER.fullmatch(text) else None
        if value is None:
            errors[key] = _("处置时限应为数字（工作时）")
        elif not 0 < value <= MAX_LIMIT_HOURS:
            errors[key] = _("处置时限应大于 0、不超过 %(n)d 工作时") % {"n": MAX_LIMIT_HOURS}
        else:
            out[code] = value
    return out


def _limit_text(limits) -> str:
    amount, unit = limits["handle"]
    amount = int(amount) if float(amount).is_integer() else amount
    return f"{amount} {UNIT_LABELS.get(TimeUnit(unit), unit)}"


def _chart(backlog: dict, width: int = 720, height: int = 240) -> dict | None:
    """The backlog band as SVG shapes (the page draws without script: the CSP allows none inline)."""
    p10, p50, p90 = backlog.get("p10") or [], backlog.get("p50") or [], backlog.get("p90") or []
    if not p50:
        return None
    left, right, top, bottom = 44, 12, 12, 28
    top_value = max(max(p90), 1.0)
    n = len(p50)

    def x(i):
        return left + (width - left - right) * (i / max(n - 1, 1))

    def y(v):
        return top + (height - top - bottom) * (1 - v / top_value)

    band = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(p90))
    band += " " + " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(p10))))
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(p50))
    ticks = [{"y": f"{y(v):.1f}", "label": f"{v:.0f}"} for v in (0, top_value / 2, top_value)]
    step = max(1, n // 6)
    days = [{"x": f"{x(i):.1f}", "label": backlog["dates"][i]} for i in range(0, n, step)]
    return {"width": width, "height": height, "band": band, "line": line, "ticks": ticks, "days": days,
            "left": left, "base": f"{y(0):.1f}", "right": width - right,
            "rows": list(zip(backlog["dates"], p10, p50, p90, strict=True))}


def _visible_departments(actor, town, calib: model.Calibration) -> set[int] | None:
    """Departments whose rows the actor sees: all of them for a viewer of the town's area; a
    department's own rows only for a viewer who sees the town through a department post (as the
    dashboard lists only that department's cases)."""
    scope = scope_for(actor)
    if scope.unrestricted or town.pk in scope.region_ids:
        return None
    return set(scope.department_ids)


@login_required
def whatif(request):
    _guard(request)
    towns = list(town_list(actor=request.user))
    code = request.GET.get("town", "")[:12]
    if code:
        town = next((t for t in towns if t.code == code), None)
        if town is None:
            raise Http404  # outside the actor's scope looks exactly like missing
    elif towns:
        town = towns[0]
    else:
        raise Http404
    errors: dict[str, str] = {}
    window = _days(request.GET.get("window"), WINDOW_DAYS, MIN_WINDOW, MAX_WINDOW, errors, "window", _("校准期"))
    horizon = _days(request.GET.get("days"), HORIZON_DAYS, 1, model.MAX_DAYS, errors, "days", _("预测天数"))
    tz = timezone.get_current_timezone()
    # The window ends at today's midnight: one calibration serves the whole day's requests.
    end = dt.datetime.combine(timezone.localdate(), dt.time(0), tzinfo=tz)
    start = end - dt.timedelta(days=window)
    calib = _calibration(town, start, end)
    visible = _visible_departments(request.user, town, calib)
    staff = _staff(request, calib, visible, errors)
    limits = _limits(request, calib, errors)
    run = request.GET.get("run") == "1"
    rows = [d for d in sorted(calib.departments, key=lambda d: (-d.town_rounds, d.name))
            if visible is None or d.id in visible]
    ctx = {
        "active": "center", "towns": towns, "town": town, "window": window, "horizon": horizon, "errors": errors,
        "calib": calib, "start": start, "end": end, "last_day": end - dt.timedelta(days=1), "runs": RUNS,
        "departments": [{"d": d, "field": f"staff_{d.id}", "value": request.GET.get(f"staff_{d.id}", d.staff),
                         "error": errors.get(f"staff_{d.id}")} for d in rows],
        "classes": [{"s": s, "field": f"limit_{s.code}", "value": request.GET.get(f"limit_{s.code}", ""),
                     "error": errors.get(f"limit_{s.code}"), "limit": _limit_text(s.limits)}
                    for s in calib.subclasses],
    }
    shown = {f"staff_{d.id}" for d in rows} | {f"limit_{s.code}" for s in calib.subclasses} | {"window", "days"}
    ctx["other_errors"] = [(k, v) for k, v in errors.items() if k not in shown]
    if errors:
        return render(request, "command/whatif.html", ctx, status=400)
    if run:
        prediction = model.simulate(calib, staff=staff, class_limits=limits, days=horizon, runs=RUNS, seed=SEED)
        qs = selectors.scoped_incidents(request.user, town.code)
        actual_start = end - dt.timedelta(days=horizon)
        actual = _figures(indicators.compute(qs, actual_start, end))
        o = prediction.overall
        by_dept = {p.id: p for p in prediction.departments}
        ctx.update({
            "prediction": prediction, "actual_start": actual_start, "chart": _chart(prediction.backlog),
            "summary": [
                (_("按期处置率"), _band(o["on_time_handle_rate"], "%"), _actual(actual, "on_time_handle_rate")),
                (_("按期结案率"), _band(o["on_time_close_rate"], "%"), _actual(actual, "on_time_close_rate")),
                (_("平均等待处置人员（小时）"), _band(o["wait_hours"]), "—"),
                (_("应处置数（件）"), _band(o["due_to_handle"], "", 0), _actual(actual, "on_time_handle_rate", True)),
                (_("立案数（件）"), _band(o["registered"], "", 0), str(actual["registered"]["value"])),
                (_("期末积压（件）"), _band(o["backlog_end"], "", 0), "—"),
            ],
            "results": [_dept_row(d, by_dept[d.id], qs, actual_start, end) for d in rows if d.id in by_dept],
        })
    return render(request, "command/whatif.html", ctx)


def _band(band, suffix: str = "", digits: int = 1) -> dict:
    """A predicted figure: the median, and the 10th–90th percentile range over runs."""
    if band.p50 is None:
        return {"mid": "—", "range": ""}

    def f(v):
        return f"{v:.{digits}f}{suffix}"

    return {"mid": f(band.p50), "range": f"{f(band.p10)} – {f(band.p90)}"}


def _actual(figures: dict, key: str, denominator: bool = False) -> str:
    ind = figures[key]
    if denominator:
        return str(ind["denominator"]) if ind["denominator"] is not None else "—"
    if ind["value"] is None:
        return "—"
    return f"{ind['value']}%（{ind['numerator']}/{ind['denominator']}）"


def _dept_row(d, p, qs, start, end) -> dict:
    actual = _figures(indicators.compute(qs.filter(department_id=d.id), start, end))
    return {"d": d, "p": p, "changed": p.staff != p.staff_today,
            "handle": _band(p.on_time_handle_rate, "%"), "close": _band(p.on_time_close_rate, "%"),
            "wait": _band(p.wait_hours), "due": _band(p.due_to_handle, "", 0), "backlog": _band(p.backlog_end, "", 0),
            "actual_handle": _actual(actual, "on_time_handle_rate"), "actual_close": _actual(actual, "on_time_close_rate")}


def _figures(result: dict) -> dict:
    return {i["key"]: i for i in result["indicators"]} | {"avg_handle_hours": result["avg_handle_hours"]}
