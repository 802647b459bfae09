"""Penalty case pages: the list (by status), a case with its steps and clocks, the filing
decision, and turning a grid incident into a lead."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.cases.errors import Conflict
from shanzhi.cases.kinds import offered as kind_offered
from shanzhi.common import params
from shanzhi.common.errors import error_text

from . import cases as svc
from . import listing
from . import procedure as proc
from .cases import PENALTY
from .models import Evidence, Officer, PenaltyItem, PenaltyType
from .states import Outcome, PartyKind, ServiceMethod, Status

FORMS = ("file", "decline", "assign", "evidence", "submit", "legal_review", "return", "notify", "statement",
         "hearing_request", "hearing_notice", "hearing_held", "suspend", "resume", "decide", "serve", "pay", "close",
         "publish", "archive")


@login_required
def case_list(request):
    seen = PENALTY.visible(request.user)
    qs = seen
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    procedure = request.GET.get("procedure", "")
    if procedure in ("general", "simple"):
        qs = qs.filter(procedure=procedure)
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(search(q))
    counts = status_counts(request.user, seen)
    if q or procedure:
        total, more = listing.capped_count(qs)
    else:  # already known from the cached counts: one count query fewer on a busy town
        total, more = (counts.get(status, 0) if status in Status.values else sum(counts.values())), False
    until = request.GET.get("until", "")
    before = listing.parse(request.GET.get("before")) or listing.day_start(until)
    rows, older, newer = listing.keyset(qs, before=before, after=listing.parse(request.GET.get("after")))
    keep = {k: v for k, v in (("status", status), ("procedure", procedure), ("q", q)) if v}
    return render(request, "enforcement/cases.html", {
        "rows": rows, "older": urlencode({**keep, "before": older}) if older else "",
        "newer": urlencode({**keep, "after": newer}) if newer else "", "first": urlencode(keep),
        "total": total, "more": more, "until": until if before and "before" not in request.GET else "",
        "status": status, "procedure": procedure, "q": q, "now": timezone.now(), "active": "team",
        "statuses": [(v, label, counts.get(v, 0)) for v, label in Status.choices]})


@login_required
def case_map(request):
    """The map's data, fetched by the page after it has shown the list."""
    from django.http import JsonResponse

    return JsonResponse(_map_data(request.user, PENALTY.visible(request.user)))


def _map_data(user, seen) -> dict:
    """Open cases by grid (a dot per grid, sized by count) and officers' patrols of the last 7 days."""
    from shanzhi.incidents.models import PatrolRound

    open_statuses = [s for s in Status.values if s not in ("closed", "archived", "not_filed")]
    grids = (seen.filter(status__in=open_statuses, grid__isnull=False).order_by()
             .values("grid__name", "grid__center_lon", "grid__center_lat").annotate(n=Count("id")))
    towns = seen.order_by().values("town_id").distinct()
    since = timezone.now() - dt.timedelta(days=7)
    rounds = (PatrolRound.objects.filter(user__officer__squad__town_id__in=towns, started_at__gte=since)
              .select_related("user").order_by("-started_at")[:60])
    return {"grids": [{"name": g["grid__name"], "lon": g["grid__center_lon"], "lat": g["grid__center_lat"], "n": g["n"]}
                      for g in grids[:500]],
            "patrols": [{"who": str(r.user), "km": round(r.distance_m / 1000, 1), "min": r.duration_s // 60,
                         "at": timezone.localtime(r.started_at).strftime("%m-%d %H:%M"), "url": f"/incidents/patrols/{r.pk}/",
                         "track": [p[:2] for p in r.track[::3]]} for r in rounds]}


def search(q: str) -> Q:
    """A case number, a party's name or an item's name: the items (a few hundred) are looked up
    first, so each part is a condition on the case's own indexed columns."""
    items = list(PenaltyItem.objects.filter(name__contains=q).values_list("pk", flat=True)[:500])
    return Q(number=q) | listing.party_contains(q) | Q(item_id__in=items)


COUNTS_TTL = 30


def status_counts(user, seen) -> dict:
    """Cases per status in the user's jurisdiction, shared for half a minute by everyone with the
    same jurisdiction (a busy town's 400,000 cases take ~0.1 s to count)."""
    import hashlib

    from django.core.cache import cache

    key = "penalty-counts:" + hashlib.sha256(str(PENALTY._q(user)).encode()).hexdigest()[:32]
    counts = cache.get(key)
    if counts is None:
        counts = dict(seen.order_by().values_list("status").annotate(n=Count("id")))
        cache.set(key, counts, COUNTS_TTL)
    return counts


