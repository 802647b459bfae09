"""Log in by username or mobile number.

Every failure — unknown name, wrong password, locked, inactive — gets the same answer after the
same work (one password hash), so neither the message nor the time tells an account exists or is
locked. Repeated failures lock the pair (account, source address) for a while: a stranger guessing
at someone's account locks only himself out, never the owner at their own desk.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shanzhi.common import audit, crypto
from shanzhi.common.ratelimit import client_ip

from .models import LoginThrottle, User

# Hashing this makes a failure for an unknown name cost what a real check costs.
_DUMMY = User()
_DUMMY.set_password("shanzhi-timing-equaliser")


def home_region_id(user) -> int | None:
    """Where a user works (their first post's region), so login rows reach that town's auditors."""
    from .models import Post

    post = (Post.objects.filter(user=user, is_active=True).select_related("grid", "department")
            .order_by("id").first())
    if post is None:
        return None
    return post.region_id or (post.grid.region_id if post.grid_id else None) or (
        post.department.region_id if post.department_id else None)


def _account_key(user, login: str) -> str:
    return str(user.pk) if user else "x" + crypto.blind_index("login", login.lower())[:40]


def _locked(account: str, ip: str, now) -> bool:
    return LoginThrottle.objects.filter(account=account, ip=ip, locked_until__gt=now).exists()


def _count_failure(account: str, ip: str, now) -> tuple[int, bool]:
    """One more failure for the pair; returns (failures in the window, locked now)."""
    window = dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().filter(account=account, ip=ip).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = LoginThrottle.objects.create(account=account, ip=ip, failures=0, first_failed_at=now)
            except IntegrityError:
                row = LoginThrottle.objects.select_for_update().get(account=account, ip=ip)
        if now - row.first_failed_at > window and not (row.locked_until and row.locked_until > now):
            row.failures, row.first_failed_at, row.locked_until = 0, now, None
        row.failures = F("failures") + 1
        row.save()
        row.refresh_from_db()
        locked = False
        if row.failures >= settings.LOCKOUT_THRESHOLD and not (row.locked_until and row.locked_until > now):
            row.locked_until = now + window
            row.failures = 0
            row.first_failed_at = now
            row.save(update_fields=["locked_until", "failures", "first_failed_at"])
            locked = True
    return row.failures, locked


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = username.strip()[:150]
        ip = client_ip(request)
        now = timezone.now()
        user = User.objects.filter(Q(username=login) | Q(mobile=login)).first()
        account = _account_key(user, login)
        locked = _locked(account, ip, now)
        # The same hashing work on every path.
        password_ok = (user or _DUMMY).check_password(password)
        if user is not None and password_ok and not locked and self.user_can_authenticate(user):
            LoginThrottle.objects.filter(account=account, ip=ip).delete()
            audit.record(actor=user, action="login", obj=user, ip=ip, region_id=home_region_id(user))
            return user
        # Locked or not, known or not: the same bookkeeping, so the time says nothing either.
        failures, now_locked = _count_failure(account, ip, now)
        if user is None:
            audit.record(actor=None, action="login_failed", object_type="accounts.user", object_repr="（未知账号）",
                         note="用户名不存在", ip=ip)
        else:
            region = home_region_id(user)
            audit.record(actor=None, action="login_failed", obj=user, note=f"第 {failures or settings.LOCKOUT_THRESHOLD} 次",
                         ip=ip, region_id=region)
            if now_locked:
                until = timezone.localtime(now + dt.timedelta(minutes=settings.LOCKOUT_MINUTES))
                audit.record(actor=None, action="locked", obj=user, note=f"来源 {ip} 锁定至 {until:%H:%M}", ip=ip,
                             region_id=region)
        return None
