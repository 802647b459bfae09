"""Pluggable delivery: a log gateway for the demo and tests, an HTTP gateway for a real SMS provider."""

from __future__ import annotations

import collections
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("shanzhi.notify")


class DeliveryError(Exception):
    """Temporary failure: the outbox retries with backoff."""


class LogGateway:
    """Writes the message to the log (phone masked) — the demo's SMS 'provider', the only place a
    one-time code is ever printed. Remembers the last few for tests, never more."""

    sent: collections.deque = collections.deque(maxlen=50)

    def send_sms(self, phone: str, text: str) -> None:
        from shanzhi.common.masking import mask_phone

        log.info("SMS to %s: %s", mask_phone(phone), text)
        LogGateway.sent.append({"phone": mask_phone(phone), "text": text})


class HttpGateway:
    """POSTs JSON {"phone", "text"} to SHANZHI_SMS_URL with a bearer token; non-2xx is a retryable failure."""

    def __init__(self):
        self.url = settings.SMS_GATEWAY_URL
        self.token = settings.SMS_GATEWAY_TOKEN

    def send_sms(self, phone: str, text: str) -> None:
        req = urllib.request.Request(
            self.url, data=json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                if not 200 <= resp.status < 300:
                    raise DeliveryError(f"HTTP {resp.status}")
        except (urllib.error.URLError, TimeoutError) as exc:
            raise DeliveryError(str(exc)) from exc


def sms_gateway():
    return import_string(settings.SMS_GATEWAY)()


class WebhookSender:
    """POSTs a webhook row's JSON body to its address, signed with the key's callback secret."""

    def post(self, row) -> None:
        from shanzhi.api.models import ApiKey
        from shanzhi.api.webhooks import sign

        key = ApiKey.objects.filter(user_id=row.user_id, revoked_at__isnull=True).first()
        if key is None or not key.webhook_url:
            raise DeliveryError("no active key with a callback address")
        body = row.body.encode()
        stamp = str(int(time.time()))
        req = urllib.request.Request(row.link, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "X-Shanzhi-Timestamp": stamp,
            "X-Shanzhi-Signature": sign(key.webhook_secret, stamp, body), "X-Shanzhi-Delivery": str(row.pk)})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                if not 200 <= resp.status < 300:
                    raise DeliveryError(f"HTTP {resp.status}")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(str(exc)[:200]) from exc


def webhook_sender():
    return WebhookSender()
