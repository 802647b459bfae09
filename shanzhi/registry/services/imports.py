"""Importing base registries from CSV/xlsx.

Rules: the header must name the expected columns (a wrong header lists them); every bad cell is
reported as row + column + reason; a file with any error writes nothing (the whole import is one
transaction that is rolled back). Rows stream through in chunks so millions of records import
with flat memory; on PostgreSQL chunks are written with COPY.
"""

from __future__ import annotations

import abc
import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import Department
from shanzhi.common import audit, crypto, ratelimit
from shanzhi.common.coords import CoordinateError, to_wgs84
from shanzhi.common.identifiers import (
    id_birth_date,
    id_gender,
    normalise_id_number,
    normalise_mobile,
    normalise_uscc,
)
from shanzhi.common.jurisdiction import Scope, actor_can, scope_for
from shanzhi.common.lookups import NEEDS_RIGHT
from shanzhi.geo.models import Address

from ..models import Component, House, Household, Organisation, Person
from .tabular import FileFormatError, read_rows

CHUNK = 5000
MAX_REPORTED_ERRORS = 500


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        return _("第 %(row)d 行「%(col)s」：%(msg)s") % {"row": self.row, "col": self.column, "msg": self.message}


@dataclass
class ImportResult:
    kind: str
    total: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    header_error: str = ""
    expected_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.header_error and not self.error_count


@dataclass
class Column:
    header: str
    key: str
    required: bool = False
    parse: Callable[[str], object] | None = None
    help: str = ""
    example: str = ""


def _choice(choices) -> Callable[[str], str]:
    by_label = {str(label): value for value, label in choices}
    values = {value for value, _label in choices}

    def parse(raw: str) -> str:
        if raw in values:
            return raw
        if raw in by_label:
            return by_label[raw]
        raise ValidationError(_("应为以下之一：%(opts)s") % {"opts": "、".join(by_label)})

    return parse


