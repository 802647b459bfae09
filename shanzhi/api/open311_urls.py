from django.urls import re_path

from . import open311

FMT = r"\.(?P<fmt>json|xml)$"
app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.services, name="services"),
    re_path(r"^services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + FMT, open311.requests_, name="requests"),
    re_path(r"^requests/(?P<request_id>[\w-]+)" + FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token_id>[\w-]+)" + FMT, open311.token, name="token"),
]
