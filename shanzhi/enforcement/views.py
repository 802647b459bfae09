"""The public power and responsibility list (权责清单) and its discretion standards: open to
everyone (the law requires them published), searchable, exportable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render

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
