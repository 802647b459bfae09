"""REST API v1 (django-ninja). Every handler reads through the caller's jurisdiction."""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from shanzhi.assistance import api as assistance_api
from shanzhi.cases.api import router as cases_router
from shanzhi.cases.errors import Conflict
from shanzhi.common.coords import CoordinateError
from shanzhi.common.ratelimit import client_ip
from shanzhi.enforcement import api as enforcement_api
from shanzhi.geo.selectors import get_grid_for_actor, grid_list
from shanzhi.geo.spatial import locate
from shanzhi.incidents.api import router as incidents_router
from shanzhi.inspections import api as inspections_api
from shanzhi.onewindow import api as window_api
from shanzhi.registry import selectors as registry_selectors

from . import schemas
from .auth import AUTH

api = NinjaAPI(title="善治 Shanzhi API", version="1.0.0", urls_namespace="api", auth=AUTH, docs_url="/docs",
               description=schemas.__doc__)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "未找到或不在您的管辖范围内", "code": "not_found"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": "缺少或无效的接口密钥（X-Api-Key 或 Authorization: Bearer）",
                                         "code": "unauthenticated"}, status=401)


@api.exception_handler(NinjaValidationError)
def _bad_payload(request, exc):
    """Schema errors are the caller's bad input: 400 with one message per field."""
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path", "params")]
        fields.setdefault(".".join(loc) or "_", []).append(err.get("msg", "invalid"))
    return api.create_response(request, {"detail": "请求参数有误", "code": "invalid", "errors": fields}, status=400)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    detail = str(exc)
    if detail == "Cannot parse request body":  # django-ninja's own words for a body that is not JSON
        detail = "请求体不是有效的 JSON"
    return api.create_response(request, {"detail": detail, "code": "invalid" if exc.status_code == 400 else "error"},
                               status=exc.status_code)


@api.exception_handler(DjangoValidationError)
def _refused(request, exc):
    """Well formed, refused by a rule (an unknown code, a place outside the county …): 422."""
    if hasattr(exc, "error_dict"):
        fields = {f: [m for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
        codes = {f: [e.code or "invalid" for e in errs] for f, errs in exc.error_dict.items()}
    else:
        fields, codes = {"_": exc.messages}, {"_": [e.code or "invalid" for e in exc.error_list]}
    return api.create_response(request, {"detail": "请求未被受理", "code": "refused", "errors": fields, "codes": codes},
                               status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "无权执行此操作", "code": "forbidden"}, status=403)


@api.exception_handler(Conflict)
def _conflict(request, exc):
    return api.create_response(request, {"detail": str(exc), "code": exc.code}, status=409)


geo = Router(tags=["geo"])
registry = Router(tags=["registry"])


class LocateIn(Schema):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class GridRef(Schema):
    id: int
    code: str
    name: str
    level: int


class RegionRef(Schema):
    code: str
    name: str


class LocateOut(Schema):
    lon: float
    lat: float
    declared_crs: str
    grid: GridRef | None
    ancestors: list[GridRef]
    region: RegionRef | None
    town: RegionRef | None


@geo.get("/locate", response={200: LocateOut, **schemas.READ_LIST}, summary="坐标定位到网格")
def locate_point(request, params: Query[LocateIn]):
    try:
        return locate(params.lon, params.lat, params.crs).as_dict()
    except CoordinateError as exc:
        raise HttpError(400, str(exc)) from exc


class GridOut(Schema):
    id: int
    code: str
    name: str
    level: int
    kind: str
    village: str
    town: str
    area_km2: float
    center_lon: float
    center_lat: float


def _grid_out(g) -> dict:
    return {"id": g.id, "code": g.code, "name": g.name, "level": g.level, "kind": g.kind, "village": g.region.name,
            "town": g.town.name, "area_km2": g.area_km2, "center_lon": g.center_lon, "center_lat": g.center_lat}


class GridQuery(Schema):
    level: int | None = Field(None, ge=1, le=4)
    town: schemas.TownCode | None = None
    limit: int = Field(500, ge=1, le=2000)
    offset: schemas.Offset = 0


@geo.get("/grids", response={200: list[GridOut], **schemas.READ_LIST}, summary="网格列表（按管辖范围）")
def grids(request, params: Query[GridQuery]):
    qs = grid_list(actor=request.user, level=params.level, town_code=params.town)
    return [_grid_out(g) for g in qs[params.offset: params.offset + params.limit]]


@geo.get("/grids/{grid_id}", response={200: GridOut, **schemas.READ_ONE}, summary="网格详情")
def grid_detail(request, grid_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    return _grid_out(get_grid_for_actor(request.user, grid_id))


class PersonOut(Schema):
    id: int
    name: str
    id_number: str = Field(description="脱敏：前 4 位与后 2 位")
    phone: str
    gender: str
    birth_year: int
    address: str
    grid: str


class PeopleQuery(Schema):
    q: str = Field(min_length=1, max_length=60, pattern=r"\S", description="姓名、身份证号、手机号或地址")


@registry.get("/people", response={200: list[PersonOut], 403: schemas.ErrorOut, **schemas.READ_LIST},
              summary="人口查询（身份证号、手机号脱敏；按完整号码查找需要查看权限，并记入审计）")
def people(request, params: Query[PeopleQuery]):
    return [
        {"id": p.id, "name": p.name, "id_number": p.id_masked, "phone": p.phone_masked, "gender": p.gender,
         "birth_year": p.birth_year, "address": p.address.full_text if p.address else "",
         "grid": p.grid.name if p.grid else ""}
        for p in registry_selectors.person_search(request.user, params.q, ip=client_ip(request))
    ]


api.add_router("/geo", geo)
api.add_router("/registry", registry)
api.add_router("/", incidents_router)
api.add_router("/", cases_router)
api.add_router("/window", window_api.public)
api.add_router("/window", window_api.router)
api.add_router("/inspections", inspections_api.public)
api.add_router("/inspections", inspections_api.router)
api.add_router("/team", enforcement_api.public)
api.add_router("/team", enforcement_api.router)
api.add_router("/assistance", assistance_api.router)
