"""Amounts of money typed by people: yuan with at most two decimals, fullwidth digits from a
Chinese keyboard and thousands separators (where they belong) accepted, nothing else — no
exponents, signs, NaN or a third decimal."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
LIMIT = Decimal("999999999999")
# What a household's income, asset or bill, a fund's money or a payout can reasonably be: a
# mistyped 11-digit figure is refused here instead of overflowing a 12-digit column later.
HOUSEHOLD_LIMIT = Decimal("99999999.99")


def _err(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def parse_money(value, field: str, label: str, *, required: bool = True, limit: Decimal = LIMIT) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise _err(field, _("请填写%(l)s") % {"l": label}, "required")
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", text):
        text = text.replace(",", "")
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", text):
        raise _err(field, _("%(l)s须为金额（元），最多两位小数") % {"l": label}, "invalid")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise _err(field, _("%(l)s须为金额（元）") % {"l": label}, "invalid") from None
    if amount > limit:
        raise _err(field, _("%(l)s不能超过 %(m)s 元") % {"l": label, "m": f"{limit:,.2f}"}, "too_large")
    return amount.quantize(CENT, ROUND_HALF_UP)
