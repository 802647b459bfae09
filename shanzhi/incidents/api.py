"""REST endpoints for intake, the loop's actions, queries and dashboard figures."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status
from ninja.errors import HttpError

from shanzhi.command import indicators
from shanzhi.command.selectors import period
from shanzhi.common import references
from shanzhi.geo.spatial import grid_facts

from .kind import INCIDENT
from .models import Incident, IncidentClass
from .selectors import get_incident_for_actor, incident_list
from .services import loop
from .services.intake import incident_report

router = Router(tags=["incidents"])


class IncidentIn(Schema):
    description: str
    source: str = "api"
    subclass_code: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address_text: str = ""
    address_code: str = ""
    external_id: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""


def idempotency_key(request) -> str | None:
    """An ``Idempotency-Key`` header, kept apart per client: two clients choosing the same key
    never meet."""
    raw = (request.headers.get("Idempotency-Key") or "").strip()
    if not raw:
        return None
    return f"idem:{request.user.pk}:{raw}"[:64]


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


class IncidentDetailOut(IncidentOut):
    steps: list[StepOut]


@router.post("/incidents", response={200: IncidentOut, 201: IncidentOut}, summary="上报事件（外部编号或 Idempotency-Key 幂等）")
def create_incident(request, payload: IncidentIn):
    external = payload.external_id or idempotency_key(request)
    incident, created = incident_report(
        actor=request.user, source=payload.source, description=payload.description,
        subclass_code=payload.subclass_code, lon=payload.lon, lat=payload.lat, crs=payload.crs,
        address_text=payload.address_text, address_code=payload.address_code, external_id=external,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone)
    return Status(201 if created else 200, out(incident))


class AlarmIn(Schema):
    alarm_id: str
    point_code: str
    alarm_type: str
    description: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    subclass_code: str = ""


@router.post("/alarms", response={200: IncidentOut, 201: IncidentOut}, summary="监测点告警转事件（按告警编号幂等）")
def create_alarm(request, payload: AlarmIn):
    incident, created = incident_report(
        actor=request.user, source="alarm", external_id=f"{payload.point_code}:{payload.alarm_id}",
        description=f"【{payload.alarm_type}】监测点 {payload.point_code}：{payload.description or payload.alarm_type}",
        subclass_code=payload.subclass_code, lon=payload.lon, lat=payload.lat, crs=payload.crs,
        address_text=f"监测点 {payload.point_code}")
    incident = Incident.objects.select_related("subclass", "grid", "town", "department").get(pk=incident.pk)
    return Status(201 if created else 200, out(incident))


@router.get("/incidents", response=list[IncidentOut], summary="事件列表（按管辖范围）")
def list_incidents(request, status: str | None = None, town: str | None = None, since: dt.datetime | None = None,
                   limit: int = 100, offset: int = 0):
    if not 1 <= limit <= 500 or offset < 0:
        raise HttpError(400, "limit must be 1–500 and offset ≥ 0")
    qs = incident_list(actor=request.user)
    if status:
        qs = qs.filter(status=status)
    if town:
        qs = qs.filter(town__code=town)
    if since:
        qs = qs.filter(reported_at__gte=since)
    return [out(i) for i in qs.order_by("-reported_at", "-id")[offset: offset + limit]]


@router.get("/incidents/{incident_id}", response=IncidentDetailOut, summary="事件详情与办理过程")
def get_incident(request, incident_id: int):
    i = get_incident_for_actor(request.user, incident_id)
    return out(i) | {"steps": [{"action": s.action, "at": s.at, "actor": s.actor_label, "note": s.note, "due": s.due}
                               for s in i.steps.order_by("at", "id")]}


class ActionIn(Schema):
    version: int | None = None
    note: str = ""
    department_code: str = ""
    departments: list[str] = []
    subclass_code: str = ""
    into_number: str = ""
    passed: bool = True
    amount: float = 0
    unit: str = "working_days"
    request_id: int | None = None
    approve: bool = True
    grid_code: str = ""


def _into(actor, number: str) -> int | None:
    """The merge target by its number, looked up only among the cases the actor may act on; the
    service resolves it again by id through the same scope."""
    return INCIDENT.actionable(actor).filter(number=number).values_list("id", flat=True).first() if number else None


def _grid(actor, code: str) -> int | None:
    from shanzhi.geo.selectors import grids_for_actor

    return grids_for_actor(actor).filter(code=code).values_list("id", flat=True).first() if code else None


@router.post("/incidents/{incident_id}/actions/{action}", response=IncidentOut, summary="办理动作")
def act(request, incident_id: int, action: str, payload: ActionIn):
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
    if action not in handlers:
        raise HttpError(404, f"unknown action {action!r}; one of {', '.join(handlers)}")
    handlers[action]()
    return out(Incident.objects.select_related("subclass", "grid", "town", "department").get(pk=incident_id))


@router.get("/dashboard", summary="指挥中心指标（与页面同一口径）")
def dashboard(request, town: str = "", days: int = 30):
    start, end, label = period({"days": days})
    qs = incident_list(actor=request.user)
    if town:
        qs = qs.filter(town__code=town)
    figures = indicators.compute(qs, start, end)
    return {"period": label, "start": start, "end": end, **figures}
