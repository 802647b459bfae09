"""Log in by username or mobile number; lock the account after repeated failures."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F, Q
from django.utils import timezone

from shanzhi.common import audit

from .models import User


class AccountLocked(Exception):
    def __init__(self, until):
        self.until = until


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(Q(username=login) | Q(mobile=login)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.shanzhi_locked_until = user.locked_until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            audit.record(actor=user, action="login", obj=user, ip=_client_ip(request))
            return user
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        audit.record(actor=None, action="login_failed", obj=user, note=f"第 {user.failed_logins} 次", ip=_client_ip(request))
        if user.failed_logins >= settings.LOCKOUT_THRESHOLD:
            until = now + dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            audit.record(actor=None, action="locked", obj=user, note=f"锁定至 {timezone.localtime(until):%H:%M}",
                         ip=_client_ip(request))
            if request is not None:
                request.shanzhi_locked_until = until
        return None
