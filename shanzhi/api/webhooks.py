"""Status callbacks to the external systems that created cases (12345, partner apps).

Each move of a case created through an API key with a callback address queues one webhook row in
the outbox, in the move's transaction; the worker POSTs it signed and retries it like an SMS.
Signature: ``X-Shanzhi-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with the
key's callback secret, and ``X-Shanzhi-Timestamp`` (Unix seconds), so a receiver can reject
forgeries and replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.utils import timezone

from shanzhi.notify.services import queue

CACHE_SECONDS = 30
_cache: dict[str, object] = {"at": 0.0, "users": {}}


def _subscribers() -> dict[int, str]:
    """Service users with an active key and a callback address, remembered for half a minute."""
    from .models import ApiKey

    if time.monotonic() - _cache["at"] > CACHE_SECONDS:
        _cache["users"] = dict(ApiKey.objects.filter(revoked_at__isnull=True).exclude(webhook_url="")
                               .values_list("user_id", "webhook_url"))
        _cache["at"] = time.monotonic()
    return _cache["users"]


def forget() -> None:
    _cache["at"] = 0.0


def case_changed(incident, action: str) -> None:
    url = _subscribers().get(incident.reporter_id) if incident.reporter_id else None
    if not url:
        return
    body = json.dumps({
        "event": "case.changed", "case": incident.number, "external_id": incident.external_id,
        "action": str(action), "status": incident.status, "status_label": incident.get_status_display(),
        "department": incident.department.name if incident.department_id else None,
        "at": timezone.localtime().isoformat(timespec="seconds"),
    }, ensure_ascii=False)
    queue(channel="webhook", user_id=incident.reporter_id, title=f"{incident.number} {action}"[:100], body=body,
          link=url, topic="webhook", object_ref=f"incident:{incident.pk}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
