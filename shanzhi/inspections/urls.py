from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/input.txt", views.plan_input, name="plan_input"),
    path("plans/<int:pk>/<str:action>/", views.plan_act, name="plan_act"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/result/", views.task_result, name="task_result"),
    path("tasks/<int:pk>/lead/", views.task_lead, name="task_lead"),
    path("matters/", views.matter_list, name="matters"),
    path("entities/", views.entity_list, name="entities"),
    path("entities/fill/", views.entity_fill, name="entity_fill"),
    path("entities/<int:org_pk>/", views.entity_edit, name="entity"),
    path("inspectors/", views.inspector_list, name="inspectors"),
    path("public/", views.public_list, name="public"),
    path("public/method/", views.public_method, name="public_method"),
    path("public/matters/", views.public_matters, name="public_matters"),
    path("public/<str:number>/", views.public_plan, name="public_plan"),
    path("public/<str:number>/input.txt", views.public_input, name="public_input"),
]
