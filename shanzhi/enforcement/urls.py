from django.urls import path

from . import io_views, views

app_name = "enforcement"
urlpatterns = [
    path("powers/", views.power_list, name="powers"),
    path("powers/export.xlsx", io_views.powers_export, name="powers_export"),
    path("powers/import/", io_views.powers_import, name="powers_import"),
    path("powers/<str:code>/", views.power_item, name="power"),
    path("squads/", views.squad_list, name="squads"),
    path("squads/<int:pk>/", views.squad_detail, name="squad"),
]
