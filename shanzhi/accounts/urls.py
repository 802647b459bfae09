from django.contrib.auth import views as auth_views
from django.urls import path

from shanzhi.common.ratelimit import limit_by_ip

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", limit_by_ip("login", limit=30)(views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("", views.home, name="home"),
    path("pillar/<str:key>/", views.pillar, name="pillar"),
]
