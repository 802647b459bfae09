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
from shanzhi.cases.clocks import Clocks
from shanzhi.cases.errors import Conflict
from shanzhi.common import audit, counters, crypto
from shanzhi.common.coords import CoordinateError, normalise_crs
from shanzhi.common.identifiers import normalise_mobile
from shanzhi.geo.spatial import Placement, get_index, place

from ..kind import INCIDENT
from ..models import Attachment, Incident, IncidentClass, IncidentStep
from ..states import Action, Status
from .loop import _command_users, _notify_users, stage_due
from .photos import clean_photos

MAX_DESCRIPTION = 2000


class _Catalog:
    """Active subclasses by code with their keywords, per process; refreshed when the shared
    'incident-classes' counter moves (checked at most every few seconds)."""

    def __init__(self):
        self.version, self.checked, self.by_code, self.by_id, self.words = -1, 0.0, {}, {}, []

    def get(self):
        now = time.monotonic()
        if now - self.checked > settings.GRID_INDEX_CHECK_SECONDS:
            version = counters.read("incident-classes")
            if version != self.version or not self.by_code:
                classes = list(IncidentClass.objects.filter(parent__isnull=False, is_active=True)
                               .select_related("parent"))
                self.by_code = {c.code: c for c in classes}
                self.by_id = {c.pk: c for c in classes}
                self.words = [(c, [w.strip() for w in c.keywords.replace("，", ",").split(",") if w.strip()])
                              for c in classes]
                self.version = version
            self.checked = now
        return self


catalog = _Catalog()


def keyword_hits(text: str) -> list[tuple[IncidentClass, tuple[int, int]]]:
    """Active subclasses whose keywords the text contains, best first (most hits, then longest)."""
    hits = []
    for cls, words in catalog.get().words:
        found = [w for w in words if w in text]
        if found:
            hits.append((cls, (len(found), sum(len(w) for w in found))))
    return sorted(hits, key=lambda h: h[1], reverse=True)


def suggest_class(text: str) -> IncidentClass | None:
    """The class the suggester ranks first for the description: the model learnt from the
    county's registered cases (``incidents.classify``), the catalog's keywords where it has not
    learnt a class; None when neither knows."""
    from ..classify import suggest

    ranked = suggest(text, 1)
    return catalog.get().by_code.get(ranked[0].code) if ranked else None


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


def _validate(description, lon, lat, crs, address_text, address_code, subclass_code, reporter_phone):
    errors: dict[str, ValidationError] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = ValidationError(_("请描述问题"), code="required")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = ValidationError(_("描述不能超过 %(n)d 字") % {"n": MAX_DESCRIPTION}, code="too_long")
    point = None
    if lon not in (None, "") or lat not in (None, ""):
        try:
            crs = normalise_crs(crs)
            lon, lat = float(lon), float(lat)
            if not (-180 <= lon <= 180 and -90 <= lat <= 90) or math.isnan(lon) or math.isnan(lat):
                raise CoordinateError("out of range")
            point = (lon, lat)
        except (TypeError, ValueError, CoordinateError):
            errors["location"] = ValidationError(
                _("坐标无效（经度 −180～180，纬度 −90～90，坐标系 wgs84/gcj02/bd09）"), code="invalid")
    elif not (address_text or "").strip() and not (address_code or "").strip():
        errors["location"] = ValidationError(_("请提供位置（坐标、门牌编码或地址）"), code="required")
    subclass = None
    if subclass_code:
        subclass = catalog.get().by_code.get(subclass_code)
        if subclass is None:
            errors["subclass"] = ValidationError(_("事件分类 %(c)s 不存在") % {"c": subclass_code}, code="not_found")
    phone = ""
    if reporter_phone:
        try:
            phone = normalise_mobile(reporter_phone)
        except ValidationError as exc:
            errors["reporter_phone"] = ValidationError(exc.messages[0], code="invalid")
    if errors:
        raise ValidationError(errors)
    return description, point, crs, subclass, phone


def _default_county_id() -> int | None:
    from shanzhi.geo.models import Region

    index = get_index()
    if index.counties:
        return index.counties[0][0]
    return Region.objects.filter(level=Region.Level.COUNTY).values_list("id", flat=True).first()


def _by_address(address_code: str, address_text: str) -> Placement | None:
    """A door plate (门牌编码), then the address text against the address register."""
    from shanzhi.geo.models import Address

    qs = Address.objects.filter(grid__isnull=False).select_related("grid")
    hit = qs.filter(code=address_code.strip()).first() if address_code.strip() else None
    text = (address_text or "").strip()
    if hit is None and len(text) >= 4:
        county = places_prefix()
        candidates = {text, f"{county}{text}"} if county and not text.startswith(county) else {text}
        hit = qs.filter(full_text__in=candidates).order_by("code").first()
        if hit is None:
            for candidate in sorted(candidates, key=len, reverse=True):
                hit = qs.filter(full_text__startswith=candidate).order_by("code").first()
                if hit:
                    break
    if hit is None:
        return None
    return Placement(hit.lon, hit.lat, hit.grid_id, hit.grid.region_id, hit.grid.town_id)


_county_names: dict[int, str] = {}


def places_prefix() -> str:
    """The county's name as standard addresses begin with it (江阴市…); remembered per process."""
    from shanzhi.geo.models import Region

    county_id = _default_county_id()
    if not county_id:
        return ""
    if county_id not in _county_names:
        _county_names[county_id] = Region.objects.filter(pk=county_id).values_list("name", flat=True).first() or ""
    return _county_names[county_id]


