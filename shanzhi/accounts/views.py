from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.ratelimit import limit_by_ip
from shanzhi.geo.models import Grid, Region
from shanzhi.registry.models import House, Organisation, Person

from .forms import LoginForm
from .models import Post
from .roles import SPECS


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def _summary(user) -> dict:
    scope = scope_for(user)
    grids = scope.grids(Grid.objects.filter(is_active=True))
    return {
        "grids": grids.count(),
        "people": scope.filter(Person.objects.all()).count(),
        "houses": scope.filter(House.objects.all()).count(),
        "rentals": scope.filter(House.objects.filter(is_rental=True)).count(),
        "organisations": scope.filter(Organisation.objects.all()).count(),
    }


def _people_by_area(user) -> list[dict]:
    """People per town (county-wide users) or per first-level grid (everyone else)."""
    scope = scope_for(user)
    people = scope.filter(Person.objects.all())
    towns = scope.regions(Region.objects.filter(level=Region.Level.TOWN))
    if scope.unrestricted or towns.count() > 1:
        rows = people.values("region__parent__name").annotate(n=Count("id")).order_by("-n")
        return [{"name": r["region__parent__name"] or _("未落图"), "value": r["n"]} for r in rows]
    rows = people.values("grid__name").annotate(n=Count("id")).order_by("-n")[:30]
    return [{"name": r["grid__name"] or _("未落图"), "value": r["n"]} for r in rows]


def _waiting(user) -> list[dict]:
    """What waits for this user, by the posts they hold (each links to the filtered list)."""
    from shanzhi.incidents import permissions
    from shanzhi.incidents.selectors import incident_list

    roles = permissions.roles_of(user)
    qs = incident_list(actor=user)
    items = []
    if roles & permissions.COMMAND:
        items += [("待受理", "reported"), ("待派遣", "registered")]
    if roles & permissions.HANDLERS:
        items += [("待签收", "dispatched"), ("处置中", "handling")]
    if roles & permissions.GRID_SIDE:
        items += [("待核查", "replied")]
    rows = [{"label": label, "url": f"?status={status}", "n": qs.filter(status=status).count()} for label, status in items]
    if roles & permissions.COMMAND:
        from django.utils import timezone

        from shanzhi.incidents.selectors import due_q

        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        rows.append({"label": "今日上报", "url": "", "n": qs.filter(reported_at__gte=today).count()})
        rows.append({"label": "已超期", "url": "?status=open&late=1", "n": qs.filter(due_q(overdue=True)).count()})
    return rows


@login_required
def home(request):
    from django.shortcuts import redirect

    from shanzhi.incidents import permissions

    posts = Post.objects.filter(user=request.user, is_active=True).select_related("region", "grid", "department")
    if not request.user.is_superuser and {p.role for p in posts} <= {"citizen"}:
        return redirect("onewindow:hall")  # residents and companies: their online hall, not a staff desk
    pillars = {SPECS[p.role].pillar for p in posts}
    roles = permissions.roles_of(request.user)
    return render(request, "accounts/home.html", {
        "waiting": _waiting(request.user),
        "is_command": bool(roles & permissions.COMMAND), "is_grid": bool(roles & permissions.GRID_SIDE),
        "posts": posts,
        "summary": _summary(request.user),
        "chart": _people_by_area(request.user),
        "pillars": pillars,
        "active": "home",
    })


PILLARS = {
    "window": (_("一窗口 · 审批服务"), _("综合窗口受理、事项目录、办件全程督办与好差评。")),
    "team": (_("一队伍 · 综合执法"), _("执法事项目录、按网格划分的执法中队、案件办理与双随机检查。")),
    "center": (_("一中心 · 指挥调度"), _("事件闭环、指挥调度、督办考核与综合研判。")),
}


@login_required
def pillar(request, key: str):
    if key not in PILLARS:
        raise Http404
    title, lead = PILLARS[key]
    scope = scope_for(request.user)
    towns = scope.regions(Region.objects.filter(level=Region.Level.TOWN)).annotate(
        grid_count=Count("town_grids", distinct=True)
    )
    orgs = scope.filter(Organisation.objects.all())
    return render(request, "accounts/pillar.html", {
        "key": key, "title": title, "lead": lead, "active": key, "towns": towns,
        "org_kinds": [{"name": str(Organisation.Kind(r["kind"]).label), "value": r["n"]}
                      for r in orgs.values("kind").annotate(n=Count("id"))],
        "key_orgs": orgs.filter(is_key=True).count(),
        "summary": _summary(request.user),
    })


@limit_by_ip("signup", limit=10)
def signup(request):
    """注册: a resident's or a company's account for the online hall, the mobile number confirmed
    by an SMS code."""
    from django.contrib.auth import login
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from shanzhi.common.errors import error_fields
    from shanzhi.common.ratelimit import client_ip

    from .signup import sign_up

    if request.user.is_authenticated:
        return redirect("onewindow:hall")
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("phone", "name")}
        try:
            user = sign_up(phone=values["phone"], code=request.POST.get("code", ""), name=values["name"],
                           password=request.POST.get("password", ""), password2=request.POST.get("password2", ""),
                           ip=client_ip(request))
        except ValidationError as exc:
            errors = error_fields(exc)
        else:
            login(request, user, backend="shanzhi.accounts.backends.UsernameOrMobileBackend")
            return redirect("onewindow:hall")
    return render(request, "accounts/signup.html", {"errors": errors, "v": values}, status=400 if errors else 200)
