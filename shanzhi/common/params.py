"""Request values checked once, the same way everywhere: a bad one is a specific 400, never a 500."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_DAY, MAX_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
MAX_VERSION = 10**9
INT = re.compile(r"[+-]?[0-9]{1,12}")


def version(raw, field: str = "version") -> int | None:
    """The record version a form carried (None when it carried none)."""
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_VERSION:  # not ², ①, １
        raise ValidationError({field: ValidationError(_("页面版本无效，请刷新后重试"), code="invalid")})
    return int(text)


def day(raw, field: str) -> dt.date:
    """A calendar day between 2000 and 2100 (what any of our periods can mean)."""
    try:
        value = dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValidationError({field: ValidationError(_("日期 %(d)s 无效，请使用 YYYY-MM-DD") % {"d": str(raw)[:20]},
                                                      code="invalid")}) from None
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValidationError({field: ValidationError(_("日期应在 2000-01-01 至 2100-12-31 之间"), code="out_of_range")})
    return value


def bounded_int(raw, field: str, *, lo: int, hi: int, default: int | None = None) -> int:
    if raw in (None, "") and default is not None:
        return default
    text = str(raw).strip()
    # ASCII digits only, as in version(): Python's int() also takes １, ٣ and "1_000", which no
    # form of ours sends and which would print back differently from what was asked.
    if not INT.fullmatch(text):
        raise ValidationError({field: ValidationError(_("应为整数"), code="invalid")})
    value = int(text)
    if not lo <= value <= hi:
        raise ValidationError({field: ValidationError(_("应在 %(lo)d 至 %(hi)d 之间") % {"lo": lo, "hi": hi},
                                                      code="out_of_range")})
    return value


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value, field: str, label: str, *, required: bool = True, limit: int = 2000) -> str:
    """Free text a person typed: trimmed, required or not, at most ``limit`` characters, and no
    control characters (a NUL, an escape or a backspace in a record is never meant; line breaks
    and tabs are fine)."""
    value = str(value or "").strip()
    if required and not value:
        raise ValidationError({field: ValidationError(_("请填写%(l)s") % {"l": label}, code="required")})
    if len(value) > limit:
        raise ValidationError({field: ValidationError(_("%(l)s不能超过 %(n)d 字") % {"l": label, "n": limit},
                                                      code="too_long")})
    if CONTROL.search(value):
        raise ValidationError({field: ValidationError(_("%(l)s含有非法字符") % {"l": label}, code="invalid")})
    return value


def labeled_day(value, field: str, label: str) -> dt.date:
    """A date a form or a file gave for a named field (a ``date`` passes through): ISO
    YYYY-MM-DD between 2000 and 2100, the field's name in the message."""
    if isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    raw = str(value or "").strip()
    try:
        parsed = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({field: ValidationError(_("%(l)s须为日期（如 2026-05-01）") % {"l": label},
                                                      code="required" if not raw else "invalid")}) from None
    if not MIN_DAY <= parsed <= MAX_DAY:
        raise ValidationError({field: ValidationError(_("%(l)s应在 2000-01-01 至 2100-12-31 之间") % {"l": label},
                                                      code="out_of_range")})
    return parsed
