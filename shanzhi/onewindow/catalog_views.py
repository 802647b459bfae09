"""The catalog in Excel: staff export it, system administrators import it (catalog_io)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.roles import Role
from shanzhi.common import audit
from shanzhi.common.ratelimit import client_ip

from .catalog_io import MAX_BYTES, SHEET_ITEMS, SHEET_MATERIALS, SHEET_STEPS, export_catalog, import_catalog
from .kind import WINDOW, _roles
from .models import ServiceItem

# The staff who work with the guide at the window or in the departments (as the window's list).
EXPORTERS = WINDOW | {Role.DEPT_HANDLER, Role.TOWN_LEADER, Role.COUNTY_LEADER}


def can_import(user) -> bool:
    """Only the system administrator changes the catalog in bulk."""
    return bool(getattr(user, "is_superuser", False))


def can_export(user) -> bool:
    return can_import(user) or bool(_roles(user) & EXPORTERS)


@login_required
def catalog_export(request):
    if not can_export(request.user):
        raise PermissionDenied
    items = ServiceItem.objects.all()
    data = export_catalog(items)
    audit.record(actor=request.user, action="export", object_type="onewindow.serviceitem",
                 object_repr=_("政务服务事项目录"), after={"items": items.count()}, ip=client_ip(request))
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename=\"catalog-{stamp}.xlsx\""
    return resp


@login_required
def catalog_import(request):
    if not can_import(request.user):
        raise PermissionDenied
    result, status = None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的文件"))
            status = 400
        elif upload.size > MAX_BYTES:
            messages.error(request, _("文件过大（上限 %(n)d MB），请拆分后上传") % {"n": MAX_BYTES // (1024 * 1024)})
            status = 400
        else:
            result = import_catalog(request.user, upload.read(), upload.name, ip=client_ip(request))
            if result.ok:
                messages.success(request, _("导入成功：新增 %(c)d 项，修改 %(u)d 项，未变 %(n)d 项")
                                 % {"c": result.created, "u": result.updated, "n": result.unchanged})
            else:
                status = 400
    return render(request, "onewindow/catalog_import.html", {
        "result": result, "max_mb": MAX_BYTES // (1024 * 1024), "active": "window",
        "sheets": (SHEET_ITEMS, SHEET_MATERIALS, SHEET_STEPS)}, status=status)
