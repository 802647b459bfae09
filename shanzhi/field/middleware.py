"""Two small rules for pages a phone keeps and requests a page makes in the background.

- ``X-Shanzhi-Keep``: a page for a field role (the bottom-bar roles) may be kept by the service
  worker for use without a signal; no other page is ever kept (a desk user's or a resident's pages
  hold other people's data and are not needed offline).
- A background request (htmx, or a script's fetch marked ``X-Requested-With``) that meets an
  expired session gets 401, not the login page: the login page's HTML never ends up inside a form
  the worker is filling in.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _


class FieldPages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        background = request.headers.get("HX-Request") or request.headers.get("X-Requested-With")
        if background and response.status_code == 302 and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL)):
            return HttpResponse(_("登录已过期，请重新登录"), status=401, content_type="text/plain; charset=utf-8")
        if (request.method == "GET" and response.status_code == 200
                and response.get("Content-Type", "").startswith("text/html") and _field_user(request)):
            response["X-Shanzhi-Keep"] = str(request.user.pk)
        return response


def _field_user(request) -> bool:
    from shanzhi.accounts.context import FIELD_ROLES
    from shanzhi.common.jurisdiction import scope_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_superuser:
        return False
    roles = scope_for(user).roles
    return bool(roles) and set(roles) <= FIELD_ROLES
