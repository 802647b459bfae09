from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("sync/", views.sync, name="sync"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline, name="offline"),
    path("queue/", views.queue, name="queue"),
]
