from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .jurisdiction import actor_can
from .models import AuditLog


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 — report any failure as not ready
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        from django_tasks_db.models import DBTaskResult

        checks["queue_ready"] = DBTaskResult.objects.filter(status="READY").count()
        checks["queue"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["queue"] = f"error: {exc.__class__.__name__}"
    ok = checks.get("database") == "ok" and checks.get("queue") == "ok"
    return JsonResponse({"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503)


@login_required
def audit_log(request):
    """Filter the audit trail; auditors only."""
    if not actor_can(request.user, "read_audit"):
        raise PermissionDenied
    qs = AuditLog.objects.select_related("actor")
    f = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "object_type", "date_from", "date_to", "q")}
    if f["actor"]:
        qs = qs.filter(actor_label__icontains=f["actor"])
    if f["action"]:
        qs = qs.filter(action=f["action"])
    if f["object_type"]:
        qs = qs.filter(object_type=f["object_type"])
    if f["date_from"]:
        qs = qs.filter(at__date__gte=f["date_from"])
    if f["date_to"]:
        qs = qs.filter(at__date__lte=f["date_to"])
    if f["q"]:
        qs = qs.filter(object_repr__icontains=f["q"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    types = AuditLog.objects.order_by().values_list("object_type", flat=True).distinct()
    return render(request, "common/audit.html", {
        "page": page, "f": f, "actions": AuditLog.Action.choices, "types": sorted(set(types)), "active": "audit",
    })
