"""The phone's offline queue, received: each item carried out exactly once, at the time and place
it was made on the phone.

An item is a report, a patrol's start, check-in, track points or finish, or a loop action on a
case. The phone gives every item a key of its own; the key and what the item did are written in
one transaction, so a second copy (a retry after a lost answer, two copies racing on a flaky
network) finds the first one's answer and changes nothing. Items are sent in the order they were
made, so a check-in can name the round it belongs to by the key of the round's start, before the
phone knows the round's number.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.cases.errors import Conflict
from shanzhi.incidents.permissions import COMMAND, roles_of
from shanzhi.incidents.services import patrols

from .models import Submission

KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SKEW = dt.timedelta(minutes=10)  # a phone's clock a little ahead is still believed
OLDEST = dt.timedelta(days=30)  # older than this, the phone's clock is wrong, not the worker patient


class Fields:
    """The fields of a queued form as the phone sent them ({name: value or [values]}), read like a
    QueryDict by the views' own parsing."""

    def __init__(self, raw: dict):
        self.raw = raw

    def get(self, name, default=None):
        value = self.raw.get(name, default)
        if isinstance(value, list):
            value = value[-1] if value else default
        return default if value is None else str(value)

    def getlist(self, name):
        value = self.raw.get(name)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    def __contains__(self, name):
        return name in self.raw

    def dict(self):
        return {k: self.get(k) for k in self.raw}


class Files:
    def __init__(self, photos):
        self.photos = list(photos or [])

    def getlist(self, name):
        return self.photos if name == "photos" else []


MAX_FIELDS = 64 * 1024  # characters of a queued form (a 2,000-character description fits many times)


def parse_fields(raw: str | None) -> dict:
    if not raw:
        return {}
    if len(raw) > MAX_FIELDS:
        raise ValidationError({"fields": ValidationError(_("表单内容过长"), code="too_long")})
    try:
        value = json.loads(raw)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError({"fields": ValidationError(_("表单内容不是有效的 JSON"), code="invalid")}) from exc
    if not isinstance(value, dict) or not all(
            isinstance(v, (str, int, float, bool)) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            for v in value.values()):
        raise ValidationError({"fields": ValidationError(_("表单内容格式不对"), code="invalid")})
    return value


def _phone_time(raw) -> dt.datetime | None:
    text = str(raw or "").strip()
    try:
        if text.isascii() and text.isdigit() and len(text) <= 15:
            return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
        when = dt.datetime.fromisoformat(text) if text else None
    except (ValueError, OverflowError, OSError):
        return None
    return when if when is not None and when.tzinfo is not None else None  # no zone: any of 24 hours


def clock_offset(sent_at, now: dt.datetime) -> dt.timedelta:
    """How far the phone's clock is behind the server's: the phone says when it sent the item, the
    server knows when it arrived (the time on the wire is small against a wrong clock). Offsets
    under two minutes are noise and left alone."""
    sent = _phone_time(sent_at)
    if sent is None:
        return dt.timedelta(0)
    offset = now - sent
    return offset if abs(offset) > dt.timedelta(minutes=2) else dt.timedelta(0)


def made_time(raw, now: dt.datetime, offset: dt.timedelta = dt.timedelta(0)) -> tuple[dt.datetime, bool]:
    """When the item was made, from the phone (milliseconds since 1970, or ISO 8601 with an offset),
    corrected by the phone clock's offset. A time still in the future beyond a little skew, or more
    than 30 days back, is not believed: the item is dated when it arrived, and the answer says so."""
    when = _phone_time(raw)
    if when is None:
        raise ValidationError({"made_at": ValidationError(_("记录时间无效"), code="invalid")})
    try:
        when += offset
    except OverflowError:
        return now, True
    if when > now + SKEW or when < now - OLDEST:
        return now, True
    return min(when, now), bool(offset)


def _coord(value):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"location": ValidationError(_("坐标无效"), code="invalid")}) from exc
    if number != number or abs(number) > 180:
        raise ValidationError({"location": ValidationError(_("坐标无效"), code="invalid")})
    return number


