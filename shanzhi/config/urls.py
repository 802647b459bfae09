from django.contrib import admin
from django.urls import include, path

from shanzhi.api.api import api
from shanzhi.common import views as common_views
from shanzhi.incidents import views as incident_views

admin.site.site_header = "善治 · 系统配置"
admin.site.site_title = "善治"

urlpatterns = [
    path("healthz", common_views.healthz, name="healthz"),
    path("readyz", common_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("shanzhi.api.open311_urls")),
    path("geo/", include("shanzhi.geo.urls")),
    path("registry/", include("shanzhi.registry.urls")),
    path("incidents/", include("shanzhi.incidents.urls")),
    path("center/", include("shanzhi.command.urls")),
    path("messages/", include("shanzhi.notify.urls")),
    path("rate/<str:token>/", incident_views.rate, name="rate"),
    path("report/", incident_views.public_report, name="public_report"),
    path("report/code/", incident_views.public_code, name="public_code"),
    path("system/", include("shanzhi.common.urls")),
    path("", include("shanzhi.accounts.urls")),
]
