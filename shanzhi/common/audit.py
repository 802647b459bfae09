"""The audit trail: every service write and every reveal of masked data appends one row."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from django.db import models

from .models import AuditLog


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return "<bytes>"
    return value


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plain field values of a record; sealed columns are never copied into the log."""
    data = {}
    for field in instance._meta.concrete_fields:
        name = field.attname
        if name in exclude or name.endswith("_sealed") or name.endswith("_bidx") or name in ("created_at", "updated_at"):
            continue
        data[name] = jsonable(getattr(instance, name))
    return data


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys that changed, so the log reads as before → after."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    ip: str | None = None,
    actor_label: str = "",
    region_id: int | None = None,
    at=None,
    prediffed: bool = False,
) -> AuditLog:
    """Append one row. ``actor`` None is the system (the deadline scan, a citizen's link);
    ``region_id`` is the place the row is about, which scopes who may read it."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if region_id is None:
            region_id = _region_of(obj)
    if not prediffed:
        before, after = diff(before, after)
    before, after = _json_tree(before), _json_tree(after)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    label = actor_label or (actor.get_username() if is_user else str(actor or "系统"))
    return AuditLog.objects.create(
        actor=actor if is_user else None,
        actor_label=label[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=before,
        after=after,
        note=note[:500],
        ip=ip,
        region_id=region_id,
        **({"at": at} if at is not None else {}),
    )


def _json_tree(value):
    if isinstance(value, dict):
        return {k: _json_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_tree(v) for v in value]
    return jsonable(value)


def _region_of(obj: models.Model) -> int | None:
    """The finest region a record carries (village, else town), for scoping the log."""
    for attr in ("region_id", "town_id"):
        value = getattr(obj, attr, None)
        if value:
            return value
    return None
