"""The public power and responsibility list (权责清单) and its discretion standards: open to
everyone (the law requires them published), searchable, exportable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shanzhi.common.ratelimit import limit_by_ip
from shanzhi.geo.models import Region

from .models import Domain, PenaltyItem

PAGE = 40


def _filtered(request):
    qs = PenaltyItem.objects.filter(is_active=True).select_related("department")
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(law__contains=q) | Q(code=q) | Q(department__name__contains=q))
    domain = request.GET.get("domain", "")
    if domain in Domain.values:
        qs = qs.filter(domain=domain)
    town = Region.objects.filter(level=Region.Level.TOWN, code=request.GET.get("town", "")[:12]).first() \
        if request.GET.get("town") else None
    scope = request.GET.get("scope", "")
    if town is not None and scope == "county":
        qs = qs.exclude(towns=town)
    elif town is not None:
        qs = qs.filter(towns=town)
    elif scope == "county":
        qs = qs.filter(towns__isnull=True)
    return qs, {"q": q, "domain": domain, "town": town, "scope": scope}


@limit_by_ip("powers", limit=120, methods=("GET",))
def power_list(request):
    """权责清单: every penalty power, whether a town exercises it (综合执法) or it stays with the
    county's department (专业执法)."""
    qs, f = _filtered(request)
    page = Paginator(qs.order_by("code"), PAGE).get_page(request.GET.get("page"))
    towns = Region.objects.filter(level=Region.Level.TOWN).annotate(
        powers=Count("penalty_items", filter=Q(penalty_items__is_active=True))).order_by("code")
    by_department = (PenaltyItem.objects.filter(is_active=True).values("department__name")
                     .annotate(n=Count("id", distinct=True), delegated=Count("id", filter=Q(towns__isnull=False), distinct=True))
                     .order_by("-n"))
    return render(request, "enforcement/powers.html", {
        "page": page, "total": qs.count(), "domains": Domain.choices, "towns": towns,
        "by_department": by_department, "active": "team", **f})


@limit_by_ip("powers", limit=120, methods=("GET",))
def power_item(request, code: str):
    item = (PenaltyItem.objects.filter(is_active=True, code=code[:40]).select_related("department")
            .prefetch_related("bands", "factors", "towns").first())
    if item is None:
        raise Http404
    from .models import Factor

    general = Factor.objects.filter(item__isnull=True)
    return render(request, "enforcement/power.html", {"item": item, "general": general, "active": "team"})


@limit_by_ip("powers-export", limit=10, methods=("GET",))
def power_export(request):
    """The list as filtered, with every discretion band, as xlsx."""
    from shanzhi.registry.services.tabular import write_xlsx

    qs, f = _filtered(request)
    header = [_("事项编码"), _("事项名称"), _("原实施部门"), _("执法领域"), _("法律依据"), _("条款"), _("处罚依据"),
              _("处罚种类"), _("行使层级"), _("简易程序"), _("首违不罚"), _("违法程度"), _("适用情形"), _("计罚方式"),
              _("罚款下限"), _("罚款上限"), _("其他处罚或措施")]
    rows = []
    for item in qs.order_by("code").prefetch_related("bands", "towns")[:5000]:
        towns = "、".join(t.name for t in item.towns.all()) or _("县级部门（专业执法）")
        head = [item.code, item.name, item.department.name, item.get_domain_display(), item.law, item.article,
                item.legal_basis, "、".join(item.penalty_labels), towns, _("是") if item.simple_procedure else _("否"),
                _("是") if item.first_violation_exempt else _("否")]
        for band in item.bands.all() or [None]:
            tail = ["", "", "", "", "", ""] if band is None else [
                band.get_level_display(), band.circumstances, band.get_basis_display(),
                "" if band.fine_min is None else f"{band.fine_min}", "" if band.fine_max is None else f"{band.fine_max}",
                band.other]
            rows.append(head + tail)
    data = write_xlsx(header, rows, sheet_title=_("权责清单"))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="powers.xlsx"'
    return response
