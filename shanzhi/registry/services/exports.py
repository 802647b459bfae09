"""Exporting registries to xlsx: scoped, masked unless the role needs plain values, audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from shanzhi.common import audit
from shanzhi.common.jurisdiction import actor_can
from shanzhi.common.masking import mask_id_number, mask_phone

from ..models import Component, House, Household, Organisation, Person
from ..selectors import scoped
from .tabular import write_xlsx

EXPORT_LIMIT = 200_000


def _person_rows(qs, plain: bool):
    for p in qs.select_related("address", "grid", "household").iterator(chunk_size=2000):
        idn, phone = p.id_number, p.phone
        yield [p.name, idn if plain else mask_id_number(idn), phone if plain else mask_phone(phone),
               p.get_gender_display(), p.birth_date.isoformat() if plain else p.birth_year, p.get_residence_display(),
               p.address.code if p.address else "", p.address.full_text if p.address else "",
               p.household.number if p.household else "", p.relation_to_head, p.grid.name if p.grid else "", p.tags]


def _org_rows(qs, plain: bool):
    for o in qs.select_related("address", "grid").iterator(chunk_size=2000):
        phone = o.phone
        yield [o.name, o.uscc, o.get_kind_display(), o.industry, o.legal_rep, phone if plain else mask_phone(phone),
               o.employees or "", o.address.full_text if o.address else "", o.grid.name if o.grid else "",
               "是" if o.is_key else "否"]


def _house_rows(qs, plain: bool):
    for h in qs.select_related("address", "grid", "owner").iterator(chunk_size=2000):
        yield [h.code, h.address.code if h.address else "", h.address.full_text if h.address else "", h.get_use_display(),
               str(h.area_m2 or ""), h.floors or "", h.owner.name if h.owner else "", h.grid.name if h.grid else ""]


def _household_rows(qs, plain: bool):
    for h in qs.select_related("address", "grid").iterator(chunk_size=2000):
        yield [h.number, h.head_name, h.get_kind_display(), h.address.full_text if h.address else "",
               h.grid.name if h.grid else ""]


def _component_rows(qs, plain: bool):
    for c in qs.select_related("grid", "owner_department").iterator(chunk_size=2000):
        yield [c.code, c.class_code, c.class_name, c.get_status_display(), round(c.lon, 6), round(c.lat, 6),
               c.owner_department.name if c.owner_department else "", c.grid.name if c.grid else ""]


EXPORTS = {
    "person": (Person, ["姓名", "身份证号", "手机号", "性别", "出生日期（脱敏时为年份）", "人口类型", "门牌编码", "标准地址", "户号",
                        "与户主关系", "网格", "标签"], _person_rows),
    "organisation": (Organisation, ["单位名称", "统一社会信用代码", "单位类型", "行业", "法定代表人", "联系电话",
                                    "从业人数", "标准地址", "网格", "重点单位"], _org_rows),
    "house": (House, ["房屋编码", "门牌编码", "标准地址", "用途", "面积", "层数", "产权人", "网格"], _house_rows),
    "household": (Household, ["户号", "户主姓名", "户类型", "标准地址", "网格"], _household_rows),
    "component": (Component, ["部件编码", "小类代码", "部件名称", "状态", "经度", "纬度", "主管部门", "网格"], _component_rows),
}


def registry_export(*, actor, kind: str, plain: bool = False, grid_id: int | None = None, ip: str | None = None) -> bytes:
    """xlsx of the actor's records of one kind; ``plain`` needs a role that may reveal, and is logged as such."""
    if kind not in EXPORTS:
        raise ValueError(f"unknown registry kind {kind!r}")
    if not actor_can(actor, "manage_registry") and not actor_can(actor, "reveal_pii"):
        raise PermissionDenied(_("您的岗位无权导出基础信息"))
    if plain and not actor_can(actor, "reveal_pii"):
        raise PermissionDenied(_("您的岗位无权导出完整个人信息"))
    model, header, rows = EXPORTS[kind]
    qs = scoped(actor, model).order_by("id")
    if grid_id:
        qs = qs.filter(grid_id=grid_id)
    count = qs.count()
    if count > EXPORT_LIMIT:
        raise ValueError(_("一次最多导出 %(n)d 条，请按网格筛选") % {"n": EXPORT_LIMIT})
    data = write_xlsx(header, rows(qs, plain), sheet_title=str(model._meta.verbose_name))
    audit.record(actor=actor, action="export" if not plain else "reveal", object_type=model._meta.label_lower,
                 object_repr=str(model._meta.verbose_name), after={"rows": count, "plain": plain},
                 note=_("导出 %(n)d 条%(m)s") % {"n": count, "m": "（明文）" if plain else "（脱敏）"}, ip=ip)
    return data
