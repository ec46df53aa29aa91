"""Sheets v4 read/write endpoints: spreadsheets.get/create and the ``values`` family.

Reads omit trailing empty cells and rows and leave out ``values`` for an empty range; ranges come
back normalised; writes outside the grid fail with 400 while ``values.append`` grows the grid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import a1, fieldmask
from .a1 import Box
from .errors import bad_request
from .formulas import Evaluator
from .grid import EMPTY, Cell, Grid
from .messages import ApiRequest
from .state import Sheet, Spreadsheet, Store, check_grid, grid_range, new_sheet_properties
from .values import Evaluate, cell_from_input, cell_number_format, effective_value, format_value, render

# --- reading -----------------------------------------------------------------------------------


def _trim(cells: list[Any]) -> list[Any]:
    while cells and cells[-1] is None:
        cells.pop()
    return ["" if c is None else c for c in cells]


def read_box(
    sheet: Sheet, box: Box, major: str, option: str, date_option: str, evaluator: Evaluator
) -> list[list[Any]]:
    """Rendered values of a box, trailing empties trimmed (per row, or per column for COLUMNS)."""
    row0, col0, row1, col1 = box
    evaluate = evaluator.bound(sheet)
    matrix = [
        [render(cell, option, date_option, evaluate) for cell in cells[col0:col1]]
        for cells in sheet.grid.rows[row0:row1]
    ]
    if major == "COLUMNS":
        width = max((len(row) for row in matrix), default=0)
        matrix = [[row[c] if c < len(row) else None for row in matrix] for c in range(width)]
    lines = [_trim(line) for line in matrix]
    while lines and not lines[-1]:
        lines.pop()
    return lines


@dataclass(frozen=True)
class Render:
    """How a read renders: majorDimension, valueRenderOption, dateTimeRenderOption."""

    major: str = "ROWS"
    option: str = "FORMATTED_VALUE"
    date_option: str = "SERIAL_NUMBER"

    @classmethod
    def of(cls, get: Callable[[str], Any], prefix: str = "") -> Render:
        """Read the options with ``get`` (a query or body lookup); ``prefix="response"`` reads
        responseValueRenderOption & co., the options of includeValuesInResponse."""

        def name(option: str) -> str:
            return prefix + option[0].upper() + option[1:] if prefix else option

        return cls(
            (None if prefix else get("majorDimension")) or cls.major,
            get(name("valueRenderOption")) or cls.option,
            get(name("dateTimeRenderOption")) or cls.date_option,
        )


def value_range(sheet: Sheet, box: Box, how: Render, evaluator: Evaluator) -> dict[str, Any]:
    """A ValueRange answer."""
    result: dict[str, Any] = {"range": a1.format_range(sheet.title, *box), "majorDimension": how.major}
    lines = read_box(sheet, box, how.major, how.option, how.date_option, evaluator)
    if lines:
        result["values"] = lines
    return result


def values_get(store: Store, req: ApiRequest, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    spreadsheet = store.spreadsheet(spreadsheet_id)
    sheet, box = spreadsheet.box(range_text)
    return value_range(sheet, box, Render.of(req.param), Evaluator(spreadsheet))


def values_batch_get(store: Store, req: ApiRequest, spreadsheet_id: str) -> dict[str, Any]:
    spreadsheet = store.spreadsheet(spreadsheet_id)
    how = Render.of(req.param)
    evaluator = Evaluator(spreadsheet)
    ranges = [value_range(*spreadsheet.box(text), how, evaluator) for text in req.params("ranges")]
    return {"spreadsheetId": spreadsheet_id, "valueRanges": ranges}


# --- writing -----------------------------------------------------------------------------------


def _matrix(body: dict[str, Any], field: str) -> list[list[Any]]:
    """``values`` of a ValueRange, oriented as rows; 400 when it is not a list of lists."""
    values = body.get("values", [])
    if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
        shown = values if not isinstance(values, list) else next(r for r in values if not isinstance(r, list))
        raise bad_request(
            f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.ListValue), \"{shown}\""
        )
    if body.get("majorDimension") == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        values = [[col[r] if r < len(col) else None for col in values] for r in range(height)]
    return values


def write_matrix(
    spreadsheet: Spreadsheet, sheet: Sheet, row0: int, col0: int, values: list[list[Any]], user_entered: bool
) -> dict[str, Any]:
    """Write rows of values at a corner (grid already checked); -> UpdateValuesResponse."""
    locale = spreadsheet.properties.get("locale", "en_US")
    written_rows: set[int] = set()
    written_cols: set[int] = set()
    grid = sheet.grid
    for r, row in enumerate(values):
        written = [c for c, value in enumerate(row) if value is not None]
        if not written:
            continue
        written_rows.add(r)
        written_cols.update(written)
        old = grid.rows[row0 + r][col0 : col0 + len(row)] if row0 + r < len(grid.rows) else []
        old += [EMPTY] * (len(row) - len(old))
        grid.set_run(
            row0 + r,
            col0,
            [
                cell if value is None else cell_from_input(value, user_entered, locale, cell)
                for value, cell in zip(row, old, strict=True)
            ],
        )
    width = max((len(row) for row in values), default=0)
    result: dict[str, Any] = {"spreadsheetId": spreadsheet.id}
    if values and width:
        result["updatedRange"] = a1.format_range(sheet.title, row0, col0, row0 + len(values), col0 + width)
        result.update(
            updatedRows=len(written_rows),
            updatedColumns=len(written_cols),
            updatedCells=sum(v is not None for row in values for v in row),
        )
    return result


def _input_option(value: str | None) -> bool:
    """valueInputOption -> "parse like typed input?"; it is required, as in the real API."""
    if value not in ("RAW", "USER_ENTERED"):
        raise bad_request(
            "'valueInputOption' is required but not specified"
            if value is None
            else f"Invalid valueInputOption: {value}"
        )
    return value == "USER_ENTERED"


def _update_one(
    spreadsheet: Spreadsheet, range_text: str, body: dict[str, Any], user_entered: bool, field: str
) -> dict[str, Any]:
    values = _matrix(body, field)  # the body is checked before the range, as the API does
    sheet, parsed = spreadsheet.locate(range_text)
    row0, col0, row1, col1 = parsed.box(sheet.row_count, sheet.col_count)
    height, width = len(values), max((len(row) for row in values), default=0)
    if not parsed.single_cell and not parsed.whole_sheet:
        check_grid(sheet, (row0, col0, row1, col1))
        if parsed.row1 is not None and height > row1 - row0:
            raise bad_request(
                f"Requested writing within range [{range_text}], but tried writing to row [{row0 + height}]"
            )
        if parsed.col1 is not None and width > col1 - col0:
            raise bad_request(
                f"Requested writing within range [{range_text}], "
                f"but tried writing to column [{a1.column_letters(col0 + width - 1)}]"
            )
    check_grid(sheet, (row0, col0, row0 + max(height, 1), col0 + max(width, 1)))
    return write_matrix(spreadsheet, sheet, row0, col0, values, user_entered)


def _with_data(result: dict[str, Any], spreadsheet: Spreadsheet, get: Callable[[str], Any]) -> dict[str, Any]:
    """Add ``updatedData`` when the client asked for includeValuesInResponse."""
    if str(get("includeValuesInResponse")).lower() == "true" and "updatedRange" in result:
        sheet, box = spreadsheet.box(result["updatedRange"])
        result["updatedData"] = value_range(
            sheet, box, Render.of(get, prefix="response"), Evaluator(spreadsheet)
        )
    return result


def values_update(store: Store, req: ApiRequest, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    work = store.spreadsheet(spreadsheet_id).clone()
    body = req.json()
    result = _update_one(work, range_text, body, _input_option(req.param("valueInputOption")), "data.values")
    store.commit(work)
    return _with_data(result, work, req.param)


def values_batch_update(store: Store, req: ApiRequest, spreadsheet_id: str) -> dict[str, Any]:
    work = store.spreadsheet(spreadsheet_id).clone()
    body = req.json()
    user_entered = _input_option(body.get("valueInputOption"))
    responses = [
        _update_one(work, item.get("range", ""), item, user_entered, f"data[{i}].values")
        for i, item in enumerate(body.get("data", []))
    ]
    store.commit(work)
    responses = [_with_data(r, work, body.get) for r in responses]
    written = [r for r in responses if "updatedRange" in r]
    result: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    if written:
        result.update(
            totalUpdatedRows=sum(r["updatedRows"] for r in written),
            totalUpdatedColumns=max(r["updatedColumns"] for r in written),
            totalUpdatedCells=sum(r["updatedCells"] for r in written),
            totalUpdatedSheets=len({r["updatedRange"].rpartition("!")[0] for r in written}),
        )
    result["responses"] = responses
    return result


def _find_table(sheet: Sheet, box: Box) -> Box | None:
    """The "table" values.append appends after, found the way Sheets does it: the last run of
    adjacent values in the last row holding data inside the range, extended upwards while the
    rows above hold values in those columns. (So a blank cell in the last row shifts where the
    next row lands, a well-known Sheets surprise.)"""
    row0, col0, row1, col1 = box
    grid = sheet.grid
    rows_with_data = [
        r
        for r in range(row0, min(row1, len(grid.rows)))
        if any(grid.has_value(r, c) for c in range(col0, col1))
    ]
    if not rows_with_data:
        return None
    bottom = rows_with_data[-1]
    last = max(c for c in range(col0, col1) if grid.has_value(bottom, c))
    first = last
    while first > col0 and grid.has_value(bottom, first - 1):
        first -= 1
    top = bottom
    while top > row0 and any(grid.has_value(top - 1, c) for c in range(first, last + 1)):
        top -= 1
    return top, first, bottom + 1, last + 1


def values_append(store: Store, req: ApiRequest, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    work = store.spreadsheet(spreadsheet_id).clone()
    body = req.json()
    user_entered = _input_option(req.param("valueInputOption"))
    values = _matrix(body, "data.values")
    sheet, parsed = work.locate(range_text)
    row0, col0, row1, col1 = parsed.box(sheet.row_count, sheet.col_count)
    table = _find_table(sheet, (row0, col0, min(row1, sheet.row_count), min(col1, sheet.col_count)))
    at_row, at_col = (table[2], table[1]) if table else (row0, col0)
    height, width = len(values), max((len(row) for row in values), default=0)
    if req.param("insertDataOption") == "INSERT_ROWS":
        sheet.grid.insert("ROWS", at_row, height)
        sheet.properties["gridProperties"]["rowCount"] += height
    sheet.resize(max(sheet.row_count, at_row + height), max(sheet.col_count, at_col + width))
    updates = write_matrix(work, sheet, at_row, at_col, values, user_entered)
    store.commit(work)
    result: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    if table:
        result["tableRange"] = a1.format_range(sheet.title, *table)
    result["updates"] = _with_data(updates, work, req.param)
    return result


def _clear(spreadsheet: Spreadsheet, range_text: str) -> str:
    sheet, box = spreadsheet.box(range_text)
    row0, col0, row1, col1 = box
    grid = sheet.grid
    for r in range(row0, min(row1, len(grid.rows))):
        old = grid.rows[r][col0:col1]
        if any("userEnteredValue" in cell for cell in old):
            cleared = [{k: v for k, v in cell.items() if k != "userEnteredValue"} for cell in old]
            grid.set_run(r, col0, cleared)
    return a1.format_range(sheet.title, *box)


def values_clear(store: Store, req: ApiRequest, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    work = store.spreadsheet(spreadsheet_id).clone()
    cleared = _clear(work, range_text)
    store.commit(work)
    return {"spreadsheetId": spreadsheet_id, "clearedRange": cleared}


def values_batch_clear(store: Store, req: ApiRequest, spreadsheet_id: str) -> dict[str, Any]:
    work = store.spreadsheet(spreadsheet_id).clone()
    cleared = [_clear(work, text) for text in req.json().get("ranges", [])]
    store.commit(work)
    return {"spreadsheetId": spreadsheet_id, "clearedRanges": cleared}


# --- spreadsheets ------------------------------------------------------------------------------


CELL_FIELDS = (
    "userEnteredValue",
    "effectiveValue",
    "formattedValue",
    "userEnteredFormat",
    "effectiveFormat",
    "note",
)
_DERIVED = frozenset(["effectiveValue", "formattedValue", "effectiveFormat"])  # not stored as such
Projection = Callable[[Cell], Cell]


def cell_projection(mask: fieldmask.Mask | None, evaluate: Evaluate) -> Projection:
    """CellData of a stored cell cut to ``mask`` (the mask below ``values``), as a function
    worked out once per sheet of a read: a read calls it for every cell of the grid."""
    fields: list[tuple[str, fieldmask.Mask | None]]
    if mask is None or "*" in mask:
        fields = [(key, None) for key in CELL_FIELDS]
    else:
        fields = [(key, mask[key]) for key in CELL_FIELDS if key in mask]
    if all(key not in _DERIVED and sub is None for key, sub in fields):
        keys = frozenset(key for key, _ in fields)

        def stored(cell: Cell) -> Cell:
            """Cells are immutable: one holding nothing else is its own answer."""
            return cell if cell.keys() <= keys else {k: v for k, v in cell.items() if k in keys}

        return stored

    def computed(cell: Cell) -> Cell:
        data: Cell = {}
        if not cell:
            return data
        effective = effective_value(cell, evaluate)
        value: Any
        for key, sub in fields:
            if key == "effectiveValue":
                value = effective
            elif key == "formattedValue":
                value = None if effective is None else format_value(effective, cell_number_format(cell))
            else:  # formats are not computed: the effective format is the one entered
                value = cell.get("userEnteredFormat" if key == "effectiveFormat" else key)
            if value is not None:
                data[key] = value if sub is None else fieldmask.select(value, sub)
        return data

    return computed


def grid_data(sheet: Sheet, box: Box, mask: fieldmask.Mask | None, project: Projection) -> dict[str, Any]:
    """GridData for a box, cut to the mask: rows trimmed of trailing empty cells, trailing empty
    rows dropped (after masking, as the API does)."""
    row0, col0, row1, col1 = box
    rows: list[dict[str, Any]] = []
    for cells in sheet.grid.rows[row0:row1]:
        values = [project(cell) for cell in cells[col0:col1]]
        while values and not values[-1]:
            values.pop()
        rows.append({"values": values} if values else {})
    while rows and not rows[-1]:
        rows.pop()
    data: dict[str, Any] = {}
    if row0:
        data["startRow"] = row0
    if col0:
        data["startColumn"] = col0
    if rows:
        data["rowData"] = rows
    if mask is None or "*" in mask:
        return data
    return {key: value for key, value in data.items() if key in mask}


def spreadsheet_resource(
    spreadsheet: Spreadsheet, ranges: list[str], include_grid: bool, data_mask: fieldmask.Mask | None = None
) -> dict[str, Any]:
    """The Spreadsheet resource; with ``ranges`` only the sheets they touch, one GridData per range
    (already cut to ``data_mask``, the mask below ``sheets.data``)."""
    cell_mask = fieldmask.subtree(data_mask, "rowData", "values")
    evaluator = Evaluator(spreadsheet)
    boxes: dict[int, list[Box]] = {}
    for text in ranges:
        sheet, box = spreadsheet.box(text)
        boxes.setdefault(sheet.sheet_id, []).append(box)
    sheets = []
    for sheet in spreadsheet.sheets:
        if ranges and sheet.sheet_id not in boxes:
            continue
        entry: dict[str, Any] = {"properties": spreadsheet.sheet_properties(sheet)}
        if include_grid:
            wanted = boxes.get(sheet.sheet_id, [(0, 0, sheet.row_count, sheet.col_count)])
            project = cell_projection(cell_mask, evaluator.bound(sheet))
            entry["data"] = [grid_data(sheet, box, data_mask, project) for box in wanted]
        if sheet.merges:
            entry["merges"] = [grid_range(sheet.sheet_id, box) for box in sheet.merges]
        sheets.append(entry)
    resource: dict[str, Any] = {
        "spreadsheetId": spreadsheet.id,
        "properties": dict(spreadsheet.properties),
        "sheets": sheets,
    }
    if spreadsheet.named_ranges:
        resource["namedRanges"] = [named.resource() for named in spreadsheet.named_ranges]
    if spreadsheet.developer_metadata:
        resource["developerMetadata"] = copy.deepcopy(spreadsheet.developer_metadata)
    resource["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{spreadsheet.id}/edit"
    return resource


def spreadsheets_get(store: Store, req: ApiRequest, spreadsheet_id: str) -> dict[str, Any]:
    spreadsheet = store.spreadsheet(spreadsheet_id)
    try:
        mask = fieldmask.parse(req.param("fields"))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    # With a field mask the API ignores includeGridData and returns whatever the mask names.
    include = req.flag("includeGridData") if mask is None else fieldmask.selects(mask, "sheets", "data")
    data_mask = fieldmask.subtree(mask, "sheets", "data")
    resource = spreadsheet_resource(spreadsheet, req.params("ranges"), include, data_mask)
    return fieldmask.select(resource, fieldmask.settled(mask, "sheets", "data"))


def spreadsheets_create(store: Store, req: ApiRequest) -> dict[str, Any]:
    """POST /v4/spreadsheets: a new spreadsheet in the caller's own Drive (needs storage)."""
    body = req.json()
    store.require_storage([])
    props = dict(body.get("properties", {}))
    title = props.pop("title", "Untitled spreadsheet")
    sheets = []
    for i, given in enumerate(body.get("sheets", [])):
        given = dict(given.get("properties", {}))
        given.pop("index", None)
        grid_props = given.pop("gridProperties", {})
        base = new_sheet_properties(
            given.pop("sheetId", i),
            given.pop("title", f"Sheet{i + 1}"),
            grid_props.pop("rowCount", 1000),
            grid_props.pop("columnCount", 26),
        )
        base["gridProperties"].update(grid_props)
        sheets.append(Sheet({**base, **given}, Grid()))
    spreadsheet = store.add_spreadsheet(title, [], sheets=sheets, **props)
    return spreadsheet_resource(spreadsheet, [], False)
