"""What every REST endpoint shares: the error body, the limits the schema states, and the status
codes each kind of endpoint declares.

Statuses: 400 the request does not match the schema (wrong type, out of range, unknown field
value); 401 no or a bad key; 403 the post may not make this move; 404 not found or outside the
caller's jurisdiction (the same answer); 409 someone acted first / a replayed external number of
another client; 422 well formed but refused by a rule (an unknown class or department code, a
place outside the county, a reason missing for this move, a NUL character in any text).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils import timezone
from ninja import Field, Schema
from pydantic import BeforeValidator, WithJsonSchema

MAX_ID = 2**63 - 1
MAX_OFFSET = 100_000


class ErrorOut(Schema):
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None
    codes: dict[str, list[str]] | None = None


def _iso_datetime(value):
    """Only an ISO 8601 date-time string (never a bare number such as ``-43``)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4] == "-":
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError("an ISO 8601 date-time, e.g. 2026-11-30T08:00:00+08:00") from exc
    else:
        raise ValueError("an ISO 8601 date-time, e.g. 2026-11-30T08:00:00+08:00")
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime),
                        WithJsonSchema({"type": "string", "format": "date-time"})]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
TownCode = Annotated[str, Field(pattern=r"^\d{12}$", description="镇（街道）12 位统计用区划代码")]
Text = Annotated[str, Field(max_length=500)]

UNAUTHORIZED = {401: ErrorOut}
READ_LIST = {400: ErrorOut, 401: ErrorOut, 422: ErrorOut}
READ_ONE = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
CREATE = {400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut}
ACT = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
