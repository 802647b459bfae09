from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import params
from .errors import error_text
from .jurisdiction import actor_can, scope_for
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
    try:
        from django.utils import timezone

        from shanzhi.notify.models import Outbox

        oldest = Outbox.objects.filter(state=Outbox.State.PENDING).order_by("next_attempt_at").values_list(
            "next_attempt_at", flat=True).first()
        lag = int((timezone.now() - oldest).total_seconds()) if oldest else 0
        checks["outbox_lag_seconds"] = max(0, lag)
        # Messages waiting ten minutes past their time mean no worker is delivering them.
        checks["delivery"] = "ok" if lag < 600 else "stalled: is `shanzhi worker` running?"
    except Exception as exc:  # noqa: BLE001
        checks["delivery"] = f"error: {exc.__class__.__name__}"
    ok = checks.get("database") == "ok" and checks.get("queue") == "ok" and checks.get("delivery") == "ok"
    return JsonResponse({"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503)


def audit_rows(actor):
    """The audit rows an auditor may read: those about places in their jurisdiction; rows about
    no place (logins of county staff, API keys, configuration) only for county-wide auditors."""
    from shanzhi.geo.models import Region

    scope = scope_for(actor)
    qs = AuditLog.objects.select_related("actor")
    if scope.unrestricted:
        return qs
    cond = Q(region_id__in=scope.region_ids | scope.dept_region_ids)
    if Region.objects.filter(pk__in=scope.region_ids, level__lte=Region.Level.COUNTY).exists():
        cond |= Q(region__isnull=True)
    return qs.filter(cond)


@login_required
def audit_log(request):
    """Filter the audit trail; auditors only, through their jurisdiction."""
    if not actor_can(request.user, "read_audit"):
        raise PermissionDenied
    qs = audit_rows(request.user)
    f = {k: request.GET.get(k, "").strip()[:100] for k in ("actor", "action", "object_type", "date_from", "date_to", "q")}
    errors = []
    if f["actor"]:
        qs = qs.filter(actor_label__icontains=f["actor"])
    if f["action"]:
        qs = qs.filter(action=f["action"])
    if f["object_type"]:
        qs = qs.filter(object_type=f["object_type"])
    for key, lookup in (("date_from", "at__date__gte"), ("date_to", "at__date__lte")):
        if f[key]:
            try:
                qs = qs.filter(**{lookup: params.day(f[key], key)})
            except ValidationError as exc:
                errors.append(error_text(exc))
                f[key] = ""
    if f["q"]:
        qs = qs.filter(object_repr__icontains=f["q"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    types = audit_rows(request.user).order_by().values_list("object_type", flat=True).distinct()
    return render(request, "common/audit.html", {
        "page": page, "f": f, "actions": AuditLog.Action.choices, "types": sorted(set(types)), "active": "audit",
        "errors": errors,
    }, status=400 if errors else 200)