# --------------------------------------------------------------------------- the kinds

def _report(actor, when, now, f: Fields, files: Files, lon, lat) -> dict:
    from shanzhi.incidents.forms import ReportForm
    from shanzhi.incidents.services.intake import incident_report

    roles = roles_of(actor)
    from shanzhi.incidents.permissions import REPORTERS

    if not roles & REPORTERS:
        raise PermissionDenied(_("您的岗位不能上报事件"))
    values = {"crs": "wgs84", "source": "patrol"} | {k: v for k, v in f.dict().items() if v not in (None, "")}
    form = ReportForm(values, center=bool(roles & COMMAND))
    if not form.is_valid():
        raise ValidationError({k: list(v) for k, v in form.errors.items()})
    d = form.cleaned_data
    # The position the form carried (taken when the report was made), else where the phone was.
    point_lon, point_lat = (d["lon"], d["lat"]) if d["lon"] is not None and d["lat"] is not None else (lon, lat)
    incident, _created = incident_report(
        actor=actor, source=d["source"], description=d["description"],
        subclass_code=d["subclass"].code if d["subclass"] else "", lon=point_lon, lat=point_lat,
        crs=d["crs"] if d["lon"] is not None else "wgs84", address_text=d["address_text"],
        reporter_name=d.get("reporter_name", ""), reporter_phone=d.get("reporter_phone", ""),
        photos=files.getlist("photos"), reported_at=when, received_at=now)
    return {"object": "incident", "id": incident.pk, "number": incident.number,
            "url": reverse("incidents:detail", args=[incident.pk]),
            "message": _("事件已上报，编号 %(n)s") % {"n": incident.number}}


def _round_id(actor, f: Fields) -> int:
    """The round a check-in belongs to: its number, or the key of its start sent earlier."""
    if f.get("round_key"):
        start = Submission.objects.filter(user=actor, key=f.get("round_key"), kind=Submission.Kind.PATROL_START) \
            .values_list("result", flat=True).first()
        if not start:
            raise ValidationError({"round": ValidationError(_("这次巡查的开始记录没有送达，无法打卡"),
                                                            code="round_missing")})
        return start["round"]
    from shanzhi.common.references import as_id

    round_id = as_id(f.get("round"))
    if round_id is None:
        raise ValidationError({"round": ValidationError(_("缺少巡查记录"), code="required")})
    return round_id


def _patrol_start(actor, when, now, f, files, lon, lat) -> dict:
    patrol = patrols.patrol_start(actor=actor, grid=f.get("grid"), at=when)
    return {"object": "patrol", "round": patrol.pk, "url": reverse("incidents:patrols"),
            "message": _("巡查已开始：%(g)s") % {"g": patrol.grid.name}}


def _patrol_check(actor, when, now, f, files, lon, lat) -> dict:
    check = patrols.patrol_check(actor=actor, round_id=_round_id(actor, f), item_id=f.get("item"),
                                 ok=f.get("ok") == "1", note=f.get("note", ""), lon=lon, lat=lat,
                                 photos=files.getlist("photos"), at=when)
    out = {"object": "patrol_check", "id": check.pk, "round": check.round_id,
           "message": _("已打卡：%(i)s") % {"i": check.item.name}}
    if check.incident_id:
        out |= {"incident": check.incident.number, "url": reverse("incidents:detail", args=[check.incident_id]),
                "message": _("已打卡并上报问题，事件编号 %(n)s") % {"n": check.incident.number}}
    return out


def _track(actor, when, now, f, files, lon, lat, offset=dt.timedelta(0)) -> dict:
    try:
        points = json.loads(f.get("points") or "[]")
    except (ValueError, RecursionError) as exc:
        raise ValidationError({"points": ValidationError(_("轨迹点格式不对"), code="invalid")}) from exc
    if offset and isinstance(points, list):
        # The phone's clock was off: its points are moved by the same offset as the item.
        for p in points:
            if isinstance(p, dict) and isinstance(p.get("t"), (int, float)):
                p["t"] = p["t"] + offset.total_seconds()
    round_id = _round_id(actor, f)
    count = patrols.patrol_track(actor=actor, round_id=round_id, points=points)
    return {"object": "track", "round": round_id, "points": count, "message": _("轨迹已同步")}


