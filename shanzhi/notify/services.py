"""Queueing and delivering notifications."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from shanzhi.common import crypto

from .gateways import DeliveryError, sms_gateway, webhook_sender
from .models import Message, Outbox

MAX_ATTEMPTS = 8


SECRET_MARK = "{secret}"
_suppressed = threading.local()


@contextlib.contextmanager
def suppressed():
    """Write nothing to the outbox inside this block (the demo's replayed history notifies no one)."""
    _suppressed.on = True
    try:
        yield
    finally:
        _suppressed.on = False


def notifications_suppressed() -> bool:
    return getattr(_suppressed, "on", False)


def queue(*, channel: str, title: str, body: str, user=None, user_id: int | None = None, phone: str = "",
          link: str = "", topic: str = "", object_ref: str = "", dedup_key: str | None = None,
          secret: str = "") -> Outbox | None:
    """Add a message to the outbox inside the caller's transaction. A repeated dedup_key is ignored.

    ``secret`` (a one-time code) replaces ``{secret}`` in the body only at delivery: the stored body
    shows it masked, the value itself is sealed and erased once sent."""
    if getattr(_suppressed, "on", False):
        return None
    if channel not in Outbox.Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if secret and SECRET_MARK not in body:
        raise ValueError("a secret needs a {secret} mark in the body")
    row = Outbox(channel=channel, user=user, phone_sealed=crypto.seal(phone), title=title[:100],
                 body=body.replace(SECRET_MARK, "*" * len(secret)) if secret else body,
                 secret_sealed=crypto.seal(secret) if secret else "",
                 link=link, topic=topic, object_ref=object_ref, dedup_key=dedup_key, next_attempt_at=timezone.now())
    if user_id is not None:
        row.user_id = user_id
    if dedup_key:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            return None
    else:
        row.save()
    transaction.on_commit(_kick)
    return row


_last_kick = [0.0]
KICK_EVERY = 2.0  # seconds


def _kick():
    """Wake the worker soon; at most one task every KICK_EVERY seconds per process (the periodic
    job delivers anyway, this only shortens the wait)."""
    from .tasks import deliver_outbox

    now = time.monotonic()
    if now - _last_kick[0] < KICK_EVERY:
        return
    _last_kick[0] = now
    try:
        deliver_outbox.enqueue()
    except Exception:  # noqa: BLE001 — never fail the business write over a wake-up call
        pass


def _text(row: Outbox) -> str:
    """The body as delivered: with the sealed secret put back where it was masked."""
    if not row.secret_sealed:
        return row.body
    secret = crypto.unseal(row.secret_sealed)
    return row.body.replace("*" * len(secret), secret, 1)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def deliver_due(limit: int = 200) -> dict[str, int]:
    """Deliver pending messages whose time has come; failures are retried with exponential backoff."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    now = timezone.now()
    ids = list(Outbox.objects.filter(state=Outbox.State.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("id", flat=True)[:limit])
    gateway = webhooks = None
    for pk in ids:
        with transaction.atomic():
            row = Outbox.objects.select_for_update(skip_locked=True).filter(pk=pk, state=Outbox.State.PENDING).first()
            if row is None:
                continue
            row.attempts += 1
            try:
                if row.channel == Outbox.Channel.INAPP:
                    Message.objects.create(user=row.user, title=row.title, body=row.body, link=row.link)
                elif row.channel == Outbox.Channel.SMS:
                    gateway = gateway or sms_gateway()
                    gateway.send_sms(crypto.unseal(row.phone_sealed) or (row.user.mobile if row.user else ""),
                                     _text(row))
                elif row.channel == Outbox.Channel.WEBHOOK:
                    webhooks = webhooks or webhook_sender()
                    webhooks.post(row)
                else:
                    raise DeliveryError(f"unknown channel {row.channel}")
                row.state, row.sent_at = Outbox.State.SENT, timezone.now()
                row.secret_sealed = ""
                counts["sent"] += 1
            except DeliveryError as exc:
                row.last_error = str(exc)[:500]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = Outbox.State.FAILED
                    counts["failed"] += 1
                else:
                    row.next_attempt_at = timezone.now() + backoff(row.attempts)
                    counts["retry"] += 1
            row.save()
    return counts
