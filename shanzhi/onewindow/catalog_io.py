"""The service item catalog (政务服务事项目录) in and out of Excel.

The workbook has three sheets — 事项, 材料, 审查环节 — with the models' verbose names as headers,
choices as their Chinese labels, 是/否 for yes/no and channels joined by 、. Import rules, as for
the registries: every bad cell is reported as sheet + row + column + reason; a file with any
error writes nothing; the writes run in one transaction and each changed item gets an audit row
(before → after) besides the one for the import as a whole.

Items are created or updated by 实施编码 and never deleted (set 在用 to 否 to retire one). When the
材料 (or 审查环节) sheet is in the file, the materials (steps) of every item on the 事项 sheet and of
every item the sheet names are replaced by its rows; a sheet left out leaves them as they are.
Materials are matched by name and steps by (并联组, 环节, 审查部门), so rows that did not change keep
their ids (submitted materials and reviews point at them). Exporting and importing the same file
changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.escape import unescape as _ooxml_unescape

from shanzhi.accounts.models import Department
from shanzhi.common import audit
from shanzhi.registry.services.imports import _bool, _choice, _int_upto, _text
from shanzhi.registry.services.tabular import FORMULA_START, FileFormatError, _cell, safe_cell

from .models import Channel, Material, ReviewStep, ServiceItem, SubmittedMaterial

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "材料"
SHEET_STEPS = "审查环节"
CODE = "实施编码"

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = {SHEET_ITEMS: 10_000, SHEET_MATERIALS: 100_000, SHEET_STEPS: 50_000}
MAX_SCAN = 200_000  # rows looked at per sheet, blank ones included
MAX_REPORTED_ERRORS = 500
MAX_TEXT = 10_000  # TextFields (设定依据, 受理条件)
MAX_DAYS = Decimal("9999.9")  # DecimalField(max_digits=5, decimal_places=1)
SMALL_INT = 32767


class CellError(NamedTuple):
    """One problem: the sheet, the row (1 = the header), the column and why."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self):
        return _("「%(sheet)s」第 %(row)d 行「%(col)s」：%(msg)s") % {
            "sheet": self.sheet, "row": self.row, "col": self.column, "msg": self.message}


@dataclass
class ImportResult:
    """What a catalog import did (the service catalog and the power catalog alike)."""

    filename: str = ""
    file_error: str = ""
    errors: list[CellError] = field(default_factory=list)
    error_count: int = 0
    rows: int = 0  # item rows in the file
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.error_count


CatalogImportResult = ImportResult


# --------------------------------------------------------------------------- columns
@dataclass
class Col:
    key: str  # the model attribute, or <fk>_code for a foreign key given by its code
    header: str
    parse: Callable[[str], Any] | None
    dump: Callable[[Any], Any]
    blank: Any = ""
    required: bool = False


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _yes_no(value) -> str:
    return _("是") if value else _("否")


def _labels(choices) -> Callable[[Any], Any]:
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, value)


def _days(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("应为数字")) from None
    if not value.is_finite():
        raise ValidationError(_("应为数字"))
    if value < 0:
        raise ValidationError(_("不能为负数"))
    if value > MAX_DAYS:
        raise ValidationError(_("不能大于 %(n)s") % {"n": MAX_DAYS})
    if value != value.quantize(Decimal("0.1")):
        raise ValidationError(_("最多保留一位小数"))
    return value.quantize(Decimal("0.1"))


def _channels(raw: str) -> list[str]:
    by_label = {str(label): value for value, label in Channel.choices}
    out = []
    for part in raw.replace("，", "、").replace(",", "、").replace("；", "、").split("、"):
        part = part.strip()
        if not part:
            continue
        value = part if part in Channel.values else by_label.get(part)
        if value is None:
            raise ValidationError(_("「%(p)s」不是办理渠道，应为以下之一（用、分隔）：%(opts)s")
                                  % {"p": part, "opts": "、".join(by_label)})
        if value not in out:
            out.append(value)
    return out


def _dump_channels(values) -> str:
    labels = dict(Channel.choices)
    return "、".join(str(labels.get(v, v)) for v in values or [])


