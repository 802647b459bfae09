"""Every channel produces the same incident: located, classified, deadlines set, audited,
notifications queued — in one transaction, so an accepted report is never half-stored."""

from __future__ import annotations

import datetime as dt
import math
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.roles import Role
from shanzhi.common import audit, counters, crypto
from shanzhi.common.coords import CoordinateError, normalise_crs
from shanzhi.common.identifiers import normalise_mobile
from shanzhi.geo.spatial import place

from ..models import Attachment, Incident, IncidentClass, IncidentStep
from ..states import Action, Status
from .loop import _command_users, _notify_users, stage_due
from .photos import clean_photos

MAX_DESCRIPTION = 2000


class _Catalog:
    """Active subclasses by code with their keywords, per process; refreshed when the shared
    'incident-classes' counter moves (checked at most every few seconds)."""

    def __init__(self):
        self.version, self.checked, self.by_code, self.words = -1, 0.0, {}, []

    def get(self):
        now = time.monotonic()
        if now - self.checked > settings.GRID_INDEX_CHECK_SECONDS:
            version = counters.read("incident-classes")
            if version != self.version or not self.by_code:
                classes = list(IncidentClass.objects.filter(parent__isnull=False, is_active=True)
                               .select_related("parent"))
                self.by_code = {c.code: c for c in classes}
                self.words = [(c, [w.strip() for w in c.keywords.replace("，", ",").split(",") if w.strip()])
                              for c in classes]
                self.version = version
            self.checked = now
        return self


catalog = _Catalog()


def suggest_class(text: str) -> IncidentClass | None:
    """The active subclass whose keywords best match the description (most hits, then longest)."""
    best, best_score = None, (0, 0)
    for cls, words in catalog.get().words:
        hits = [w for w in words if w in text]
        score = (len(hits), sum(len(w) for w in hits))
        if score > best_score:
            best, best_score = cls, score
    return best


def fallback_class() -> IncidentClass | None:
    classes = sorted(catalog.get().by_code.values(), key=lambda c: c.code, reverse=True)
    return next((c for c in classes if "其他" in c.name), classes[-1] if classes else None)


def _distance_m(lon1, lat1, lon2, lat2) -> float:
    kx = 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon1 - lon2) * kx, (lat1 - lat2) * 110_574)


def find_duplicate(incident: Incident) -> int | None:
    """Id of an open case of the same subclass within DUPLICATE_METERS and DUPLICATE_HOURS, looked
    for in the same grid (the grid index keeps the search small; a pair split by a grid border is
    left to the dispatcher)."""
    if incident.lon is None:
        return None
    since = incident.reported_at - dt.timedelta(hours=settings.DUPLICATE_HOURS)
    pad = settings.DUPLICATE_METERS / 100_000
    candidates = Incident.objects.filter(
        grid_id=incident.grid_id, subclass=incident.subclass, reported_at__gte=since, reported_at__lte=incident.reported_at,
        status__in=[Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.HANDLING],
        lon__range=(incident.lon - pad * 1.5, incident.lon + pad * 1.5), lat__range=(incident.lat - pad, incident.lat + pad),
    ).exclude(pk=incident.pk).order_by("reported_at").values_list("id", "lon", "lat")
    for other_id, lon, lat in candidates[:20]:
        if _distance_m(incident.lon, incident.lat, lon, lat) <= settings.DUPLICATE_METERS:
            return other_id
    return None


