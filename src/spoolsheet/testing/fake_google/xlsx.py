"""Move spreadsheets between .xlsx files and the fake (``--load`` and the xlsx export).

Dates become serial numbers with their date pattern as numberFormat, formulas stay formulas,
the grid is the sheet's used size, as when a workbook is uploaded and converted by Google.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl

from .grid import Grid
from .state import Sheet, Spreadsheet, Store, new_sheet_properties
from .values import from_serial, number, to_serial


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


def _cell(value: Any, number_format: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (dt.date, dt.time)):
        if isinstance(value, dt.time):
            serial = (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        else:
            serial = to_serial(value)
        cell: dict[str, Any] = {"userEnteredValue": number(serial)}
        pattern = number_format if number_format != "General" else "yyyy-mm-dd"
        cell["userEnteredFormat"] = _number_format(pattern, is_date=True)
        return cell
    if isinstance(value, (int, float)):
        cell = {"userEnteredValue": number(value)}
        fmt = _number_format(number_format, is_date=False)
        if fmt:
            cell["userEnteredFormat"] = fmt
        return cell
    text = str(value)
    kind = "formulaValue" if text.startswith("=") else "stringValue"
    return {"userEnteredValue": {kind: text}}


def load_xlsx(
    store: Store,
    path: str | Path,
    spreadsheet_id: str,
    title: str | None = None,
    parents: list[str] | None = None,
) -> Spreadsheet:
    """Create spreadsheet ``spreadsheet_id`` from every sheet of an .xlsx workbook."""
    workbook = openpyxl.load_workbook(path)
    try:
        sheets = []
        for index, ws in enumerate(workbook.worksheets):
            grid = Grid()
            for row in ws.iter_rows():
                for cell in row:
                    data = _cell(cell.value, cell.number_format)
                    if data:
                        grid.set(cell.row - 1, cell.column - 1, data)
            properties = new_sheet_properties(index, ws.title, max(ws.max_row, 1), max(ws.max_column, 1))
            if ws.sheet_state != "visible":
                properties["hidden"] = True
            sheets.append(Sheet(properties, grid))
    finally:
        workbook.close()
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
