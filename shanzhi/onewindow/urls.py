from django.urls import path

from . import views

app_name = "onewindow"
urlpatterns = [
    path("", views.window, name="window"),
    path("guide/", views.guide, name="guide"),
    path("guide/<str:code>/", views.guide_item, name="guide_item"),
    path("applications/new/", views.window_new, name="new"),
    path("applications/<int:pk>/", views.detail, name="detail"),
    path("applications/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("applications/<int:pk>/doc/<str:kind>/", views.document, name="document"),
    path("materials/<int:pk>/", views.material_file, name="material"),
    path("hall/", views.hall, name="hall"),
    path("hall/apply/<str:code>/", views.hall_apply, name="hall_apply"),
    path("rate/<str:token>/", views.rate, name="rate"),
]
