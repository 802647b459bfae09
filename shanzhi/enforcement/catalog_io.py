"""The enforcement power catalog (行政处罚权责清单) in and out of Excel.

The workbook has two sheets — 事项 (one row per penalty item) and 裁量基准 (one row per discretion
band, keyed by 事项编码) — with the models' verbose names as headers, choices as their Chinese labels,
是/否 for yes/no, penalty kinds and towns joined by 、. The towns that exercise an item (综合执法) are
given by their 12-digit codes; the names column next to them and the department's name are there to
read and are not imported. The rules are those of the service item catalog (onewindow.catalog_io):
every bad cell is reported as sheet + row + column + reason; a file with any error writes nothing;
the writes run in one transaction and each changed item gets an audit row (before → after) besides
the one for the import as a whole.

Items are created or updated by 事项编码 and never deleted (set 在用 to 否 to retire one). When the
裁量基准 sheet is in the file, the bands of every item on the 事项 sheet and of every item the sheet
names are replaced by its rows (matched by 序号, so unchanged bands keep their ids); a sheet left out
leaves the bands as they are. Exporting and importing the same file changes nothing.

An item marked 可适用简易程序 (当场处罚, 《行政处罚法》第五十一条: a fine of up to ¥200 for a person or
¥3,000 for an organisation, or a warning) needs at least one band that stays within ¥3,000 (a band
counted in yuan whose upper end is at most ¥3,000, or a band with no fine on an item that may give a
warning); otherwise the flag is refused.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from openpyxl import Workbook

from shanzhi.accounts.models import Department
from shanzhi.common import audit
from shanzhi.geo.models import Region

# The service catalog's sheet, column and row helpers: the two catalogs share one layout.
from shanzhi.onewindow.catalog_io import (
    CellError,
    Col,
    ImportResult,
    _check_header,
    _field_col,
    _number,
    _parse_row,
    _sheet,
    run_import,
)
from shanzhi.registry.services.imports import _text

from .models import Basis, DiscretionBand, Level, PenaltyItem, PenaltyType

SHEET_ITEMS = "事项"
SHEET_BANDS = "裁量基准"
CODE = "事项编码"
TOWN_CODES = "行使的镇（街道）代码"
TOWN_NAMES = "行使的镇（街道）名称（只读）"
DEPT_NAME = "原实施部门名称（只读）"

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = {SHEET_ITEMS: 10_000, SHEET_BANDS: 100_000}
MAX_TEXT = 10_000
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")
SIMPLE_LIMIT = Decimal(3000)  # 当场处罚: ≤ ¥200 for a person, ≤ ¥3,000 for an organisation
PERCENT_BASES = {Basis.COST_PERCENT, Basis.INVESTMENT_PERCENT, Basis.CONTRACT_PERCENT}


PowersImportResult = ImportResult


# --------------------------------------------------------------------------- cells
def _split(raw: str) -> list[str]:
    for sep in ("，", ",", "；", ";", "\n"):
        raw = raw.replace(sep, "、")
    return [p.strip() for p in raw.split("、") if p.strip()]


def _penalty_types(raw: str) -> list[str]:
    by_label = {str(label): value for value, label in PenaltyType.choices}
    out = []
    for part in _split(raw):
        value = part if part in PenaltyType.values else by_label.get(part)
        if value is None:
            raise ValidationError(_("「%(p)s」不是处罚种类，应为以下之一（用、分隔）：%(opts)s")
                                  % {"p": part, "opts": "、".join(by_label)})
        if value not in out:
            out.append(value)
    return out


def _dump_penalty_types(values) -> str:
    labels = dict(PenaltyType.choices)
    return "、".join(str(labels.get(v, v)) for v in values or [])


def _town_codes(raw: str) -> list[str]:
    out = []
    for part in _split(raw):
        if not (len(part) == 12 and part.isdigit()):
            raise ValidationError(_("「%(p)s」不是 12 位统计用区划代码（多个用、分隔）") % {"p": part})
        if part not in out:
            out.append(part)
    return out


def _amount(raw: str) -> Decimal:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise ValidationError(_("应为数字")) from None
    if not value.is_finite():
        raise ValidationError(_("应为数字"))
    if value < 0:
        raise ValidationError(_("不能为负数"))
    if value > MAX_AMOUNT:
        raise ValidationError(_("不能大于 %(n)s") % {"n": f"{MAX_AMOUNT:,}"})
    if value != value.quantize(CENT):
        raise ValidationError(_("最多保留两位小数"))
    return value.quantize(CENT)


# --------------------------------------------------------------------------- columns
def _item_columns() -> list[Col]:
    m = PenaltyItem
    dept = m._meta.get_field("department").verbose_name
    return [
        _field_col(m, "code", required=True),
        _field_col(m, "name", required=True),
        Col("department_code", _("%(f)s（部门代码）") % {"f": dept}, _text(30), _number, "", required=True),
        _field_col(m, "domain", required=True),
        _field_col(m, "law", required=True),
        _field_col(m, "article", required=True),
        _field_col(m, "legal_basis", required=True),
        _field_col(m, "violation", required=True),
        _field_col(m, "penalty_types", parse=_penalty_types, dump=_dump_penalty_types, blank=[]),
        Col("town_codes", TOWN_CODES, _town_codes, "、".join, []),
        _field_col(m, "simple_procedure"),
        _field_col(m, "first_violation_exempt"),
        _field_col(m, "responsibility"),
        _field_col(m, "accountability"),
        _field_col(m, "is_active"),
    ]


def _item_readonly() -> list[Col]:
    """Shown in the export for the reader, ignored on import."""
    return [Col("department_name", DEPT_NAME, None, _number), Col("town_names", TOWN_NAMES, None, _number)]


def _band_columns() -> list[Col]:
    m = DiscretionBand
    return [
        Col("item_code", CODE, _text(40), _number, "", required=True),
        _field_col(m, "order", blank=None),
        _field_col(m, "level", required=True),
        _field_col(m, "circumstances", required=True),
        _field_col(m, "basis"),
        _field_col(m, "fine_min", parse=_amount, dump=_number, blank=None),
        _field_col(m, "fine_max", parse=_amount, dump=_number, blank=None),
        _field_col(m, "other"),
    ]


ITEM_FIELDS = ["code", "name", "domain", "law", "article", "legal_basis", "violation", "penalty_types",
               "simple_procedure", "first_violation_exempt", "responsibility", "accountability", "is_active"]
BAND_FIELDS = ["order", "level", "circumstances", "basis", "fine_min", "fine_max", "other"]


def _headers() -> tuple[list[Col], list[Col]]:
    """The 事项 sheet's columns in order: the department's and the towns' names follow their codes."""
    cols, ro = _item_columns(), _item_readonly()
    out = []
    for c in cols:
        out.append(c)
        if c.key == "domain":
            out.append(ro[0])
        elif c.key == "town_codes":
            out.append(ro[1])
    return out, ro


