"""REST endpoints of the one window: the catalog, applying, following, rating, the back office's
actions, the certificate library and public verification.

Every read goes through the caller's jurisdiction (``APPLICATION.visible``, the certificate
library); a referenced record — the item, the hall, a material, a held certificate, the
reviewing department — is resolved inside the service through the same scope, and one outside it
is answered exactly as one that does not exist. Status codes as in ``shanzhi.api.schemas``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from shanzhi.accounts.roles import Role
from shanzhi.api import schemas
from shanzhi.common import references
from shanzhi.common.ratelimit import client_ip, hit
from shanzhi.geo.models import Region

from .kind import APPLICATION, WINDOW, _roles
from .models import Application, Certificate, Channel, ServiceItem
from .services import applications as svc
from .services import certificates
from .services.applications import MAX_UPLOAD
from .states import Status

router = Router(tags=["window"])
public = Router(tags=["window"], auth=None)

ItemCode = Path(..., min_length=1, max_length=40, pattern=r"^[0-9A-Za-z\-_.]+$")
CertNumber = Path(..., min_length=1, max_length=40, pattern=r"^[0-9A-Za-z\-]+$")
NoControl = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
PUBLIC_LIMIT = {400: schemas.ErrorOut, 422: schemas.ErrorOut, 429: schemas.ErrorOut}


def _throttle(request, scope: str, limit: int) -> None:
    """Public endpoints are rate-limited per source address, like the public pages."""
    if not hit(f"api-{scope}:{client_ip(request)}", limit, 60):
        raise HttpError(429, "请求过于频繁，请稍后再试")


def _handling():
    return ServiceItem.objects.filter(level=ServiceItem.Level.HANDLING, is_active=True).select_related("department")


# --------------------------------------------------------------------------- the catalog (public)
class CatalogItemOut(Schema):
    code: str
    name: str
    variant: str
    item_type: str
    item_type_label: str
    department: str
    delegated: bool
    immediate: bool
    statutory_days: float
    promised_days: float
    visits: int
    online_depth: int
    channels: list[str]
    county_wide: bool
    fee: str


class ItemMaterialOut(Schema):
    id: int
    name: str
    required: bool
    form: str
    copies: int
    certificate_type: str
    note: str


class ReviewStepOut(Schema):
    name: str
    department: str
    parallel_group: int


class ItemDetailOut(CatalogItemOut):
    legal_basis: str
    conditions: str
    applicant_kind: str
    result_name: str
    certificate_type: str
    contact: str
    materials: list[ItemMaterialOut]
    review_steps: list[ReviewStepOut]


def _item_out(i: ServiceItem) -> dict:
    return {"code": i.code, "name": i.name, "variant": i.variant, "item_type": i.item_type,
            "item_type_label": i.get_item_type_display(), "department": i.department.name, "delegated": i.delegated,
            "immediate": i.immediate, "statutory_days": float(i.statutory_days), "promised_days": float(i.promised_days),
            "visits": i.visits, "online_depth": i.online_depth, "channels": list(i.channels or []),
            "county_wide": i.county_wide, "fee": i.fee}


class CatalogQuery(Schema):
    q: str = Field("", max_length=40, pattern=NoControl, description="事项名称、关键词、部门或实施编码")
    type: Literal[tuple(v for v, _l in ServiceItem._meta.get_field("item_type").choices)] | None = None  # type: ignore[misc]
    online: bool = Field(False, description="只看可全程网办（网上办理深度 ≥ 3）")
    no_visit: bool = Field(False, description="只看不见面办理（到现场 0 次）")
    limit: schemas.Limit = 50
    offset: schemas.Offset = 0


class CatalogOut(Schema):
    total: int
    items: list[CatalogItemOut]


@public.get("/items", response={200: CatalogOut, **PUBLIC_LIMIT},
            summary="办事指南：事项目录检索（公开，按来源地址限流）", auth=None)
def catalog(request, params: Query[CatalogQuery]):
    _throttle(request, "guide", 120)
    qs = _handling()
    q = params.q.strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(keywords__contains=q) | Q(department__name__contains=q) | Q(code=q))
    if params.type:
        qs = qs.filter(item_type=params.type)
    if params.online:
        qs = qs.filter(online_depth__gte=3)
    if params.no_visit:
        qs = qs.filter(visits=0)
    rows = qs.order_by("name", "code")[params.offset: params.offset + params.limit]
    return {"total": qs.count(), "items": [_item_out(i) for i in rows]}


@public.get("/items/{code}", response={200: ItemDetailOut, 404: schemas.ErrorOut, **PUBLIC_LIMIT},
            summary="办事指南：事项详情（材料、环节、时限）", auth=None)
def catalog_item(request, code: str = ItemCode):
    _throttle(request, "guide", 120)
    item = _handling().filter(code=code).prefetch_related("materials", "review_steps__department").first()
    if item is None:
        raise Http404
    return _item_out(item) | {
        "legal_basis": item.legal_basis, "conditions": item.conditions, "applicant_kind": item.applicant_kind,
        "result_name": item.result_name, "certificate_type": item.certificate_type, "contact": item.contact,
        "materials": [{"id": m.pk, "name": m.name, "required": m.required, "form": m.form, "copies": m.copies,
                       "certificate_type": m.certificate_type, "note": m.note} for m in item.materials.all()],
        "review_steps": [{"name": s.name, "department": s.department.name, "parallel_group": s.parallel_group}
                         for s in item.review_steps.all()]}


# --------------------------------------------------------------------------- verification (public)
class VerifyOut(Schema):
    number: str
    valid: bool
    verdict: str
    state: Literal["valid", "expired", "revoked", "forged"]
    shown: dict
    public_key: str


class CopyIn(Schema):
    payload: dict
    signature: str = Field(min_length=128, max_length=128, pattern=r"^[0-9a-f]{128}$", description="SM2 签名（r‖s，128 位小写十六进制）")


def _verified(cert, ok, why, forged=False) -> dict:
    return {"number": cert.number, "valid": ok, "verdict": why, "state": "forged" if forged else certificates.state(cert),
            "shown": certificates.public_view(cert), "public_key": cert.key.public_key}


@public.get("/certificates/{number}/verify", response={200: VerifyOut, 404: schemas.ErrorOut, **PUBLIC_LIMIT},
            summary="电子证照核验（公开）：签名、注销与有效期", auth=None)
def verify(request, number: str = CertNumber):
    _throttle(request, "verify", 60)
    cert = Certificate.objects.select_related("key").filter(number=number).first()
    if cert is None:
        raise Http404
    ok, why = certificates.verify(cert)
    return _verified(cert, ok, why)


@public.post("/certificates/verify-copy", response={200: VerifyOut, 404: schemas.ErrorOut, **PUBLIC_LIMIT},
             summary="核验一份证照文件（内容与签名按文件所载）", auth=None)
def verify_copy(request, payload: CopyIn):
    _throttle(request, "verify-copy", 20)
    cert = Certificate.objects.select_related("key").filter(number=str(payload.payload.get("number", ""))[:40]).first()
    if cert is None:
        raise Http404
    ok, why = certificates.verify(cert, payload=payload.payload, signature=payload.signature)
    forged = not certificates.signature_holds(cert.key.public_key, payload.payload, payload.signature)
    return _verified(cert, ok, why, forged=forged)


# --------------------------------------------------------------------------- applying
class MaterialIn(Schema):
    material_id: schemas.Id
    kind: Literal["file", "certificate", "earlier", "paper"] = Field(
        description="上传文件、以已持有的电子证照代替、使用以前办件中提交过的同名材料（earlier_id），或窗口核验纸质件")
    filename: str = Field("", max_length=200, pattern=NoControl)
    content_base64: str = Field("", max_length=MAX_UPLOAD * 4 // 3 + 4, description="PDF、JPG 或 PNG，不超过 10 MB")
    certificate_number: str = Field("", max_length=40)
    earlier_id: int | None = Field(None, ge=1, le=schemas.MAX_ID, description="以前提交的材料的 id（见办件详情）")


def _materials(items: list[MaterialIn], holder_scope=None) -> dict:
    """The service's materials: material id → a file, "cert:<id>" or "paper". A certificate is
    named by number and resolved later, in the service, among the applicant's own."""
    provided = {}
    for m in items:
        if m.material_id in provided:
            raise ValidationError({"materials": ValidationError("同一材料只能提交一次", code="duplicate")})
        if m.kind == "paper":
            provided[m.material_id] = "paper"
        elif m.kind == "earlier":
            provided[m.material_id] = f"prior:{m.earlier_id or 0}"
        elif m.kind == "certificate":
            pk = Certificate.objects.filter(number=m.certificate_number).values_list("pk", flat=True).first() \
                if m.certificate_number else None
            provided[m.material_id] = f"cert:{pk or 0}"  # an unknown number fails exactly like another's
        else:
            try:
                data = base64.b64decode("".join(m.content_base64.split()), validate=True)  # MIME line breaks too
            except (binascii.Error, ValueError) as exc:
                raise ValidationError({f"material_{m.material_id}": ValidationError(
                    "文件内容不是有效的 Base64", code="invalid")}) from exc
            provided[m.material_id] = SimpleUploadedFile(m.filename or "upload", data)
    return provided


