"""REST endpoints for social assistance, under /api/v1/assistance/.

The feed (防返贫监测): other departments' systems — medical insurance first — post their records
with an API key whose service account holds the ``assistance.add_signal`` permission. A record is
identified by its source and the source's own number, so a record sent twice (a retry, an
overlapping export) counts once; records that fail validation are reported by position and change
nothing; the rest are stored and matched in the same request. The answer says what was received,
stored, duplicate, unmatched and which alerts were raised.

Reads (alerts, applications) are for civil-affairs staff and go through their jurisdiction; one
outside it is answered like one that does not exist. Names are masked, ID numbers never leave.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from shanzhi.api import schemas
from shanzhi.common import masking

from . import feed
from .kind import staff_q
from .models import AssistApplication
from .states import AlertStatus, Status

router = Router(tags=["assistance"])
MAX_RECORDS = 5000
NoControl = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"


class SignalRecordIn(Schema):
    external_id: str = Field(min_length=1, max_length=64, pattern=NoControl, description="来源系统的唯一编号（结算单号）")
    id_number: str = Field(min_length=15, max_length=18, description="身份证号")
    name: str | None = Field(None, max_length=50, pattern=NoControl, description="姓名（如提供，须与身份证号一致）")
    occurred_on: dt.date = Field(description="发生日期（结算日期）")
    total: str | None = Field(None, max_length=20, description="总费用（元，两位小数）；医保结算必填")
    self_paid: str | None = Field(None, max_length=20, description="个人自付（元）；医保结算必填")
    hospital: str | None = Field(None, max_length=100, pattern=NoControl)
    diagnosis: str | None = Field(None, max_length=100, pattern=NoControl)


class SignalBatchIn(Schema):
    source: Literal["medical", "disability", "unemployment", "school"]
    batch: str | None = Field(None, max_length=40, pattern=r"^[0-9A-Za-z_\-]*$", description="批次号（可选）")
    records: list[SignalRecordIn] = Field(min_length=1, max_length=MAX_RECORDS)


class RowError(Schema):
    row: int
    field: str
    message: str


class FeedOut(Schema):
    received: int
    accepted: int
    duplicates: int
    unmatched: int
    alerts: int
    errors: list[RowError]
    alert_numbers: list[str]


@router.post("/signals", response={200: FeedOut, 403: schemas.ErrorOut, **schemas.CREATE},
             summary="推送部门数据（医保结算等），幂等")
def post_signals(request, payload: SignalBatchIn):
    if not feed.may_feed(request.user):
        raise PermissionDenied("该接口账号无权推送救助监测数据")
    rows = []
    for r in payload.records:
        detail = {k: v for k, v in (("hospital", r.hospital), ("diagnosis", r.diagnosis)) if v}
        rows.append({"external_id": r.external_id, "id_number": r.id_number, "name": r.name, "occurred_on": r.occurred_on,
                     "total": r.total, "self_paid": r.self_paid, "detail": detail})
    batch = payload.batch or f"API-{timezone.localtime():%Y%m%d%H%M%S}-{request.user.pk}"
    return feed.ingest(rows, source=payload.source, via="api", batch=batch, actor=request.user).as_dict()


class AssistAlertOut(Schema):
    number: str
    status: str
    status_label: str
    person: str = Field(description="姓名（脱敏）")
    town: str
    village: str
    group: str
    reason: str
    amount: str | None
    raised_at: dt.datetime
    verify_due: dt.datetime | None
    application: str | None


class AlertFilter(Schema):
    status: Literal["open", "verified", "applied", "dismissed"] | None = None
    limit: schemas.Limit = 100
    offset: schemas.Offset = 0


@router.get("/alerts", response={200: list[AssistAlertOut], **schemas.READ_LIST}, summary="救助预警（本辖区）")
def list_alerts(request, params: Query[AlertFilter]):
    qs = feed.alerts(request.user).select_related("town", "region", "application")
    if params.status:
        qs = qs.filter(status=params.status)
    labels = dict(AlertStatus.choices)
    return [{"number": a.number, "status": a.status, "status_label": str(labels[a.status]),
             "person": masking.mask_name(a.person.name), "town": a.town.name, "village": a.region.name,
             "group": a.group, "reason": a.reason, "amount": str(a.amount) if a.amount is not None else None,
             "raised_at": a.raised_at, "verify_due": a.verify_due,
             "application": a.application.number if a.application_id else None}
            for a in qs.order_by("-raised_at", "-id")[params.offset:params.offset + params.limit]]


class AssistApplicationOut(Schema):
    number: str
    status: str
    status_label: str
    program: str
    channel: str
    applicant: str = Field(description="申请人姓名（脱敏）")
    town: str
    village: str
    submitted_at: dt.datetime
    due: dt.datetime | None
    benefit: str | None
    start_month: dt.date | None


class ApplicationFilter(Schema):
    status: Literal["submitted", "not_accepted", "reviewing", "notice", "confirming", "approved", "refused",
                    "withdrawn"] | None = None
    limit: schemas.Limit = 100
    offset: schemas.Offset = 0


@router.get("/applications", response={200: list[AssistApplicationOut], **schemas.READ_LIST},
            summary="救助申请（本辖区）")
def list_applications(request, params: Query[ApplicationFilter]):
    qs = AssistApplication.objects.filter(staff_q(request.user)).select_related("program", "family__head", "town",
                                                                                "region")
    if params.status:
        qs = qs.filter(status=params.status)
    labels = dict(Status.choices)
    return [{"number": a.number, "status": a.status, "status_label": str(labels[a.status]), "program": a.program.name,
             "channel": a.channel, "applicant": masking.mask_name(a.family.head.name), "town": a.town.name,
             "village": a.region.name, "submitted_at": a.submitted_at, "due": a.current_due,
             "benefit": str(a.benefit) if a.benefit is not None else None, "start_month": a.start_month}
            for a in qs.order_by("-submitted_at", "-id")[params.offset:params.offset + params.limit]]

