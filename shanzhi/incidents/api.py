"""REST endpoints for intake, the loop's actions, queries and dashboard figures.

Every limit the handlers enforce is stated in the schema; status codes as in ``api.schemas``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from ninja import Field, Path, Query, Router, Schema, Status

from shanzhi.api import schemas
from shanzhi.command.selectors import period
from shanzhi.common import references
from shanzhi.geo.spatial import grid_facts

from .kind import INCIDENT
from .models import Incident, IncidentClass
from .selectors import get_incident_for_actor, incident_list
from .services import loop
from .services.intake import MAX_DESCRIPTION, incident_report
from .states import Status as CaseStatus

router = Router(tags=["incidents"])
Crs = Literal["wgs84", "gcj02", "bd09"]
Source = Literal["patrol", "citizen", "hotline", "alarm", "center", "petition", "opinion", "assigned", "api"]
Lon = Field(None, ge=-180, le=180)
Lat = Field(None, ge=-90, le=90)
Code = Field("", max_length=10, pattern=r"^(\d{4})?$", description="事件小类代码（4 位），留空由系统推荐")


class IncidentIn(Schema):
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION, pattern=r"\S")
    source: Source = "api"
    subclass_code: str = Code
    lon: float | None = Lon
    lat: float | None = Lat
    crs: Crs = "wgs84"
    address_text: str = Field("", max_length=200)
    address_code: str = Field("", max_length=24, description="门牌编码")
    external_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", pattern=r"^(1[3-9]\d{9})?$")


def idempotency_key(request) -> str | None:
    """An ``Idempotency-Key`` header as an external number: hashed (any length, never cut so that
    two keys collide) and, like every external number, kept per client."""
    import hashlib

    raw = (request.headers.get("Idempotency-Key") or "").strip()
    if not raw:
        return None
    if len(raw) > 255:
        raise ValidationError({"Idempotency-Key": ValidationError("Idempotency-Key 不能超过 255 个字符", code="too_long")})
    return "idem:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


class StepOut(Schema):
    action: str
    at: dt.datetime
    actor: str
    note: str
    due: dt.datetime | None


class IncidentOut(Schema):
    id: int
    number: str
    source: str
    external_id: str | None
    subclass_code: str
    subclass_name: str
    description: str
    status: str
    status_label: str
    lon: float | None
    lat: float | None
    grid_code: str | None
    town: str | None
    department: str | None
    reported_at: dt.datetime
    current_due: dt.datetime | None
    version: int


def out(i: Incident) -> dict:
    grid_code, town_name = grid_facts(i.grid_id)
    return {"id": i.id, "number": i.number, "source": i.source, "external_id": i.external_id,
            "subclass_code": i.subclass.code, "subclass_name": i.subclass.name, "description": i.description,
            "status": i.status, "status_label": i.get_status_display(), "lon": i.lon, "lat": i.lat,
            "grid_code": grid_code, "town": town_name,
            "department": i.department.name if i.department_id else None, "reported_at": i.reported_at,
            "current_due": i.current_due, "version": i.version}


def _fresh(pk: int) -> dict:
    return out(Incident.objects.select_related("subclass", "grid", "town", "department").get(pk=pk))


class SuggestionOut(Schema):
    code: str
    name: str
    confidence: float
    by: Literal["model", "keywords"]


class IncidentDetailOut(IncidentOut):
    steps: list[StepOut]
    suggestions: list[SuggestionOut]


@router.post("/incidents", response={200: IncidentOut, 201: IncidentOut, **schemas.CREATE},
             summary="上报事件（外部编号或 Idempotency-Key 幂等）")
def create_incident(request, payload: IncidentIn):
    external = payload.external_id or idempotency_key(request)
    incident, created = incident_report(
        actor=request.user, source=payload.source, description=payload.description,
        subclass_code=payload.subclass_code, lon=payload.lon, lat=payload.lat, crs=payload.crs,
        address_text=payload.address_text, address_code=payload.address_code, external_id=external,
        reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone)
    return Status(201 if created else 200, out(incident))  # the incident as stored: no second read


class AlarmIn(Schema):
    alarm_id: str = Field(min_length=1, max_length=30, pattern=r"^[^\x00-\x1f:]+$")
    point_code: str = Field(min_length=1, max_length=30, pattern=r"^[^\x00-\x1f:]+$")
    alarm_type: str = Field(min_length=1, max_length=40, pattern=r"\S")
    description: str = Field("", max_length=1000)
    lon: float | None = Lon
    lat: float | None = Lat
    crs: Crs = "wgs84"
    subclass_code: str = Code


@router.post("/alarms", response={200: IncidentOut, 201: IncidentOut, **schemas.CREATE},
             summary="监测点告警转事件（按告警编号幂等）")
def create_alarm(request, payload: AlarmIn):
    incident, created = incident_report(
        actor=request.user, source="alarm", external_id=f"{payload.point_code}:{payload.alarm_id}",
        description=f"【{payload.alarm_type}】监测点 {payload.point_code}：{payload.description or payload.alarm_type}",
        subclass_code=payload.subclass_code, lon=payload.lon, lat=payload.lat, crs=payload.crs,
        address_text=f"监测点 {payload.point_code}")
    return Status(201 if created else 200, out(incident))


class IncidentQuery(Schema):
    status: Literal[tuple(CaseStatus.values)] | None = None  # type: ignore[valid-type]
    town: schemas.TownCode | None = None
    since: schemas.IsoDateTime | None = None
    limit: schemas.Limit = 100
    offset: schemas.Offset = 0


@router.get("/incidents", response={200: list[IncidentOut], **schemas.READ_LIST}, summary="事件列表（按管辖范围）")
def list_incidents(request, params: Query[IncidentQuery]):
    qs = incident_list(actor=request.user)
    if params.since and not 1970 <= params.since.year <= 2100:
        raise ValidationError({"since": ValidationError("since 应在 1970 至 2100 年之间", code="out_of_range")})
    if params.status:
        qs = qs.filter(status=params.status)
    if params.town:
        qs = qs.filter(town__code=params.town)
    if params.since:
        qs = qs.filter(reported_at__gte=params.since)
    return [out(i) for i in qs.order_by("-reported_at", "-id")[params.offset: params.offset + params.limit]]


@router.get("/incidents/{incident_id}", response={200: IncidentDetailOut, **schemas.READ_ONE},
            summary="事件详情与办理过程")
def get_incident(request, incident_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    i = get_incident_for_actor(request.user, incident_id)
    from .views import class_suggestions

    return out(i) | {"steps": [{"action": s.action, "at": s.at, "actor": s.actor_label, "note": s.note, "due": s.due}
                               for s in i.steps.order_by("at", "id")],
                     "suggestions": [{"code": s["code"], "name": s["cls"].name, "confidence": round(s["confidence"], 4),
                                      "by": s["by"]} for s in class_suggestions(i)]}


class ActionIn(Schema):
    version: int | None = Field(None, ge=1, le=10**9, description="您看到的版本；他人先办理时返回 409")
    note: str = Field("", max_length=500)
    department_code: str = Field("", max_length=30)
    departments: list[str] = Field([], max_length=10)
    subclass_code: str = Code
    into_number: str = Field("", max_length=24)
    passed: bool = True
    amount: float = Field(0, ge=0, le=60)
    unit: Literal["working_days", "working_hours", "calendar_days"] = "working_days"
    request_id: int | None = Field(None, ge=1, le=schemas.MAX_ID)
    approve: bool = True
    grid_code: str = Field("", max_length=20)


Action = Literal["locate", "register", "void", "merge", "dispatch", "whistle", "accept", "return", "extend",
                 "extend_decide", "shelve", "resume", "reply", "verify", "escalate", "supervise", "check_in", "archive"]


def _into(actor, number: str) -> int | None:
    """The merge target by its number, looked up only among the cases the actor may act on; the
    service resolves it again by id through the same scope."""
    return INCIDENT.actionable(actor).filter(number=number).values_list("id", flat=True).first() if number else None


def _grid(actor, code: str) -> int | None:
    from shanzhi.geo.selectors import grids_for_actor

    return grids_for_actor(actor).filter(code=code).values_list("id", flat=True).first() if code else None


@router.post("/incidents/{incident_id}/actions/{action}", response={200: IncidentOut, **schemas.ACT},
             summary="办理动作")
def act(request, payload: ActionIn, action: Action, incident_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    get_incident_for_actor(request.user, incident_id)
    u, note = request.user, payload.note
    common = {"actor": u, "incident_id": incident_id, "expected_version": payload.version}
    subclass = None
    if action == "register" and payload.subclass_code:
        subclass = references.resolve(IncidentClass.objects.filter(parent__isnull=False, is_active=True),
                                      field="subclass_code", label="事件分类", code=payload.subclass_code)
    handlers = {
        "locate": lambda: loop.incident_locate(**common, grid=_grid(u, payload.grid_code) or "0", note=note),
        "register": lambda: loop.incident_register(**common, note=note, subclass=subclass),
        "void": lambda: loop.incident_void(**common, reason=note),
        "merge": lambda: loop.incident_merge(**common, note=note, into=_into(u, payload.into_number)),
        "dispatch": lambda: loop.incident_dispatch(**common, note=note, department_code=payload.department_code or "-"),
        "whistle": lambda: loop.incident_whistle(**common, note=note, lead_code=payload.department_code or "-",
                                                 other_codes=payload.departments),
        "accept": lambda: loop.incident_accept(**common),
        "return": lambda: loop.incident_return(**common, reason=note),
        "extend": lambda: loop.incident_request_extension(**common, amount=payload.amount, unit=payload.unit,
                                                          reason=note),
        "extend_decide": lambda: loop.incident_decide_extension(**common, request_id=payload.request_id,
                                                                approve=payload.approve, note=note),
        "shelve": lambda: loop.incident_shelve(**common, reason=note),
        "resume": lambda: loop.incident_resume(**common, note=note),
        "reply": lambda: loop.incident_reply(**common, note=note),
        "verify": lambda: loop.incident_verify(**common, passed=payload.passed, note=note),
        "escalate": lambda: loop.incident_escalate(**common, reason=note),
        "supervise": lambda: loop.incident_supervise(**common, note=note),
        "check_in": lambda: loop.incident_check_in(**common, reply=note),
        "archive": lambda: loop.incident_archive(**common),
    }
    handlers[action]()
    return _fresh(incident_id)


class IndicatorOut(Schema):
    key: str
    label: str
    value: float | None
    numerator: int
    denominator: int | None
    num_key: str
    den_key: str | None
    is_rate: bool


class DashboardOut(Schema):
    period: str
    start: dt.datetime
    end: dt.datetime
    counts: dict[str, int]
    avg_handle_hours: float | None
    indicators: list[IndicatorOut]


class DashboardQuery(Schema):
    town: schemas.TownCode | None = None
    days: int = Field(30, ge=1, le=366)


@router.get("/dashboard", response={200: DashboardOut, **schemas.READ_LIST}, summary="指挥中心指标（与页面同一口径）")
def dashboard(request, params: Query[DashboardQuery]):
    from shanzhi.command import board
    from shanzhi.command.views import _guard

    _guard(request)  # the same posts as the command center's page (a window clerk is not one)
    start, end, label = period({"days": params.days})
    area = board.resolve(request.user, {"town": params.town} if params.town else {})
    figures = board.figures(request.user, area, start, end)
    return {"period": label, "start": start, "end": end, **figures}