def _context(request, case, error=""):
    offered = kind_offered(PENALTY, request.user, case, FORMS)
    now = timezone.now()
    items = PenaltyItem.objects.filter(is_active=True, towns=case.town_id).order_by("domain", "code") \
        if "file" in offered else []
    evidence = list(case.evidence.select_related("collected_by"))
    for e in evidence:
        e.intact = e.current_digest() == e.sha256
    ctx = {"c": case, "steps": case.steps.order_by("at", "id"), "offered": offered, "items": items[:900],
           "error": error, "now": now, "active": "team", "evidence": evidence,
           "documents": case.documents.order_by("issued_at", "id"),
           "investigators": case.investigators.select_related("user", "squad"),
           "evidence_kinds": Evidence.Kind.choices, "service_methods": ServiceMethod.choices,
           "outcomes": Outcome.choices, "party_kinds": PartyKind.choices,
           "type_labels": dict(PenaltyType.choices),
           # What was typed, given back beside the reason when a move is refused.
           "f": request.POST if error and request.method == "POST" else QueryDict(),
           "party_uscc": case.party_org.uscc if case.party_org_id else "",
           "f_types": request.POST.getlist("penalty_types") if error and request.method == "POST" else None}
    if case.item_id:
        ctx["bands"] = list(case.item.bands.order_by("order"))
        ctx["item_types"] = [(t, dict(PenaltyType.choices).get(t, t)) for t in case.item.penalty_types]
        ctx["chosen_types"] = [ctx["type_labels"].get(t, t) for t in (case.penalty_types or case.proposed_types)]
    if "assign" in offered:
        today = timezone.localdate()
        ctx["officers"] = [o for o in Officer.objects.filter(squad__town_id=case.town_id, is_active=True)
                           .select_related("user", "squad").order_by("squad__name", "certificate_number")
                           if o.certified(today)]
    if case.status == Status.EXECUTING:
        ctx["late_days"], ctx["late_amount"] = proc.late_charge(case.fine, case.pay_due, now)
        ctx["amount_due"] = proc.amount_due(case, now)
    ctx["hearing_right"] = proc.hearing_right(case) if case.notice_at else False
    ctx["window_open"] = bool(case.hearing_window_until and now <= case.hearing_window_until)
    ctx["earliest_hearing"] = timezone.localdate() + dt.timedelta(days=7)
    return ctx


