from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from shanzhi.api.api import api
from shanzhi.common import views as common_views
from shanzhi.field import views as field_views
from shanzhi.incidents import views as incident_views
from shanzhi.onewindow import views as onewindow_views

admin.site.site_header = "善治 · 系统配置"
admin.site.site_title = "善治"


def admin_login(request):
    """The admin signs in through the platform's own login (same single answer, same locks and
    rate limit), never through a second, unthrottled form."""
    target = request.GET.get("next", "/admin/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return redirect("/login/?" + urlencode({"next": target}))


urlpatterns = [
    path("healthz", common_views.healthz, name="healthz"),
    path("readyz", common_views.readyz, name="readyz"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("shanzhi.api.open311_urls")),
    path("geo/", include("shanzhi.geo.urls")),
    path("registry/", include("shanzhi.registry.urls")),
    path("incidents/", include("shanzhi.incidents.urls")),
    path("center/", include("shanzhi.command.urls")),
    path("", include("shanzhi.cases.urls")),
    path("window/", include("shanzhi.onewindow.urls")),
    path("team/", include("shanzhi.enforcement.urls")),
    path("inspections/", include("shanzhi.inspections.urls")),
    path("assistance/", include("shanzhi.assistance.urls")),
    path("mutualaid/", include("shanzhi.mutualaid.urls")),
    path("verify/copy/", onewindow_views.verify_copy, name="verify_copy"),
    path("verify/<str:number>/", onewindow_views.verify, name="verify"),
    path("verify/<str:number>/qr.svg", onewindow_views.verify_qr, name="verify_qr"),
    path("messages/", include("shanzhi.notify.urls")),
    path("field/", include("shanzhi.field.urls")),
    path("sw.js", field_views.service_worker, name="service_worker"),
    path("rate/<str:token>/", incident_views.rate, name="rate"),
    path("report/", incident_views.public_report, name="public_report"),
    path("report/code/", incident_views.public_code, name="public_code"),
    path("system/", include("shanzhi.common.urls")),
    path("", include("shanzhi.accounts.urls")),
]
