"""Field roles on a phone get a bottom bar of five — 待办, 上报, 巡查, 消息, 我的 — on the same
server pages; desk roles keep the top navigation only."""

import re

import pytest

from shanzhi.notify.models import Message

pytestmark = pytest.mark.django_db


def bottom(page: str) -> list[str]:
    bar = re.search(r'<nav class="bottom"[^>]*>(.*?)</nav>', page, re.S)
    return re.findall(r'href="([^"]+)"', bar.group(1)) if bar else []


def test_field_roles_get_the_bottom_bar_and_desk_roles_do_not(cast, client_for):
    for user in (cast.grid_worker, cast.informant, cast.patroller):
        links = bottom(client_for(user).get("/").content.decode())
        assert links == ["/work/", "/incidents/new/", "/incidents/patrols/", "/messages/", "/"], user.username
    # a grid chief also answers for the village committee's cases at a desk: the full navigation
    for user in (cast.dispatcher, cast.civil_affairs, cast.town_leader, cast.admin, cast.citizen, cast.grid_chief):
        assert bottom(client_for(user).get("/").content.decode()) == [], user.username


def test_the_bottom_bar_counts_unread_messages(cast, client_for):
    Message.objects.create(user=cast.grid_worker, title="督办：事件超期", body="请尽快处置")
    page = client_for(cast.grid_worker).get("/work/").content.decode()
    bar = re.search(r'<nav class="bottom"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert 'class="on"' in bar and re.search(r'<span class="badge unread-count">1</span>', bar)
