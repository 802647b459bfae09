from django.urls import path

from . import views

app_name = "enforcement"
urlpatterns = [
    path("powers/", views.power_list, name="powers"),
    path("powers/export.xlsx", views.power_export, name="powers_export"),
    path("powers/<str:code>/", views.power_item, name="power"),
]
