"""Penalty case pages: the list (by status), a case with its steps and clocks, the filing
decision, and turning a grid incident into a lead."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.cases.errors import Conflict
from shanzhi.common import params
from shanzhi.common.errors import error_text

from . import cases as svc
from .cases import PENALTY
from .models import PenaltyItem
from .states import MOVES, Status


@login_required
def case_list(request):
    qs = PENALTY.visible(request.user)
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-registered_at", "-id"), 30).get_page(request.GET.get("page"))
    counts = {s: PENALTY.visible(request.user).filter(status=s).count() for s in Status.values}
    return render(request, "enforcement/cases.html", {"page": page, "status": status, "statuses": Status.choices,
                                                      "counts": counts, "now": timezone.now(), "active": "team"})


def _context(request, case, error=""):
    offered = []
    for action in ("file", "decline"):
        if case.status in MOVES[action].sources:
            try:
                PENALTY.permit(request.user, action, case)
                offered.append(action)
            except PermissionDenied:
                pass
    items = PenaltyItem.objects.filter(is_active=True, towns=case.town_id).order_by("domain", "code") \
        if "file" in offered else []
    return {"c": case, "steps": case.steps.order_by("at", "id"), "offered": offered, "items": items[:900],
            "error": error, "now": timezone.now(), "active": "team"}


@login_required
def case_detail(request, pk: int):
    case = PENALTY.visible(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return render(request, "enforcement/case.html", _context(request, case))


@login_required
@require_POST
def case_act(request, pk: int, action: str):
    case = PENALTY.visible(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    try:
        common = {"actor": request.user, "case_id": pk, "expected_version": params.version(request.POST.get("version"))}
        if action == "file":
            svc.case_file(**common, item=request.POST.get("item") or None, note=request.POST.get("note", ""))
        elif action == "decline":
            svc.case_decline(**common, reason=request.POST.get("note", ""))
        else:
            raise Http404
    except ValidationError as exc:
        status, message = 400, error_text(exc)
    except Conflict as exc:
        status, message = 409, str(exc)
    except PermissionDenied as exc:
        status, message = 403, str(exc) or _("无权执行此操作")
    else:
        return redirect("enforcement:case", pk=pk)
    case.refresh_from_db()
    return render(request, "enforcement/case.html", _context(request, case, message), status=status)


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
