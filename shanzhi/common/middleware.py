"""Request and response guards shared by every page and endpoint."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

TEXT_BODIES = ("application/json", "text/", "application/xml", "application/x-www-form-urlencoded")


def _has_nul(request) -> bool:
    if "\x00" in request.path or any("\x00" in k or any("\x00" in v for v in vs) for k, vs in request.GET.lists()):
        return True
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        # Uploaded files may hold NULs; form fields may not.
        return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in request.POST.lists())
    if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(TEXT_BODIES):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body.lower()
    return False


class RejectNulBytes:
    """A NUL character in a query, a form field or a text body is refused with 400 before any
    view sees it: PostgreSQL cannot store it, and no legitimate text carries one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("请求中含有不可见的空字符（NUL），已拒绝")
            if request.path.startswith("/api/"):
                # Text is well formed but carries a character no field may hold: refused by rule (422).
                return JsonResponse({"detail": message, "code": "nul_character"}, status=422,
                                    json_dumps_params={"ensure_ascii": False})
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# Every asset is vendored and served from here: no script runs that is not a file of ours.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # element style attributes in templates; no script is allowed inline
    "img-src 'self' data: blob:{tiles}",
    "connect-src 'self'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def content_security_policy() -> str:
    """The policy, allowing an intranet tile server's origin when one is configured."""
    tiles = ""
    if settings.MAP_TILE_URL:
        from urllib.parse import urlsplit

        parts = urlsplit(settings.MAP_TILE_URL)
        host = parts.netloc
        if "{s}" in host:  # t{s}.tianditu.gov.cn → *.tianditu.gov.cn
            host = "*." + host.split(".", 1)[1] if "." in host else host.replace("{s}", "")
        if parts.scheme and host:
            tiles = f" {parts.scheme}://{host}"
    return CSP.format(tiles=tiles)


class SecurityHeaders:
    """Content-Security-Policy on every response (the API docs page, which loads its own inline
    bootstrap, gets a looser one). HSTS comes from Django's SECURE_HSTS_SECONDS behind HTTPS."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            response.setdefault("Content-Security-Policy", self.policy.replace("script-src 'self'",
                                                                               "script-src 'self' 'unsafe-inline'"))
        else:
            response.setdefault("Content-Security-Policy", self.policy)
        return response


