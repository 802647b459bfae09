"""Patrol pages: a grid worker's rounds on the phone; leaders see rounds in their jurisdiction."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shanzhi.common.errors import error_text
from shanzhi.common.jurisdiction import scope_for
from shanzhi.geo.models import Grid

from .models import PatrolRound
from .services import patrols
from .services.loop import Conflict


def _round_for_viewer(user, pk: int) -> PatrolRound:
    patrol = PatrolRound.objects.select_related("grid", "user").filter(pk=pk).first()
    scope = scope_for(user)
    if patrol is None or not (patrol.user_id == user.pk or scope.unrestricted or patrol.grid_id in scope.grid_ids
                              or patrol.grid.region_id in scope.region_ids):
        raise Http404
    return patrol


@login_required
def patrol_index(request):
    scope = scope_for(request.user)
    qs = PatrolRound.objects.select_related("grid", "user")
    if not scope.unrestricted:
        from django.db.models import Q

        qs = qs.filter(Q(user=request.user) | Q(grid_id__in=scope.grid_ids) | Q(grid__region_id__in=scope.region_ids))
    from shanzhi.enforcement.squads import patrol_grids

    officer_grids = patrol_grids(request.user)
    my_grids = (officer_grids if officer_grids is not None else Grid.objects.filter(pk__in=scope.grid_ids)) \
        .filter(is_active=True).order_by("level", "code")
    page = Paginator(qs.order_by("-started_at"), 30).get_page(request.GET.get("page"))
    open_round = PatrolRound.objects.filter(user=request.user, ended_at__isnull=True).first()
    grids = list(my_grids[:60])
    return render(request, "incidents/patrols.html", {
        "page": page, "my_grids": grids, "open_round": open_round, "active": "incidents",
        "sheets": patrols.sheets(grids),
        "checked": list(open_round.checks.values_list("item_id", flat=True)) if open_round else []})


@login_required
@require_POST
def patrol_start(request):
    try:
        patrol = patrols.patrol_start(actor=request.user, grid=request.POST.get("grid"))
    except ValidationError as exc:
        return HttpResponse(error_text(exc), status=400, content_type="text/plain; charset=utf-8")
    return redirect("incidents:patrol", pk=patrol.pk)


@login_required
def patrol_detail(request, pk: int):
    patrol = _round_for_viewer(request.user, pk)
    error = ""
    if request.method == "POST":
        try:
            if "finish" in request.POST:
                patrols.patrol_finish(actor=request.user, round_id=pk)
            else:
                patrols.patrol_check(actor=request.user, round_id=pk, item_id=request.POST.get("item"),
                                     ok=request.POST.get("ok") == "1", note=request.POST.get("note", ""),
                                     photos=request.FILES.getlist("photos"))
            return redirect("incidents:patrol", pk=pk)
        except ValidationError as exc:
            error = error_text(exc)
        except (Conflict, PermissionDenied) as exc:
            error = str(exc)
    checks = {c.item_id: c for c in patrol.checks.select_related("incident")}
    items = [(item, checks.get(item.id)) for item in patrols.items_for(patrol.grid)]
    return render(request, "incidents/patrol.html", {
        "patrol": patrol, "items": items, "error": error, "mine": patrol.user_id == request.user.pk,
        "track": patrol.track, "active": "incidents", "done": sum(1 for _i, c in items if c),
        "leads": patrol.penalty_cases.order_by("registered_at")},
        status=400 if error else 200)


@login_required
@require_POST
def patrol_track(request, pk: int):
    try:
        points = json.loads(request.body or b"[]")
        count = patrols.patrol_track(actor=request.user, round_id=pk, points=points)
    except json.JSONDecodeError:
        return JsonResponse({"detail": "请求体不是 JSON"}, status=400)
    except ValidationError as exc:
        return JsonResponse({"detail": error_text(exc)}, status=400)
    except Conflict as exc:
        return JsonResponse({"detail": str(exc)}, status=409)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    return JsonResponse({"points": count})