# --------------------------------------------------------------------------- export
def export_powers(items_qs, *, limit: int = MAX_ROWS[SHEET_ITEMS]) -> bytes:
    """The items of ``items_qs`` (an unsliced queryset; the first ``limit`` by code) with their
    discretion bands, as an xlsx workbook the importer reads back."""
    items = list(items_qs.select_related("department").order_by("code")[:limit])
    models.prefetch_related_objects(
        items, models.Prefetch("towns", queryset=Region.objects.order_by("code")),
        models.Prefetch("bands", queryset=DiscretionBand.objects.order_by("order", "id")))
    item_cols, _ro = _headers()
    band_cols = _band_columns()

    def item_row(item):
        towns = list(item.towns.all())
        values = {"department_code": item.department.code, "department_name": item.department.name,
                  "town_codes": [t.code for t in towns],
                  "town_names": "、".join(t.name for t in towns) or _("县级部门（专业执法）")}
        return [c.dump(values[c.key] if c.key in values else getattr(item, c.key)) for c in item_cols]

    def band_row(item, band):
        return [item.code] + [c.dump(getattr(band, c.key)) for c in band_cols[1:]]

    wb = Workbook()
    _sheet(wb, SHEET_ITEMS, item_cols, (item_row(i) for i in items), first=True)
    _sheet(wb, SHEET_BANDS, band_cols, (band_row(i, b) for i in items for b in i.bands.all()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading
# --------------------------------------------------------------------------- import
def import_powers(actor, upload_bytes: bytes, filename: str, *, ip: str | None = None) -> ImportResult:
    """Create or update penalty items and their bands from a workbook in the export's layout.
    All or nothing."""
    return run_import(actor=actor, upload_bytes=upload_bytes, filename=filename, ip=ip, plan_cls=_Plan,
                      max_rows=MAX_ROWS, object_type="enforcement.penaltyitem", label=_("行政处罚权责清单"),
                      what="权责清单", max_bytes=MAX_BYTES)


def _band_allows_simple(band, penalty_types) -> bool:
    """Whether a case in this band may be decided on the spot (简易程序)."""
    fine_min, fine_max = band["fine_min"], band["fine_max"]
    if fine_min is None and fine_max is None:  # no fine: a warning only, if the item may give one
        return band["level"] != Level.EXEMPT and PenaltyType.WARNING in penalty_types
    top = fine_max if fine_max is not None else fine_min
    return band["basis"] == Basis.AMOUNT and top <= SIMPLE_LIMIT


class _Plan:
    """The parsed file checked against the database, then written."""

    def __init__(self, sheets):
        self.sheets = sheets
        self.errors: list[CellError] = []
        self.header_ok = True
        self.items: dict[str, tuple[int, dict]] = {}  # code → (row, values)
        self.bands: dict[str, list[tuple[int, dict]]] | None = None  # None: sheet not in the file
        self.departments = {code: (pk, region_id) for code, pk, region_id in
                            Department.objects.values_list("code", "id", "region_id")}
        self.dept_region = dict(self.departments.values())
        self.towns = {code: (pk, valid_to) for code, pk, valid_to in
                      Region.objects.filter(level=Region.Level.TOWN).values_list("code", "id", "valid_to")}
        self.db = dict(PenaltyItem.objects.values_list("code", "id"))
        self.file_codes: set[str] = set()

    def _err(self, sheet, row, column, message):
        self.errors.append(CellError(sheet, row, column, message))

    # --- validation ------------------------------------------------------------------------
    def validate(self) -> None:
        item_cols, readonly = _headers()
        layouts = [(SHEET_ITEMS, item_cols), (SHEET_BANDS, _band_columns())]
        parsed = {}
        for sheet, columns in layouts:
            if sheet not in self.sheets:
                continue
            header, rows = self.sheets[sheet]
            before = len(self.errors)
            positions = _check_header(sheet, header, columns, self.errors)
            parsed[sheet] = ([c for c in columns if c not in readonly], positions, rows)
            self.header_ok = self.header_ok and len(self.errors) == before
        if not self.header_ok:
            return
        self.file_codes = self._items(*parsed[SHEET_ITEMS])
        if SHEET_BANDS in parsed:
            self.bands = self._bands(*parsed[SHEET_BANDS], file_codes=self.file_codes)
        self._simple_procedure()

    def _items(self, columns, positions, rows) -> set[str]:
        header = {c.key: c.header for c in columns}
        first_row: dict[str, int] = {}
        for rownum, cells in rows:
            values, ok = _parse_row(SHEET_ITEMS, rownum, cells, columns, positions, self.errors)
            code = values.get("code")
            if code:
                if code in first_row:
                    self._err(SHEET_ITEMS, rownum, header["code"], _("与第 %(r)d 行的事项编码重复") % {"r": first_row[code]})
                    continue
                first_row[code] = rownum
            dept_code = values.get("department_code")
            if dept_code:
                if dept_code in self.departments:
                    values["department_id"] = self.departments[dept_code][0]
                else:
                    self._err(SHEET_ITEMS, rownum, header["department_code"], _("部门代码 %(c)s 不存在") % {"c": dept_code})
                    ok = False
            town_ids, problems = [], []
            for town in values.get("town_codes") or []:
                if town not in self.towns:
                    problems.append(_("%(c)s 不是本县的镇（街道）代码") % {"c": town})
                elif self.towns[town][1] is not None:
                    problems.append(_("镇（街道）%(c)s 已停用，不能再行使处罚权，请从本列删去") % {"c": town})
                else:
                    town_ids.append(self.towns[town][0])
            if problems:
                self._err(SHEET_ITEMS, rownum, header["town_codes"], "；".join(problems))
                ok = False
            values["town_ids"] = town_ids
            if ok and code:
                self.items[code] = (rownum, values)
        return set(first_row)

    def _bands(self, columns, positions, rows, *, file_codes) -> dict[str, list[tuple[int, dict]]]:
        header = {c.key: c.header for c in columns}
        labels = dict(Level.choices)
        out: dict[str, list[tuple[int, dict]]] = {}
        orders: dict[tuple, int] = {}
        levels: dict[tuple, int] = {}
        for rownum, cells in rows:
            values, ok = _parse_row(SHEET_BANDS, rownum, cells, columns, positions, self.errors)
            code = values.get("item_code")
            if code and code not in file_codes and code not in self.db:
                self._err(SHEET_BANDS, rownum, header["item_code"],
                          _("事项 %(c)s 不在「%(s)s」表中，系统中也不存在") % {"c": code, "s": SHEET_ITEMS})
                ok = False
            fine_min, fine_max, basis = values.get("fine_min"), values.get("fine_max"), values.get("basis")
            if fine_min is not None and fine_max is not None and fine_min > fine_max:
                self._err(SHEET_BANDS, rownum, header["fine_min"], _("罚款下限（%(a)s）不能大于罚款上限（%(b)s）")
                          % {"a": _number(fine_min), "b": _number(fine_max)})
                ok = False
            if basis in PERCENT_BASES:
                for key in ("fine_min", "fine_max"):
                    if values.get(key) is not None and values[key] > 100:
                        self._err(SHEET_BANDS, rownum, header[key], _("按百分比计罚（%(b)s）时不能大于 100")
                                  % {"b": Basis(basis).label})
                        ok = False
            if values.get("level") == Level.EXEMPT and (fine_min or fine_max):
                self._err(SHEET_BANDS, rownum, header["fine_max"], _("「不予处罚」情形不能有罚款金额"))
                ok = False
            if not ok or not code:
                continue
            siblings = out.setdefault(code, [])
            if values.get("order") is None:
                values["order"] = len(siblings) + 1
            if (code, values["order"]) in orders:
                self._err(SHEET_BANDS, rownum, header["order"],
                          _("同一事项下序号重复（第 %(r)d 行）") % {"r": orders[(code, values["order"])]})
                continue
            if (code, values["level"]) in levels:  # discretion.check_fine looks a band up by its level
                self._err(SHEET_BANDS, rownum, header["level"], _("同一事项下「%(l)s」情形重复（第 %(r)d 行）")
                          % {"l": labels[values["level"]], "r": levels[(code, values["level"])]})
                continue
            orders[(code, values["order"])] = levels[(code, values["level"])] = rownum
            siblings.append((rownum, values))
        return out

    def _affected(self) -> set[str]:
        """Items whose bands the 裁量基准 sheet replaces: all on the 事项 sheet and all the sheet names."""
        if self.bands is None:
            return set()
        return set(self.items) | set(self.bands)

    def _simple_procedure(self) -> None:
        """An item open to the simple procedure needs a band that stays within ¥3,000."""
        affected = self._affected()
        # Items whose row on the 事项 sheet is bad are left out: that row is reported already.
        codes = set(self.items) | (affected - self.file_codes)
        from_db = [c for c in codes if c in self.db and c not in affected]
        db_bands: dict[str, list[dict]] = {}
        for row in DiscretionBand.objects.filter(item__code__in=from_db).values("item__code", *BAND_FIELDS):
            db_bands.setdefault(row.pop("item__code"), []).append(row)
        db_items = {code: (simple, types) for code, simple, types in PenaltyItem.objects.filter(
            code__in=[c for c in codes if c not in self.items and c in self.db]).values_list(
            "code", "simple_procedure", "penalty_types")}
        message = _("可适用简易程序的事项须至少有一档裁量基准的罚款不超过 3,000 元：简易程序（当场处罚）只适用于"
                    "对个人 200 元以下、对单位 3,000 元以下的罚款或者警告。请调整裁量基准，或把「可适用简易程序」改为「否」")
        simple_header = str(PenaltyItem._meta.get_field("simple_procedure").verbose_name)
        for code in sorted(codes):
            if code in self.items:
                values = self.items[code][1]
                simple, types = values["simple_procedure"], values["penalty_types"]
            elif code in db_items:
                simple, types = db_items[code]
            else:  # pragma: no cover — every code left is on the sheet or in the catalog
                continue
            if not simple:
                continue
            if code in affected:
                bands = [v for _r, v in (self.bands or {}).get(code, [])]
            else:
                bands = db_bands.get(code, [])
            if any(_band_allows_simple(b, types) for b in bands):
                continue
            if code in self.items:
                self._err(SHEET_ITEMS, self.items[code][0], simple_header, message)
            else:
                self._err(SHEET_BANDS, self.bands[code][0][0], CODE, message)

    # --- writing ---------------------------------------------------------------------------
    def write(self, actor, ip, result: PowersImportResult) -> None:
        band_codes = self._affected()
        touched = set(self.items) | band_codes
        existing = {i.code: i for i in PenaltyItem.objects.filter(code__in=touched).prefetch_related(
            models.Prefetch("towns", queryset=Region.objects.order_by("code")),
            models.Prefetch("bands", queryset=DiscretionBand.objects.order_by("order", "id")))}
        order = list(self.items) + sorted(touched - set(self.items))
        for code in order:
            item = existing.get(code)
            before, after = {}, {}
            new = item is None
            if code in self.items:
                values = self.items[code][1]
                wanted = {name: values[name] for name in ITEM_FIELDS}
                wanted["department_id"] = values["department_id"]
                if new:
                    item = PenaltyItem.objects.create(**wanted)
                else:
                    changed = [k for k, v in wanted.items() if getattr(item, k) != v]
                    if changed:
                        before.update({k: getattr(item, k) for k in changed})
                        after.update({k: wanted[k] for k in changed})
                        for k in changed:
                            setattr(item, k, wanted[k])
                self._sync_towns(item, values["town_codes"], values["town_ids"], new, before, after)
            if code in band_codes:
                self._sync_bands(item, [v for _r, v in (self.bands or {}).get(code, [])], new, before, after)
            if not new and after:
                item.version += 1
                item.save(update_fields=[*(k for k in after if k in ITEM_FIELDS or k == "department_id"),
                                         "version", "updated_at"])
            region_id = self.dept_region.get(item.department_id)
            if new:
                result.created += 1
                snapshot = audit.snapshot(item)
                snapshot.update(after)
                audit.record(actor=actor, action="create", obj=item, after=snapshot, ip=ip,
                             region_id=region_id, note=_("导入权责清单"))
            elif after:
                result.updated += 1
                audit.record(actor=actor, action="update", obj=item, before=before, after=after, ip=ip,
                             region_id=region_id, note=_("导入权责清单"))
            elif code in self.items:
                result.unchanged += 1

    def _sync_towns(self, item, codes: list[str], ids: list[int], new: bool, before: dict, after: dict) -> None:
        old = [] if new else [t.code for t in item.towns.all()]
        if sorted(old) != sorted(codes):
            item.towns.set(ids)
            before["towns"], after["towns"] = sorted(old), sorted(codes)

    def _sync_bands(self, item, wanted: list[dict], new: bool, before: dict, after: dict) -> None:
        current = [] if new else list(item.bands.all())
        old = [_band_view(b) for b in current]
        by_order: dict[int, DiscretionBand] = {}
        for b in current:
            by_order.setdefault(b.order, b)
        keep = set()
        for values in wanted:
            fields = {k: values[k] for k in BAND_FIELDS}
            b = by_order.get(fields["order"])
            if b is None:
                DiscretionBand.objects.create(item=item, **fields)
                continue
            keep.add(b.pk)
            changed = [k for k, v in fields.items() if getattr(b, k) != v]
            if changed:
                for k in changed:
                    setattr(b, k, fields[k])
                b.save(update_fields=changed)
        gone = [b.pk for b in current if b.pk not in keep]
        if gone:
            DiscretionBand.objects.filter(pk__in=gone).delete()
        new_view = [{k: v[k] for k in BAND_FIELDS} for v in wanted]
        if sorted(old, key=_by_order) != sorted(new_view, key=_by_order):
            before["bands"], after["bands"] = old, sorted(new_view, key=_by_order)


def _band_view(b: DiscretionBand) -> dict:
    return {k: getattr(b, k) for k in BAND_FIELDS}


def _by_order(view: dict) -> int:
    return view["order"]


__all__ = ["CellError", "PowersImportResult", "export_powers", "import_powers"]
