"""福村宝 pages: the desk (one fund, or every fund of the actor's villages), members and joining,
the claim form with its live payout preview, the claim with its computation and moves, and the
village's public page (公开公示), which names no one beyond a masked name."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.cases.errors import Conflict
from shanzhi.cases.kinds import offered
from shanzhi.common import params
from shanzhi.common.errors import error_text
from shanzhi.common.ratelimit import limit_by_ip

from . import services
from .kind import MUTUALAID
from .models import Income, Membership, Payment
from .states import Action, Status

CTX = {"active": "assistance"}
ERRORS = (ValidationError, Conflict, PermissionDenied)
HOSPITALS = ["江阴市人民医院", "江阴市中医院", "江阴市第三人民医院", "江阴市徐霞客镇卫生院", "无锡市人民医院",
             "无锡市第二人民医院", "江南大学附属医院", "江苏省人民医院", "复旦大学附属肿瘤医院", "上海交通大学医学院附属瑞金医院"]


def _fail(exc) -> tuple[int, str]:
    if isinstance(exc, ValidationError):
        return 400, error_text(exc)
    if isinstance(exc, Conflict):
        return 409, str(exc)
    return 403, str(exc) or _("无权执行此操作")


def _year_or_none(fund, raw=None):
    try:
        return services.year_of(fund, raw)
    except ValidationError:
        return None


# ------------------------------------------------------------------------------- desk
@login_required
def desk(request):
    user = request.user
    services.staff_level(user)
    fund_list = list(services.funds(user).order_by("region__code"))
    if len(fund_list) == 1:
        return fund_detail(request, fund_list[0].pk)
    over = services.overview(user, fund_list)
    rows = [(f, over[f.pk]) for f in fund_list]
    totals = {"balance": sum((o["balance"] for _f, o in rows), services.ZERO),
              "members": sum(o["members"] for _f, o in rows), "funds": len(rows),
              "waiting": sum(sum(o["waiting"].values()) for _f, o in rows)}
    queues = [(label, qs[:8], qs.count()) for label, qs in services.work(user)]
    return render(request, "mutualaid/desk.html", {**CTX, "rows": rows, "totals": totals, "queues": queues,
                                                   "year": timezone.localdate().year})


def _fund_context(request, fund, **extra):
    user = request.user
    fy = _year_or_none(fund)
    money = services.figures(fund)
    year_money = services.figures(fund, year=fy) if fy else None
    fund_claims = services.claims(user, fund)
    counts = dict(fund_claims.filter(fund_year=fy).values_list("status").annotate(n=Count("id")).order_by()) if fy \
        else {}
    return {
        **CTX, "fund": fund, "fy": fy, "money": money, "year_money": year_money,
        "kinds": [(k, label, money.by_kind.get(k, 0), year_money.by_kind.get(k, 0) if year_money else 0)
                  for k, label in Income.Kind.choices],
        "members": Membership.objects.filter(fund_year=fy).count() if fy else 0,
        "statuses": [(v, label, counts.get(v, 0)) for v, label in Status.choices],
        "recent": fund_claims.order_by("-submitted_at")[:10],
        "payments": Payment.objects.filter(fund=fund).select_related("claim__membership__person", "claim__rule")[:10],
        "incomes": Income.objects.filter(fund=fund).exclude(kind=Income.Kind.MEMBER)[:8],
        "rules": fy.rules.filter(is_active=True) if fy else [],
        "income_kinds": [(k, Income.Kind(k).label) for k in services.INCOME_FORM_KINDS],
        "queues": [(label, qs.filter(fund=fund)[:8], qs.filter(fund=fund).count())
                   for label, qs in services.work(user)],
        "today": timezone.localdate(), "f": {}, **extra}


@login_required
def fund_detail(request, pk: int, error: str = "", status: int = 200, form=None):
    services.staff_level(request.user)
    fund = services.get_fund(request.user, pk)
    return render(request, "mutualaid/fund.html", _fund_context(request, fund, error=error, f=form or {}),
                  status=status)


@login_required
@require_POST
def income_add(request, pk: int):
    fund = services.get_fund(request.user, pk)
    f = request.POST
    try:
        services.income_add(actor=request.user, fund_id=fund.pk, kind=f.get("kind", ""), amount=f.get("amount"),
                            received_on=f.get("received_on"), source=f.get("source", ""), note=f.get("note", ""))
    except ERRORS as exc:
        status, error = _fail(exc)
        return fund_detail(request, pk, error=error, status=status, form=f.dict())
    return redirect(f"/mutualaid/funds/{fund.pk}/#income")


# ------------------------------------------------------------------------------- members
@login_required
def members(request, pk: int, error: str = "", status: int = 200):
    user = request.user
    fund = services.get_fund(user, pk)
    years = list(fund.years.order_by("-year"))
    fy = _year_or_none(fund, request.GET.get("year") or request.POST.get("year")) or (years[0] if years else None)
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:20]
    joined = services.memberships(user, fund, fy).order_by("-paid_on", "-id") if fy else Membership.objects.none()
    others = services.residents(fund).filter(residence="registered")
    if fy:
        others = others.exclude(pk__in=Membership.objects.filter(fund_year=fy).values("person_id"))
    if q:
        joined, others = joined.filter(person__name__contains=q), others.filter(name__contains=q)
    return render(request, "mutualaid/members.html", {
        **CTX, "fund": fund, "fy": fy, "years": years, "q": q, "joined": joined[:300], "joined_n": joined.count(),
        "others": others.order_by("household_id", "id")[:60], "others_n": others.count(), "error": error,
        "f": request.POST if request.method == "POST" else {}, "today": timezone.localdate(),
        "new": request.GET.get("joined", "")}, status=status)


@login_required
@require_POST
def member_join(request, pk: int):
    fund = services.get_fund(request.user, pk)
    f = request.POST
    try:
        m = services.member_join(actor=request.user, fund_id=fund.pk, person=f.get("person") or None,
                                 id_number=f.get("id_number", ""), name=f.get("name", ""), year=f.get("year") or None,
                                 paid_on=f.get("paid_on") or None, contribution=f.get("contribution") or None)
    except ERRORS as exc:
        status, error = _fail(exc)
        return members(request, pk, error=error, status=status)
    return redirect(f"/mutualaid/funds/{fund.pk}/members/?year={m.fund_year.year}&joined={m.pk}")


# ------------------------------------------------------------------------------- claims
@login_required
def claim_list(request, pk: int):
    user = request.user
    fund = services.get_fund(user, pk)
    qs = services.claims(user, fund)
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    year = request.GET.get("year", "")
    if year.isdigit():
        qs = qs.filter(fund_year__year=int(year))
    counts = dict(services.claims(user, fund).values_list("status").annotate(n=Count("id")).order_by())
    return render(request, "mutualaid/claims.html", {
        **CTX, "fund": fund, "claims": qs.order_by("-submitted_at")[:300], "status": status, "year": year,
        "years": fund.years.order_by("-year").values_list("year", flat=True),
        "statuses": [(v, label, counts.get(v, 0)) for v, label in Status.choices]})


def _claim_form_context(request, fund, **extra):
    fy = _year_or_none(fund, request.GET.get("year") or request.POST.get("year"))
    return {**CTX, "fund": fund, "fy": fy, "hospitals": HOSPITALS, "today": timezone.localdate(),
            "people": services.memberships(request.user, fund, fy).order_by("person__name") if fy else [],
            "rules": fy.rules.filter(is_active=True) if fy else [], "f": {}, **extra}


@login_required
def claim_new(request, pk: int):
    user = request.user
    fund = services.get_fund(user, pk)
    if request.method != "POST":
        return render(request, "mutualaid/claim_new.html", _claim_form_context(
            request, fund, f={"membership": request.GET.get("membership", "")}))
    f = request.POST
    try:
        claim = services.claim_submit(
            actor=user, fund_id=fund.pk, membership=f.get("membership"), rule=f.get("rule"),
            hospital=f.get("hospital", ""), admitted_on=f.get("admitted_on"), discharged_on=f.get("discharged_on"),
            self_paid=f.get("self_paid"), total_cost=f.get("total_cost") or None, diagnosis=f.get("diagnosis", ""))
    except ERRORS as exc:
        status, error = _fail(exc)
        return render(request, "mutualaid/claim_new.html", _claim_form_context(request, fund, f=f, error=error),
                      status=status)
    return redirect("mutualaid:claim", pk=claim.pk)


@login_required
@require_POST
def claim_preview(request, pk: int):
    """The live payout under the claim form (htmx): nothing is written."""
    fund = services.get_fund(request.user, pk)
    f = request.POST
    ctx = {"hint": "", "error": "", "c": None}
    if not (f.get("membership") and f.get("rule") and f.get("self_paid")):
        ctx["hint"] = _("选择参保人、病种并填写个人自付金额后，这里显示补助测算。")
        return render(request, "mutualaid/_preview.html", ctx)
    try:
        ctx["c"] = services.claim_preview(actor=request.user, fund_id=fund.pk, membership=f.get("membership"),
                                          rule=f.get("rule"), self_paid=f.get("self_paid"))
    except ValidationError as exc:
        ctx["error"] = error_text(exc)
        return render(request, "mutualaid/_preview.html", ctx, status=400)
    ctx["available"] = services.figures(fund).available
    return render(request, "mutualaid/_preview.html", ctx)


@login_required
def claim_detail(request, pk: int, error: str = "", status: int = 200):
    user = request.user
    services.staff_level(user)
    claim = services.get_claim(user, pk)
    payment = Payment.objects.filter(claim=claim).select_related("paid_by").first()
    person = claim.membership.person
    return render(request, "mutualaid/claim.html", {
        **CTX, "c": claim, "fund": claim.fund, "person": person, "payment": payment,
        "steps": claim.steps.select_related("actor").order_by("at", "id"), "offered": offered(MUTUALAID, user, claim),
        "money": services.figures(claim.fund), "error": error,
        "history": services.claims(user, claim.fund).filter(membership__person=person).exclude(pk=claim.pk)
        .order_by("-submitted_at")[:10]}, status=status)


@login_required
@require_POST
def claim_act(request, pk: int, action: str):
    user = request.user
    services.staff_level(user)
    services.get_claim(user, pk)  # outside the actor's scope: 404 before anything is parsed
    f = request.POST
    try:
        version = params.version(f.get("version"))
        common = {"actor": user, "claim_id": pk, "expected_version": version}
        if action == Action.REVIEW:
            services.claim_review(**common, note=f.get("note", ""))
        elif action == Action.APPROVE:
            services.claim_approve(**common, note=f.get("note", ""))
        elif action == Action.PAY:
            services.claim_pay(**common, reference=f.get("reference", ""), publish=f.get("publish", "1") == "1")
        elif action == Action.REFUSE:
            services.claim_refuse(**common, reason=f.get("reason", ""))
        elif action in (Action.PUBLISH, Action.UNPUBLISH):
            services.payment_publish(**common, published=action == Action.PUBLISH, reason=f.get("reason", ""))
        else:
            raise Http404
    except ERRORS as exc:
        status, error = _fail(exc)
        return claim_detail(request, pk, error=error, status=status)
    return redirect(f"/mutualaid/claims/{pk}/#action-panel")


# ------------------------------------------------------------------------------- public page
@limit_by_ip("mutualaid-public", methods=("GET",), signed_in_exempt=True)
def public(request, code: str):
    """村务公开: the fund's income and balance and its published payments — masked name, disease
    (as the rules publish it), amount, date. No ID number, phone, hospital or diagnosis."""
    fund = services.public_fund(code)
    if fund is None:
        raise Http404
    years = list(fund.years.order_by("-year"))
    raw = request.GET.get("year", "")
    fy = next((y for y in years if str(y.year) == raw), None) or next(
        (y for y in years if y.year == timezone.localdate().year), None) or (years[0] if years else None)
    money = services.figures(fund)
    year_money = services.figures(fund, year=fy) if fy else None
    items = services.public_payments(fund, fy)
    return render(request, "mutualaid/public.html", {
        "fund": fund, "years": years, "fy": fy, "money": money, "year_money": year_money, "items": items,
        "kinds": [(label, year_money.by_kind.get(k, 0) if year_money else 0) for k, label in Income.Kind.choices],
        "members": Membership.objects.filter(fund_year=fy).count() if fy else 0,
        "rules": public_rules(fy), "now": timezone.now()})


def public_rules(fy) -> list[dict]:
    """The year's rules as the public sees them. Diseases published under a common label show the
    label once, without their parameters: a payout of exactly one rule's cap must not point to the
    disease the label is there to hide."""
    if fy is None:
        return []
    out, labelled = [], set()
    for r in fy.rules.filter(is_active=True).order_by("id"):
        if r.public_label:
            if r.public_label not in labelled:
                labelled.add(r.public_label)
                out.append({"shown_as": r.public_label, "deductible": "—", "ratio": "—", "cap": "—",
                            "note": _("按规定比例补助")})
            continue
        out.append({"shown_as": r.shown_as, "deductible": r.deductible, "ratio": f"{r.ratio_percent}%", "cap": r.cap,
                    "note": ""})
    return out

