"""Request and response guards shared by every page and endpoint."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

# Control characters no text field may hold (tab, line feed and carriage return are fine), and
# the bidirectional overrides that make a name or a date read backwards on screen.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
FORBIDDEN_ESCAPED = re.compile(rb"\\u(00[01][0-8bcefBCEF]|001[0-9a-fA-F]|007[fF]|202[a-eA-E]|206[6-9])")


def _bad(text: str) -> bool:
    return bool(FORBIDDEN.search(text))


def _has_forbidden(request) -> bool:
    if _bad(request.path) or any(_bad(k) or any(_bad(v) for v in vs) for k, vs in request.GET.lists()):
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if (request.content_type or "").startswith("multipart/form-data"):
        # Uploaded files may hold any bytes; the form's fields may not.
        return any(_bad(k) or any(_bad(v) for v in vs) for k, vs in request.POST.lists())
    body = request.body  # whatever its declared type: a JSON body sent as text/plain is still text
    if FORBIDDEN_ESCAPED.search(body):
        return True
    return _bad(body.decode("utf-8", errors="ignore"))


class RejectNulBytes:
    """A NUL or another control character (or a bidirectional override) in a query, a form field
    or a body is refused before any view sees it: PostgreSQL cannot store NUL, spreadsheets and
    XML cannot hold the others, and no legitimate text carries them. 400 on pages, 422 in the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_forbidden(request):
            message = _("请求中含有不可见的控制字符（如空字符 NUL），已拒绝")
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
    """Content-Security-Policy on every response; pages for a signed-in user are never stored by
    a browser or a proxy cache (they carry personal data). HSTS comes from Django's
    SECURE_HSTS_SECONDS behind HTTPS."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response