def _field_col(model, name: str, *, required: bool = False, **override) -> Col:
    """A column for one model field: header from its verbose name, parser and display by its type."""
    f = model._meta.get_field(name)
    header = str(f.verbose_name)
    if "parse" in override and "dump" in override:
        parse = dump = blank = None
    elif f.choices:
        parse, dump, blank = _choice(f.choices), _labels(f.choices), f.get_default()
    elif isinstance(f, models.BooleanField):
        parse, dump, blank = _bool, _yes_no, f.get_default()
    elif isinstance(f, models.DecimalField):
        parse, dump, blank = _days, _number, f.get_default()
    elif isinstance(f, models.PositiveSmallIntegerField):
        parse, dump, blank = _int_upto(SMALL_INT), _number, f.get_default()
    elif isinstance(f, models.CharField):
        parse, dump, blank = _text(f.max_length), _number, ""
    elif isinstance(f, models.TextField):
        parse, dump, blank = _text(MAX_TEXT), _number, ""
    else:  # pragma: no cover — every other field is given its parse and dump
        raise TypeError(name)
    values = {"key": name, "header": header, "parse": parse, "dump": dump, "blank": blank, "required": required}
    values.update(override)
    return Col(**values)


def _item_columns() -> list[Col]:
    m = ServiceItem
    fk = m._meta.get_field
    return [
        _field_col(m, "code", required=True),
        _field_col(m, "base_code", required=True),
        _field_col(m, "name", required=True),
        _field_col(m, "item_type", required=True),
        _field_col(m, "level"),
        Col("parent_code", _("%(f)s（实施编码）") % {"f": fk("parent").verbose_name}, _text(40), _number, ""),
        _field_col(m, "variant"),
        Col("department_code", _("%(f)s（部门代码）") % {"f": fk("department").verbose_name}, _text(30), _number, "",
            required=True),
        _field_col(m, "authority"),
        _field_col(m, "exercise_level"),
        _field_col(m, "delegated"),
        _field_col(m, "legal_basis"),
        _field_col(m, "applicant_kind"),
        _field_col(m, "immediate"),
        _field_col(m, "statutory_days"),
        _field_col(m, "promised_days"),
        _field_col(m, "conditions"),
        _field_col(m, "fee"),
        _field_col(m, "result_name"),
        _field_col(m, "certificate_type"),
        _field_col(m, "certificate_years", blank=None),
        _field_col(m, "channels", parse=_channels, dump=_dump_channels, blank=[]),
        _field_col(m, "visits"),
        _field_col(m, "online_depth"),
        _field_col(m, "county_wide"),
        _field_col(m, "contact"),
        _field_col(m, "keywords"),
        _field_col(m, "is_active"),
    ]


def _item_code_col() -> Col:
    return Col("item_code", CODE, _text(40), _number, "", required=True)


def _material_columns() -> list[Col]:
    m = Material
    return [
        _item_code_col(),
        _field_col(m, "order", blank=None),
        _field_col(m, "name", required=True),
        _field_col(m, "required"),
        _field_col(m, "form"),
        _field_col(m, "source"),
        _field_col(m, "copies"),
        _field_col(m, "certificate_type"),
        _field_col(m, "note"),
    ]


def _step_columns() -> list[Col]:
    m = ReviewStep
    return [
        _item_code_col(),
        _field_col(m, "order", blank=None),
        _field_col(m, "name", required=True),
        Col("department_code", _("%(f)s（部门代码）") % {"f": m._meta.get_field("department").verbose_name},
            _text(30), _number, "", required=True),
        _field_col(m, "parallel_group"),
    ]


ITEM_FIELDS = ["code", "base_code", "name", "item_type", "level", "variant", "authority", "exercise_level", "delegated",
               "legal_basis", "applicant_kind", "immediate", "statutory_days", "promised_days", "conditions", "fee",
               "result_name", "certificate_type", "certificate_years", "channels", "visits", "online_depth",
               "county_wide", "contact", "keywords", "is_active"]
MATERIAL_FIELDS = ["order", "name", "required", "form", "source", "copies", "certificate_type", "note"]
STEP_FIELDS = ["order", "name", "department_id", "parallel_group"]


# --------------------------------------------------------------------------- export
def _sheet(wb: Workbook, title: str, columns: list[Col], rows, *, first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        ws.append([None if v in ("", None) else safe_cell(v) for v in row])
    for idx, col in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(1, idx).column_letter].width = max(10, min(40, len(col.header) * 2 + 4))
    ws.freeze_panes = "B2"


