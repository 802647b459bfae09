"""Keeping a person's record current (动态更新) — grid workers and civil-affairs staff."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from shanzhi.common import audit, crypto
from shanzhi.common.identifiers import normalise_mobile
from shanzhi.common.jurisdiction import actor_can, scope_for
from shanzhi.common.masking import mask_phone
from shanzhi.geo.models import Address

from ..models import Person

EDITABLE = ("name", "phone", "residence", "address_code", "tags", "ethnicity")


class StaleRecord(Exception):
    """Someone else saved the record after it was opened."""


def _clean(changes: dict, actor) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            errors["name"] = _("姓名不能为空")
        elif len(name) > 50:
            errors["name"] = _("姓名不能超过 50 个字")
        out["name"] = name
    if "phone" in changes:
        raw = (changes["phone"] or "").strip()
        try:
            out["phone"] = normalise_mobile(raw) if raw else ""
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    if "residence" in changes:
        if changes["residence"] not in Person.Residence.values:
            errors["residence"] = _("人口类型无效")
        out["residence"] = changes["residence"]
    if "tags" in changes:
        tags = ",".join(t.strip() for t in (changes["tags"] or "").replace("，", ",").split(",") if t.strip())
        if len(tags) > 200:
            errors["tags"] = _("标签过长")
        out["tags"] = tags
    if "ethnicity" in changes:
        out["ethnicity"] = (changes["ethnicity"] or "").strip()[:20]
    if "address_code" in changes and changes["address_code"]:
        scope = scope_for(actor)
        address = scope.filter(Address.objects.filter(code=changes["address_code"].strip())).first()
        if address is None:
            errors["address_code"] = _("门牌编码不存在或不在您的管辖范围内")
        out["address"] = address
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def person_update(*, actor, person_id: int, expected_version: int, ip: str | None = None, **changes) -> Person:
    """Update a person inside the actor's jurisdiction. Rules: only roles that maintain the
    registry; bad input changes nothing; if the record was saved by someone else since it was
    opened (version moved), the update is refused with StaleRecord."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not actor_can(actor, "manage_registry"):
        raise PermissionDenied(_("您的岗位无权修改基础信息"))
    person = scope_for(actor).filter(Person.objects.select_for_update(of=("self",))).filter(pk=person_id).first()
    if person is None:
        raise Http404
    if person.version != expected_version:
        raise StaleRecord(_("该记录已被他人修改（当前版本 %(v)d），请刷新后重试") % {"v": person.version})
    clean = _clean(changes, actor)
    before = audit.snapshot(person)
    before["phone"] = person.phone_masked
    if "phone" in clean:
        person.phone_sealed = crypto.seal(clean["phone"])
        person.phone_bidx = crypto.blind_index("phone", clean["phone"])
    if clean.get("address") is not None:
        person.address = clean["address"]
        person.region_id = clean["address"].region_id
        person.grid_id = clean["address"].grid_id
    for field in ("name", "residence", "tags", "ethnicity"):
        if field in clean:
            setattr(person, field, clean[field])
    person.version += 1
    person.save()
    after = audit.snapshot(person)
    after["phone"] = mask_phone(clean["phone"]) if "phone" in clean else before["phone"]
    audit.record(actor=actor, action="update", obj=person, before=before, after=after, ip=ip)
    return person
