"""The bureau's case list at any depth: pages by position (older / newer) so the 10,000th page
costs what the first does and nothing shifts or repeats as new cases arrive; a date jump; a
two-character party search; the same cursor over the API."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from shanzhi.enforcement.models import PenaltyCase

from .conftest import login

pytestmark = pytest.mark.django_db


def grow(town, n, start, party="王某"):
    rows = [PenaltyCase(number=f"TST{town.pk}{i:06d}", town=town, status="closed", source="patrol",
                        party_name=f"{party}{i % 3}" if i % 2 else "李某", facts="占道经营",
                        registered_at=start + dt.timedelta(hours=i), file_due=start, decide_due=start)
            for i in range(n)]
    PenaltyCase.objects.bulk_create(rows)


def numbers(html):
    return re.findall(r'<a href="/team/cases/\d+/">([^<]+)</a>', html)


def links(html):
    return {rel: href.replace("&amp;", "&") for rel, href in re.findall(r'rel="(next|prev)" href="\?([^"]+)"', html)}


def test_walking_older_visits_every_case_once_newest_first_and_newer_walks_back(cast, xxk):
    grow(xxk, 75, timezone.now() - dt.timedelta(days=2000))
    client = login(cast.town_leader)
    expected = list(PenaltyCase.objects.filter(town=xxk).order_by("-registered_at", "-id")
                    .values_list("number", flat=True))
    seen, pages, query = [], [], ""
    while True:
        html = client.get(f"/team/cases/?{query}").content.decode()
        pages.append((query, numbers(html)))
        seen += pages[-1][1]
        nxt = links(html).get("next")
        if not nxt:
            break
        query = nxt
    assert seen == expected and len(seen) > 75  # every case once, in order, to the very end
    assert f"共 {len(expected)} 件" in html
    # From the third page, "newer" gives exactly the second page back.
    third = client.get(f"/team/cases/?{pages[2][0]}").content.decode()
    back = client.get("/team/cases/?" + links(third)["prev"]).content.decode()
    assert numbers(back) == pages[1][1]
    assert "最新" in back and "rel=\"prev\"" in back
    first = client.get("/team/cases/").content.decode()
    assert 'rel="prev"' not in first  # the first page has nothing newer


def test_a_date_jump_starts_at_that_day_and_keeps_the_status_filter(cast, xxk):
    start = dt.datetime(2019, 3, 1, 8, tzinfo=timezone.get_current_timezone())
    grow(xxk, 100, start)  # one an hour from 2019-03-01 08:00
    html = login(cast.town_leader).get("/team/cases/", {"until": "2019-03-02", "status": "closed"}).content.decode()
    shown = numbers(html)
    newest = PenaltyCase.objects.get(number=shown[0])
    assert timezone.localtime(newest.registered_at).date() == dt.date(2019, 3, 2)
    assert timezone.localtime(newest.registered_at).hour == 23  # the day's last case heads the page
    assert all(PenaltyCase.objects.get(number=n).status == "closed" for n in shown)
    assert "status=closed" in links(html)["next"]
    # A malformed position or date is the first page, not an error.
    for bad in ({"before": "x.1"}, {"after": "99999999999999999999.1"}, {"until": "2019-13-01"}, {"until": "1800-01-01"}):
        resp = login(cast.town_leader).get("/team/cases/", bad)
        assert resp.status_code == 200 and numbers(resp.content.decode())


def test_a_two_character_party_search_finds_only_the_towns_matching_cases(cast, xxk, huashi):
    grow(xxk, 20, timezone.now() - dt.timedelta(days=900), party="钱塘")
    grow(huashi, 20, timezone.now() - dt.timedelta(days=900), party="钱塘")
    html = login(cast.town_leader).get("/team/cases/", {"q": "钱塘"}).content.decode()
    shown = numbers(html)
    assert len(shown) == 10 and all(n.startswith(f"TST{xxk.pk}") for n in shown)
    assert "符合条件的案件 10 件" in html
    assert not numbers(login(cast.town_leader).get("/team/cases/", {"q": "塘钱"}).content.decode())


def test_the_api_pages_by_cursor(cast, xxk):
    grow(xxk, 60, timezone.now() - dt.timedelta(days=1500))
    client = login(cast.town_leader)
    first = client.get("/api/v1/team/cases", {"limit": 25}).json()
    second = client.get("/api/v1/team/cases", {"limit": 25, "before": first[-1]["cursor"]}).json()
    both = [c["id"] for c in first + second]
    expected = list(PenaltyCase.objects.filter(town=xxk).order_by("-registered_at", "-id")
                    .values_list("pk", flat=True)[:50])
    assert both == expected
    bad = client.get("/api/v1/team/cases", {"before": "1.2.3"})
    assert bad.status_code == 400 and "before" in bad.content.decode()
