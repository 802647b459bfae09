from django.urls import path
from django.views.generic import RedirectView

from . import patrol_views, views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_index, name="list"),
    path("new/", views.incident_new, name="new"),
    path("supervision/", RedirectView.as_view(pattern_name="cases:supervision", permanent=True), name="supervision"),
    path("photo/<int:pk>/", views.photo, name="photo"),
    path("patrols/", patrol_views.patrol_index, name="patrols"),
    path("patrols/start/", patrol_views.patrol_start, name="patrol_start"),
    path("patrols/<int:pk>/", patrol_views.patrol_detail, name="patrol"),
    path("patrols/<int:pk>/track/", patrol_views.patrol_track, name="patrol_track"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.incident_act, name="act"),
]
