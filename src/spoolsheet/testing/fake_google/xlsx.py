"""Move spreadsheets between .xlsx files and the fake (``--load`` and the xlsx export).

Dates become serial numbers with their date pattern as numberFormat, formulas (cells openpyxl
types "f") stay formulas and text stays text even when it starts with "=", the grid is the
sheet's used size, as when a workbook is uploaded and converted by Google.

Parsing is the slow part (tests load the same sample into a fresh fake again and again), so it
streams (openpyxl's read-only workbook and worksheet parser, plain inline strings read directly)
and its result is cached per file version: a grid template every load takes a copy-on-write
copy of.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import zipfile
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser

from .grid import EMPTY, Cell, Grid
from .state import Sheet, Spreadsheet, Store, new_sheet_properties
from .values import from_serial, number, to_serial

_TEXT_TAG = INLINE_STRING[: -len("is")] + "t"
CACHE_CELLS = 2_000_000  # parsed cells kept across loads (~4 workbooks of 2,500 spools)


def _number_format(pattern: str, is_date: bool) -> dict[str, Any] | None:
    if is_date:
        kind = (
            "DATE_TIME"
            if "h" in pattern.lower() and "y" in pattern.lower()
            else "DATE"
            if "y" in pattern.lower()
            else "TIME"
        )
        return {"numberFormat": {"type": kind, "pattern": pattern}}
    if pattern == "General":
        return None
    return {"numberFormat": {"type": "PERCENT" if "%" in pattern else "NUMBER", "pattern": pattern}}


def _serial(value: dt.date | dt.time | dt.timedelta) -> float:
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return to_serial(value)


def _cell(value: Any, data_type: str, number_format: str | None) -> Cell:
    """The stored cell for an openpyxl value (not None, not "") of a given data type."""
    if data_type == "f":  # "=..." or an ArrayFormula
        return {"userEnteredValue": {"formulaValue": getattr(value, "text", None) or str(value)}}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        pattern = number_format if number_format not in (None, "General") else "yyyy-mm-dd"
        return {
            "userEnteredValue": number(_serial(value)),
            "userEnteredFormat": _number_format(pattern, True),
        }
    if isinstance(value, (int, float)):
        fmt = _number_format(number_format or "General", is_date=False)
        return {"userEnteredValue": number(value), **({"userEnteredFormat": fmt} if fmt else {})}
    return {"userEnteredValue": {"stringValue": str(value)}}


@dataclass(frozen=True)
class ParsedSheet:
    title: str
    hidden: bool
    rows: int  # the grid: openpyxl's max_row / max_column (the last cell element, even empty)
    cols: int
    grid: Grid  # a template: never edited, loads take copies
    cells: int


class _SheetParser(WorkSheetParser):
    """openpyxl's worksheet parser, with a shortcut for plain inline strings (how spoolsheet's
    writer stores text): openpyxl builds a rich-text object for each, which is most of a load.
    Every other cell (shared strings, numbers, dates, formulas, rich text) goes openpyxl's way."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        inline = element.find(INLINE_STRING) if element.get("t") == "inlineStr" else None
        coordinate = element.get("r")
        if (
            inline is None
            or len(inline) != 1
            or inline[0].tag != _TEXT_TAG
            or not coordinate
            or element.find(FORMULA_TAG) is not None
        ):
            return super().parse_cell(element)
        row, column = coordinate_to_tuple(coordinate)
        self.col_counter = column
        style = element.get("s")
        return {
            "row": row,
            "column": column,
            "value": inline[0].text or "",
            "data_type": "s",
            "style_id": int(style) if style else 0,
        }


