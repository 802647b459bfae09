"""The power catalog in Excel: everyone may export the published list (as filtered on the list
page), the system administrator imports it back (catalog_io)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common.ratelimit import client_ip, limit_by_ip

from .catalog_io import MAX_BYTES, SHEET_BANDS, SHEET_ITEMS, TOWN_CODES, export_powers, import_powers
from .models import PenaltyItem
from .views import _filtered

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def can_import(user) -> bool:
    """Only the system administrator changes the catalog in bulk."""
    return bool(getattr(user, "is_superuser", False))


@limit_by_ip("powers-export", limit=10, methods=("GET",))
def powers_export(request):
    """The published list as filtered, with every discretion band, as xlsx in the import's layout.
    The system administrator may ask for the whole catalog, retired items included (?all=1)."""
    if request.GET.get("all") == "1" and can_import(request.user):
        data = export_powers(PenaltyItem.objects.all())
    else:
        # The published list changes rarely and costs a second or so to write: one copy per filter
        # for five minutes (keyed by the catalog's last change), not one per request.
        import hashlib

        from django.core.cache import cache
        from django.db.models import Max

        qs, f = _filtered(request)
        stamp_db = PenaltyItem.objects.aggregate(m=Max("updated_at"))["m"]
        key = "powers-xlsx:" + hashlib.sha256(
            f"{f['q']}|{f['domain']}|{f['town'].code if f['town'] else ''}|{f['scope']}|{stamp_db}".encode()).hexdigest()
        data = cache.get(key)
        if data is None:
            data = export_powers(qs)
            cache.set(key, data, 300)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="powers-{stamp}.xlsx"'
    return resp


@login_required
def powers_import(request):
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
            result = import_powers(request.user, upload.read(), upload.name, ip=client_ip(request))
            if result.ok:
                messages.success(request, _("导入成功：新增 %(c)d 项，修改 %(u)d 项，未变 %(n)d 项")
                                 % {"c": result.created, "u": result.updated, "n": result.unchanged})
            else:
                status = 400
    return render(request, "enforcement/powers_import.html", {
        "result": result, "max_mb": MAX_BYTES // (1024 * 1024), "active": "team",
        "sheets": (SHEET_ITEMS, SHEET_BANDS), "town_codes": TOWN_CODES}, status=status)
