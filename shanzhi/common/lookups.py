"""Looking a person up by a full ID number or phone is a reveal: an answer to "does this number
exist?" confirms the number. Only roles with the reveal right may do it, each lookup is audited
(the number masked), and each user has a daily budget (SHANZHI_IDENTIFIER_LOOKUPS_PER_DAY)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import audit, masking
from .jurisdiction import actor_can
from .ratelimit import hit

NEEDS_RIGHT = _("按身份证号、手机号查找需要查看个人信息的权限；请按姓名或地址查找")


def identifier_lookup(actor, kind: str, value: str, *, purpose: str, ip: str | None = None, count: int = 1) -> None:
    """Allow (and audit) ``count`` lookups by full identifier, or raise PermissionDenied."""
    if not actor_can(actor, "reveal_pii"):
        raise PermissionDenied(NEEDS_RIGHT)
    if not hit(f"id-lookup:{actor.pk}", settings.IDENTIFIER_LOOKUPS_PER_DAY - count + 1, window=86400):
        raise PermissionDenied(_("今日按身份证号、手机号查找的次数已用完，请明日再试或联系管理员"))
    shown = masking.mask_id_number(value) if kind == "id" else masking.mask_phone(value) if kind == "phone" else value
    audit.record(actor=actor, action="lookup", object_type="registry.person", object_repr=shown,
                 note=f"{purpose}：按{'身份证号' if kind == 'id' else '手机号'}查找 {shown}"[:500], ip=ip,
                 after={"count": count})
