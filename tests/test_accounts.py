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


def test_a_wrong_password_says_so_and_counts(cast):
    resp = _login(Client(), "town_leader", "wrong-password")
    assert resp.status_code == 200 and "密码不正确" in resp.content.decode()
    cast.town_leader.refresh_from_db()
    assert cast.town_leader.failed_logins == 1


def test_five_failures_lock_the_account_even_for_the_right_password(cast, settings):
    client = Client()
    for _ in range(settings.LOCKOUT_THRESHOLD):
        _login(client, "dispatcher", "nope-nope")
    resp = _login(client, "dispatcher")
    assert resp.status_code == 200 and "账号已锁定" in resp.content.decode()
    assert AuditLog.objects.filter(action="locked", object_id=str(cast.dispatcher.pk)).exists()


def test_a_lock_expires(cast, settings):
    import datetime as dt

    from django.utils import timezone

    user = cast.dispatcher
    user.locked_until = timezone.now() - dt.timedelta(seconds=1)
    user.save()
    assert _login(Client(), "dispatcher").status_code == 302


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
