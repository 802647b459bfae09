from django.urls import path

from . import views

app_name = "assistance"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("families/", views.family_list, name="families"),
    path("families/new/", views.family_new, name="family_new"),
    path("families/<int:pk>/", views.family_detail, name="family"),
    path("families/<int:pk>/documents/<int:doc>/", views.family_document, name="family_document"),
    path("families/<int:pk>/<str:form>/", views.family_act, name="family_act"),
    path("apply/", views.apply, name="apply"),
    path("mine/", views.my_applications, name="mine"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/act/<str:action>/", views.application_act, name="application_act"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/act/<str:action>/", views.alert_act, name="alert_act"),
    path("signals/import/", views.signal_import, name="signal_import"),
    path("payments/", views.payment_lists, name="payments"),
    path("payments/run/", views.payment_run, name="payment_run"),
    path("payments/<int:pk>/", views.payment_detail, name="payment"),
    path("payments/<int:pk>/act/<str:action>/", views.payment_act, name="payment_act"),
    path("payments/<int:pk>/bank.<str:fmt>", views.payment_export, name="payment_export"),
    path("catalog/", views.catalog, name="catalog"),
    path("notice/<str:code>/", views.notice_board, name="notice"),
]