def _validate(description, lon, lat, crs, address_text, subclass_code, reporter_phone):
    errors: dict[str, str] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = _("请描述问题")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("描述不能超过 %(n)d 字") % {"n": MAX_DESCRIPTION}
    point = None
    if lon is not None or lat is not None:
        try:
            crs = normalise_crs(crs)
            lon, lat = float(lon), float(lat)
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise CoordinateError("out of range")
            point = (lon, lat)
        except (TypeError, ValueError, CoordinateError):
            errors["location"] = _("坐标无效（经度 −180～180，纬度 −90～90，坐标系 wgs84/gcj02/bd09）")
    elif not (address_text or "").strip():
        errors["location"] = _("请提供位置（坐标或地址）")
    subclass = None
    if subclass_code:
        subclass = catalog.get().by_code.get(subclass_code)
        if subclass is None:
            errors["subclass"] = _("事件分类 %(c)s 不存在") % {"c": subclass_code}
    phone = ""
    if reporter_phone:
        try:
            phone = normalise_mobile(reporter_phone)
        except ValidationError as exc:
            errors["reporter_phone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return description, point, crs, subclass, phone


def incident_report(
    *, actor, source: str, description: str, subclass_code: str = "", lon=None, lat=None, crs: str = "wgs84",
    address_text: str = "", external_id: str | None = None, reporter_name: str = "", reporter_phone: str = "",
    photos=(), reported_at: dt.datetime | None = None, auto_register: bool = False,
) -> tuple[Incident, bool]:
    """Take in a report from any channel. Returns (incident, created). A repeated external number
    returns the existing incident and creates nothing."""
    if source not in Incident.Source.values:
        raise ValidationError({"source": _("来源无效")})
    # A retried external number is answered from the unique constraint below, not by a lookup
    # before every insert: new reports, the common case, save a query.
    description, point, crs, subclass, phone = _validate(description, lon, lat, crs, address_text, subclass_code,
                                                         reporter_phone)
    cleaned = clean_photos(photos)
    suggested = False
    if subclass is None:
        subclass = suggest_class(description) or fallback_class()
        suggested = True
    if subclass is None:
        raise ValidationError({"subclass": _("尚未配置事件分类")})
    location = place(*point, crs=crs) if point else None
    at = reported_at or timezone.now()
    day = f"{timezone.localtime(at):%Y%m%d}"
    number = f"{day}{counters.next_value(f'incident:{day}'):05d}"  # before the transaction: no hot row lock
    try:
        with transaction.atomic():
            incident = Incident(
                number=number, source=source, external_id=external_id or None, subclass=subclass,
                class_suggested=suggested, description=description, address_text=(address_text or "")[:200],
                lon=location.lon if location else None, lat=location.lat if location else None, declared_crs=crs,
                grid_id=location.grid_id if location else None, region_id=location.region_id if location else None,
                town_id=location.town_id if location else None,
                reporter=actor if getattr(actor, "pk", None) else None,
                reporter_name=(reporter_name or (str(actor) if getattr(actor, "pk", None) else ""))[:50],
                reporter_phone_sealed=crypto.seal(phone), reporter_phone_bidx=crypto.blind_index("phone", phone),
                tier=subclass.tier, department=None, reported_at=at,
            )
            incident.register_due = stage_due(incident, "register", at)
            incident.possible_duplicate_id = find_duplicate(incident)
            incident.save()
            step = IncidentStep.objects.create(
                incident=incident, action=Action.REPORT, at=at, actor=incident.reporter,
                actor_label=incident.reporter_name or _("群众"), to_status=Status.REPORTED, due=incident.register_due,
                note=description[:500], data={"source": source, "suggested_class": suggested})
            for content in cleaned:
                Attachment.objects.create(incident=incident, step=step, kind=Attachment.Kind.REPORT, image=content,
                                          width=getattr(content, "width", 0), height=getattr(content, "height", 0))
            audit.record(actor=actor if getattr(actor, "pk", None) else None, action="create", obj=incident,
                         after={"number": number, "source": source, "subclass": subclass.code,
                                "grid_id": incident.grid_id})
            if source != Incident.Source.CENTER:
                # The town's command center learns of every new case it must register.
                _notify_users(_command_users(incident, roles=(Role.DISPATCHER,)),
                              _("新事件待受理：%(n)s") % {"n": number},
                              f"{subclass.name}：{description[:60]}", incident, "reported")
            if auto_register:
                from .loop import incident_register

                incident_register(actor=actor, incident_id=incident.pk, at=at)
                incident.refresh_from_db()
    except IntegrityError:
        # The external number was seen before (a retry, or two copies arriving at once): answer with the first.
        if external_id:
            return Incident.objects.get(source=source, external_id=external_id), False
        raise
    return incident, True


__all__ = ["incident_report", "suggest_class", "find_duplicate"]
