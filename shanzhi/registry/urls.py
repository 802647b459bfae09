from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("import/", views.import_page, name="import"),
    path("import/template/<str:kind>.xlsx", views.import_template, name="template"),
    path("export/<str:kind>.xlsx", views.export, name="export"),
    path("person/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<str:kind>/<int:pk>/", views.detail, name="detail"),
    path("<str:kind>/<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
]