class ApplicationIn(Schema):
    item_code: str = Field(min_length=1, max_length=40)
    town: schemas.TownCode = Field(description="受理的镇（街道）；全县通办的事项可在任一镇申请")
    applicant_name: str = Field(min_length=1, max_length=120, pattern=NoControl)
    applicant_id: str = Field(min_length=1, max_length=30, description="身份证号或统一社会信用代码")
    applicant_kind: Literal["person", "organisation"] = "person"
    contact_phone: str = Field("", pattern=r"^(1[3-9]\d{9})?$")
    channel: Literal["window", "online", "mobile", "agent", "kiosk"] = Field(
        "online", description="居民和企业账号只能网上办或掌上办；窗口人员为窗口受理；网格员、代办员为代办")
    home_visit: bool = False
    materials: list[MaterialIn] = Field([], max_length=30)


class MaterialStateOut(Schema):
    material_id: int
    submitted_id: int | None = Field(description="提交的材料 id：以后的申请可用 earlier_id 引用")
    name: str
    required: bool
    provided: str
    state: str
    problem: str


class ApplicationStepOut(Schema):
    action: str
    action_label: str
    at: dt.datetime
    actor: str
    note: str
    due: dt.datetime | None


class ApplicationReviewOut(Schema):
    department: str
    department_code: str
    parallel_group: int
    state: str
    opinion: str
    decided_at: dt.datetime | None


