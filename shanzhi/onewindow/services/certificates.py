"""Electronic certificates signed with SM2 (GB/T 32918) by the issuing department.

gmssl provides SM2 over SM3. Its default signing nonce comes from Python's ``random`` module,
which is predictable — and a predictable SM2 nonce gives the private key away — so every nonce
and every private key here comes from ``secrets``. The private key is kept sealed (SM4-GCM under
the platform's seal key); the public key is published with each certificate's verification page.
What is signed is the canonical JSON of the certificate's content, so changing any field of a copy
(holder, validity, number) makes verification fail.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

from django.db import transaction
from django.utils import timezone
from gmssl.sm2 import CryptSM2, default_ecc_table

from shanzhi.common import audit, counters, crypto, masking

from ..models import Certificate, IssuerKey

N = int(default_ecc_table["n"], 16)


def _scalar() -> str:
    return f"{secrets.randbelow(N - 1) + 1:064x}"


def _sm2(private_key: str, public_key: str) -> CryptSM2:
    """gmssl's constructor strips a leading "04" (the uncompressed-point marker) with
    ``str.lstrip("04")``, which eats every leading 0 and 4 of a bare key: one key in 256 begins
    with "04" and would never verify. Our keys are always the bare 128 hex digits x‖y, so the
    key is set after construction, untouched."""
    sm2 = CryptSM2(private_key=private_key, public_key="")
    sm2.public_key = public_key
    return sm2


def _public_of(private_hex: str) -> str:
    return _sm2(private_hex, "")._kg(int(private_hex, 16), default_ecc_table["g"])


def issuer_key(department) -> IssuerKey:
    """The department's current signing key, created on first use."""
    key = IssuerKey.objects.filter(department=department, retired_at__isnull=True).order_by("-id").first()
    if key is None:
        private = _scalar()
        key = IssuerKey.objects.create(department=department, public_key=_public_of(private),
                                       private_key_sealed=crypto.seal(private))
        audit.record(actor=None, action="create", obj=key, note="生成电子证照签章密钥（SM2）",
                     after={"department": department.code, "public_key": key.public_key})
    return key


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(key: IssuerKey, payload: dict) -> str:
    private = crypto.unseal(key.private_key_sealed)
    signer = _sm2(private, key.public_key)
    return signer.sign_with_sm3(canonical(payload), random_hex_str=_scalar())


def signature_holds(public_key: str, payload: dict, signature: str) -> bool:
    """Exactly one SM2 signature (r‖s as 128 lower-case hex digits) over the canonical content:
    anything appended, cut or re-cased is not the signature that was issued."""
    if not isinstance(signature, str) or not re.fullmatch(r"[0-9a-f]{128}", signature):
        return False
    try:
        return bool(_sm2("", public_key).verify_with_sm3(signature, canonical(payload)))
    except Exception:  # noqa: BLE001 — a malformed signature or key simply does not verify
        return False


def certificate_number(type_code: str, at: dt.datetime) -> str:
    year = timezone.localtime(at).year
    prefix = type_code.removeprefix("ZZ-")[-6:].upper()
    # The counter is the number's own prefix: two type codes that print alike share one series
    # (and a number already taken — say from a series counted before — is skipped, never reused).
    while True:
        number = f"{prefix}-{year}-{counters.next_value(f'cert:{prefix}:{year}'):06d}"
        if not Certificate.objects.filter(number=number).exists():
            return number


@transaction.atomic
def issue(*, application, at: dt.datetime) -> Certificate:
    """Issue the certificate an item grants, for the application's applicant."""
    item = application.item
    holder_person, holder_org = application.applicant_person, application.applicant_org
    holder_id = holder_person.id_number if holder_person else holder_org.uscc if holder_org else ""
    number = certificate_number(item.certificate_type, at)
    valid_until = None
    if item.certificate_years:
        local = timezone.localtime(at).date()
        valid_until = local.replace(year=local.year + item.certificate_years) - dt.timedelta(days=1)
    key = issuer_key(item.department)
    payload = {
        "number": number, "type_code": item.certificate_type, "name": item.result_name or item.name,
        "holder": application.applicant_name, "holder_id": holder_id, "issuer": item.department.name,
        "issuer_code": item.department.code, "issued_at": timezone.localtime(at).isoformat(timespec="seconds"),
        "valid_until": valid_until.isoformat() if valid_until else None, "application": application.number,
    }
    cert = Certificate.objects.create(
        number=number, type_code=item.certificate_type, name=payload["name"], application=application,
        holder_name=application.applicant_name, holder_id_sealed=crypto.seal(holder_id),
        holder_id_bidx=crypto.blind_index("holder", holder_id), holder_person=holder_person, holder_org=holder_org,
        issuer=item.department, key=key, issued_at=at, valid_until=valid_until, payload=payload,
        signature=sign(key, payload))
    audit.record(actor=None, action="create", obj=cert, at=at, region_id=application.region_id or application.town_id,
                 note="签发电子证照", after={"number": number, "application": application.number})
    return cert