@login_required
def case_detail(request, pk: int):
    case = PENALTY.visible(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return render(request, "enforcement/case.html", _context(request, case))


def _when(raw, field):
    try:
        value = dt.datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError({field: ValidationError(_("请填写正确的时间"), code="invalid")}) from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _call(action, request, common):
    p = request.POST
    if action == "file":
        return svc.case_file(**common, item=p.get("item") or None, note=p.get("note", ""))
    if action == "decline":
        return svc.case_decline(**common, reason=p.get("note", ""))
    if action == "assign":
        return proc.assign(**common, officers=p.getlist("officers"))
    if action == "evidence":
        return proc.add_evidence(**common, kind=p.get("kind", ""), title=p.get("title", ""), text=p.get("text", ""),
                                 upload=request.FILES.get("file"), place=p.get("place", ""))
    penalty = {"level": p.get("level", ""), "penalty_types": p.getlist("penalty_types"), "fine": p.get("fine"),
               "base": p.get("base"), "exception_reason": p.get("exception_reason", "")}
    if action == "submit":
        return proc.submit(**common, findings=p.get("findings", ""), party_kind=p.get("party_kind", ""),
                           party_name=p.get("party_name", ""), party_org=p.get("party_org") or None, **penalty)
    if action == "legal_review":
        if p.get("passed") not in ("yes", "no"):
            raise ValidationError({"passed": ValidationError(_("请选择审核结论"), code="required")})
        return proc.legal_review(**common, passed=p.get("passed") == "yes", opinion=p.get("opinion", ""))
    if action == "return":
        return proc.send_back(**common, reason=p.get("reason", ""))
    if action == "statement":
        return proc.statement(**common, text=p.get("text", ""), waive=p.get("waive") == "on")
    if action == "hearing_notice":
        return proc.hearing_notice(**common, hearing_at=_when(p.get("hearing_at"), "hearing_at"),
                                   place=p.get("place", ""))
    if action == "hearing_held":
        return proc.hearing_held(**common, record=p.get("record", ""))
    if action == "suspend":
        return proc.suspend(**common, reason=p.get("reason", ""))
    if action == "decide":
        return proc.decide(**common, outcome=p.get("outcome", ""), reason=p.get("reason", ""), **penalty)
    if action == "serve":
        return proc.serve(**common, method=p.get("method", ""), note=p.get("note", ""))
    if action == "pay":
        return proc.pay(**common, amount=p.get("amount"), receipt_number=p.get("receipt_number", ""))
    simple = {"notify": proc.notify, "hearing_request": proc.hearing_request, "resume": proc.resume,
              "close": proc.close}
    if action in simple:
        return simple[action](**common, note=p.get("note", ""))
    if action == "publish":
        return proc.publish(**common)
    if action == "archive":
        return proc.archive(**common)
    raise Http404


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    case = PENALTY.visible(request.user).filter(pk=pk).first()
    if case is None or action not in FORMS:
        raise Http404
    try:
        common = {"actor": request.user, "case_id": pk, "expected_version": params.version(request.POST.get("version"))}
        _call(action, request, common)
    except ValidationError as exc:
        status, message = 400, error_text(exc)
    except Conflict as exc:
        status, message = 409, str(exc)
    except PermissionDenied as exc:
        status, message = 403, str(exc) or _("无权执行此操作")
    else:
        return redirect(f"/team/cases/{pk}/#action-panel")
    case.refresh_from_db()
    return render(request, "enforcement/case.html", _context(request, case, message), status=status)


@login_required
def document(request, pk: int, doc: int):
    case = PENALTY.visible(request.user).filter(pk=pk).first()
    row = case.documents.filter(pk=doc).first() if case is not None else None
    if row is None:
        raise Http404
    return render(request, "enforcement/document.html", {
        "c": case, "d": row, "data": row.data, "type_labels": dict(PenaltyType.choices),
        "types": "、".join(str(dict(PenaltyType.choices).get(t, t)) for t in row.data.get("types", [])),
        "bureau": f"{case.town.name}综合行政执法局"})


@login_required
def evidence_file(request, pk: int, evidence: int):
    case = PENALTY.visible(request.user).filter(pk=pk).first()
    row = case.evidence.filter(pk=evidence).first() if case is not None else None
    if row is None or not row.file:
        raise Http404
    response = FileResponse(row.file.open("rb"), content_type=row.content_type or "application/octet-stream")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def lead_from_incident(request, incident_id: int):
    try:
        case = svc.lead_from_incident(actor=request.user, incident_id=incident_id,
                                      party_name=request.POST.get("party_name", ""))
    except ValidationError as exc:
        return render(request, "enforcement/refused.html", {"error": error_text(exc)}, status=400)
    except Conflict as exc:
        return render(request, "enforcement/refused.html", {"error": str(exc)}, status=409)
    except PermissionDenied as exc:
        return render(request, "enforcement/refused.html", {"error": str(exc)}, status=403)
    return redirect("enforcement:case", pk=case.pk)


@login_required
def simple_new(request):
    """当场处罚 (simple procedure): two officers on the spot, a warning or a small fine."""
    me = Officer.objects.filter(user=request.user).select_related("squad__town").first()
    if me is None:
        raise PermissionDenied(_("只有执法队员可以当场处罚"))
    today = timezone.localdate()
    partners = [o for o in Officer.objects.filter(squad__town=me.squad.town_id, is_active=True)
                .exclude(pk=me.pk).select_related("user", "squad").order_by("squad__name", "certificate_number")
                if o.certified(today)]
    items = PenaltyItem.objects.filter(is_active=True, simple_procedure=True, towns=me.squad.town_id).order_by("code")
    error, status, form = "", 200, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        p = request.POST
        try:
            case = proc.simple_penalty(
                actor=request.user, partner=p.get("partner"), item=p.get("item"), party_kind=p.get("party_kind", ""),
                party_name=p.get("party_name", ""), party_org=p.get("party_org") or None, facts=p.get("facts", ""),
                address=p.get("address", ""), penalty_type=p.get("penalty_type", ""), fine=p.get("fine"),
                level=p.get("level") or "minor", paid_on_spot=p.get("paid_on_spot") == "on",
                receipt_number=p.get("receipt_number", ""))
        except ValidationError as exc:
            error, status = error_text(exc), 400
        except PermissionDenied as exc:
            error, status = str(exc), 403
        else:
            return redirect("enforcement:case", pk=case.pk)
    return render(request, "enforcement/simple.html", {
        "me": me, "partners": partners, "items": items, "error": error, "f": form, "active": "team",
        "party_kinds": PartyKind.choices}, status=status)