def _patrol_finish(actor, when, now, f, files, lon, lat) -> dict:
    patrol = patrols.patrol_finish(actor=actor, round_id=_round_id(actor, f), at=when)
    return {"object": "patrol", "round": patrol.pk, "url": reverse("incidents:patrol", args=[patrol.pk]),
            "message": _("巡查已结束：%(km).2f 公里") % {"km": patrol.distance_m / 1000}}


def _action(actor, when, now, f, files, lon, lat) -> dict:
    from shanzhi.incidents.selectors import get_incident_for_actor
    from shanzhi.incidents.views import PANEL, perform

    action = f.get("action", "")
    if action not in PANEL:
        raise ValidationError({"action": ValidationError(_("办理动作无效"), code="invalid")})
    from shanzhi.common.references import as_id

    incident_id = as_id(f.get("incident"))
    if incident_id is None:
        raise ValidationError({"incident": ValidationError(_("缺少事件"), code="required")})
    incident = get_incident_for_actor(actor, incident_id)  # 404 alike for missing and outside
    last = incident.steps.order_by("-at").values_list("at", flat=True).first()
    # Never before the case's latest step: the version check has made sure nothing happened in
    # between, and a step must not be filed before the one it follows.
    perform(actor, incident, action, f, files, at=max(when, last) if last else when)
    return {"object": "incident", "id": incident.pk, "number": incident.number,
            "url": reverse("incidents:detail", args=[incident.pk]),
            "message": _("已办理：%(n)s") % {"n": incident.number}}


HANDLERS = {
    Submission.Kind.REPORT: _report,
    Submission.Kind.PATROL_START: _patrol_start,
    Submission.Kind.PATROL_CHECK: _patrol_check,
    Submission.Kind.TRACK: _track,
    Submission.Kind.PATROL_FINISH: _patrol_finish,
    Submission.Kind.ACTION: _action,
}


def submit(*, actor, key: str, kind: str, made_at, fields: dict, photos=(), lon=None, lat=None,
           sent_at=None) -> tuple[dict, bool]:
    """Carry out one queued item. Returns (answer, created); a key seen before returns the first
    answer and does nothing. Refusals raise (ValidationError, Conflict, PermissionDenied, Http404)
    and leave nothing behind, so the phone may show the reason and the worker decide."""
    key = str(key or "").strip()
    if not KEY.match(key):
        raise ValidationError({"key": ValidationError(_("离线记录编号无效"), code="invalid")})
    if kind not in HANDLERS:
        raise ValidationError({"kind": ValidationError(_("离线记录类型无效"), code="invalid")})
    prior = Submission.objects.filter(user=actor, key=key).values_list("kind", "result").first()
    if prior is not None:
        if prior[0] != kind:
            raise Conflict(_("该离线记录编号已用于另一条记录"), code="key_reused")
        return prior[1], False
    now = timezone.now()
    offset = clock_offset(sent_at, now)
    when, suspect = made_time(made_at, now, offset)
    lon, lat = _coord(lon), _coord(lat)
    if (lon is None) != (lat is None) or (lat is not None and abs(lat) > 90):
        lon = lat = None
    try:
        with transaction.atomic():
            row = Submission.objects.create(user=actor, key=key, kind=kind, made_at=when, received_at=now,
                                            lon=lon, lat=lat)
            handler = HANDLERS[kind]
            extra = {"offset": offset} if handler is _track else {}
            answer = handler(actor, when, now, Fields(fields), Files(photos), lon, lat, **extra)
            answer |= {"kind": kind, "made_at": when.isoformat(), "clock_suspect": suspect}
            row.result = answer
            row.save(update_fields=["result"])
    except IntegrityError:
        # The same key arriving twice at once: the one that committed first has the answer.
        prior = Submission.objects.filter(user=actor, key=key).values_list("result", flat=True).first()
        if prior is None:
            raise
        return prior, False
    return answer, True