class ApplicationOut(Schema):
    id: int
    number: str
    item_code: str
    item_name: str
    status: str
    status_label: str
    channel: str
    applicant_name: str
    applicant_id: str = Field(description="脱敏（单位的统一社会信用代码公开）")
    acting_for: bool
    town: str
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    completed_at: dt.datetime | None
    current_due: dt.datetime | None
    promise_due: dt.datetime | None
    statute_due: dt.datetime | None
    granted: bool | None
    rating: int | None
    certificate_number: str | None
    version: int


class ApplicationDetailOut(ApplicationOut):
    materials: list[MaterialStateOut]
    missing: list[str]
    reviews: list[ApplicationReviewOut]
    steps: list[ApplicationStepOut]
    correction_notice: list[dict] | None


def _out(a: Application) -> dict:
    held = getattr(a, "certificate", None)  # reverse one-to-one: select_related in lists, no query per row
    cert = held.number if held is not None else None
    return {"id": a.pk, "number": a.number, "item_code": a.item.code, "item_name": a.item.name, "status": a.status,
            "status_label": a.get_status_display(), "channel": a.channel, "applicant_name": a.applicant_name,
            "applicant_id": a.applicant_id_masked, "acting_for": a.acting_for, "town": a.town.name,
            "submitted_at": a.submitted_at, "accepted_at": a.accepted_at, "completed_at": a.completed_at,
            "current_due": a.current_due, "promise_due": a.promise_due, "statute_due": a.statute_due,
            "granted": a.granted, "rating": a.rating, "certificate_number": cert, "version": a.version}


def _detail(a: Application) -> dict:
    rows = {}
    for s in a.materials.select_related("certificate").order_by("id"):
        rows[s.material_id] = s  # the latest version of each material
    materials = []
    for m in a.item.materials.all():
        s = rows.get(m.pk)
        provided = "" if s is None else "file" if s.file else "certificate" if s.certificate_id else "paper"
        materials.append({"material_id": m.pk, "submitted_id": s.pk if s else None, "name": m.name, "required": m.required, "provided": provided,
                          "state": s.state if s else "missing", "problem": s.problem if s else ""})
    notice = a.corrections_issued.filter(answered_at__isnull=True).order_by("-issued_at").first()
    return _out(a) | {
        "materials": materials, "missing": [m.name for m in svc.missing_materials(a)],
        "reviews": [{"department": r.department.name, "department_code": r.department.code,
                     "parallel_group": r.parallel_group, "state": r.state, "opinion": r.opinion,
                     "decided_at": r.decided_at} for r in a.reviews.select_related("department")],
        "steps": [{"action": s.action, "action_label": s.get_action_display(), "at": s.at, "actor": s.actor_label,
                   "note": s.note, "due": s.due} for s in a.steps.order_by("at", "id")],
        "correction_notice": [{"material_id": i["material"], "name": i["name"], "problem": i["problem"]}
                              for i in notice.items] if notice else None}