def _int_upto(hi: int) -> Callable[[str], int]:
    """A whole number from 0 to ``hi`` (what the column can store)."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(_("应为整数")) from None
        if value < 0:
            raise ValidationError(_("不能为负数"))
        if value > hi:
            raise ValidationError(_("不能大于 %(n)s") % {"n": f"{hi:,}"})
        return value

    return parse


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("应为数字")) from None
    if not value.is_finite():
        raise ValidationError(_("应为数字"))
    if value < 0:
        raise ValidationError(_("不能为负数"))
    if value >= Decimal("10000000"):
        raise ValidationError(_("不能大于 9,999,999.99"))
    return value.quantize(Decimal("0.01"))


def _float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(_("应为数字")) from None
    if not math.isfinite(value):
        raise ValidationError(_("应为数字"))
    return value


def _bool(raw: str) -> bool:
    if raw in ("是", "1", "true", "True", "Y", "y"):
        return True
    if raw in ("否", "0", "false", "False", "N", "n", ""):
        return False
    raise ValidationError(_("应为「是」或「否」"))


def _text(limit: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > limit:
            raise ValidationError(_("不能超过 %(n)d 个字") % {"n": limit})
        return raw

    return parse


class Importer(abc.ABC):
    kind: str
    label: str
    model: type
    columns: list[Column]
    # Database columns written, in order (timestamps and version are appended).
    db_columns: list[str]

    # Kinds whose rows name people by ID number: a role without the reveal right may not use them
    # (an answer about a full ID number confirms it).
    names_people = False

    def __init__(self, actor, scope: Scope):
        self.actor = actor
        self.scope = scope
        self.seen: dict[str, set] = {}
        self.foreign_hits = 0
        self.may_name_people = actor is None or actor_can(actor, "reveal_pii")

    # --- helpers shared by importers -------------------------------------------------------
    def _seen_before(self, name: str, value: str) -> bool:
        bucket = self.seen.setdefault(name, set())
        key = int(hashlib.blake2b(value.encode(), digest_size=8).hexdigest(), 16)
        if key in bucket:
            return True
        bucket.add(key)
        return False

    def _unique(self, rownum: int, column: str, value: str, existing: set, errors: list, taken_msg: str) -> None:
        """Report a key already in the database, or repeated earlier in the same file."""
        if value in existing:
            errors.append(RowError(rownum, column, taken_msg))
        elif self._seen_before(column, value):
            errors.append(RowError(rownum, column, _("与文件中前面的行重复")))

    def _existing(self, field: str, chunk) -> set:
        """Values of a unique field in this chunk that the database already holds."""
        values = [v[field] for _n, v in chunk]
        return set(self.model.objects.filter(**{f"{field}__in": values}).values_list(field, flat=True))

    def _addresses(self, codes: Iterable[str]) -> dict[str, tuple[int, int, int | None]]:
        codes = {c for c in codes if c}
        return {
            code: (pk, region_id, grid_id)
            for code, pk, region_id, grid_id in Address.objects.filter(code__in=codes).values_list(
                "code", "id", "region_id", "grid_id"
            )
        }

    def _place(self, values: dict, addresses, errors: list, rownum: int, header: str = "门牌编码"):
        code = values.pop("address_code", "")
        if not code:
            values.update(address_id=None, region_id=None, grid_id=None)
            if not self.scope.unrestricted:
                errors.append(RowError(rownum, header, _("必须填写门牌编码，以确定所属网格")))
            return
        hit = addresses.get(code)
        # A plate outside the importer's jurisdiction reads exactly like one that does not exist.
        if hit is None or not (self.scope.unrestricted or hit[1] in self.scope.region_ids
                               or hit[2] in self.scope.grid_ids):
            errors.append(RowError(rownum, header, _("门牌编码 %(c)s 不存在或不在您的管辖范围内") % {"c": code}))
            return
        pk, region_id, grid_id = hit
        values.update(address_id=pk, region_id=region_id, grid_id=grid_id)

    # --- per-kind hooks --------------------------------------------------------------------
    @abc.abstractmethod
    def resolve(self, chunk: list[tuple[int, dict]], errors: list[RowError]) -> list[tuple]:
        """Check a chunk against the database and return the rows to write, in db_columns order."""

    # --- the pipeline ----------------------------------------------------------------------
    def parse_row(self, rownum: int, cells: list[str], positions: dict[str, int], errors: list[RowError]):
        values = {}
        ok = True
        for col in self.columns:
            pos = positions.get(col.header)
            raw = cells[pos].strip() if pos is not None and pos < len(cells) and cells[pos] is not None else ""
            if "\x00" in raw or any(ord(ch) < 32 and ch not in "\t\n\r" for ch in raw):
                errors.append(RowError(rownum, col.header, _("含有不可见的控制字符，请清理后重新导入")))
                ok = False
                continue
            if not raw:
                if col.required:
                    errors.append(RowError(rownum, col.header, _("必填")))
                    ok = False
                values[col.key] = "" if col.parse is None else None
                continue
            try:
                values[col.key] = col.parse(raw) if col.parse else raw
            except ValidationError as exc:
                errors.append(RowError(rownum, col.header, "；".join(exc.messages)))
                ok = False
        return values if ok else None


def _now_cols():
    now = timezone.now()
    return (now, now, 1)


def _bulk_write(model, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    table = model._meta.db_table
    cols = columns + ["created_at", "updated_at", "version"]
    stamps = _now_cols()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(f'"{c}"' for c in cols)
            with cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row + stamps)
        else:
            quoted = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join(["%s"] * len(cols))
            cursor.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', [r + stamps for r in rows])


class PersonImporter(Importer):
    kind = "person"
    names_people = True
    label = _("实有人口")
    model = Person
    columns = [
        Column("姓名", "name", True, _text(50), example="张伟"),
        Column("身份证号", "id_number", True, normalise_id_number, "18 位或旧版 15 位", "320281199003071234"),
        Column("手机号", "phone", False, normalise_mobile, example="13812345678"),
        Column("人口类型", "residence", False, _choice(Person.Residence.choices), "户籍人口/流动人口/境外人员", "户籍人口"),
        Column("门牌编码", "address_code", False, None, "系统中已存在的标准地址编码"),
        Column("户号", "household_number", False, None, "已导入的户号"),
        Column("与户主关系", "relation_to_head", False, _text(10), example="户主"),
        Column("民族", "ethnicity", False, _text(20), example="汉族"),
        Column("标签", "tags", False, _text(200), "如：独居老人、残疾人"),
    ]
    db_columns = ["name", "id_sealed", "id_bidx", "phone_sealed", "phone_bidx", "gender", "birth_date", "ethnicity",
                  "residence", "household_id", "relation_to_head", "tags", "address_id", "region_id", "grid_id"]

    def resolve(self, chunk, errors):
        addresses = self._addresses(v.get("address_code", "") for _n, v in chunk)
        hh_numbers = {v.get("household_number") for _n, v in chunk if v.get("household_number")}
        # Only households the importer may see: another town's household is not there to join.
        households = dict(self.scope.filter(Household.objects.filter(number__in=hh_numbers))
                          .values_list("number", "id"))
        for _n, v in chunk:
            v["id_bidx"] = crypto.blind_index("id", v["id_number"])
        registered = {b: (r, g) for b, r, g in Person.objects.filter(id_bidx__in=[v["id_bidx"] for _n, v in chunk])
                      .values_list("id_bidx", "region_id", "grid_id")}
        out = []
        for rownum, v in chunk:
            before = len(errors)
            hit = registered.get(v["id_bidx"])
            if hit is not None and not (self.scope.unrestricted or hit[0] in self.scope.region_ids
                                        or hit[1] in self.scope.grid_ids):
                # Registered in another area: never said per row (that would confirm the number);
                # the file as a whole is refused below, and counted against a daily budget.
                self.foreign_hits += 1
                continue
            self._unique(rownum, "身份证号", v["id_bidx"], set(registered), errors, _("该身份证号已在您的辖区登记"))
            household_id = None
            if v.get("household_number"):
                household_id = households.get(v["household_number"])
                if household_id is None:
                    errors.append(RowError(rownum, "户号", _("户号 %(n)s 不存在或不在您的管辖范围内，请先导入户")
                                           % {"n": v["household_number"]}))
            self._place(v, addresses, errors, rownum)
            if len(errors) > before:
                continue
            number = v["id_number"]
            phone = v.get("phone") or ""
            out.append((
                v["name"], crypto.seal(number), v["id_bidx"], crypto.seal(phone), crypto.blind_index("phone", phone),
                id_gender(number), id_birth_date(number), v.get("ethnicity") or "汉族",
                v.get("residence") or Person.Residence.REGISTERED, household_id, v.get("relation_to_head") or "",
                v.get("tags") or "", v["address_id"], v["region_id"], v["grid_id"],
            ))
        return out


class HouseholdImporter(Importer):
    kind = "household"
    label = _("户")
    model = Household
    columns = [
        Column("户号", "number", True, _text(30), example="320281114201-0001"),
        Column("户主姓名", "head_name", True, _text(50), example="张伟"),
        Column("户类型", "kind", False, _choice(Household.Kind.choices), "户籍户/流动户", "户籍户"),
        Column("门牌编码", "address_code", False, None),
    ]
    db_columns = ["number", "head_name", "kind", "address_id", "region_id", "grid_id"]

    def resolve(self, chunk, errors):
        addresses = self._addresses(v.get("address_code", "") for _n, v in chunk)
        existing = self._existing("number", chunk)
        out = []
        for rownum, v in chunk:
            before = len(errors)
            self._unique(rownum, "户号", v["number"], existing, errors, _("户号已存在"))
            self._place(v, addresses, errors, rownum)
            if len(errors) == before:
                out.append((v["number"], v["head_name"], v.get("kind") or Household.Kind.REGISTERED,
                            v["address_id"], v["region_id"], v["grid_id"]))
        return out


class HouseImporter(Importer):
    kind = "house"
    label = _("实有房屋")
    model = House
    columns = [
        Column("房屋编码", "code", True, _text(30), example="FW3202811142010001"),
        Column("门牌编码", "address_code", True, None),
        Column("用途", "use", False, _choice(House.Use.choices), "自住/出租/经营/空置", "自住"),
        Column("面积", "area_m2", False, _decimal, "平方米", "120.5"),
        Column("层数", "floors", False, _int_upto(200), example="3"),
        Column("产权人身份证号", "owner_id_number", False, normalise_id_number),
    ]
    db_columns = ["code", "use", "is_rental", "area_m2", "floors", "owner_id", "owner_org_id",
                  "address_id", "region_id", "grid_id"]

    def resolve(self, chunk, errors):
        addresses = self._addresses(v.get("address_code", "") for _n, v in chunk)
        existing = self._existing("code", chunk)
        bidx = {v["owner_id_number"]: crypto.blind_index("id", v["owner_id_number"]) for _n, v in chunk if v.get("owner_id_number")}
        # Owners are found only among the people the importer may see (outside reads as missing).
        owners = dict(self.scope.filter(Person.objects.filter(id_bidx__in=bidx.values())).values_list("id_bidx", "id"))
        out = []
        for rownum, v in chunk:
            before = len(errors)
            self._unique(rownum, "房屋编码", v["code"], existing, errors, _("房屋编码已存在"))
            owner_id = None
            if v.get("owner_id_number") and not self.may_name_people:
                errors.append(RowError(rownum, "产权人身份证号", NEEDS_RIGHT))
            elif v.get("owner_id_number"):
                owner_id = owners.get(bidx[v["owner_id_number"]])
                if owner_id is None:
                    errors.append(RowError(rownum, "产权人身份证号", _("产权人未在您辖区的实有人口中登记")))
            self._place(v, addresses, errors, rownum)
            if len(errors) == before:
                use = v.get("use") or House.Use.SELF
                out.append((v["code"], use, use == House.Use.RENTAL, v.get("area_m2"), v.get("floors"), owner_id, None,
                            v["address_id"], v["region_id"], v["grid_id"]))
        return out


class OrganisationImporter(Importer):
    kind = "organisation"
    label = _("实有单位")
    model = Organisation
    columns = [
        Column("单位名称", "name", True, _text(120), example="江阴市霞客纺织有限公司"),
        Column("统一社会信用代码", "uscc", True, normalise_uscc, "18 位", "91320281MA1P3XQL0Y"),
        Column("单位类型", "kind", False, _choice(Organisation.Kind.choices), "企业/个体工商户/社会组织/机关事业单位", "企业"),
        Column("行业", "industry", False, _text(40), example="纺织业"),
        Column("法定代表人", "legal_rep", False, _text(50)),
        Column("联系电话", "phone", False, normalise_mobile),
        Column("从业人数", "employees", False, _int_upto(2_000_000)),
        Column("门牌编码", "address_code", False, None),
        Column("重点单位", "is_key", False, _bool, "是/否", "否"),
    ]
    db_columns = ["name", "uscc", "kind", "industry", "legal_rep", "phone_sealed", "phone_bidx", "employees", "is_key",
                  "address_id", "region_id", "grid_id"]

    def resolve(self, chunk, errors):
        addresses = self._addresses(v.get("address_code", "") for _n, v in chunk)
        existing = self._existing("uscc", chunk)
        out = []
        for rownum, v in chunk:
            before = len(errors)
            self._unique(rownum, "统一社会信用代码", v["uscc"], existing, errors, _("该单位已登记"))
            self._place(v, addresses, errors, rownum)
            if len(errors) == before:
                phone = v.get("phone") or ""
                out.append((v["name"], v["uscc"], v.get("kind") or Organisation.Kind.ENTERPRISE, v.get("industry") or "",
                            v.get("legal_rep") or "", crypto.seal(phone), crypto.blind_index("phone", phone),
                            v.get("employees"), bool(v.get("is_key")), v["address_id"], v["region_id"], v["grid_id"]))
        return out


class ComponentImporter(Importer):
    kind = "component"
    label = _("部件")
    model = Component
    columns = [
        Column("部件编码", "code", True, _text(30), example="BJ320281114000001"),
        Column("小类代码", "class_code", True, _text(6), "GB/T 30428.2 部件小类", "0101"),
        Column("部件名称", "class_name", True, _text(40), example="上水井盖"),
        Column("状态", "status", False, _choice(Component.Status.choices), "完好/破损/丢失/占用", "完好"),
        Column("经度", "lon", True, _float, example="120.30"),
        Column("纬度", "lat", True, _float, example="31.78"),
        Column("坐标系", "crs", False, None, "wgs84/gcj02/bd09，默认 wgs84", "wgs84"),
        Column("主管部门代码", "department_code", False, None),
    ]
    db_columns = ["code", "class_code", "class_name", "status", "owner_department_id", "lon", "lat",
                  "address_id", "region_id", "grid_id"]

    def resolve(self, chunk, errors):
        from shanzhi.geo.models import Grid
        from shanzhi.geo.spatial import get_index

        existing = self._existing("code", chunk)
        # Owner departments: the county's, or those of the importer's own area.
        depts = Department.objects.all()
        if not self.scope.unrestricted:
            depts = depts.filter(Q(region__level__lte=3) | Q(region_id__in=self.scope.region_ids | self.scope.dept_region_ids))
        depts = dict(depts.values_list("code", "id"))
        index = get_index()
        out = []
        pending = []
        for rownum, v in chunk:
            before = len(errors)
            self._unique(rownum, "部件编码", v["code"], existing, errors, _("部件编码已存在"))
            try:
                v["lon"], v["lat"] = to_wgs84(v["lon"], v["lat"], v.get("crs") or "wgs84")
            except CoordinateError as exc:
                errors.append(RowError(rownum, "坐标系" if "坐标系" in str(exc) else "经度", str(exc)))
            dept_id = None
            if v.get("department_code"):
                dept_id = depts.get(v["department_code"])
                if dept_id is None:
                    errors.append(RowError(rownum, "主管部门代码", _("部门代码不存在或不在您的管辖范围内")))
            if len(errors) == before:
                pending.append((rownum, v, dept_id))
        if not pending:
            return out
        grid_ids = index.locate_many([p[1]["lon"] for p in pending], [p[1]["lat"] for p in pending])
        regions = dict(Grid.objects.filter(pk__in=set(grid_ids.tolist())).values_list("id", "region_id"))
        for (rownum, v, dept_id), gid in zip(pending, grid_ids.tolist(), strict=True):
            if not gid:
                errors.append(RowError(rownum, "经度", _("该位置不在任何网格内")))
                continue
            region_id = regions[gid]
            if not self.scope.unrestricted and region_id not in self.scope.region_ids and gid not in self.scope.grid_ids:
                errors.append(RowError(rownum, "经度", _("该位置不在您的管辖范围内")))
                continue
            out.append((v["code"], v["class_code"], v["class_name"], v.get("status") or Component.Status.GOOD, dept_id,
                        v["lon"], v["lat"], None, region_id, gid))
        return out


IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls for cls in (HouseholdImporter, PersonImporter, HouseImporter, OrganisationImporter, ComponentImporter)
}


def registry_import(
    *, actor, kind: str, source, filename: str = "", progress: Callable[[int], None] | None = None,
    ip: str | None = None, dry_run: bool = False,
) -> ImportResult:
    """Import one file of one kind. All or nothing: any row error rolls the whole file back."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown registry kind {kind!r}")
    importer = IMPORTERS[kind](actor, scope_for(actor) if actor is not None else Scope(unrestricted=True))
    result = ImportResult(kind=kind, expected_columns=[c.header for c in importer.columns])
    if importer.names_people and not importer.may_name_people:
        result.header_error = NEEDS_RIGHT
        return result
    if importer.names_people and actor is not None and \
            ratelimit.count(f"foreign-import:{actor.pk}", 86400) >= settings.FOREIGN_IMPORT_HITS_PER_DAY:
        result.header_error = _("今日人口导入已暂停：多次导入了其他辖区已登记的人员，请联系县级管理员")
        return result
    try:
        header, rows = read_rows(source, filename)
    except FileFormatError as exc:
        result.header_error = str(exc)
        return result
    positions = {h: i for i, h in enumerate(header) if h}
    missing = [c.header for c in importer.columns if c.required and c.header not in positions]
    unknown = [h for h in header if h and h not in {c.header for c in importer.columns}]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("缺少列：%(c)s") % {"c": "、".join(missing)})
        if unknown:
            parts.append(_("无法识别的列：%(c)s") % {"c": "、".join(unknown)})
        result.header_error = "；".join(parts) + "。" + _("应有的列：%(c)s") % {"c": "、".join(result.expected_columns)}
        return result

    errors: list[RowError] = []
    refused = False
    with transaction.atomic():
        chunk: list[tuple[int, dict]] = []

        def flush():
            prepared = importer.resolve(chunk, errors)
            if not errors and not dry_run:
                _bulk_write(importer.model, importer.db_columns, prepared)
                result.created += len(prepared)
            if progress:
                progress(len(chunk))
            chunk.clear()

        try:
            for rownum, cells in enumerate(rows, start=2):
                if not any(cells):
                    continue
                result.total += 1
                values = importer.parse_row(rownum, cells, positions, errors)
                if values is not None:
                    chunk.append((rownum, values))
                if len(chunk) >= CHUNK:
                    flush()
            if chunk:
                flush()
        except FileFormatError as exc:
            result.header_error = str(exc)
            refused = True
        result.error_count = len(errors)
        result.errors = errors[:MAX_REPORTED_ERRORS]
        if importer.foreign_hits:
            result.header_error = _("文件中有身份证号已在其他辖区登记，整批未导入。人员迁入请由县级管理员核实办理（本次导入已记录）。")
        refused = refused or bool(importer.foreign_hits or errors)
        if refused or dry_run:
            result.created = 0
            transaction.set_rollback(True)
        elif result.total == 0:
            result.header_error = _("文件中没有数据行")
        else:
            audit.record(actor=actor, action="import", object_type=importer.model._meta.label_lower,
                         object_repr=str(importer.label), after={"rows": result.created, "file": filename[:100]},
                         note=_("导入 %(n)d 条") % {"n": result.created}, ip=ip)
    if refused:
        # After the rollback, in its own write: a refused import is on the record too.
        _audit_refused(actor, importer, result, filename, ip)
    return result


def _audit_refused(actor, importer, result, filename, ip) -> None:
    """A refused import is on the record too, with how many rows named people registered elsewhere
    (the count the importer is never shown)."""
    if importer.foreign_hits and actor is not None:
        ratelimit.hit(f"foreign-import:{actor.pk}", 10**6, window=86400)
    audit.record(actor=actor, action="import", object_type=importer.model._meta.label_lower,
                 object_repr=str(importer.label), ip=ip, note=_("导入未通过"),
                 after={"rows": result.total, "errors": result.error_count, "registered_elsewhere": importer.foreign_hits,
                        "file": filename[:100]})


def template_rows(kind: str) -> tuple[list[str], list[str], list[str]]:
    """Header, an example row and the notes sheet for the downloadable template."""
    cols = IMPORTERS[kind].columns
    notes = [f"{c.header}{'（必填）' if c.required else ''}：{c.help or '—'}" for c in cols]
    notes.append("同一文件有任何错误时整批不导入，请根据错误提示（行号与列名）修改后重新上传。")
    return [c.header for c in cols], [c.example for c in cols], notes


__all__ = ["IMPORTERS", "ImportResult", "RowError", "registry_import", "template_rows"]