def public_view(cert: Certificate) -> dict:
    """What verification shows: enough to match a paper copy, no more (the holder's number masked)."""
    payload = dict(cert.payload)
    payload.pop("application", None)  # the application number is nobody's business here
    if not cert.holder_org_id and payload.get("holder"):
        # A person's name half shown: enough to match the paper in hand, not to list who holds
        # (say) a 低保 certificate by counting through the numbers.
        payload["holder"] = masking.mask_name(payload["holder"])
    holder_id = payload.get("holder_id", "")
    payload["holder_id"] = masking.mask_id_number(holder_id) if len(holder_id) == 18 and holder_id[:2].isdigit() \
        and not cert.holder_org_id else holder_id  # a company's 统一社会信用代码 is public
    return payload


def verify(cert: Certificate, payload: dict | None = None, signature: str | None = None) -> tuple[bool, str]:
    """(valid, why): the signature over what is shown, revocation and expiry."""
    if not signature_holds(cert.key.public_key, payload if payload is not None else cert.payload,
                           signature if signature is not None else cert.signature):
        return False, "签名校验失败：证照内容与发证机关的签名不符，可能被篡改"
    if cert.revoked_at:
        return False, f"该证照已于 {timezone.localtime(cert.revoked_at):%Y-%m-%d} 注销：{cert.revoke_reason}"
    if cert.valid_until and cert.valid_until < timezone.localdate():
        return False, f"该证照已于 {cert.valid_until:%Y-%m-%d} 过期"
    return True, "签名有效，证照真实有效"


# --------------------------------------------------------------------------- the library
def state(cert: Certificate, today: dt.date | None = None) -> str:
    """有效 / 已过期 / 已注销 as a key: valid, expired, revoked."""
    if cert.revoked_at:
        return "revoked"
    if cert.valid_until and cert.valid_until < (today or timezone.localdate()):
        return "expired"
    return "valid"


STATE_LABELS = {"valid": "有效", "expired": "已过期", "revoked": "已注销"}


def library_for(actor):
    """The certificates an actor may see in the library (证照库): staff see those of the
    applications in their jurisdiction (and those their department issued); a resident or a
    company sees the certificates granted on the applications it filed itself."""
    from django.db.models import Q

    from shanzhi.accounts.roles import Role
    from shanzhi.common.jurisdiction import scope_for

    from ..kind import APPLICATION, WINDOW, _roles

    qs = Certificate.objects.select_related("issuer", "application")
    scope = scope_for(actor)
    if scope.unrestricted:
        return qs
    # A resident's or company's own: what was granted on applications they filed themselves. Never
    # "every certificate of an ID number they once typed" — an ID or credit code is no proof of who
    # one is, and a company's credit code is public.
    cond = Q(application__submitted_by=actor)
    if _roles(actor) & (WINDOW | {Role.DEPT_HANDLER, Role.TOWN_LEADER, Role.COUNTY_LEADER}):
        cond |= Q(application__in=APPLICATION.visible(actor).filter(status__in=["completed", "delivered"]))
        if scope.department_ids:
            cond |= Q(issuer_id__in=scope.department_ids)
    return qs.filter(cond)


def may_revoke(actor, cert: Certificate) -> bool:
    """The issuing department's reviewers, or the back office of the town that granted it."""
    from shanzhi.accounts.roles import Role
    from shanzhi.common.jurisdiction import scope_for

    from ..kind import _roles

    scope = scope_for(actor)
    if scope.unrestricted:
        return True
    roles = _roles(actor)
    if Role.BACKOFFICE_REVIEWER in roles and cert.application_id and cert.application.town_id in scope.region_ids:
        return True
    return bool(roles & {Role.BACKOFFICE_REVIEWER, Role.DEPT_HANDLER}) and cert.issuer_id in scope.department_ids


@transaction.atomic
def revoke(*, actor, number: str, reason: str, expected_version: str | None = None,
           at: dt.datetime | None = None, ip: str | None = None) -> Certificate:
    """注销: the certificate stays (and still verifies as what it was) but is shown as revoked,
    with the date and reason, on its verification page. Only once; a certificate the actor may not
    revoke is answered as missing when it is not in their library at all."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from shanzhi.cases.errors import Conflict

    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写注销原因", code="required")})
    if "\x00" in reason:
        raise ValidationError({"reason": ValidationError("注销原因含有非法字符", code="invalid")})
    cert = library_for(actor).select_for_update(of=("self",)).filter(number=str(number)[:40]).first()
    if cert is None:
        raise Http404
    if not may_revoke(actor, cert):
        raise PermissionDenied("只有发证部门或受理地的审批人员可以注销证照")
    if cert.revoked_at:
        raise Conflict(f"该证照已于 {timezone.localtime(cert.revoked_at):%Y-%m-%d} 注销", code="already_done")
    cert.revoked_at, cert.revoke_reason = at, reason[:200]
    cert.save(update_fields=["revoked_at", "revoke_reason"])
    audit.record(actor=actor, action="update", obj=cert, at=at, ip=ip, note="注销电子证照",
                 region_id=cert.application.region_id or cert.application.town_id if cert.application_id else None,
                 before={"revoked_at": None}, after={"revoked_at": at.isoformat(), "revoke_reason": cert.revoke_reason})
    return cert
