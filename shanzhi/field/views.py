"""The phone app's server side: the sync endpoint for the offline queue, the web app manifest, the
service worker (served from the site's root so that it may look after every field page) and the
pages the service worker keeps for a missing signal."""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shanzhi.cases.errors import Conflict
from shanzhi.common.errors import error_fields

from . import services

logger = logging.getLogger(__name__)

# What the phone keeps to open without a signal: the shell's styles and scripts, the map library
# the patrol page draws with, the icons. Field pages themselves are kept as they are visited.
SHELL = [
    "shanzhi/app.css", "shanzhi/js/app.js", "shanzhi/js/live.js", "shanzhi/js/field.js",
    "shanzhi/js/report-form.js", "shanzhi/js/patrol.js", "shanzhi/js/field-patrol.js",
    "vendor/idb/idb.umd.js", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
    "django_htmx/htmx-2.min.js", "shanzhi/icons/icon-192.png", "shanzhi/icons/icon-512.png",
]
WORKBOX = ["workbox-sw.js", "workbox-core.prod.js", "workbox-routing.prod.js", "workbox-strategies.prod.js",
           "workbox-precaching.prod.js", "workbox-expiration.prod.js", "workbox-cacheable-response.prod.js"]


def _json(payload: dict, status: int) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


@require_POST
def sync(request):
    """One item of the phone's queue. 201 carried out; 200 a copy of one carried out before (the
    first answer again); 400 refused with the reasons by field; 403/404 refused; 409 a conflict
    (someone acted on the case meanwhile); 401 signed out (the phone keeps the item)."""
    if not request.user.is_authenticated:
        return _json({"status": "login", "message": _("登录已过期，请重新登录后同步")}, 401)
    p = request.POST
    owner = (p.get("owner") or "").strip()
    if owner and owner != str(request.user.pk):
        # Made by someone else on this phone, who has since been signed out here: it waits for them
        # and is never filed under the person signed in now.
        return _json({"status": "login", "message": _("这条记录是另一位用户在本机保存的，请该用户登录后同步")}, 401)
    try:
        fields = services.parse_fields(p.get("fields"))
        answer, created = services.submit(actor=request.user, key=p.get("key"), kind=p.get("kind", ""),
                                          made_at=p.get("made_at"), fields=fields,
                                          photos=request.FILES.getlist("photos"), lon=p.get("lon"), lat=p.get("lat"),
                                          sent_at=p.get("sent_at"))
    except ValidationError as exc:
        errors = error_fields(exc)
        return _json({"status": "refused", "errors": errors, "message": "；".join(errors.values())}, 400)
    except Conflict as exc:
        return _json({"status": "conflict", "message": str(exc)}, 409)
    except PermissionDenied as exc:
        return _json({"status": "refused", "message": str(exc) or _("无权执行此操作")}, 403)
    except Http404:
        return _json({"status": "refused", "message": _("记录不存在或不在您的管辖范围内")}, 404)
    return _json({"status": "accepted" if created else "duplicate", **answer}, 201 if created else 200)


@require_GET
def manifest(request):
    data = {
        "name": _("善治 · 网格通"), "short_name": _("善治"), "lang": "zh-CN",
        "description": _("网格员、信息员、执法队员的外勤工具：上报、巡查、待办、消息，没有信号也能用"),
        "start_url": "/work/", "scope": "/", "display": "standalone", "orientation": "portrait",
        "background_color": "#f5f6f8", "theme_color": "#b3261e",
        "icons": [{"src": static("shanzhi/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": static("shanzhi/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
                   "purpose": "any maskable"}],
        "shortcuts": [{"name": _("上报事件"), "url": "/incidents/new/"}, {"name": _("巡查"), "url": "/incidents/patrols/"}],
    }
    resp = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8")
    resp["Cache-Control"] = "public, max-age=3600"
    return resp


@lru_cache(maxsize=1)
def _revisions() -> tuple[tuple[str, str], ...]:
    """Each kept file's URL with a hash of its content: a changed file is fetched again, a new
    version of the service worker is installed because its own text changed."""
    out = []
    for name in SHELL + [f"vendor/workbox/{w}" for w in WORKBOX]:
        path = finders.find(name) or (Path(settings.STATIC_ROOT) / name)
        if not Path(path).exists():
            # One missing file would fail the whole install: leave it to the network.
            logger.error("service worker: static file %s not found, not kept on phones", name)
            continue
        out.append((static(name), hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]))
    return tuple(out)


@require_GET
def service_worker(request):
    precache = [{"url": url, "revision": rev} for url, rev in _revisions()]
    precache.append({"url": "/field/offline/", "revision": hashlib.sha256(
        json.dumps(precache).encode()).hexdigest()[:12]})
    resp = render(request, "field/sw.js", {
        "precache": json.dumps(precache), "workbox_prefix": static("vendor/workbox/").rstrip("/"),
        "workbox": static("vendor/workbox/workbox-sw.js")}, content_type="application/javascript; charset=utf-8")
    resp["Cache-Control"] = "no-cache"
    resp["Service-Worker-Allowed"] = "/"
    return resp


@require_GET
def offline(request):
    """What a field page shows when it was never opened with a signal: no personal data (it is
    kept on the phone for everyone who signs in there)."""
    return render(request, "field/offline.html", {})


@login_required
@require_GET
def queue(request):
    """What this phone still has to send, and what came back refused or in conflict (the list is
    read from the phone itself)."""
    return render(request, "field/queue.html", {"active": "queue"})
