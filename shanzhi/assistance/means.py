"""The means test (家庭经济状况核对), computed from the household file and explained line by line
so a worker can show a family exactly why.

Income of the members who live together over the last 12 months (each record counted for the
part of its period inside the window), divided by 12 and by the members: the monthly per-capita
income. Against the locality's 低保 standard in force on the day: below it (with financial assets
no more than 24 months of the standard per member) → 低保; below 1.5 × → 低保边缘; the
expenditure-based test first subtracts what the family paid itself for medical care, schooling,
rehabilitation and disasters (刚性支出). Every figure is Decimal, to the fen; benefits are rounded
up to the yuan, as Jiangsu pays them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    Assessment,
    Expense,
    Family,
    Formula,
    Group,
    Income,
    Klass,
    Member,
    Program,
    Standard,
    Test,
)

WINDOW_MONTHS = 12
ASSET_MONTHS = 24
EDGE_FACTOR = Decimal("1.5")
DEEP_CAP = Decimal(150_000)
CENT, YUAN = Decimal("0.01"), Decimal(1)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def yuan(value: Decimal) -> str:
    return f"¥{money(value):,.2f}"


@dataclass
class Line:
    label: str
    value: str
    note: str = ""

    def as_dict(self) -> dict:
        return {"label": self.label, "value": self.value, "note": self.note}


def window(on: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 whole months before the month of ``on``."""
    end = on.replace(day=1) - dt.timedelta(days=1)
    year, month = end.year, end.month - WINDOW_MONTHS + 1
    while month <= 0:
        month, year = month + 12, year - 1
    return dt.date(year, month, 1), end


def prorate(start: dt.date, end: dt.date, amount: Decimal, w0: dt.date, w1: dt.date) -> Decimal:
    """The part of an amount earned over [start, end] that falls inside [w0, w1] (by days)."""
    days = (end - start).days + 1
    inside = (min(end, w1) - max(start, w0)).days + 1
    if days <= 0 or inside <= 0:
        return Decimal(0)
    return Decimal(amount) * Decimal(inside) / Decimal(days)


def standard_for(code: str, region, on: dt.date) -> Standard | None:
    """The standard in force on a day for the most specific region that has one (a village, its
    town, the county …)."""
    from shanzhi.geo.models import Region

    paths = [region.path[:i] for i in range(len(region.path), 0, -1) if region.path[i - 1:i] == "/"] or [region.path]
    ancestors = {r.pk: len(r.path) for r in Region.objects.filter(path__in={region.path, *paths})}
    rows = list(Standard.objects.filter(code=code, region_id__in=ancestors, effective_from__lte=on)
                .order_by("-effective_from"))
    rows.sort(key=lambda s: (-ancestors[s.region_id], -s.effective_from.toordinal()))
    return rows[0] if rows else None


def members_of(family: Family) -> list[Member]:
    return list(family.members.filter(left_at__isnull=True, lives_together=True).select_related("person"))


