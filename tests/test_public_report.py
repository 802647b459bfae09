"""随手拍: no account, a code by SMS, rate limits per number."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from shanzhi.incidents.models import Incident
from shanzhi.incidents.services import public
from shanzhi.notify.models import Outbox

from .test_incident_loop import home_grid

pytestmark = pytest.mark.django_db


def last_code(phone_tail: str) -> str:
    from shanzhi.common import crypto

    row = Outbox.objects.filter(topic="phone_code").latest("id")
    assert crypto.unseal(row.phone_sealed).endswith(phone_tail)
    assert "******" in row.body and not re.search(r"\d{6}", row.body)  # the stored body never holds the code
    return crypto.unseal(row.secret_sealed)


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_a_citizen_reports_with_a_code_and_gets_a_number(cast):
    client = Client()
    assert client.post("/report/code/", {"phone": "13955556666"}).status_code == 200
    code = last_code("6666")
    grid = home_grid(cast)
    resp = client.post("/report/", {"phone": "13955556666", "code": code, "description": "小区门口井盖缺失",
                                    "lon": grid.center_lon, "lat": grid.center_lat, "crs": "wgs84"})
    assert resp.status_code == 200 and "提交成功" in resp.content.decode()
    incident = Incident.objects.latest("id")
    assert incident.source == "citizen" and incident.grid == grid and incident.reporter_phone_bidx
    assert "13955556666" not in resp.content.decode()


def test_a_wrong_code_is_refused_and_counted_and_the_code_survives_a_fixable_mistake(cast):
    public.send_code(phone="13955557777")
    code = last_code("7777")
    with pytest.raises(ValidationError, match="验证码不正确"):
        public.citizen_report(phone="13955557777", code="000000" if code != "000000" else "111111",
                              description="x", address_text="马镇")
    with pytest.raises(ValidationError) as exc:
        public.citizen_report(phone="13955557777", code=code, description="", address_text="马镇")
    assert "description" in exc.value.message_dict
    incident = public.citizen_report(phone="13955557777", code=code, description="垃圾", address_text="马镇")
    assert incident.source == "citizen"
    with pytest.raises(ValidationError, match="不正确或已失效"):  # used up: the same answer as a wrong code
        public.citizen_report(phone="13955557777", code=code, description="垃圾", address_text="马镇")


def test_five_wrong_guesses_burn_the_code():
    public.send_code(phone="13955558888")
    code = last_code("8888")
    wrong = "123456" if code != "123456" else "654321"
    for _ in range(public.MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            public.verify_code(phone="13955558888", code=wrong)
    with pytest.raises(ValidationError, match="不正确或已失效"):  # burnt: even the right code no longer works
        public.verify_code(phone="13955558888", code=code)


def test_codes_are_rate_limited_per_number(monkeypatch):
    import shanzhi.common.ratelimit as ratelimit

    with pytest.raises(ValidationError, match="60 秒"):
        public.send_code(phone="13955559999")
        public.send_code(phone="13955559999")  # a second code within the minute
    clock = [1_900_000_000.0]
    monkeypatch.setattr(ratelimit, "_clock", lambda: clock[0])
    for _ in range(public.CODES_PER_HOUR):
        clock[0] += 61  # past the cool-down, inside the hour
        public.send_code(phone="13955559999")
    clock[0] += 61
    with pytest.raises(ValidationError, match="过于频繁"):
        public.send_code(phone="13955559999")
    with pytest.raises(ValidationError, match="手机号"):
        public.send_code(phone="12345")


def test_a_code_is_stored_only_sealed_and_erased_once_sent():
    from shanzhi.notify.gateways import LogGateway
    from shanzhi.notify.services import deliver_due

    public.send_code(phone="13955557777")
    row = Outbox.objects.filter(topic="phone_code").latest("id")
    code = last_code("7777")
    assert code not in row.body and code not in row.secret_sealed
    deliver_due()
    row.refresh_from_db()
    assert row.state == "sent" and row.secret_sealed == ""
    assert any(code in m["text"] for m in LogGateway.sent)  # the demo's log gateway is the one place it shows