def _parse_sheet(workbook: Any, ws: Any) -> ParsedSheet:
    """One worksheet of a read-only workbook. The grid is sized by the cell elements, as a full
    openpyxl load counts them, not by a possibly stale ``<dimension>``."""
    memo: dict[tuple[Any, ...], Cell] = {}  # equal cells share one dict (cells are immutable)
    formats: dict[int, str] = {}  # style id -> number format
    rows: list[list[Cell]] = []
    max_row = max_col = 0
    with workbook._archive.open(ws._worksheet_path) as source:
        parser = _SheetParser(
            source,
            ws._shared_strings,  # the reader's table: workbook.shared_strings is always empty
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for _, cells in parser.parse():
            for cell in cells:
                r, c, value, kind = cell["row"], cell["column"], cell["value"], cell["data_type"]
                if r > max_row:
                    max_row = r
                if c > max_col:
                    max_col = c
                if value is None or value == "":
                    continue
                fmt = None
                if kind in ("n", "d"):
                    style = cell["style_id"]
                    if style not in formats:
                        formats[style] = ReadOnlyCell(ws, r, c, None, style_id=style).number_format
                    fmt = formats[style]
                key = (kind, type(value), value, fmt)
                stored = memo.get(key)
                if stored is None:
                    stored = memo[key] = _cell(value, kind, fmt)
                if r > len(rows):
                    rows.extend([] for _ in range(r - len(rows)))
                row = rows[r - 1]
                if c > len(row):
                    row.extend([EMPTY] * (c - len(row)))
                row[c - 1] = stored
    cell_count = sum(map(len, rows))
    return ParsedSheet(
        ws.title, ws.sheet_state != "visible", max(max_row, 1), max(max_col, 1), Grid(rows), cell_count
    )


_cache: OrderedDict[tuple[str, int, int], list[ParsedSheet]] = OrderedDict()
_cache_lock = threading.Lock()


class UnreadableWorkbook(ValueError):
    """A file to load that is missing or is not an .xlsx workbook; the message names it."""


def parse_xlsx(path: str | Path) -> list[ParsedSheet]:
    """Every worksheet of a workbook, parsed once per (path, mtime, size)."""
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except FileNotFoundError:
        raise UnreadableWorkbook(f"{path}: no such file") from None
    key = (str(resolved), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        try:
            workbook = openpyxl.load_workbook(resolved, read_only=True)
            try:
                parsed = [_parse_sheet(workbook, ws) for ws in workbook.worksheets]
            finally:
                workbook.close()
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, zlib.error, ParseError) as exc:
            raise UnreadableWorkbook(f"{path}: cannot read it as an .xlsx workbook "
                                     f"({type(exc).__name__})") from exc
        _cache[key] = parsed
        while len(_cache) > 1 and sum(s.cells for sheets in _cache.values() for s in sheets) > CACHE_CELLS:
            _cache.popitem(last=False)
        return parsed


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def load_xlsx(
    store: Store,
    path: str | Path,
    spreadsheet_id: str,
    title: str | None = None,
    parents: list[str] | None = None,
) -> Spreadsheet:
    """Create spreadsheet ``spreadsheet_id`` from every sheet of an .xlsx workbook."""
    sheets = []
    for index, parsed in enumerate(parse_xlsx(path)):
        properties = new_sheet_properties(index, parsed.title, parsed.rows, parsed.cols)
        if parsed.hidden:
            properties["hidden"] = True
        sheets.append(Sheet(properties, parsed.grid.copy()))
    return store.add_spreadsheet(title or Path(path).stem, parents or [], spreadsheet_id, sheets=sheets)


def dump_xlsx(spreadsheet: Spreadsheet) -> bytes:
    """The spreadsheet as an .xlsx workbook (values, formulas and number formats)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in spreadsheet.sheets:
        ws = workbook.create_sheet(sheet.title)
        for r, c, cell in sheet.grid.cells():
            entered = cell.get("userEnteredValue")
            if not entered:
                continue
            ((kind, value),) = entered.items()
            number_format = cell.get("userEnteredFormat", {}).get("numberFormat", {})
            target = ws.cell(row=r + 1, column=c + 1)
            if kind == "numberValue" and number_format.get("type") in ("DATE", "DATE_TIME"):
                value = from_serial(value)
            target.value = value
            if number_format.get("pattern"):
                target.number_format = number_format["pattern"]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
