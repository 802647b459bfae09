"""Revealing personal data: only roles that need it, and every reveal is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from shanzhi.common import audit
from shanzhi.common.jurisdiction import actor_can

FIELDS = {"id_number": _("身份证号"), "phone": _("手机号")}


@transaction.atomic
def record_reveal(*, actor, obj, field: str, reason: str = "", ip: str | None = None) -> str:
    """Return the plain value of ``field`` and log who saw it. The caller has fetched ``obj``
    through the actor's scope; this enforces the role rule."""
    if field not in FIELDS or not hasattr(obj, field):
        raise ValueError(f"{field} cannot be revealed")
    if not actor_can(actor, "reveal_pii"):
        raise PermissionDenied(_("您的岗位无权查看完整个人信息"))
    value = getattr(obj, field)
    audit.record(actor=actor, action="reveal", obj=obj, note=f"{FIELDS[field]} {reason}".strip(), ip=ip)
    return value
