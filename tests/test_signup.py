"""Online-hall accounts: a resident signs up with the mobile number confirmed by an SMS code,
gets the public role only, and can apply online at once."""

import pytest
from django.test import Client

from shanzhi.accounts.models import User
from shanzhi.common.models import AuditLog
from shanzhi.notify.models import Outbox

from .test_public_report import _clean_cache, last_code  # noqa: F401 — the fixture clears the rate limits

pytestmark = pytest.mark.django_db
PHONE = "13966661234"


def ask_code(client, phone=PHONE):
    return client.post("/report/code/", {"phone": phone, "purpose": "signup"})


def test_a_resident_signs_up_with_a_code_and_lands_in_the_online_hall(cast):
    client = Client()
    assert ask_code(client).status_code == 200
    assert "注册网上办事大厅账号" in Outbox.objects.filter(topic="phone_code").latest("id").body
    code = last_code("1234")
    resp = client.post("/signup/", {"phone": PHONE, "code": code, "name": "周晓燕", "password": "Xiake@2026",
                                    "password2": "Xiake@2026"})
    assert resp.status_code == 302 and resp["Location"] == "/window/hall/"
    user = User.objects.get(mobile=PHONE)
    assert [p.role for p in user.posts.all()] == ["citizen"] and user.check_password("Xiake@2026")
    assert client.get("/window/hall/").status_code == 200
    assert client.get("/registry/people/").status_code in (403, 404)  # a resident sees no registry
    assert AuditLog.objects.filter(object_id=str(user.pk), action="create").exists()
    # The same number again: told only after its code proves the number is the caller's.
    other = Client()
    ask_code(other)  # inside the minute: refused, and no new code
    from django.core.cache import cache

    cache.clear()
    assert ask_code(other).status_code == 200
    again = other.post("/signup/", {"phone": PHONE, "code": last_code("1234"), "name": "冒名者",
                                    "password": "Another@2026", "password2": "Another@2026"})
    assert again.status_code == 400 and "已注册" in again.content.decode()
    assert User.objects.filter(mobile=PHONE).count() == 1


def test_a_wrong_code_or_a_weak_password_creates_nothing_and_a_fixable_mistake_keeps_the_code(cast):
    client = Client()
    ask_code(client, "13966665678")
    code = last_code("5678")
    wrong = client.post("/signup/", {"phone": "13966665678", "code": "000000" if code != "000000" else "111111",
                                     "name": "王小二", "password": "Xiake@2026", "password2": "Xiake@2026"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    weak = client.post("/signup/", {"phone": "13966665678", "code": code, "name": "王小二", "password": "123",
                                    "password2": "123"})
    assert weak.status_code == 400 and not User.objects.filter(mobile="13966665678").exists()
    mismatch = client.post("/signup/", {"phone": "13966665678", "code": code, "name": "王小二",
                                        "password": "Xiake@2026", "password2": "Xiake@2027"})
    assert mismatch.status_code == 400 and "不一致" in mismatch.content.decode()
    unknown = client.post("/signup/", {"phone": "13966660000", "code": code, "name": "王小二",
                                       "password": "Xiake@2026", "password2": "Xiake@2026"})
    assert unknown.status_code == 400 and "验证码不正确" in unknown.content.decode()  # no code was sent there
    ok = client.post("/signup/", {"phone": "13966665678", "code": code, "name": "王小二",
                                  "password": "Xiake@2026", "password2": "Xiake@2026"})
    assert ok.status_code == 302 and User.objects.filter(mobile="13966665678").exists()


def test_an_empty_form_names_every_missing_field_at_once(cast):
    before = User.objects.count()
    resp = Client().post("/signup/", {})
    page = resp.content.decode()
    assert resp.status_code == 400 and "请填写姓名" in page and "验证码" in page
    assert User.objects.count() == before