def export_catalog(items_qs) -> bytes:
    """The items of ``items_qs`` with their materials and review steps, as an xlsx workbook."""
    items = sorted(items_qs, key=lambda i: i.code)
    models.prefetch_related_objects(
        items, "department", "parent", models.Prefetch("materials", queryset=Material.objects.order_by("order", "id")),
        models.Prefetch("review_steps", queryset=ReviewStep.objects.select_related("department")
                        .order_by("parallel_group", "order", "id")))
    item_cols, material_cols, step_cols = _item_columns(), _material_columns(), _step_columns()

    def item_row(item):
        values = {"parent_code": item.parent.code if item.parent_id else "", "department_code": item.department.code}
        return [c.dump(values[c.key] if c.key in values else getattr(item, c.key)) for c in item_cols]

    def material_row(item, material):
        return [item.code] + [c.dump(getattr(material, c.key)) for c in material_cols[1:]]

    def step_row(item, step):
        values = {"department_code": step.department.code}
        return [item.code] + [c.dump(values.get(c.key, getattr(step, c.key, None))) for c in step_cols[1:]]

    wb = Workbook()
    _sheet(wb, SHEET_ITEMS, item_cols, (item_row(i) for i in items), first=True)
    _sheet(wb, SHEET_MATERIALS, material_cols, (material_row(i, m) for i in items for m in i.materials.all()))
    _sheet(wb, SHEET_STEPS, step_cols, (step_row(i, s) for i in items for s in i.review_steps.all()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading
def _unescape(raw: str) -> str:
    """Undo safe_cell: a leading apostrophe it put before formula-like text."""
    if raw.startswith("'") and raw[1:2] and raw[1:2] in FORMULA_START:
        return raw[1:]
    return raw


def _read_book(raw: bytes, filename: str, *, max_rows: dict[str, int] = MAX_ROWS,
               what: str = "事项目录") -> dict[str, tuple[list[str], list[tuple[int, list[str]]]]]:
    """Each known sheet (``max_rows``) as (header, [(row number, cells)]), blank rows left out;
    bounded in size."""
    if not filename.lower().endswith(".xlsx") or raw[:2] != b"PK":
        raise FileFormatError(_("只支持 .xlsx 文件：请先导出%(w)s，在导出的文件中修改后再上传") % {"w": what})
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for bad files
        raise FileFormatError(_("无法读取 Excel 文件：请确认是 .xlsx 格式（不是 .xls 或改了扩展名的文件）")) from exc
    sheets = {}
    try:
        for ws in wb.worksheets:
            title = ws.title.strip()
            if title not in max_rows or title in sheets:
                continue
            it = ws.iter_rows(values_only=True)
            header = [_cell(v) for v in next(it, ())]
            rows = []
            for rownum, row in enumerate(it, start=2):
                if rownum > MAX_SCAN:
                    raise FileFormatError(_("「%(s)s」表超过 %(n)s 行") % {"s": title, "n": f"{MAX_SCAN:,}"})
                # Excel writes a control character as _x0007_; read it back so the row check sees it.
                cells = [_unescape(_ooxml_unescape(c) if "_x" in c else c) for c in map(_cell, row)]
                if any(cells):
                    rows.append((rownum, cells))
                    if len(rows) > max_rows[title]:
                        raise FileFormatError(_("「%(s)s」表超过 %(n)s 行，请拆分后分批导入")
                                              % {"s": title, "n": f"{max_rows[title]:,}"})
            sheets[title] = (header, rows)
    except FileFormatError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise FileFormatError(_("无法读取 Excel 文件：文件已损坏")) from exc
    finally:
        wb.close()
    return sheets


def _check_header(sheet: str, header: list[str], columns: list[Col], errors: list[CellError]) -> dict[str, int]:
    positions = {}
    for i, h in enumerate(header):
        if h and h not in positions:
            positions[h] = i
    known = {c.header for c in columns}
    for c in columns:
        if c.required and c.header not in positions:
            errors.append(CellError(sheet, 1, c.header, _("缺少此列")))
    for h in positions:
        if h not in known:
            errors.append(CellError(sheet, 1, h, _("无法识别的列，应有的列：%(c)s") % {"c": "、".join(c.header for c in columns)}))
    return positions


# Direction overrides make a published name read differently from what it is (the web forms refuse
# them too).
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _parse_row(sheet: str, rownum: int, cells: list[str], columns: list[Col], positions: dict[str, int],
               errors: list[CellError]) -> tuple[dict, bool]:
    """The row's values by column key (blank cells as the column's blank value); ok is False
    when any cell was bad (the good cells are still returned)."""
    values, ok = {}, True
    for col in columns:
        pos = positions.get(col.header)
        raw = cells[pos] if pos is not None and pos < len(cells) else ""
        if any((ord(ch) < 32 and ch not in "\t\n\r") or ch in BIDI for ch in raw):
            errors.append(CellError(sheet, rownum, col.header, _("含有不可见的控制字符，请清理后重新导入")))
            ok = False
            continue
        if not raw:
            if col.required:
                errors.append(CellError(sheet, rownum, col.header, _("必填")))
                ok = False
                continue
            values[col.key] = list(col.blank) if isinstance(col.blank, list) else col.blank
            continue
        try:
            values[col.key] = col.parse(raw) if col.parse else raw
        except ValidationError as exc:
            errors.append(CellError(sheet, rownum, col.header, "；".join(exc.messages)))
            ok = False
    return values, ok


# --------------------------------------------------------------------------- import
def run_import(*, actor, upload_bytes: bytes, filename: str, ip: str | None, plan_cls, max_rows: dict[str, int],
               object_type: str, label: str, what: str, max_bytes: int = MAX_BYTES) -> ImportResult:
    """Read, check every row, and write only when the whole file is right (one transaction), with
    an audit row either way. ``plan_cls(sheets)`` validates (``errors``, ``header_ok``, ``items``)
    and writes (``write(actor, ip, result)``)."""
    result = ImportResult(filename=filename)
    if len(upload_bytes) > max_bytes:
        result.file_error = _("文件过大（上限 %(n)d MB），请拆分后上传") % {"n": max(1, max_bytes // (1024 * 1024))}
        return result
    try:
        sheets = _read_book(upload_bytes, filename, max_rows=max_rows, what=what)
    except FileFormatError as exc:
        result.file_error = str(exc)
        return result
    if SHEET_ITEMS not in sheets:
        result.file_error = _("文件中没有「%(s)s」工作表：请在导出的%(w)s文件中修改后上传") % {"s": SHEET_ITEMS, "w": what}
        return result
    plan = plan_cls(sheets)
    plan.validate()
    result.rows = len(sheets[SHEET_ITEMS][1])
    result.error_count = len(plan.errors)
    result.errors = plan.errors[:MAX_REPORTED_ERRORS]
    if plan.errors:
        if plan.header_ok:
            audit.record(actor=actor, action="import", object_type=object_type, object_repr=label,
                         note=_("导入未通过"), ip=ip,
                         after={"rows": result.rows, "errors": result.error_count, "file": filename[:100]})
        return result
    if not plan.items:
        result.file_error = _("「%(s)s」表中没有数据行") % {"s": SHEET_ITEMS}
        return result
    with transaction.atomic():
        plan.write(actor, ip, result)
        audit.record(actor=actor, action="import", object_type=object_type, object_repr=label, ip=ip,
                     after={"rows": result.rows, "created": result.created, "updated": result.updated,
                            "file": filename[:100]},
                     note=_("导入%(w)s：新增 %(c)d 项，修改 %(u)d 项，未变 %(n)d 项")
                     % {"w": what, "c": result.created, "u": result.updated, "n": result.unchanged})
    return result


def import_catalog(actor, upload_bytes: bytes, filename: str, *, ip: str | None = None) -> ImportResult:
    """Create or update catalog items from a workbook in the export's layout. All or nothing."""
    return run_import(actor=actor, upload_bytes=upload_bytes, filename=filename, ip=ip, plan_cls=_Plan,
                      max_rows=MAX_ROWS, object_type="onewindow.serviceitem", label=_("政务服务事项目录"),
                      what="事项目录", max_bytes=MAX_BYTES)


class _Plan:
    """The parsed file checked against the database, then written."""

    def __init__(self, sheets):
        self.sheets = sheets
        self.errors: list[CellError] = []
        self.header_ok = True
        self.items: dict[str, tuple[int, dict]] = {}  # code → (row, values)
        self.materials: dict[str, list[tuple[int, dict]]] | None = None  # None: sheet not in the file
        self.steps: dict[str, list[tuple[int, dict]]] | None = None
        self.departments = {code: (pk, region_id) for code, pk, region_id in
                            Department.objects.values_list("code", "id", "region_id")}
        self.dept_region = dict(self.departments.values())
        self.db = {code: (pk, parent_code) for code, pk, parent_code in
                   ServiceItem.objects.values_list("code", "id", "parent__code")}

    # --- validation ------------------------------------------------------------------------
    def validate(self) -> None:
        layouts = [(SHEET_ITEMS, _item_columns()), (SHEET_MATERIALS, _material_columns()),
                   (SHEET_STEPS, _step_columns())]
        parsed = {}
        for sheet, columns in layouts:
            if sheet not in self.sheets:
                continue
            header, rows = self.sheets[sheet]
            before = len(self.errors)
            positions = _check_header(sheet, header, columns, self.errors)
            parsed[sheet] = (columns, positions, rows)
            self.header_ok = self.header_ok and len(self.errors) == before
        if not self.header_ok:
            return
        file_codes = self._items(*parsed[SHEET_ITEMS])
        if SHEET_MATERIALS in parsed:
            self.materials = self._children(SHEET_MATERIALS, *parsed[SHEET_MATERIALS], file_codes=file_codes,
                                            key=lambda v: v["name"], duplicate=_("同一事项下材料名称重复（第 %(r)d 行）"))
            self._protected_materials()
        if SHEET_STEPS in parsed:
            self.steps = self._children(SHEET_STEPS, *parsed[SHEET_STEPS], file_codes=file_codes,
                                        key=lambda v: (v["parallel_group"], v["name"], v.get("department_id")),
                                        duplicate=_("同一事项下同一并联组、同一部门的环节重复（第 %(r)d 行）"))

    def _err(self, sheet, row, column, message):
        self.errors.append(CellError(sheet, row, column, message))

    def _items(self, columns, positions, rows) -> set[str]:
        header = {c.key: c.header for c in columns}
        first_row: dict[str, int] = {}
        for rownum, cells in rows:
            values, ok = _parse_row(SHEET_ITEMS, rownum, cells, columns, positions, self.errors)
            code = values.get("code")
            if code:
                if code in first_row:
                    self._err(SHEET_ITEMS, rownum, header["code"], _("与第 %(r)d 行的实施编码重复") % {"r": first_row[code]})
                    continue
                first_row[code] = rownum
            dept_code = values.get("department_code")
            if dept_code:
                if dept_code in self.departments:
                    values["department_id"] = self.departments[dept_code][0]
                else:
                    self._err(SHEET_ITEMS, rownum, header["department_code"],
                              _("部门代码 %(c)s 不存在") % {"c": dept_code})
                    ok = False
            statutory, promised = values.get("statutory_days"), values.get("promised_days")
            if statutory is not None and promised is not None and promised > statutory:
                self._err(SHEET_ITEMS, rownum, header["promised_days"],
                          _("承诺办结时限（%(p)s）不能大于法定办结时限（%(s)s）")
                          % {"p": _number(promised), "s": _number(statutory)})
                ok = False
            depth = values.get("online_depth")
            if depth is not None and not 1 <= depth <= 4:
                self._err(SHEET_ITEMS, rownum, header["online_depth"], _("应为 1 至 4 之间的整数（1 信息公开 … 4 全程网办）"))
                ok = False
            if ok and code:
                self.items[code] = (rownum, values)
        # Parents: in the file or in the catalog, not the item itself, no loops.
        parent_header = header["parent_code"]
        for code, (rownum, values) in list(self.items.items()):
            parent = values.get("parent_code")
            if not parent:
                continue
            if parent == code:
                self._err(SHEET_ITEMS, rownum, parent_header, _("上级事项不能是事项本身"))
            elif parent not in first_row and parent not in self.db:
                self._err(SHEET_ITEMS, rownum, parent_header, _("上级事项 %(c)s 不在文件中，系统中也不存在") % {"c": parent})
            elif self._loops(code):
                self._err(SHEET_ITEMS, rownum, parent_header, _("上级事项形成循环（事项最终成了自己的上级）"))
            else:
                continue
            del self.items[code]
        return set(first_row)

    def _parent_of(self, code: str) -> str | None:
        if code in self.items:
            return self.items[code][1].get("parent_code") or None
        return self.db.get(code, (None, None))[1]

    def _loops(self, code: str) -> bool:
        seen, current = {code}, self._parent_of(code)
        while current:
            if current in seen:
                return True
            seen.add(current)
            current = self._parent_of(current)
        return False

    def _children(self, sheet, columns, positions, rows, *, file_codes, key, duplicate) -> dict[str, list]:
        header = {c.key: c.header for c in columns}
        out: dict[str, list[tuple[int, dict]]] = {}
        keys: dict[tuple, int] = {}
        for rownum, cells in rows:
            values, ok = _parse_row(sheet, rownum, cells, columns, positions, self.errors)
            code = values.get("item_code")
            if code and code not in file_codes and code not in self.db:
                self._err(sheet, rownum, header["item_code"],
                          _("事项 %(c)s 不在「%(s)s」表中，系统中也不存在") % {"c": code, "s": SHEET_ITEMS})
                ok = False
            dept_code = values.get("department_code")
            if dept_code:
                if dept_code in self.departments:
                    values["department_id"] = self.departments[dept_code][0]
                else:
                    self._err(sheet, rownum, header["department_code"], _("部门代码 %(c)s 不存在") % {"c": dept_code})
                    ok = False
            if "parallel_group" in values and values["parallel_group"] is not None and values["parallel_group"] < 1:
                self._err(sheet, rownum, header["parallel_group"], _("应为正整数"))
                ok = False
            if not ok or not code:
                continue
            siblings = out.setdefault(code, [])
            if values.get("order") is None:
                values["order"] = len(siblings) + 1
            k = (code, key(values))
            if k in keys:
                self._err(sheet, rownum, header["name"], duplicate % {"r": keys[k]})
                continue
            keys[k] = rownum
            siblings.append((rownum, values))
        return out

    def _affected(self, children: dict[str, list] | None) -> set[str]:
        """Items whose children a sheet replaces: all on the 事项 sheet and all the sheet names."""
        if children is None:
            return set()
        return set(self.items) | set(children)

    def _protected_materials(self) -> None:
        """A material somebody has already submitted cannot go (submitted materials point at it)."""
        codes = [c for c in self._affected(self.materials) if c in self.db]
        used = (Material.objects.filter(item__code__in=codes)
                .filter(pk__in=SubmittedMaterial.objects.values("material_id"))
                .values_list("item__code", "name").distinct())
        for code, name in used:
            rows = self.materials.get(code, [])
            if any(v["name"] == name for _r, v in rows):
                continue
            if code in self.items:
                where = (SHEET_ITEMS, self.items[code][0], CODE)
            elif rows:
                where = (SHEET_MATERIALS, rows[0][0], CODE)
            else:  # pragma: no cover — an affected item is on one of the two sheets
                continue
            self._err(*where, _("材料「%(m)s」已有办件提交，不能删除：请在「%(s)s」表中保留这一行")
                      % {"m": name, "s": SHEET_MATERIALS})

    # --- writing ---------------------------------------------------------------------------
    def _depth(self, code: str) -> int:
        depth, current = 0, self.items[code][1].get("parent_code")
        while current and current in self.items:
            depth += 1
            current = self.items[current][1].get("parent_code")
        return depth

    def write(self, actor, ip, result: CatalogImportResult) -> None:
        ids = {code: pk for code, (pk, _p) in self.db.items()}
        mat_codes, step_codes = self._affected(self.materials), self._affected(self.steps)
        touched = set(self.items) | mat_codes | step_codes
        existing = {i.code: i for i in ServiceItem.objects.filter(code__in=touched).prefetch_related(
            models.Prefetch("materials", queryset=Material.objects.order_by("order", "id")),
            models.Prefetch("review_steps", queryset=ReviewStep.objects.order_by("parallel_group", "order", "id")))}
        file_order = {code: n for n, code in enumerate(self.items)}
        order = sorted(self.items, key=lambda c: (self._depth(c), file_order[c]))
        order += sorted(touched - set(self.items))
        for code in order:
            item = existing.get(code)
            before, after = {}, {}
            if code in self.items:
                values = self.items[code][1]
                wanted = {name: values[name] for name in ITEM_FIELDS}
                wanted["department_id"] = values["department_id"]
                wanted["parent_id"] = ids[values["parent_code"]] if values.get("parent_code") else None
                if item is None:
                    item = ServiceItem.objects.create(**wanted)
                    ids[code] = item.pk
                else:
                    changed = [k for k, v in wanted.items() if getattr(item, k) != v]
                    if changed:
                        before.update({k: getattr(item, k) for k in changed})
                        after.update({k: wanted[k] for k in changed})
                        for k in changed:
                            setattr(item, k, wanted[k])
                        item.version += 1
                        item.save(update_fields=[*changed, "version", "updated_at"])
            new = code not in existing
            if code in mat_codes:
                self._sync_materials(item, [v for _r, v in (self.materials or {}).get(code, [])], new, before, after)
            if code in step_codes:
                self._sync_steps(item, [v for _r, v in (self.steps or {}).get(code, [])], new, before, after)
            region_id = self.dept_region.get(item.department_id)
            if new:
                result.created += 1
                snapshot = audit.snapshot(item)
                snapshot.update(after)
                audit.record(actor=actor, action="create", obj=item, after=snapshot, ip=ip,
                             region_id=region_id, note=_("导入事项目录"))
            elif after:
                result.updated += 1
                audit.record(actor=actor, action="update", obj=item, before=before, after=after, ip=ip,
                             region_id=region_id, note=_("导入事项目录"))
            elif code in self.items:
                result.unchanged += 1

    def _sync_materials(self, item, wanted: list[dict], new: bool, before: dict, after: dict) -> None:
        current = [] if new else list(item.materials.all())
        old = [_material_view(m) for m in current]
        by_name: dict[str, Material] = {}
        for m in current:
            by_name.setdefault(m.name, m)
        keep = set()
        for values in wanted:
            fields = {k: values[k] for k in MATERIAL_FIELDS}
            m = by_name.get(values["name"])
            if m is None:
                Material.objects.create(item=item, **fields)
                continue
            keep.add(m.pk)
            changed = [k for k, v in fields.items() if getattr(m, k) != v]
            if changed:
                for k in changed:
                    setattr(m, k, fields[k])
                m.save(update_fields=changed)
        gone = [m.pk for m in current if m.pk not in keep]
        if gone:
            Material.objects.filter(pk__in=gone).delete()
        new_view = [_material_view(Material(**{k: v[k] for k in MATERIAL_FIELDS})) for v in wanted]
        if sorted(old, key=_sort_key) != sorted(new_view, key=_sort_key):
            before["materials"], after["materials"] = old, new_view

    def _sync_steps(self, item, wanted: list[dict], new: bool, before: dict, after: dict) -> None:
        current = [] if new else list(item.review_steps.all())
        old = [_step_view(s) for s in current]
        by_key: dict[tuple, ReviewStep] = {}
        for s in current:
            by_key.setdefault((s.parallel_group, s.name, s.department_id), s)
        keep = set()
        for values in wanted:
            fields = {k: values[k] for k in STEP_FIELDS}
            s = by_key.get((fields["parallel_group"], fields["name"], fields["department_id"]))
            if s is None or s.pk in keep:
                ReviewStep.objects.create(item=item, **fields)
                continue
            keep.add(s.pk)
            if s.order != fields["order"]:
                s.order = fields["order"]
                s.save(update_fields=["order"])
        gone = [s.pk for s in current if s.pk not in keep]
        if gone:
            ReviewStep.objects.filter(pk__in=gone).delete()
        new_view = [_step_view(ReviewStep(**{k: v[k] for k in STEP_FIELDS})) for v in wanted]
        if sorted(old, key=_sort_key) != sorted(new_view, key=_sort_key):
            before["review_steps"], after["review_steps"] = old, new_view


def _material_view(m: Material) -> dict:
    return {k: getattr(m, k) for k in MATERIAL_FIELDS}


def _step_view(s: ReviewStep) -> dict:
    return {k: getattr(s, k) for k in STEP_FIELDS}


def _sort_key(view: dict) -> tuple:
    return tuple(str(view[k]) for k in sorted(view))


__all__ = ["CatalogImportResult", "CellError", "export_catalog", "import_catalog"]
