from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("work/", views.work, name="work"),
    path("supervision/", views.desk, name="supervision"),
]
