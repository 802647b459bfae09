from django.urls import path

from . import catalog_views, oversight_views, queue_views, views

app_name = "onewindow"
urlpatterns = [
    path("", views.window, name="window"),
    path("guide/", views.guide, name="guide"),
    path("guide/<str:code>/", views.guide_item, name="guide_item"),
    path("catalog/export.xlsx", catalog_views.catalog_export, name="catalog_export"),
    path("catalog/import/", catalog_views.catalog_import, name="catalog_import"),
    path("applications/new/", views.window_new, name="new"),
    path("applications/<int:pk>/", views.detail, name="detail"),
    path("applications/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("applications/<int:pk>/doc/<str:kind>/", views.document, name="document"),
    path("materials/<int:pk>/", views.material_file, name="material"),
    path("hall/", views.hall, name="hall"),
    path("hall/apply/<str:code>/", views.hall_apply, name="hall_apply"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("certificates/", views.certificate_library, name="certificates"),
    path("certificates/<str:number>/", views.certificate_detail, name="certificate"),
    path("certificates/<str:number>/download.json", views.certificate_download, name="certificate_download"),
    path("supervise/", oversight_views.supervise, name="supervise"),
    path("rectifications/", oversight_views.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", oversight_views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/act/<str:action>/", oversight_views.rectification_act, name="rectification_act"),
    path("halls/<str:code>/screen/", queue_views.screen, name="screen"),
    path("halls/<str:code>/screen.json", queue_views.screen_json, name="screen_json"),
    path("halls/<str:code>/kiosk/", queue_views.kiosk, name="kiosk"),
    path("halls/<str:code>/take/", queue_views.take_online, name="take_online"),
    path("tickets/<str:token>/", queue_views.ticket_page, name="ticket"),
    path("desk/", queue_views.desk, name="desk"),
    path("desk/<str:action>/", queue_views.desk_act, name="desk_act"),
    path("queue/", queue_views.queue_figures, name="queue"),
    path("appointments/", queue_views.appointments, name="appointments"),
    path("appointments/<int:pk>/cancel/", queue_views.appointment_cancel, name="appointment_cancel"),
]