def assess(family: Family, program: Program, *, at: dt.datetime | None = None, by=None, application=None,
           save: bool = True) -> Assessment:
    at = at or timezone.now()
    on = timezone.localdate(at)
    lines: list[Line] = []
    members = members_of(family)
    n = len(members)
    lines.append(Line(_("共同生活家庭成员"), _("%(n)d 人") % {"n": n},
                      "、".join(f"{m.person.name}（{m.relation}）" for m in members)))
    w0, w1 = window(on)
    lines.append(Line(_("收入核算期"), f"{w0:%Y-%m-%d} 至 {w1:%Y-%m-%d}", _("申请月之前的 12 个月")))
    ids = {m.pk for m in members}
    income_total = Decimal(0)
    by_kind: dict[str, Decimal] = {}
    for row in Income.objects.filter(family=family, start__lte=w1, end__gte=w0):
        if row.member_id and row.member_id not in ids:
            continue  # a member who does not live with the family is not counted
        part = prorate(row.start, row.end, row.amount, w0, w1)
        by_kind[row.kind] = by_kind.get(row.kind, Decimal(0)) + part
        income_total += part
    for kind, label in Income.Kind.choices:
        if kind in by_kind:
            lines.append(Line(str(label), yuan(by_kind[kind]), _("核算期内合计")))
    monthly = income_total / WINDOW_MONTHS
    per_capita = money(monthly / n) if n else Decimal(0)
    lines.append(Line(_("家庭月均收入"), yuan(monthly), _("%(t)s ÷ 12 个月") % {"t": yuan(income_total)}))
    lines.append(Line(_("月人均收入"), yuan(per_capita), _("家庭月均收入 ÷ %(n)d 人") % {"n": n}))

    rigid = Decimal(0)
    rigid_by: dict[str, Decimal] = {}
    for row in Expense.objects.filter(family=family, incurred_on__gte=w0, incurred_on__lte=on):
        rigid_by[row.kind] = rigid_by.get(row.kind, Decimal(0)) + row.self_paid
        rigid += row.self_paid
    for kind, label in Expense.Kind.choices:
        if kind in rigid_by:
            lines.append(Line(_("刚性支出：%(k)s") % {"k": label}, yuan(rigid_by[kind]), _("个人自付部分")))
    per_capita_after = money(max(Decimal(0), income_total - rigid) / WINDOW_MONTHS / n) if n else Decimal(0)
    if rigid:
        lines.append(Line(_("扣除刚性支出后月人均收入"), yuan(per_capita_after),
                          _("（%(i)s − %(r)s）÷ 12 ÷ %(n)d") % {"i": yuan(income_total), "r": yuan(rigid), "n": n}))

    std = standard_for(Standard.Code.DIBAO, family.region, on)
    s = std.amount if std else Decimal(0)
    if std:
        lines.append(Line(_("低保标准"), yuan(s) + _("/人·月"),
                          _("%(r)s %(d)s 起执行 %(b)s") % {"r": std.region.name, "d": std.effective_from, "b": std.basis}))
    else:
        lines.append(Line(_("低保标准"), _("未设置"), _("请先录入当地低保标准")))
    assets = sum((a.value for a in family.assets.all()), Decimal(0))
    asset_cap = s * ASSET_MONTHS * n
    assets_ok = assets <= asset_cap
    lines.append(Line(_("家庭财产"), yuan(assets), _("上限 %(c)s（%(m)d 个月低保标准 × %(n)d 人）：%(ok)s") % {
        "c": yuan(asset_cap), "m": ASSET_MONTHS, "n": n, "ok": _("符合") if assets_ok else _("超过")}))

    eligible, group = _test(program, members, per_capita, per_capita_after, s, assets_ok, lines)
    benefit = _benefit(program, family, n, per_capita, s, income_total, rigid, rigid_by, on, lines) \
        if eligible else Decimal(0)
    lines.append(Line(_("结论"), (_("符合，救助金额 %(b)s") % {"b": yuan(benefit)}) if eligible else _("不符合"),
                      program.name))
    result = Assessment(family=family, program=program, application=application, at=at,
                        by=by if getattr(by, "pk", None) else None, standard=std, members=n, per_capita=per_capita,
                        per_capita_after=per_capita_after, eligible=eligible, group=group, benefit=money(benefit),
                        lines=[line.as_dict() for line in lines])
    if save:
        result.save()
    return result


def _test(program, members, per_capita, after, s, assets_ok, lines) -> tuple[bool, str]:
    edge = s * EDGE_FACTOR
    test = program.test
    if not members:
        return False, Group.GENERAL
    if test == Test.NONE:
        lines.append(Line(_("核对要求"), _("不作收入核对"), _("按事实认定")))
        return True, Group.GENERAL
    if not s:
        return False, Group.GENERAL
    if test == Test.TEKUN:
        unable = all(m.work == Member.Work.NONE for m in members)
        ok = unable and per_capita < s and assets_ok
        lines.append(Line(_("特困认定"), _("符合") if ok else _("不符合"),
                          _("全部成员无劳动能力：%(u)s；月人均收入低于低保标准：%(i)s") % {
                              "u": _("是") if unable else _("否"), "i": _("是") if per_capita < s else _("否")}))
        return ok, Group.TEKUN if ok else Group.GENERAL
    if test == Test.DIBAO:
        ok = per_capita < s and assets_ok
        lines.append(Line(_("低保认定"), _("符合") if ok else _("不符合"),
                          _("月人均收入 %(i)s %(cmp)s 低保标准 %(s)s") % {
                              "i": yuan(per_capita), "cmp": "<" if per_capita < s else "≥", "s": yuan(s)}))
        return ok, Group.DIBAO if ok else Group.GENERAL
    if test == Test.EDGE:
        ok = per_capita < edge and assets_ok
        lines.append(Line(_("低保边缘认定"), _("符合") if ok else _("不符合"),
                          _("月人均收入 %(i)s %(cmp)s 1.5 倍低保标准 %(e)s") % {
                              "i": yuan(per_capita), "cmp": "<" if per_capita < edge else "≥", "e": yuan(edge)}))
        return ok, (Group.DIBAO if per_capita < s else Group.EDGE) if ok else Group.GENERAL
    ok = after < edge and assets_ok  # Test.EXPENSE
    lines.append(Line(_("支出型困难认定"), _("符合") if ok else _("不符合"),
                      _("扣除刚性支出后月人均收入 %(i)s %(cmp)s 1.5 倍低保标准 %(e)s") % {
                          "i": yuan(after), "cmp": "<" if after < edge else "≥", "e": yuan(edge)}))
    return ok, Group.EXPENSE if ok else Group.GENERAL


