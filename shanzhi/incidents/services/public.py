"""随手拍: citizens report without an account; the mobile number is confirmed by an SMS code."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.common import crypto
from shanzhi.common.identifiers import normalise_mobile
from shanzhi.common.ratelimit import hit
from shanzhi.notify.services import queue

from ..models import PhoneCode
from .intake import incident_report

CODE_MINUTES = 10
WRONG_CODE = "验证码不正确或已失效，请重新获取"
MAX_ATTEMPTS = 5
CODES_PER_HOUR = 5
REPORTS_PER_DAY = 10


def _hash(phone_bidx: str, code: str) -> str:
    return hashlib.sha256(f"{phone_bidx}:{code}".encode()).hexdigest()


def _phone(raw: str) -> str:
    try:
        return normalise_mobile(raw)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc


PURPOSES = {"report": "随手拍", "signup": "注册网上办事大厅账号"}


@transaction.atomic
def send_code(*, phone: str, purpose: str = "report") -> None:
    """Queue a 6-digit code by SMS; at most CODES_PER_HOUR per number (whatever it is for)."""
    phone = _phone(phone)
    bidx = crypto.blind_index("phone", phone)
    if not hit(f"code-cool:{bidx}", 1, window=60):
        raise ValidationError({"phone": _("验证码已发送，请 60 秒后再获取")})
    if not hit(f"code:{bidx}", CODES_PER_HOUR, window=3600):
        raise ValidationError({"phone": _("验证码发送过于频繁，请一小时后再试")})
    code = f"{secrets.randbelow(10**6):06d}"
    PhoneCode.objects.create(phone_bidx=bidx, code_hash=_hash(bidx, code),
                             expires_at=timezone.now() + dt.timedelta(minutes=CODE_MINUTES))
    queue(channel="sms", phone=phone, title="验证码", topic="phone_code", secret=code,
          body=_("【善治】您%(p)s的验证码是 %(c)s，%(m)d 分钟内有效，请勿告诉他人。") % {
              "p": PURPOSES.get(purpose, PURPOSES["report"]), "c": "{secret}", "m": CODE_MINUTES})


def verify_code(*, phone: str, code: str) -> tuple[str, int]:
    """Check a code without using it up: (normalised number, code id). A wrong guess is counted
    (and committed) before the error is raised."""
    phone = _phone(phone)
    bidx = crypto.blind_index("phone", phone)
    with transaction.atomic():
        row = (PhoneCode.objects.select_for_update().filter(phone_bidx=bidx, used_at__isnull=True,
                                                            expires_at__gt=timezone.now()).order_by("-created_at").first())
        # One answer whether no code was sent, it expired, it was tried too often or is wrong:
        # the reply must not tell whether someone asked for a code for this number.
        if row is None or row.attempts >= MAX_ATTEMPTS:
            raise ValidationError({"code": WRONG_CODE})
        ok = secrets.compare_digest(row.code_hash, _hash(bidx, (code or "").strip()))
        if not ok:
            row.attempts += 1
            row.save(update_fields=["attempts"])
    if not ok:
        raise ValidationError({"code": WRONG_CODE})
    return phone, row.pk


def citizen_report(*, phone: str, code: str, description: str, lon=None, lat=None, crs="wgs84", address_text="",
                   name: str = "", photos=()):
    """A confirmed citizen's report; at most REPORTS_PER_DAY per number and per address text. The
    code is used up only if the report is accepted, so a fixable mistake does not cost a new code."""
    phone, code_id = verify_code(phone=phone, code=code)
    bidx = crypto.blind_index("phone", phone)
    if not hit(f"citizen:{bidx}", REPORTS_PER_DAY, window=86400):
        raise ValidationError({"phone": _("今日提交次数已达上限，请明天再试或拨打 12345")})
    if address_text and not hit(f"citizen-addr:{address_text.strip()}", REPORTS_PER_DAY * 3, window=86400):
        raise ValidationError({"address_text": _("该地点今日已有多条反映，我们正在处理")})
    with transaction.atomic():
        if not PhoneCode.objects.filter(pk=code_id, used_at__isnull=True).update(used_at=timezone.now()):
            raise ValidationError({"code": _("验证码已被使用，请重新获取")})
        return incident_report(actor=None, source="citizen", description=description, lon=lon, lat=lat, crs=crs,
                               address_text=address_text, reporter_name=name or _("群众"), reporter_phone=phone,
                               photos=photos)[0]
