import re

import pytest
from django.test import Client

from shanzhi.common.models import AuditLog

from .conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def _login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_login_by_username_and_by_mobile(cast):
    assert _login(Client(), "town_leader").status_code == 302
    assert _login(Client(), cast.town_leader.mobile).status_code == 302
    assert AuditLog.objects.filter(action="login", actor=cast.town_leader).count() == 2


ANSWER = "用户名（手机号）或密码不正确"


def test_a_wrong_password_says_so_and_counts(cast):
    from shanzhi.accounts.models import LoginThrottle

    resp = _login(Client(), "town_leader", "wrong-password")
    assert resp.status_code == 200 and ANSWER in resp.content.decode()
    assert LoginThrottle.objects.get(account=str(cast.town_leader.pk), ip="127.0.0.1").failures == 1


def test_five_failures_lock_this_source_even_for_the_right_password(cast, settings):
    client = Client()
    for _ in range(settings.LOCKOUT_THRESHOLD):
        _login(client, "dispatcher", "nope-nope")
    resp = _login(client, "dispatcher")
    assert resp.status_code == 200 and ANSWER in resp.content.decode()
    assert AuditLog.objects.filter(action="locked", object_id=str(cast.dispatcher.pk)).exists()


def test_a_stranger_cannot_lock_the_owner_out(cast, settings):
    stranger = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(settings.LOCKOUT_THRESHOLD + 2):
        _login(stranger, "admin", "guess")
    assert _login(stranger, "admin").status_code == 200  # the stranger's source is locked …
    assert _login(Client(REMOTE_ADDR="10.0.0.5"), "admin").status_code == 302  # … the owner's desk is not


def test_every_failure_gets_one_answer_after_the_same_work(cast, settings, monkeypatch):
    """Unknown name, wrong password, locked and inactive accounts: the same page, and each one
    hashes a password, so neither text nor time tells them apart."""
    from shanzhi.accounts.models import User

    calls = []
    original = User.check_password
    monkeypatch.setattr(User, "check_password", lambda self, raw: calls.append(1) or original(self, raw))
    User.objects.filter(username="liaison").update(is_active=False)
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(settings.LOCKOUT_THRESHOLD):
        _login(client, "patroller", "nope")
    pages = {}
    for case, (name, pwd) in {"unknown": ("no-such-user", "x"), "wrong": ("grid_chief", "x"),
                              "locked": ("patroller", PASSWORD), "inactive": ("liaison", PASSWORD)}.items():
        calls.clear()
        resp = _login(client, name, pwd)
        pages[case] = re.sub(r"[A-Za-z0-9]{40,}", "", resp.content.decode().replace(name, ""))  # CSRF tokens
        assert resp.status_code == 200 and len(calls) == 1, case
    import difflib

    first = pages["unknown"].splitlines()
    for case, page in pages.items():
        assert page == pages["unknown"], (case, "\n".join(difflib.unified_diff(first, page.splitlines(), lineterm="")))


def test_a_lock_expires(cast, settings):
    import datetime as dt

    from django.utils import timezone

    from shanzhi.accounts.models import LoginThrottle

    client = Client()
    for _ in range(settings.LOCKOUT_THRESHOLD):
        _login(client, "dispatcher", "nope-nope")
    LoginThrottle.objects.filter(account=str(cast.dispatcher.pk)).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1), first_failed_at=timezone.now() - dt.timedelta(hours=1))
    assert _login(client, "dispatcher").status_code == 302


def test_the_admin_signs_in_through_the_same_login(cast):
    resp = Client().get("/admin/login/?next=/admin/incidents/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/?next=%2Fadmin%2Fincidents%2F")
    assert Client().get("/admin/login/?next=https://evil.example/").url == "/login/?next=%2Fadmin%2F"
    assert Client().get("/admin/").status_code == 302


def test_the_home_page_shows_the_users_posts_and_jurisdiction(cast):
    html = login(cast.grid_worker).get("/").content.decode()
    assert "网格员" in html and "实有人口" in html and "一窗口" in html


def test_pillar_pages_render_for_each_pillar(cast):
    client = login(cast.county_leader)
    for key in ("window", "team", "center"):
        assert client.get(f"/pillar/{key}/").status_code == 200
    assert client.get("/pillar/nothing/").status_code == 404


def test_login_attempts_from_one_address_are_rate_limited(settings, monkeypatch):
    from django.core.cache import cache

    import shanzhi.common.ratelimit as ratelimit

    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_000.0)  # one fixed window
    cache.clear()
    client = Client()
    codes = [_login(client, f"nobody{i}", "x").status_code for i in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    assert client.get("/login/").status_code == 200  # reading the page is not limited
    cache.clear()


def test_the_dispatchers_home_shows_what_waits_and_what_is_late(cast):
    html = login(cast.dispatcher).get("/").content.decode()
    assert "待受理" in html and "今日上报" in html and "已超期" in html and "?status=open&amp;late=1" in html
    assert "待核查" in login(cast.informant).get("/").content.decode()