def _benefit(program, family, n, per_capita, s, income_total, rigid, rigid_by, on, lines) -> Decimal:
    p, f = program.params or {}, program.formula
    if f == Formula.GAP:
        gap = max(Decimal(0), s - per_capita)
        value = (gap * n).quantize(YUAN, ROUND_CEILING)
        lines.append(Line(_("月救助金额"), yuan(value), _("（%(s)s − %(i)s）× %(n)d 人，向上取整到元") % {
            "s": yuan(s), "i": yuan(per_capita), "n": n}))
        return value
    if f == Formula.PER_PERSON:
        std = standard_for(p.get("standard", "tekun"), family.region, on)
        amount = std.amount if std else s
        value = amount * n
        lines.append(Line(_("月救助金额"), yuan(value), _("%(a)s × %(n)d 人") % {"a": yuan(amount), "n": n}))
        return value
    if f == Formula.FIXED:
        value = Decimal(str(p.get("amount", 0)))
        lines.append(Line(_("救助金额"), yuan(value), _("定额")))
        return value
    if f == Formula.MONTHS:
        months = int(p.get("months", 3))
        value = s * months * n
        cap = Decimal(str(p["cap"])) if p.get("cap") else None
        note = _("%(m)d 个月低保标准 × %(n)d 人") % {"m": months, "n": n}
        if cap is not None and value > cap:
            value, note = cap, note + _("，封顶 %(c)s") % {"c": yuan(cap)}
        lines.append(Line(_("一次性救助金额"), yuan(value), note))
        return value
    if f == Formula.EXPENSE_RATIO:
        base = rigid_by.get(p.get("expense", "medical"), Decimal(0))
        deductible, ratio = Decimal(str(p.get("deductible", 0))), Decimal(str(p.get("ratio", 0)))
        value = max(Decimal(0), base - deductible) * ratio
        cap = Decimal(str(p["cap"])) if p.get("cap") else None
        note = _("（自付 %(b)s − 起付线 %(d)s）× %(r)s%%") % {"b": yuan(base), "d": yuan(deductible),
                                                          "r": (ratio * 100).normalize()}
        if cap is not None and value > cap:
            value, note = cap, note + _("，年度封顶 %(c)s") % {"c": yuan(cap)}
        lines.append(Line(_("救助金额"), yuan(value), note))
        return money(value)
    # Formula.TIERED — deep assistance graded by what rigid spending exceeds the family's means.
    keep = s * EDGE_FACTOR * WINDOW_MONTHS * n
    excess = max(Decimal(0), rigid - max(Decimal(0), income_total - keep))
    lines.append(Line(_("超出承受能力的刚性支出"), yuan(excess), _(
        "刚性支出 %(r)s −（年收入 %(i)s − 保留基本生活 %(k)s）") % {"r": yuan(rigid), "i": yuan(income_total),
                                                           "k": yuan(keep)}))
    value, lower = Decimal(0), Decimal(0)
    for upper, ratio in p.get("tiers", []):
        upper = Decimal(str(upper)) if upper is not None else None
        ratio = Decimal(str(ratio))
        top = excess if upper is None else min(excess, upper)
        if top <= lower:
            break
        part = (top - lower) * ratio
        lines.append(Line(_("分档 %(a)s–%(b)s") % {"a": yuan(lower), "b": yuan(upper) if upper else "∞"},
                          yuan(part), _("× %(r)s%%") % {"r": (ratio * 100).normalize()}))
        value += part
        if upper is None:
            break
        lower = upper
    cap = Decimal(str(p.get("cap", DEEP_CAP)))
    if value > cap:
        lines.append(Line(_("封顶"), yuan(cap), _("深度救助最高 %(c)s") % {"c": yuan(cap)}))
        value = cap
    lines.append(Line(_("深度救助金额"), yuan(value)))
    return money(value)


def group_after(program: Program, assessment: Assessment) -> str:
    """The target group a confirmed application puts the family in."""
    if program.klass == Klass.DIBAO:
        return Group.DIBAO
    if program.klass == Klass.TEKUN:
        return Group.TEKUN
    return assessment.group if assessment.group != Group.GENERAL else ""
