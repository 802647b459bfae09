"""Fixed-window rate limits kept in the shared cache (database or Redis), so every web process
counts together."""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _

_clock = time.time  # replaced in tests to pin one window


def hit(key: str, limit: int, window: int = 60) -> bool:
    """Count one request against ``key``; False once more than ``limit`` arrived in this window."""
    bucket = f"rl:{key}:{int(_clock() // window)}"
    if cache.add(bucket, 1, timeout=window + 5):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add() and incr()
        cache.set(bucket, 1, timeout=window + 5)
        count = 1
    return count <= limit


def count(key: str, window: int = 60) -> int:
    """How many hits ``key`` has in the current window (without adding one)."""
    return cache.get(f"rl:{key}:{int(_clock() // window)}") or 0


def client_ip(request) -> str:
    """The client's address. Behind a reverse proxy listed in SHANZHI_TRUSTED_PROXIES the address
    comes from X-Forwarded-For (the nearest hop the proxies did not add), so limits and login
    locks apply per real client, not to everyone behind the proxy."""
    if request is None:
        return "unknown"
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = settings.TRUSTED_PROXIES
    if trusted and remote in trusted:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in trusted:
                return hop[:45]
    return remote


def limit_by_ip(scope: str, *, limit: int | None = None, window: int = 60, methods=("POST",),
                signed_in_exempt: bool = False):
    """View decorator: HTTP 429 with a plain Chinese message past the limit. ``signed_in_exempt``:
    a public page whose signed-in users (staff behind one office address) are not counted."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            exempt = signed_in_exempt and getattr(getattr(request, "user", None), "is_authenticated", False)
            if request.method in methods and not exempt:
                allowed = hit(f"{scope}:{client_ip(request)}", limit or settings.PUBLIC_RATE_LIMIT, window)
                if not allowed:
                    resp = HttpResponse(_("请求过于频繁，请稍后再试。"), status=429, content_type="text/plain; charset=utf-8")
                    resp["Retry-After"] = str(window)
                    return resp
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
