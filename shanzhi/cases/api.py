"""REST: my work and the supervision desk, across every kind of case."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from shanzhi.api import schemas

from .selectors import my_work, supervision_desk

router = Router(tags=["cases"])


class QueueOut(Schema):
    kind: str
    kind_label: str
    label: str
    count: int


class ItemOut(Schema):
    kind: str
    queue: str
    case_id: int
    number: str
    title: str
    status: str
    status_label: str
    due: dt.datetime | None
    url: str


class WorkOut(Schema):
    queues: list[QueueOut]
    items: list[ItemOut]


class WorkQuery(Schema):
    limit: int = Field(100, ge=1, le=200)


def _item(i) -> dict:
    return {"kind": i.kind, "queue": i.queue, "case_id": i.case_id, "number": i.number, "title": i.title,
            "status": i.status, "status_label": i.status_label, "due": i.due, "url": i.url}


@router.get("/my-work", response={200: WorkOut, **schemas.READ_LIST}, summary="我的待办（所有类型的办件，按期限排序）")
def work(request, params: Query[WorkQuery]):
    queues, items = my_work(request.user, limit=params.limit)
    return {"queues": queues, "items": [_item(i) for i in items]}


class DeskRowOut(ItemOut):
    stage: str
    timer_due: dt.datetime | None
    paused_at: dt.datetime | None


class DeskOut(Schema):
    overdue: list[DeskRowOut]
    soon: list[DeskRowOut]
    paused: list[DeskRowOut]


class DeskQuery(Schema):
    within_hours: float = Field(4, gt=0, le=168)


@router.get("/supervision", response={200: DeskOut, **schemas.READ_LIST}, summary="督办台：超期、临期与暂停计时的办件")
def desk(request, params: Query[DeskQuery]):
    data = supervision_desk(request.user, within_hours=params.within_hours)

    def rows(key):
        return [_item(r.item) | {"stage": r.timer.stage, "timer_due": r.timer.due, "paused_at": r.timer.paused_at}
                for r in data[key]]

    return {"overdue": rows("overdue"), "soon": rows("soon"), "paused": rows("paused")}
