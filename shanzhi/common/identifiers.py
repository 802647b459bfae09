"""Identifier validation (GB 11643 ID numbers, GB 32100 credit codes, mobile numbers).

Check digits come from python-stdnum; only the rule "do not reject an ID because its address
code is no longer current" is ours, so the birth-place lookup of stdnum's validate() is skipped.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def upgrade_legacy_id(number: str) -> str:
    """A 15-digit first-generation number → its 18-digit form (century 19, new check digit)."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def _birth_date(number: str) -> dt.date:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidComponent() from None


def normalise_id_number(value: str) -> str:
    """Return the canonical 18-character ID number or raise ValidationError with the reason.

    stdnum supplies the check digit; compaction and the date parse are inlined because
    stdnum's generic ``clean()`` dominated bulk imports (≈12 µs of ≈20 µs a row)."""
    number = (value or "").replace(" ", "").replace("-", "").strip().upper()
    if not number:
        raise ValidationError(_("身份证号不能为空"), code="required")
    if len(number) == 15:
        if not number.isdigit():
            raise ValidationError(_("15 位身份证号只能包含数字"), code="format")
        number = upgrade_legacy_id(number)
    try:
        if len(number) != 18:
            raise InvalidLength()
        if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
            raise InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        born = _birth_date(number)
    except InvalidLength as exc:
        raise ValidationError(_("身份证号应为 18 位（或旧版 15 位）"), code="length") from exc
    except InvalidFormat as exc:
        raise ValidationError(_("身份证号格式不正确"), code="format") from exc
    except InvalidChecksum as exc:
        raise ValidationError(_("身份证号校验位不正确"), code="checksum") from exc
    except (InvalidComponent, StdnumError) as exc:
        raise ValidationError(_("身份证号中的出生日期无效"), code="birth_date") from exc
    if born > timezone.localdate() or born < dt.date(1880, 1, 1):
        raise ValidationError(_("身份证号中的出生日期无效"), code="birth_date")
    return number


def id_birth_date(number: str) -> dt.date:
    """Birth date of an already normalised number."""
    return _birth_date(number)


def id_gender(number: str) -> str:
    """'M' or 'F' from the order code (odd = male)."""
    return "M" if int(number[16]) % 2 else "F"


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MOBILE_RE.match(digits):
        raise ValidationError(_("手机号应为 11 位，以 13–19 开头"), code="mobile")
    return digits


def normalise_uscc(value: str) -> str:
    code = uscc.compact(value or "")
    if not code:
        raise ValidationError(_("统一社会信用代码不能为空"), code="required")
    try:
        return uscc.validate(code)
    except InvalidLength as exc:
        raise ValidationError(_("统一社会信用代码应为 18 位"), code="length") from exc
    except InvalidChecksum as exc:
        raise ValidationError(_("统一社会信用代码校验位不正确"), code="checksum") from exc
    except StdnumError as exc:
        raise ValidationError(_("统一社会信用代码格式不正确"), code="format") from exc