def _placement(point, crs, address_code, address_text) -> Placement:
    """Where a report belongs. Coordinates outside the county are refused; a point in a gap of the
    grid coverage, or an address that matches no plate, goes to the county's 待定位 queue."""
    if point:
        found = place(*point, crs=crs)
        if found.grid_id:
            return found
        if found.county_id is None:
            raise ValidationError({"location": ValidationError(
                _("该位置不在本县（市）范围内，请核对坐标（经度 %(lon).5f，纬度 %(lat).5f）") % {
                    "lon": found.lon, "lat": found.lat}, code="outside_area")})
        by_address = _by_address(address_code or "", address_text or "")
        return by_address or Placement(found.lon, found.lat, None, found.county_id, None)
    by_address = _by_address(address_code or "", address_text or "")
    return by_address or Placement(None, None, None, _default_county_id(), None)


def _replay(source: str, external_id: str, actor) -> Incident:
    """A retried external number is answered with the case it created — numbers are kept per
    client, so only the client's own case can be found here."""
    creator = actor.pk if getattr(actor, "pk", None) else None
    existing = Incident.objects.filter(source=source, external_id=external_id, reporter_id=creator).first()
    if existing is None:
        raise Conflict(_("该外部编号已被使用"), code="duplicate_external_id")
    return existing


def incident_report(
    *, actor, source: str, description: str, subclass_code: str = "", lon=None, lat=None, crs: str = "wgs84",
    address_text: str = "", address_code: str = "", external_id: str | None = None, reporter_name: str = "",
    reporter_phone: str = "", photos=(), reported_at: dt.datetime | None = None, auto_register: bool = False,
    received_at: dt.datetime | None = None,
) -> tuple[Incident, bool]:
    """Take in a report from any channel. Returns (incident, created). A repeated external number
    from the same client returns the existing incident and creates nothing.

    ``reported_at`` is when the problem was reported (a phone's offline queue sends it later);
    ``received_at``, when the center could first know of it: the register clock starts then, so a
    report that sat in a stairwell without a signal is not late before anyone saw it."""
    if source not in Incident.Source.values:
        raise ValidationError({"source": ValidationError(_("来源无效"), code="invalid")})
    # A retried external number is answered from the unique constraint below, not by a lookup
    # before every insert: new reports, the common case, save a query.
    description, point, crs, subclass, phone = _validate(description, lon, lat, crs, address_text, address_code,
                                                         subclass_code, reporter_phone)
    cleaned = clean_photos(photos)
    suggested = False
    if subclass is None:
        subclass = suggest_class(description) or fallback_class()
        suggested = True
    if subclass is None:
        raise ValidationError({"subclass": _("尚未配置事件分类")})
    location = _placement(point, crs, address_code, address_text)
    at = reported_at or timezone.now()
    clock_at = max(at, received_at) if received_at else at
    day = f"{timezone.localtime(at):%Y%m%d}"
    number = f"{day}{counters.next_fast(f'incident:{day}'):05d}"  # no row lock held by the transaction
    person = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            incident = Incident(
                number=number, source=source, external_id=external_id or None, subclass=subclass,
                class_suggested=suggested, description=description,
                address_text=(address_text or address_code or "")[:200],
                lon=location.lon, lat=location.lat, declared_crs=crs,
                grid_id=location.grid_id, region_id=location.region_id, town_id=location.town_id,
                reporter=person, reporter_name=(reporter_name or (str(actor) if person else ""))[:50],
                reporter_phone_sealed=crypto.seal(phone), reporter_phone_bidx=crypto.blind_index("phone", phone),
                tier=subclass.tier, department=None, reported_at=at,
            )
            incident.register_due = stage_due(incident, "register", clock_at)
            incident.possible_duplicate_id = find_duplicate(incident)
            incident.save()
            Clocks(INCIDENT, incident, clock_at).start("register", *subclass.limit("register"), fresh=True)
            step = IncidentStep.objects.create(
                incident=incident, action=Action.REPORT, at=at, actor=person,
                actor_label=incident.reporter_name or _("群众"), to_status=Status.REPORTED, due=incident.register_due,
                note=description[:500], data={"source": source, "suggested_class": suggested,
                                              "located": bool(location.grid_id)})
            for content in cleaned:
                Attachment.objects.create(incident=incident, step=step, kind=Attachment.Kind.REPORT, image=content,
                                          width=getattr(content, "width", 0), height=getattr(content, "height", 0))
            audit.record(actor=person, action="create", obj=incident, at=clock_at,
                         after={"number": number, "source": source, "subclass": subclass.code,
                                "grid_id": incident.grid_id, "town_id": incident.town_id})
            if source != Incident.Source.CENTER or not incident.town_id:
                # The town's command center (the county's, for a case not yet placed) learns of
                # every new case it must register.
                _notify_users(lambda: _command_users(incident, roles=(Role.DISPATCHER,)),
                              _("新事件待受理：%(n)s") % {"n": number} if incident.town_id
                              else _("新事件待定位：%(n)s") % {"n": number},
                              f"{subclass.name}：{description[:60]}", incident, "reported")
            if auto_register:
                from .loop import incident_register

                incident_register(actor=actor, incident_id=incident.pk, at=at)
                incident.refresh_from_db()
    except IntegrityError:
        # The external number was seen before (a retry, or two copies arriving at once).
        if external_id:
            return _replay(source, external_id, actor), False
        raise
    return incident, True


__all__ = ["incident_report", "suggest_class", "keyword_hits", "find_duplicate"]
