from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_index, name="list"),
    path("new/", views.incident_new, name="new"),
    path("supervision/", views.supervision, name="supervision"),
    path("photo/<int:pk>/", views.photo, name="photo"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.incident_act, name="act"),
]
