"""Reading and writing spreadsheets: CSV (UTF-8 or GB18030, as Excel in China saves it) and xlsx."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill


class FileFormatError(ValueError):
    pass


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("文件编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV")


def read_rows(source: str | Path | bytes, filename: str = "") -> tuple[list[str], Iterator[list[str]]]:
    """(header, rows) where each row is a list of stripped strings; row numbers start at 2."""
    name = (filename or str(source if not isinstance(source, bytes) else "")).lower()
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if name.endswith(".xlsx") or raw[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for bad files
            raise FileFormatError("无法读取 Excel 文件：请确认是 .xlsx 格式（不是 .xls 或改了扩展名的文件）") from exc
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        try:
            header = [_cell(v) for v in next(it)]
        except StopIteration:
            raise FileFormatError("文件是空的") from None
        return header, ([_cell(v) for v in row] for row in it)
    if name and not name.endswith(".csv"):
        raise FileFormatError("只支持 .csv 和 .xlsx 文件")
    reader = csv.reader(io.StringIO(_decode(raw)))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FileFormatError("文件是空的") from None
    except csv.Error as exc:
        raise FileFormatError(f"第 1 行无法读取：{_csv_reason(exc)}") from None
    return header, _csv_rows(reader)


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"有单元格超过 {csv.field_size_limit():,} 个字符"
    return text


def _csv_rows(reader) -> Iterator[list[str]]:
    """Rows of a CSV; a broken line stops the file with its line number (nothing is written)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileFormatError(f"第 {reader.line_num} 行无法读取：{_csv_reason(exc)}") from None
        yield [c.strip() for c in row]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value as a spreadsheet may safely hold it: text that Excel would run as a formula
    (=, +, -, @ …) gets a leading apostrophe, and characters XML cannot carry are dropped, so one
    odd record can neither break an export nor plant a link in it."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_xlsx(header: list[str], rows, *, sheet_title: str = "Sheet1", notes: list[str] | None = None) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = sheet_title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for idx, title in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, idx).column_letter].width = max(10, len(title) * 2 + 4)
    if notes:
        info = wb.create_sheet("填写说明")
        for line in notes:
            info.append([line])
        info.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(header: list[str], rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([safe_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
