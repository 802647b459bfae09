from django.urls import path

from . import views, whatif_views

app_name = "command"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("drill/<str:key>/", views.drill, name="drill"),
    path("export.xlsx", views.export, name="export"),
    path("appraisal/", views.appraisal, name="appraisal"),
    path("team/", views.team, name="team"),
    path("team/drill/<str:key>/", views.team_drill, name="team_drill"),
    path("assistance/", views.assistance, name="assistance"),
    path("assistance/drill/<str:key>/", views.assistance_drill, name="assistance_drill"),
    path("whatif/", whatif_views.whatif, name="whatif"),
]
