from django.urls import path

from . import case_views, io_views, views

app_name = "enforcement"
urlpatterns = [
    path("powers/", views.power_list, name="powers"),
    path("powers/export.xlsx", io_views.powers_export, name="powers_export"),
    path("powers/import/", io_views.powers_import, name="powers_import"),
    path("powers/<str:code>/", views.power_item, name="power"),
    path("squads/", views.squad_list, name="squads"),
    path("squads/<int:pk>/", views.squad_detail, name="squad"),
    path("cases/", case_views.case_list, name="cases"),
    path("cases/map.json", case_views.case_map, name="case_map"),
    path("cases/<int:pk>/", case_views.case_detail, name="case"),
    path("cases/<int:pk>/act/<str:action>/", case_views.case_act, name="case_act"),
    path("cases/<int:pk>/doc/<int:doc>/", case_views.document, name="document"),
    path("cases/<int:pk>/evidence/<int:evidence>/", case_views.evidence_file, name="evidence_file"),
    path("simple/", case_views.simple_new, name="simple"),
    path("public/", views.published, name="published"),
    path("leads/from-incident/<int:incident_id>/", case_views.lead_from_incident, name="lead_from_incident"),
]