def _get(request, application_id: int) -> Application:
    a = APPLICATION.visible(request.user).filter(pk=application_id).first()
    if a is None:
        raise Http404
    return a


def _channel_and_halls(actor, asked: str):
    """Which channel a caller files through and at which halls: residents and companies online or
    on the phone anywhere in the county; window staff at their own halls; grid staff as agents in
    their own town."""
    from .views import _agent_halls, _halls

    roles = _roles(actor)
    towns = Region.objects.filter(level=Region.Level.TOWN)
    if roles & WINDOW:
        return (asked if asked in (Channel.WINDOW, Channel.KIOSK, Channel.AGENT) else Channel.WINDOW), _halls(actor)
    if roles & {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CIVIL_AFFAIRS}:
        return Channel.AGENT, _agent_halls(actor)
    return (asked if asked in (Channel.ONLINE, Channel.MOBILE) else Channel.ONLINE), towns


@router.post("/applications", response={201: ApplicationDetailOut, **schemas.CREATE},
             summary="申请办件（网上办、掌上办、窗口受理或代办；整个请求体不超过 20 MB）")
def apply(request, payload: ApplicationIn):
    channel, halls = _channel_and_halls(request.user, payload.channel)
    item = references.resolve(_handling(), field="item_code", label="事项", code=payload.item_code)
    town = references.resolve(halls, field="town", label="受理地", code=payload.town)
    if channel in (Channel.ONLINE, Channel.MOBILE) and item.online_depth < 3:
        raise ValidationError({"item_code": ValidationError("该事项暂不能网上申请，请到便民服务中心窗口办理",
                                                            code="not_online")})
    a = svc.application_submit(
        actor=request.user, item=item.pk, town=town.pk, applicant_name=payload.applicant_name,
        applicant_id=payload.applicant_id, applicant_kind=payload.applicant_kind,
        contact_phone=payload.contact_phone or (getattr(request.user, "mobile", "") or ""), channel=channel,
        materials=_materials(payload.materials), home_visit=payload.home_visit and channel == Channel.AGENT)
    return Answer(201, _detail(Application.objects.select_related("item", "town").get(pk=a.pk)))


class ApplicationQuery(Schema):
    status: Literal[tuple(Status.values)] | None = None  # type: ignore[valid-type]
    mine: bool = Field(False, description="只看我提交的")
    q: str = Field("", max_length=40, pattern=NoControl, description="办件编号、申请人或事项名称")
    limit: schemas.Limit = 50
    offset: schemas.Offset = 0


@router.get("/applications", response={200: list[ApplicationOut], **schemas.READ_LIST},
            summary="办件列表（按管辖范围；居民和企业只见自己提交的）")
def applications(request, params: Query[ApplicationQuery]):
    qs = APPLICATION.visible(request.user)
    if params.mine:
        qs = qs.filter(submitted_by=request.user)
    if params.status:
        qs = qs.filter(status=params.status)
    q = params.q.strip()
    if q:
        qs = qs.filter(Q(number__contains=q) | Q(applicant_name__contains=q) | Q(item__name__contains=q))
    page = qs.select_related("certificate").order_by("-submitted_at", "-id")[params.offset: params.offset + params.limit]
    return [_out(a) for a in page]


@router.get("/applications/{application_id}", response={200: ApplicationDetailOut, **schemas.READ_ONE},
            summary="办件详情：材料、审查意见、每个环节的时间与经办人")
