"""The outbox: messages survive gateway failures, retry with backoff, and are delivered once."""

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from shanzhi.notify.gateways import HttpGateway
from shanzhi.notify.models import Message, Outbox
from shanzhi.notify.services import MAX_ATTEMPTS, backoff, deliver_due, queue

pytestmark = pytest.mark.django_db


class Provider(BaseHTTPRequestHandler):
    """A stand-in SMS provider on loopback: fails the first N calls."""

    failures_left = 0
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Provider.failures_left > 0:
            Provider.failures_left -= 1
            self.send_response(503)
        else:
            Provider.received.append((body, self.headers.get("Authorization")))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    server = HTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY = "shanzhi.notify.gateways.HttpGateway"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.SMS_GATEWAY_TOKEN = "t0ken"
    Provider.received = []
    yield Provider
    server.shutdown()


def test_a_failing_provider_is_retried_with_backoff_then_delivered(provider):
    Provider.failures_left = 2
    row = queue(channel="sms", phone="13800001111", title="t", body="【善治】测试")
    assert deliver_due()["retry"] == 1
    row.refresh_from_db()
    assert row.state == "pending" and row.attempts == 1 and row.next_attempt_at > timezone.now()
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    deliver_due()
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver_due()["sent"] == 1
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts == 3
    assert Provider.received == [({"phone": "13800001111", "text": "【善治】测试"}, "Bearer t0ken")]
    assert deliver_due() == {"sent": 0, "retry": 0, "failed": 0}  # delivered exactly once


def test_a_message_gives_up_only_after_the_last_attempt(provider):
    Provider.failures_left = 100
    row = queue(channel="sms", phone="13800001111", title="t", body="x")
    for _ in range(MAX_ATTEMPTS):
        Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        deliver_due()
    row.refresh_from_db()
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS and "503" in row.last_error


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(20) == dt.timedelta(hours=1)


def test_in_app_messages_land_in_the_inbox(cast):
    queue(channel="inapp", user=cast.dispatcher, title="新派遣事件", body="请处理", link="/incidents/")
    deliver_due()
    assert Message.objects.filter(user=cast.dispatcher, title="新派遣事件").exists()


def test_a_repeated_dedup_key_queues_one_message():
    assert queue(channel="sms", phone="13800001111", title="t", body="x", dedup_key="k1") is not None
    assert queue(channel="sms", phone="13800001111", title="t", body="x", dedup_key="k1") is None
    assert Outbox.objects.filter(dedup_key="k1").count() == 1


def test_the_http_gateway_reports_an_unreachable_provider(settings):
    from shanzhi.notify.gateways import DeliveryError

    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
    with pytest.raises(DeliveryError):
        HttpGateway().send_sms("13800001111", "x")


def test_the_inbox_shows_unread_messages_and_marks_them_read(cast):
    from .conftest import login

    queue(channel="inapp", user=cast.dept_handler, title="督办：2026112200001", body="请立即处置", link="/incidents/")
    deliver_due()
    client = login(cast.dept_handler)
    home = client.get("/").content.decode()
    assert re.search(r'id="unread">1</span>', home)
    page = client.get("/messages/").content.decode()
    assert "督办：2026112200001" in page
    msg = Message.objects.filter(user=cast.dept_handler).latest("id")
    resp = client.post(f"/messages/{msg.pk}/read/")
    assert resp["Location"] == "/incidents/"
    msg.refresh_from_db()
    assert msg.read_at is not None
    assert login(cast.outsider).post(f"/messages/{msg.pk}/read/").status_code == 302  # someone else's: no effect


class Receiver(BaseHTTPRequestHandler):
    """An external system's callback endpoint on loopback: fails the first N calls."""

    failures_left = 0
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.failures_left > 0:
            Receiver.failures_left -= 1
            self.send_response(500)
        else:
            Receiver.received.append((body, self.headers.get("X-Shanzhi-Timestamp"),
                                      self.headers.get("X-Shanzhi-Signature")))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_system_that_created_a_case_gets_signed_status_callbacks_retried_like_sms(cast):
    from io import StringIO

    from django.core.management import call_command
    from django.test import Client

    from shanzhi.api.models import ApiKey
    from shanzhi.api.webhooks import sign
    from shanzhi.incidents.services import loop

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _key, raw = ApiKey.issue("12345 回调")
        out = StringIO()
        call_command("apikey", "webhook", "12345 回调", f"http://127.0.0.1:{server.server_port}/hook", stdout=out)
        secret = out.getvalue().strip()
        from .test_incident_loop import home_grid

        grid = home_grid(cast)
        resp = Client().post("/api/v1/incidents", {"description": "路灯不亮", "lon": grid.center_lon,
                                                   "lat": grid.center_lat, "external_id": "12345-HOOK-1"},
                             content_type="application/json", HTTP_X_API_KEY=raw)
        incident_id = resp.json()["id"]
        loop.incident_register(actor=cast.dispatcher, incident_id=incident_id)
        row = Outbox.objects.get(channel="webhook", object_ref=f"incident:{incident_id}")
        Receiver.failures_left, Receiver.received = 1, []
        assert deliver_due()["retry"] >= 1
        Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        deliver_due()
        row.refresh_from_db()
        assert row.state == "sent" and row.attempts == 2
        body, stamp, signature = Receiver.received[-1]
        assert signature == sign(secret, stamp, body)
        event = json.loads(body)
        assert event["external_id"] == "12345-HOOK-1" and event["status"] == "registered"
    finally:
        server.shutdown()


def test_an_unknown_channel_is_refused_not_marked_sent():
    with pytest.raises(ValueError):
        queue(channel="fax", title="t", body="x")
