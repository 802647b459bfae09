"""Pluggable delivery: a log gateway for the demo and tests, an HTTP gateway for a real SMS provider."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("shanzhi.notify")


class DeliveryError(Exception):
    """Temporary failure: the outbox retries with backoff."""


class LogGateway:
    """Writes the message to the log (phone masked) — the demo's SMS 'provider'."""

    sent: list[dict] = []  # kept for tests in this process

    def send_sms(self, phone: str, text: str) -> None:
        from shanzhi.common.masking import mask_phone

        log.info("SMS to %s: %s", mask_phone(phone), text)
        LogGateway.sent.append({"phone": phone, "text": text})


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