def application(request, application_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    return _detail(_get(request, application_id))


class ActIn(Schema):
    version: int | None = Field(None, ge=1, le=10**9, description="您看到的版本；他人先办理时返回 409")
    note: str = Field("", max_length=500, pattern=NoControl, description="意见、理由或说明")
    problems: dict[str, str] = Field({}, description="一次性告知补正：材料 id → 需怎样补正（未提交的必要材料自动列入）")
    approve: bool = True
    department_code: str = Field("", max_length=30, description="联合审查时代表哪个部门出具意见")
    procedure: Literal["hearing", "test", "expert", "other"] = "expert"
    method: Literal["pickup", "courier"] = "pickup"
    courier_number: str = Field("", max_length=40, pattern=NoControl)
    materials: list[MaterialIn] = Field([], max_length=30)


Act = Literal["accept", "request_correction", "refuse", "resubmit", "review", "suspend", "resume", "grant", "deny",
              "deliver", "withdraw"]


@router.post("/applications/{application_id}/actions/{action}", response={200: ApplicationDetailOut, **schemas.ACT},
             summary="办理动作：受理、补正告知、不予受理、补正、审查、特别程序、准予、不予、送达、撤回")
def act(request, payload: ActIn, action: Act, application_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    a = _get(request, application_id)
    common = {"actor": request.user, "application_id": a.pk, "expected_version": payload.version}
    note = payload.note
    if len(payload.problems) > 30 or any(len(v) > 300 or "\x00" in v for v in payload.problems.values()):
        raise ValidationError({"problems": ValidationError("补正内容过多或含有非法字符", code="invalid")})
    if action == "accept":
        svc.application_accept(**common, note=note)
    elif action == "request_correction":
        svc.application_request_correction(**common, problems=payload.problems)
    elif action == "refuse":
        svc.application_refuse(**common, reason=note)
    elif action == "resubmit":
        svc.application_resubmit(**common, materials=_materials(payload.materials))
    elif action == "review":
        department = None
        if payload.department_code:
            department = a.reviews.filter(department__code=payload.department_code).values_list(
                "department_id", flat=True).first() or 0  # unknown: the service answers "not found"
        svc.application_review(**common, approve=payload.approve, opinion=note, department=department)
    elif action == "suspend":
        svc.application_suspend(**common, procedure=payload.procedure, reason=note)
    elif action == "resume":
        svc.application_resume(**common, note=note)
    elif action == "grant":
        svc.application_grant(**common, note=note)
    elif action == "deny":
        svc.application_deny(**common, reason=note)
    elif action == "deliver":
        svc.application_deliver(**common, method=payload.method, courier_number=payload.courier_number)
    elif action == "withdraw":
        svc.application_withdraw(**common, reason=note)
    return _detail(Application.objects.select_related("item", "town").get(pk=a.pk))


class RateIn(Schema):
    level: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意；1–2 星转整改")
    comment: str = Field("", max_length=500, pattern=NoControl)


@router.post("/applications/{application_id}/rate", response={200: ApplicationOut, **schemas.ACT},
             summary="好差评（申请人本人，办结后一次）")
def rate(request, payload: RateIn, application_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    a = _get(request, application_id)
    if a.submitted_by_id != request.user.pk or a.channel not in (Channel.ONLINE, Channel.MOBILE):
        # The clerk or agent who filed it is not the applicant: walk-ins rate by their SMS link.
        raise PermissionDenied("只有申请人本人可以评价")
    if not a.rating_token:
        raise ValidationError({"level": ValidationError("办结后才能评价", code="not_completed")})
    svc.application_rate(token=a.rating_token, level=payload.level, comment=payload.comment)
    return _out(Application.objects.select_related("item", "town").get(pk=a.pk))


# --------------------------------------------------------------------------- the certificate library
class CertificateOut(Schema):
    number: str
    name: str
    type_code: str
    holder: str
    issuer: str
    issued_at: dt.datetime
    valid_until: dt.date | None
    state: Literal["valid", "expired", "revoked"]
    revoked_at: dt.datetime | None
    revoke_reason: str
    application_number: str | None


def _cert_out(c: Certificate) -> dict:
    return {"number": c.number, "name": c.name, "type_code": c.type_code, "holder": c.holder_name,
            "issuer": c.issuer.name, "issued_at": c.issued_at, "valid_until": c.valid_until,
            "state": certificates.state(c), "revoked_at": c.revoked_at, "revoke_reason": c.revoke_reason,
            "application_number": c.application.number if c.application_id else None}


class LibraryQuery(Schema):
    q: str = Field("", max_length=40, pattern=NoControl)
    limit: schemas.Limit = 50
    offset: schemas.Offset = 0


@router.get("/certificates", response={200: list[CertificateOut], **schemas.READ_LIST},
            summary="电子证照库（居民和企业：自己的；工作人员：管辖范围内的）")
def library(request, params: Query[LibraryQuery]):
    qs = certificates.library_for(request.user)
    q = params.q.strip()
    if q:
        qs = qs.filter(Q(number__contains=q) | Q(holder_name__contains=q) | Q(name__contains=q))
    return [_cert_out(c) for c in qs.order_by("-issued_at", "-id")[params.offset: params.offset + params.limit]]


class RevokeIn(Schema):
    reason: str = Field(min_length=1, max_length=200, pattern=NoControl)


@router.post("/certificates/{number}/revoke", response={200: CertificateOut, **schemas.ACT},
             summary="注销电子证照（发证部门或受理地审批人员；记入审计）")
def revoke(request, payload: RevokeIn, number: str = CertNumber):
    cert = certificates.revoke(actor=request.user, number=number, reason=payload.reason, ip=client_ip(request))
    return _cert_out(cert)
