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


@limit_by_ip("powers", limit=120, methods=("GET",), signed_in_exempt=True)
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


@limit_by_ip("powers", limit=120, methods=("GET",), signed_in_exempt=True)
def power_item(request, code: str):
    item = (PenaltyItem.objects.filter(is_active=True, code=code[:40]).select_related("department")
            .prefetch_related("bands", "factors", "towns").first())
    if item is None:
        raise Http404
    from .models import Factor

    general = Factor.objects.filter(item__isnull=True)
    return render(request, "enforcement/power.html", {"item": item, "general": general, "active": "team"})


# --------------------------------------------------------------------------- squads and rosters
def _staff_only(request):
    from django.core.exceptions import PermissionDenied

    from shanzhi.accounts.roles import Role
    from shanzhi.common.jurisdiction import scope_for

    if not request.user.is_authenticated:
        return False
    roles = set(scope_for(request.user).roles)
    # Officers' names, certificates and rosters are for the team and those who command or dispatch it.
    allowed = {Role.ENFORCEMENT_OFFICER, Role.TOWN_LEADER, Role.COUNTY_LEADER, Role.DISPATCHER, Role.DEPT_HANDLER}
    if not (request.user.is_superuser or roles & allowed):
        raise PermissionDenied
    return True


def squad_list(request):
    """执法中队: each squad with its grids, officers (certificate state) and who is on duty today."""
    from django.contrib.auth.views import redirect_to_login
    from django.utils import timezone

    from . import squads as sq

    if not _staff_only(request):
        return redirect_to_login(request.get_full_path())
    today = timezone.localdate()
    rows = []
    for squad in sq.squads_for(request.user).prefetch_related("grids", "officers__user").order_by("name"):
        officers = list(squad.officers.all())
        states = [sq.certificate_state(o, today) for o in officers]
        rows.append({"squad": squad, "grids": list(squad.grids.all()), "officers": len(officers),
                     "valid": states.count("valid") + states.count("expiring"), "expired": states.count("expired"),
                     "expiring": states.count("expiring"), "on_duty": sq.on_duty(squad, today).count()})
    return render(request, "enforcement/squads.html", {"rows": rows, "today": today, "active": "team"})


def squad_detail(request, pk: int):
    import datetime as dt

    from django.contrib.auth.views import redirect_to_login
    from django.utils import timezone

    from . import squads as sq

    if not _staff_only(request):
        return redirect_to_login(request.get_full_path())
    squad = sq.squads_for(request.user).filter(pk=pk).first()
    if squad is None:
        raise Http404
    today = timezone.localdate()
    officers = [{"o": o, "state": sq.certificate_state(o, today), "label": sq.STATE_LABELS[sq.certificate_state(o, today)]}
                for o in squad.officers.select_related("user").order_by("certificate_number")]
    days = [today + dt.timedelta(days=d) for d in range(0, 7)]
    roster = {(s.officer_id, s.day, s.shift) for s in squad.shifts.filter(day__in=days)}
    table = [{"o": r["o"], "days": [[sh for sh in ("day", "evening") if (r["o"].pk, d, sh) in roster] for d in days]}
             for r in officers]
    return render(request, "enforcement/squad.html", {"squad": squad, "officers": officers, "days": days,
                                                      "table": table, "grids": squad.grids.all(), "active": "team"})


@limit_by_ip("powers", limit=120, methods=("GET",), signed_in_exempt=True)
def published(request):
    """行政处罚信息公示: decisions against companies and other organisations, as the law has them
    published; never a person's penalty, never an ID number or a phone."""
    from .models import PenaltyCase, PenaltyDocument

    qs = PenaltyCase.objects.filter(published_at__isnull=False).select_related("town", "item", "party_org",
                                                                                "item__department")
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(Q(party_name__contains=q) | Q(party_org__uscc=q.upper()) | Q(item__name__contains=q))
    page = Paginator(qs.order_by("-published_at", "-id"), PAGE).get_page(request.GET.get("page"))
    numbers = dict(PenaltyDocument.objects.filter(case__in=[c.pk for c in page], kind__in=["decision", "simple"])
                   .values_list("case_id", "number"))
    for c in page:
        c.decision_number = numbers.get(c.pk, "")
    return render(request, "enforcement/published.html", {"page": page, "q": q, "active": "team"})
