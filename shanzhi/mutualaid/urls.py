from django.urls import path

from . import views

app_name = "mutualaid"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("funds/<int:pk>/", views.fund_detail, name="fund"),
    path("funds/<int:pk>/income/", views.income_add, name="income_add"),
    path("funds/<int:pk>/members/", views.members, name="members"),
    path("funds/<int:pk>/members/join/", views.member_join, name="member_join"),
    path("funds/<int:pk>/claims/", views.claim_list, name="claims"),
    path("funds/<int:pk>/claims/new/", views.claim_new, name="claim_new"),
    path("funds/<int:pk>/claims/preview/", views.claim_preview, name="claim_preview"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/act/<str:action>/", views.claim_act, name="claim_act"),
    path("public/<str:code>/", views.public, name="public"),
]
