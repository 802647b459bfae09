"""REST endpoints for penalty cases under /api/v1/team/: leads (from a grid incident in one step,
or registered directly), the case list and a case with its steps, documents and evidence digests,
every move of the general procedure, the simple procedure on the spot, and the public penalty
information.

Reads go through ``PENALTY.visible``; every write is the same service the pages call, so the
kernel's lock-through-scope, the version check and the rules apply unchanged; an object outside
the caller's jurisdiction is answered exactly as one that does not exist. Errors as in
``shanzhi.api.schemas`` (422 with per-field messages and codes, 409 for a stale version or a move
the state does not allow, 403 for a post that may not make it).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from shanzhi.api import schemas
from shanzhi.common.ratelimit import client_ip, hit

from . import cases as svc
from . import procedure as proc
from .cases import PENALTY
from .listing import EPOCH, parse, token
from .models import PenaltyCase, PenaltyDocument
from .states import Status

router = Router(tags=["team"])
public = Router(tags=["team"], auth=None)
NoControl = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
Act = Literal["file", "decline", "assign", "evidence", "submit", "legal_review", "return", "notify", "statement",
              "hearing_request", "hearing_notice", "hearing_held", "suspend", "resume", "decide", "serve", "pay",
              "close", "publish", "archive"]


class PenaltyStepOut(Schema):
    action: str
    action_label: str
    at: dt.datetime
    actor: str
    from_status: str
    to_status: str
    note: str
    due: dt.datetime | None


class PenaltyDocumentOut(Schema):
    kind: str
    kind_label: str
    number: str
    issued_at: dt.datetime
    url: str


class PenaltyEvidenceOut(Schema):
    id: int
    kind: str
    title: str
    sha256: str
    intact: bool
    collected_at: dt.datetime


class PenaltyCaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    procedure: str
    source: str
    town: str
    squad: str
    item_code: str | None
    item: str | None
    party_kind: str
    party_name: str
    facts: str
    version: int
    registered_at: dt.datetime
    due: dt.datetime | None
    fine: str | None
    major: bool
    url: str
    cursor: str = Field(description="翻页位置：作为 before 传入，取此案之前登记的案件")


class PenaltyCaseDetailOut(PenaltyCaseOut):
    findings: str
    level: str
    proposed_fine: str | None
    legal_passed: bool | None
    hearing_window_until: dt.datetime | None
    hearing_at: dt.datetime | None
    decided_at: dt.datetime | None
    served_at: dt.datetime | None
    pay_due: dt.datetime | None
    amount_due: str | None
    paid_amount: str | None
    late_charge: str | None
    published_at: dt.datetime | None
    investigators: list[str]
    steps: list[PenaltyStepOut]
    documents: list[PenaltyDocumentOut]
    evidence: list[PenaltyEvidenceOut]


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _out(c: PenaltyCase) -> dict:
    return {"id": c.pk, "number": c.number, "status": c.status, "status_label": c.get_status_display(),
            "procedure": c.procedure, "source": c.source, "town": c.town.name, "squad": c.squad.name if c.squad_id else "",
            "item_code": c.item.code if c.item_id else None, "item": c.item.name if c.item_id else None,
            "party_kind": c.party_kind, "party_name": c.party_name, "facts": c.facts, "version": c.version,
            "registered_at": c.registered_at, "due": PENALTY.current_due(c), "fine": _money(c.fine), "major": c.major,
            "url": PENALTY.url(c), "cursor": token(c)}


def _detail(c: PenaltyCase) -> dict:
    from django.utils import timezone

    now = timezone.now()
    return {**_out(c), "findings": c.findings, "level": c.level, "proposed_fine": _money(c.proposed_fine),
            "legal_passed": c.legal_passed, "hearing_window_until": c.hearing_window_until,
            "hearing_at": c.hearing_at, "decided_at": c.decided_at, "served_at": c.served_at, "pay_due": c.pay_due,
            "amount_due": _money(proc.amount_due(c, now)) if c.status == Status.EXECUTING else None,
            "paid_amount": _money(c.paid_amount), "late_charge": _money(c.late_charge), "published_at": c.published_at,
            "investigators": [f"{o.user}（{o.certificate_number}）" for o in c.investigators.select_related("user")],
            "steps": [{"action": s.action, "action_label": s.get_action_display(), "at": s.at, "actor": s.actor_label,
                       "from_status": s.from_status, "to_status": s.to_status, "note": s.note, "due": s.due}
                      for s in c.steps.order_by("at", "id")],
            "documents": [{"kind": d.kind, "kind_label": d.get_kind_display(), "number": d.number,
                           "issued_at": d.issued_at, "url": f"/team/cases/{c.pk}/doc/{d.pk}/"}
                          for d in c.documents.order_by("issued_at", "id")],
            "evidence": [{"id": e.pk, "kind": e.kind, "title": e.title, "sha256": e.sha256,
                          "intact": e.current_digest() == e.sha256, "collected_at": e.collected_at}
                         for e in c.evidence.all()]}


def _get(request, case_id: int) -> PenaltyCase:
    case = PENALTY.visible(request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


class PenaltyCaseQuery(Schema):
    status: Status | None = None
    q: str = Field("", max_length=40, pattern=NoControl)
    offset: int = Field(0, ge=0, le=schemas.MAX_OFFSET)
    limit: int = Field(50, ge=1, le=200)
    before: str = Field("", max_length=32, pattern=r"^([0-9]{1,17}\.[0-9]{1,12})?$",
                        description="只列此位置之前登记的案件（上一页最后一件的 cursor），翻到任意深度代价相同")


@router.get("/cases", response={200: list[PenaltyCaseOut], **schemas.READ_LIST}, summary="执法案件列表（按管辖范围）")
def case_list(request, params: Query[PenaltyCaseQuery]):
    qs = PENALTY.visible(request.user)
    if params.status:
        qs = qs.filter(status=params.status)
    if params.q.strip():
        from .case_views import search

        qs = qs.filter(search(params.q.strip()))
    if params.before:
        at, pk = parse(params.before) or (EPOCH, 0)
        qs = qs.filter(Q(registered_at__lt=at) | Q(registered_at=at, pk__lt=pk))
    rows = qs.order_by("-registered_at", "-id")[params.offset:params.offset + params.limit]
    return [_out(c) for c in rows]


@router.get("/cases/{case_id}", response={200: PenaltyCaseDetailOut, **schemas.READ_ONE}, summary="执法案件详情")
def case_detail(request, case_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    return _detail(_get(request, case_id))


class PenaltyLeadIn(Schema):
    incident_id: int | None = Field(None, ge=1, le=schemas.MAX_ID)
    source: Literal["patrol", "complaint", "inspection", "referral"] = "patrol"
    facts: str = Field("", max_length=4000, pattern=NoControl)
    town_code: str = Field("", max_length=12, pattern=r"^[0-9]*$")
    item_code: str = Field("", max_length=40, pattern=r"^[0-9A-Za-z\-_.]*$")
    party_name: str = Field("", max_length=120, pattern=NoControl)
    address: str = Field("", max_length=200, pattern=NoControl)


@router.post("/leads", response={201: PenaltyCaseDetailOut, **schemas.ACT}, summary="案源登记（网格事件一步转案源，或直接登记）")
def lead_create(request, payload: PenaltyLeadIn):
    from shanzhi.geo.models import Region

    from .models import PenaltyItem

    item = None
    if payload.item_code:
        item = PenaltyItem.objects.filter(code=payload.item_code).values_list("pk", flat=True).first() or 0
    if payload.incident_id:
        case = svc.lead_from_incident(actor=request.user, incident_id=payload.incident_id, item=item,
                                      party_name=payload.party_name)
    else:
        town = Region.objects.filter(level=Region.Level.TOWN, code=payload.town_code).values_list(
            "pk", flat=True).first() if payload.town_code else None
        if town is None:
            from .models import Officer

            town = Officer.objects.filter(user=request.user).values_list("squad__town_id", flat=True).first() or 0
        case = svc.lead_register(actor=request.user, source=payload.source, facts=payload.facts, town=town, item=item,
                                 party_name=payload.party_name, address=payload.address)
    return 201, _detail(PENALTY.visible(request.user).get(pk=case.pk))


class PenaltyActIn(Schema):
    version: int | None = Field(None, ge=0, le=2**31)
    note: str = Field("", max_length=4000, pattern=NoControl)
    item_code: str = Field("", max_length=40, pattern=r"^[0-9A-Za-z\-_.]*$")
    officers: list[int] = Field(default_factory=list, max_length=20)
    evidence_kind: str = Field("", max_length=12)
    title: str = Field("", max_length=120, pattern=NoControl)
    text: str = Field("", max_length=20000, pattern=NoControl)
    place: str = Field("", max_length=200, pattern=NoControl)
    findings: str = Field("", max_length=4000, pattern=NoControl)
    party_kind: str = Field("", max_length=6)
    party_name: str = Field("", max_length=120, pattern=NoControl)
    party_uscc: str = Field("", max_length=18, pattern=r"^[0-9A-Za-z]*$")
    level: str = Field("", max_length=10)
    penalty_types: list[str] = Field(default_factory=list, max_length=13)
    fine: str = Field("", max_length=20, pattern=r"^[0-9.,]*$")
    base: str = Field("", max_length=20, pattern=r"^[0-9.,]*$")
    exception_reason: str = Field("", max_length=1000, pattern=NoControl)
    passed: bool | None = None
    waive: bool = False
    hearing_at: dt.datetime | None = None
    outcome: str = Field("", max_length=12)
    method: str = Field("", max_length=12)
    amount: str = Field("", max_length=20, pattern=r"^[0-9.,]*$")
    receipt_number: str = Field("", max_length=40, pattern=NoControl)


@router.post("/cases/{case_id}/actions/{action}", response={200: PenaltyCaseDetailOut, **schemas.ACT},
             summary="办理动作：立案、指派、证据（笔录）、调查终结、法制审核、告知、陈述申辩、听证、中止、决定、送达、缴款、结案、公示、归档")
def act(request, payload: PenaltyActIn, action: Act, case_id: int = Path(..., ge=1, le=schemas.MAX_ID)):
    case = _get(request, case_id)
    p = payload
    common = {"actor": request.user, "case_id": case.pk, "expected_version": p.version}
    penalty = {"level": p.level, "penalty_types": p.penalty_types, "fine": p.fine or None, "base": p.base or None,
               "exception_reason": p.exception_reason}
    if action == "file":
        from .models import PenaltyItem

        item = PenaltyItem.objects.filter(code=p.item_code).values_list("pk", flat=True).first() or 0 \
            if p.item_code else None
        svc.case_file(**common, item=item, note=p.note)
    elif action == "decline":
        svc.case_decline(**common, reason=p.note)
    elif action == "assign":
        proc.assign(**common, officers=p.officers)
    elif action == "evidence":  # records of inquiry and on-site records; files through the page
        proc.add_evidence(**common, kind=p.evidence_kind, title=p.title, text=p.text, place=p.place)
    elif action == "submit":
        proc.submit(**common, findings=p.findings, party_kind=p.party_kind, party_name=p.party_name,
                    party_org=p.party_uscc or None, **penalty)
    elif action == "legal_review":
        if p.passed is None:
            raise ValidationError({"passed": ValidationError("请给出审核结论", code="required")})
        proc.legal_review(**common, passed=p.passed, opinion=p.note)
    elif action == "return":
        proc.send_back(**common, reason=p.note)
    elif action == "statement":
        proc.statement(**common, text=p.text or p.note, waive=p.waive)
    elif action == "hearing_notice":
        proc.hearing_notice(**common, hearing_at=p.hearing_at, place=p.place)
    elif action == "hearing_held":
        proc.hearing_held(**common, record=p.text or p.note)
    elif action == "suspend":
        proc.suspend(**common, reason=p.note)
    elif action == "decide":
        proc.decide(**common, outcome=p.outcome, reason=p.note, **penalty)
    elif action == "serve":
        proc.serve(**common, method=p.method, note=p.note)
    elif action == "pay":
        proc.pay(**common, amount=p.amount or None, receipt_number=p.receipt_number)
    elif action in ("notify", "hearing_request", "resume", "close"):
        {"notify": proc.notify, "hearing_request": proc.hearing_request, "resume": proc.resume,
         "close": proc.close}[action](**common, note=p.note)
    elif action == "publish":
        proc.publish(**common)
    elif action == "archive":
        proc.archive(**common)
    return _detail(_get(request, case.pk))


class PenaltySimpleIn(Schema):
    partner_officer_id: int = Field(..., ge=1, le=schemas.MAX_ID)
    item_code: str = Field(..., max_length=40, pattern=r"^[0-9A-Za-z\-_.]+$")
    party_kind: Literal["person", "org"]
    party_name: str = Field("", max_length=120, pattern=NoControl)
    party_uscc: str = Field("", max_length=18, pattern=r"^[0-9A-Za-z]*$")
    facts: str = Field(..., max_length=4000, pattern=NoControl)
    address: str = Field("", max_length=200, pattern=NoControl)
    penalty_type: Literal["warning", "fine"]
    fine: str = Field("", max_length=20, pattern=r"^[0-9.,]*$")
    level: Literal["minor", "general", "serious"] = "minor"
    paid_on_spot: bool = False
    receipt_number: str = Field("", max_length=40, pattern=NoControl)


@router.post("/simple", response={201: PenaltyCaseDetailOut, **schemas.ACT}, summary="当场处罚（简易程序）")
def simple(request, payload: PenaltySimpleIn):
    from .models import PenaltyItem

    p = payload
    item = PenaltyItem.objects.filter(code=p.item_code).values_list("pk", flat=True).first() or 0
    case = proc.simple_penalty(actor=request.user, partner=p.partner_officer_id, item=item, party_kind=p.party_kind,
                               party_name=p.party_name, party_org=p.party_uscc or None, facts=p.facts,
                               address=p.address, penalty_type=p.penalty_type, fine=p.fine or None, level=p.level,
                               paid_on_spot=p.paid_on_spot, receipt_number=p.receipt_number)
    return 201, _detail(PENALTY.visible(request.user).get(pk=case.pk))


class PenaltyPublishedOut(Schema):
    decision_number: str
    party_name: str
    uscc: str
    item: str
    legal_basis: str
    penalty: str
    fine: str | None
    authority: str
    decided_at: dt.datetime
    published_at: dt.datetime


class PenaltyPublishedQuery(Schema):
    q: str = Field("", max_length=40, pattern=NoControl)
    offset: int = Field(0, ge=0, le=schemas.MAX_OFFSET)
    limit: int = Field(50, ge=1, le=200)


@public.get("/published", response={200: list[PenaltyPublishedOut], 400: schemas.ErrorOut, 422: schemas.ErrorOut,
                                    429: schemas.ErrorOut},
            summary="行政处罚信息公示（法人和其他组织；无需登录，按来源限流）")
def published(request, params: Query[PenaltyPublishedQuery]):
    if not hit(f"api-team-published:{client_ip(request)}", 120, 60):
        raise HttpError(429, "请求过于频繁，请稍后再试")
    qs = PenaltyCase.objects.filter(published_at__isnull=False).select_related("town", "item", "party_org")
    if params.q.strip():
        q = params.q.strip()
        qs = qs.filter(Q(party_name__contains=q) | Q(party_org__uscc=q.upper()) | Q(item__name__contains=q))
    rows = list(qs.order_by("-published_at", "-id")[params.offset:params.offset + params.limit])
    numbers = dict(PenaltyDocument.objects.filter(case__in=[c.pk for c in rows], kind__in=["decision", "simple"])
                   .values_list("case_id", "number"))
    from .models import PenaltyType

    labels = dict(PenaltyType.choices)
    return [{"decision_number": numbers.get(c.pk, ""), "party_name": c.party_name,
             "uscc": c.party_org.uscc if c.party_org_id else "", "item": c.item.name,
             "legal_basis": f"{c.item.law}{c.item.article}", "penalty": "、".join(str(labels.get(t, t))
                                                                                for t in c.penalty_types),
             "fine": _money(c.fine), "authority": f"{c.town.name}综合行政执法局", "decided_at": c.decided_at,
             "published_at": c.published_at} for c in rows]
