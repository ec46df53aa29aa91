"""``spreadsheets.batchUpdate``: all requests apply, in order, or none do.

Each request kind is one small function over a working copy of the spreadsheet; the copy is
committed only after the last request succeeded. A request the real API knows but the fake does
not implement answers 501 UNIMPLEMENTED, naming it, instead of pretending.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import struct
from collections.abc import Callable
from typing import Any

from ...formula_refs import ColumnMove, RowMove, move_cells, rename_sheet
from . import fieldmask
from .a1 import Box
from .errors import ApiError
from .grid import EMPTY, Cell
from .messages import ApiRequest
from .sheets import spreadsheet_resource
from .state import NamedRange, Sheet, Spreadsheet, Store, check_grid, new_sheet_properties, shift_box
from .values import number

Handler = Callable[[Store, Spreadsheet, dict[str, Any]], dict[str, Any] | None]

# Real request kinds the fake does not implement (answered 501); anything else unknown is a 400.
UNIMPLEMENTED = frozenset(
    [
        "addBanding",
        "addChart",
        "addConditionalFormatRule",
        "addDataSource",
        "addDimensionGroup",
        "addFilterView",
        "addProtectedRange",
        "addSlicer",
        "addTable",
        "autoFill",
        "autoResizeDimensions",
        "clearBasicFilter",
        "copyPaste",
        "cutPaste",
        "deleteBanding",
        "deleteConditionalFormatRule",
        "deleteDataSource",
        "deleteDimensionGroup",
        "deleteDuplicates",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "deleteProtectedRange",
        "deleteRange",
        "deleteTable",
        "duplicateFilterView",
        "findReplace",
        "insertRange",
        "moveDimension",
        "pasteData",
        "randomizeRange",
        "refreshDataSource",
        "setBasicFilter",
        "setDataValidation",
        "sortRange",
        "textToColumns",
        "trimWhitespace",
        "updateBanding",
        "updateBorders",
        "updateChartSpec",
        "updateConditionalFormatRule",
        "updateDataSource",
        "updateDimensionGroup",
        "updateDimensionProperties",
        "updateEmbeddedObjectBorder",
        "updateEmbeddedObjectPosition",
        "updateFilterView",
        "updateNamedRange",
        "updateProtectedRange",
        "updateSlicerSpec",
        "updateTable",
    ]
)


_RANGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[Rr][0-9]*[Cc][0-9]*$")


class RequestError(Exception):
    """A request is invalid; the dispatcher prefixes ``Invalid requests[i].kind:``."""


def batch_update(store: Store, req: ApiRequest, spreadsheet_id: str) -> dict[str, Any]:
    body = req.json()
    work = store.spreadsheet(spreadsheet_id).clone()
    replies = []
    for index, request in enumerate(body.get("requests", [])):
        if not isinstance(request, dict) or len(request) != 1:
            raise ApiError(400, f"Invalid requests[{index}]: exactly one kind of request is expected.")
        ((kind, params),) = request.items()
        handler = HANDLERS.get(kind)
        if handler is None:
            if kind in UNIMPLEMENTED:
                raise ApiError(501, f"fake-google does not implement batchUpdate request {kind!r}.")
            raise ApiError(
                400,
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]': "
                "Cannot find field.",
            )
        try:
            reply = handler(store, work, params)
        except RequestError as exc:
            raise ApiError(400, f"Invalid requests[{index}].{kind}: {exc}") from None
        replies.append({kind: reply} if reply else {})
    store.commit(work)
    result: dict[str, Any] = {"spreadsheetId": spreadsheet_id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        result["updatedSpreadsheet"] = spreadsheet_resource(
            work, [], bool(body.get("responseIncludeGridData"))
        )
    return result


# --- helpers -----------------------------------------------------------------------------------


def _sheet(spreadsheet: Spreadsheet, sheet_id: int | None) -> Sheet:
    sheet = spreadsheet.sheet_by_id(sheet_id or 0)
    if sheet is None:
        raise RequestError(f"No grid with id: {sheet_id or 0}")
    return sheet


def _box(spreadsheet: Spreadsheet, grid_range: dict[str, Any]) -> tuple[Sheet, Box]:
    """A GridRange -> (sheet, box); missing bounds mean the grid edge."""
    sheet = _sheet(spreadsheet, grid_range.get("sheetId"))
    box = (
        grid_range.get("startRowIndex", 0),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endRowIndex", sheet.row_count),
        grid_range.get("endColumnIndex", sheet.col_count),
    )
    _check_grid(sheet, box)
    return sheet, box


def _check_grid(sheet: Sheet, box: Box) -> None:
    try:
        check_grid(sheet, box)
    except ApiError as exc:
        raise RequestError(exc.message) from None


def _unique_title(spreadsheet: Spreadsheet, title: str, ignore: Sheet | None = None) -> None:
    other = spreadsheet.sheet_by_title(title)
    if other is not None and other is not ignore:
        raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')


def _color(value: Any) -> Any:
    """Colours come back as the API stores them: 8 bits a channel, as float32, zeros left out."""
    if isinstance(value, dict):
        return {k: _color(v) for k, v in value.items() if v not in (0, None)}
    if isinstance(value, (int, float)):
        channel = math.floor(value * 255 + 1e-6) / 255
        return float(f"{struct.unpack('f', struct.pack('f', channel))[0]:.8g}")
    return value


def _sheet_properties_given(given: dict[str, Any]) -> dict[str, Any]:
    """Request SheetProperties minus what the caller may not set, tab colours normalised."""
    given = {k: v for k, v in given.items() if k not in ("sheetId", "index")}
    for key in ("tabColor", "tabColorStyle"):
        if key in given:
            given[key] = _color(given[key])
    return given


#: The colour fields of a CellFormat (also inside textFormat and borders) and the ``*Style``
#: twin Google stores and answers beside each, whichever of the two was written.
COLOR_TWINS = {"backgroundColor": "backgroundColorStyle", "foregroundColor": "foregroundColorStyle",
               "color": "colorStyle"}
_TWIN_OF = {**COLOR_TWINS, **{style: color for color, style in COLOR_TWINS.items()}}


def _format_with_twins(fmt: dict[str, Any]) -> dict[str, Any]:
    """A CellFormat as Google keeps it: each RGB colour beside its ColorStyle twin, 8 bits a
    channel. The style wins when both are given, as the API reference says."""
    out = {key: _format_with_twins(value) if isinstance(value, dict) and key not in _TWIN_OF else value
           for key, value in fmt.items()}
    for color, style in COLOR_TWINS.items():
        if isinstance(out.get(style), dict) and "rgbColor" in out[style]:
            out[color] = _color(out[style]["rgbColor"])
            out[style] = {**out[style], "rgbColor": out[color]}
        elif isinstance(out.get(color), dict):
            out[color] = _color(out[color])
            out[style] = {"rgbColor": out[color]}
    return out


def _mask_with_twins(mask: fieldmask.Mask) -> fieldmask.Mask:
    """An update mask that names a colour names its twin too (both are one thing to Google)."""
    out: fieldmask.Mask = {}
    for key, sub in mask.items():
        out[key] = _mask_with_twins(sub) if sub is not None else None
        if key in _TWIN_OF and _TWIN_OF[key] not in mask:
            out[_TWIN_OF[key]] = None
    return out


def _normalise_cell(cell: dict[str, Any]) -> Cell:
    """Store typed values as the API does: integral numbers as ints, empty strings, notes and
    nulls as none. A new dict; the request's nested values are kept as they are (cells are
    immutable)."""
    cell = {key: value for key, value in cell.items() if value is not None}
    if cell.get("note") == "":
        del cell["note"]
    if isinstance(cell.get("userEnteredFormat"), dict):
        cell["userEnteredFormat"] = _format_with_twins(cell["userEnteredFormat"])
    entered = cell.get("userEnteredValue")
    if entered is not None:
        if "numberValue" in entered:
            entered = cell["userEnteredValue"] = {**entered, **number(entered["numberValue"])}
        if entered.get("stringValue") == "" or not entered:
            del cell["userEnteredValue"]
    return cell


def _cell_rows(rows: list[dict[str, Any]]) -> list[list[Cell]]:
    """RowData -> rows of normalised cells."""
    return [[_normalise_cell(cell) for cell in row.get("values", [])] for row in rows]


def _cell_update(mask: fieldmask.Mask) -> Callable[[Cell, Cell], Cell]:
    """(old cell, given cell) -> new cell under an update mask, worked out once per request:
    big updateCells go through it for every cell. Given cells are fresh, so they are stored
    as they are."""
    if "*" in mask:
        return lambda old, given: given
    if any(sub is not None for sub in mask.values()):
        return lambda old, given: fieldmask.update(old, given, mask)
    keys = frozenset(mask)

    def flat(old: Cell, given: Cell) -> Cell:
        if old.keys() <= keys:  # nothing of the old cell survives
            return given if given.keys() <= keys else {k: v for k, v in given.items() if k in keys}
        new = {k: v for k, v in old.items() if k not in keys}
        new.update((k, given[k]) for k in keys & given.keys())
        return new

    return flat


def _write_cells(
    sheet: Sheet, row0: int, col0: int, rows: list[list[Cell]], mask: fieldmask.Mask, box: Box | None = None
) -> None:
    """Masked update of cells at a corner; inside ``box`` (whose corner it is) the cells the
    rows do not cover are cleared per mask."""
    update = _cell_update(_mask_with_twins(mask))
    grid = sheet.grid
    for r in range(row0, box[2] if box else row0 + len(rows)):
        given = rows[r - row0] if r - row0 < len(rows) else []
        width = box[3] - col0 if box else len(given)
        old = grid.rows[r][col0 : col0 + width] if r < len(grid.rows) else []
        old += [EMPTY] * (width - len(old))
        grid.set_run(
            r, col0, [update(cell, given[c] if c < len(given) else EMPTY) for c, cell in enumerate(old)]
        )


def _mask(params: dict[str, Any]) -> fieldmask.Mask:
    """The request's update mask; it is required, as in the real API."""
    try:
        mask = fieldmask.parse(params.get("fields"))
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    if mask is None:
        raise RequestError("At least one field must be updated, but 'fields' is empty.")
    return mask


def _move(spreadsheet: Spreadsheet, sheet: Sheet, index: int) -> None:
    spreadsheet.sheets.remove(sheet)
    spreadsheet.sheets.insert(min(max(index, 0), len(spreadsheet.sheets)), sheet)


def _shift_ranges(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, inserted: bool
) -> None:
    """Merges and named ranges follow their cells when rows or columns come or go."""
    moved = (shift_box(box, dimension, start, end, inserted) for box in sheet.merges)
    sheet.merges = [box for box in moved if box is not None]
    named_ranges = []
    for named in spreadsheet.named_ranges:
        box = (
            shift_box(named.box, dimension, start, end, inserted)
            if named.sheet_id == sheet.sheet_id
            else named.box
        )
        if box is not None:
            named_ranges.append(dataclasses.replace(named, box=box))
    spreadsheet.named_ranges = named_ranges


def _follow_formulas(spreadsheet: Spreadsheet, rewrite: Callable[[str, str], str]) -> None:
    """Every formula of every sheet through ``rewrite(text, its sheet's title)``: Sheets keeps
    references pointing at the same cells when columns move or a sheet is renamed."""
    for sheet in spreadsheet.sheets:
        for r, c, cell in list(sheet.grid.cells()):
            text = cell.get("userEnteredValue", {}).get("formulaValue")
            if text is not None and (new := rewrite(text, sheet.title)) != text:
                sheet.grid.set(r, c, {**cell, "userEnteredValue": {"formulaValue": new}})


def _moved_cells(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int,
                   inserted: bool) -> None:
    kind = ColumnMove if dimension == "COLUMNS" else RowMove
    move = kind(sheet.title, start + 1, end - start, delete=not inserted)
    _follow_formulas(spreadsheet, lambda text, here: move_cells(text, here, move))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(inner: Box, outer: Box) -> bool:
    return outer[0] <= inner[0] and inner[2] <= outer[2] and outer[1] <= inner[1] and inner[3] <= outer[3]


def _merges_outside(sheet: Sheet, box: Box) -> list[Box]:
    """The sheet's merges not inside ``box``; a merge only partly inside is an error, as in Sheets."""
    if any(_overlaps(m, box) and not _inside(m, box) for m in sheet.merges):
        raise RequestError("You must select all cells in a merged range to merge or unmerge them.")
    return [m for m in sheet.merges if not _inside(m, box)]


def _size(sheet: Sheet, dimension: str) -> int:
    return sheet.row_count if dimension == "ROWS" else sheet.col_count


def _grow(sheet: Sheet, dimension: str, by: int) -> None:
    key = "rowCount" if dimension == "ROWS" else "columnCount"
    sheet.properties["gridProperties"][key] += by


# --- request kinds -----------------------------------------------------------------------------


def add_sheet(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> dict[str, Any]:
    given = copy.deepcopy(params.get("properties", {}))
    sheet_id = given.pop("sheetId", None)
    if sheet_id is None:
        sheet_id = store.new_sheet_id(spreadsheet)
    elif spreadsheet.sheet_by_id(sheet_id) is not None:
        raise RequestError(f"A sheet with the id {sheet_id} already exists.")
    title = given.pop("title", None) or next(
        f"Sheet{n}"
        for n in range(len(spreadsheet.sheets) + 1, 10**6)
        if not spreadsheet.sheet_by_title(f"Sheet{n}")
    )
    _unique_title(spreadsheet, title)
    grid_props = given.pop("gridProperties", {})
    properties = new_sheet_properties(
        sheet_id, title, grid_props.pop("rowCount", 1000), grid_props.pop("columnCount", 26)
    )
    properties["gridProperties"].update(grid_props)
    index = given.pop("index", len(spreadsheet.sheets))
    properties.update(_sheet_properties_given(given))
    sheet = Sheet(properties)
    spreadsheet.sheets.insert(min(index, len(spreadsheet.sheets)), sheet)
    return {"properties": spreadsheet.sheet_properties(sheet)}


def delete_sheet(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet = _sheet(spreadsheet, params.get("sheetId"))
    if len(spreadsheet.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.named_ranges = [n for n in spreadsheet.named_ranges if n.sheet_id != sheet.sheet_id]


def duplicate_sheet(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> dict[str, Any]:
    source = _sheet(spreadsheet, params.get("sourceSheetId"))
    copy_ = source.clone()
    sheet_id = params.get("newSheetId")
    if sheet_id is None:
        sheet_id = store.new_sheet_id(spreadsheet)
    elif spreadsheet.sheet_by_id(sheet_id) is not None:
        raise RequestError(f"A sheet with the id {sheet_id} already exists.")
    title = params.get("newSheetName") or f"Copy of {source.title}"
    _unique_title(spreadsheet, title)
    copy_.properties.update(sheetId=sheet_id, title=title)
    spreadsheet.sheets.insert(params.get("insertSheetIndex", len(spreadsheet.sheets)), copy_)
    return {"properties": spreadsheet.sheet_properties(copy_)}


def update_sheet_properties(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    given = params.get("properties", {})
    sheet = _sheet(spreadsheet, given.get("sheetId"))
    mask = _mask(params)
    move = "index" in given if "*" in mask else "index" in mask
    if "*" not in mask:
        mask = {k: v for k, v in mask.items() if k not in ("sheetId", "index")}
    rows, cols = sheet.row_count, sheet.col_count
    source = _sheet_properties_given(given)
    merged = fieldmask.update({k: v for k, v in sheet.properties.items() if k != "sheetId"}, source, mask)
    grid_props = merged.setdefault("gridProperties", {})
    grid_props.setdefault("rowCount", rows)
    grid_props.setdefault("columnCount", cols)
    if grid_props["rowCount"] < 1 or grid_props["columnCount"] < 1:
        raise RequestError("A sheet must have at least one row and one column.")
    if merged.get("hidden") and all(s.properties.get("hidden") or s is sheet for s in spreadsheet.sheets):
        raise RequestError("You can't hide all the sheets in a document.")
    _unique_title(spreadsheet, merged.get("title", ""), ignore=sheet)
    old_title = sheet.title
    sheet.properties = {"sheetId": sheet.sheet_id, **merged}
    if sheet.title != old_title:
        _follow_formulas(spreadsheet, lambda text, here: rename_sheet(text, here, old_title, sheet.title))
    sheet.grid.truncate(grid_props["rowCount"], grid_props["columnCount"])
    if move:
        _move(spreadsheet, sheet, given.get("index", 0))


def update_spreadsheet_properties(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    spreadsheet.properties = fieldmask.update(
        spreadsheet.properties, params.get("properties", {}), _mask(params)
    )


def append_dimension(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet = _sheet(spreadsheet, params.get("sheetId"))
    if params.get("length", 0) < 1:
        raise RequestError("length must be at least 1")
    _grow(sheet, params.get("dimension", "ROWS"), params["length"])


def _dimension_range(spreadsheet: Spreadsheet, params: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    grid_range = params.get("range", {})
    sheet = _sheet(spreadsheet, grid_range.get("sheetId"))
    dimension = grid_range.get("dimension", "ROWS")
    start, end = grid_range.get("startIndex", 0), grid_range.get("endIndex", _size(sheet, dimension))
    if not 0 <= start < end:
        raise RequestError(f"Invalid dimension range: startIndex {start}, endIndex {end}")
    return sheet, dimension, start, end


def insert_dimension(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet, dimension, start, end = _dimension_range(spreadsheet, params)
    if start > _size(sheet, dimension):
        raise RequestError(f"startIndex {start} is after the last {dimension.lower()[:-1]} of the grid.")
    sheet.grid.insert(dimension, start, end - start)
    _grow(sheet, dimension, end - start)
    _shift_ranges(spreadsheet, sheet, dimension, start, end, inserted=True)
    _moved_cells(spreadsheet, sheet, dimension, start, end, inserted=True)


def delete_dimension(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet, dimension, start, end = _dimension_range(spreadsheet, params)
    size = _size(sheet, dimension)
    if end > size:
        raise RequestError(f"endIndex {end} is after the last {dimension.lower()[:-1]} of the grid ({size}).")
    if end - start >= size:
        raise RequestError(f"You can't delete all the {dimension.lower()} on the sheet.")
    sheet.grid.delete(dimension, start, end)
    _grow(sheet, dimension, start - end)
    _shift_ranges(spreadsheet, sheet, dimension, start, end, inserted=False)
    _moved_cells(spreadsheet, sheet, dimension, start, end, inserted=False)


def update_cells(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    rows = params.get("rows", [])
    mask = _mask(params)
    if "range" in params:
        sheet, box = _box(spreadsheet, params["range"])
        row0, col0 = box[0], box[1]
        if len(rows) > box[2] - row0 or any(len(r.get("values", [])) > box[3] - col0 for r in rows):
            raise RequestError("The rows do not fit in the range.")
    else:
        start = params.get("start", {})
        sheet = _sheet(spreadsheet, start.get("sheetId"))
        row0, col0, box = start.get("rowIndex", 0), start.get("columnIndex", 0), None
        width = max((len(r.get("values", [])) for r in rows), default=0)
        _check_grid(sheet, (row0, col0, row0 + max(len(rows), 1), col0 + max(width, 1)))
    _write_cells(sheet, row0, col0, _cell_rows(rows), mask, box)


def append_cells(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet = _sheet(spreadsheet, params.get("sheetId"))
    rows = params.get("rows", [])
    row0 = sheet.grid.last_value_row() + 1
    width = max((len(r.get("values", [])) for r in rows), default=0)
    sheet.resize(max(sheet.row_count, row0 + len(rows)), max(sheet.col_count, width))
    _write_cells(sheet, row0, 0, _cell_rows(rows), _mask(params))


def repeat_cell(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet, box = _box(spreadsheet, params.get("range", {}))
    row0, col0, row1, col1 = box
    cell = _normalise_cell(params.get("cell", {}))
    _write_cells(sheet, row0, col0, [[cell] * (col1 - col0)] * (row1 - row0), _mask(params))


def merge_cells(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    """Merge a range (whole, by rows or by columns); every piece keeps only its top-left value."""
    sheet, box = _box(spreadsheet, params.get("range", {}))
    row0, col0, row1, col1 = box
    pieces = {
        "MERGE_ALL": [box],
        "MERGE_COLUMNS": [(row0, c, row1, c + 1) for c in range(col0, col1)],
        "MERGE_ROWS": [(r, col0, r + 1, col1) for r in range(row0, row1)],
    }.get(params.get("mergeType", "MERGE_ALL"))
    if pieces is None:
        raise RequestError(f"Unknown mergeType {params.get('mergeType')!r}.")
    pieces = [p for p in pieces if (p[2] - p[0]) * (p[3] - p[1]) > 1]
    sheet.merges = _merges_outside(sheet, box) + pieces
    for top, left, bottom, right in pieces:
        for r in range(top, bottom):
            for c in range(left, right):
                cell = sheet.grid.get(r, c)
                if (r, c) != (top, left) and "userEnteredValue" in cell:
                    sheet.grid.set(r, c, {k: v for k, v in cell.items() if k != "userEnteredValue"})


def unmerge_cells(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    sheet, box = _box(spreadsheet, params.get("range", {}))
    sheet.merges = _merges_outside(sheet, box)


def add_named_range(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> dict[str, Any]:
    given = params.get("namedRange", {})
    name = given.get("name", "")
    if not _RANGE_NAME.match(name) or _CELL_LIKE.match(name):
        raise RequestError(f"Invalid name: {name!r}.")
    if any(n.name == name for n in spreadsheet.named_ranges):
        raise RequestError(f"A named range with the name {name} already exists.")
    sheet, box = _box(spreadsheet, given.get("range", {}))
    named = NamedRange(given.get("namedRangeId") or store.new_named_range_id(), name, sheet.sheet_id, box)
    spreadsheet.named_ranges.append(named)
    return {"namedRange": named.resource()}


def delete_named_range(store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]) -> None:
    kept = [n for n in spreadsheet.named_ranges if n.id != params.get("namedRangeId")]
    if len(kept) == len(spreadsheet.named_ranges):
        raise RequestError(f"No named range with id {params.get('namedRangeId')}.")
    spreadsheet.named_ranges = kept


# --- developer metadata (located on the spreadsheet; rows, columns and sheets are not modelled) ---

_VISIBILITIES = ("DOCUMENT", "PROJECT")


def _metadata_matches(filters: list[Any]) -> Callable[[dict[str, Any]], bool]:
    """A DataFilter list's developerMetadataLookup (by id, key, value) as a predicate."""
    lookups = []
    for f in filters:
        lookup = f.get("developerMetadataLookup") if isinstance(f, dict) else None
        if not isinstance(lookup, dict) or len(f) != 1:
            raise ApiError(501, "fake-google matches developer metadata by developerMetadataLookup only.")
        lookups.append(lookup)
    if not lookups:
        raise RequestError("At least one data filter is required.")
    fields = {"metadataId": "metadataId", "metadataKey": "metadataKey", "metadataValue": "metadataValue"}

    def matches(entry: dict[str, Any]) -> bool:
        return any(all(entry.get(fields[k]) == v for k, v in lookup.items() if k in fields)
                   for lookup in lookups)

    return matches


def create_developer_metadata(
    store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]
) -> dict[str, Any]:
    given = params.get("developerMetadata") or {}
    if not given.get("metadataKey"):
        raise RequestError("Developer metadata must always have a key specified.")
    if given.get("visibility") not in _VISIBILITIES:
        raise RequestError("Developer metadata must always have a visibility specified.")
    if (given.get("location") or {}).get("spreadsheet") is not True:
        raise ApiError(501, "fake-google keeps developer metadata located on the spreadsheet only.")
    metadata_id = given.get("metadataId") or store.new_metadata_id(spreadsheet)
    if not isinstance(metadata_id, int) or metadata_id <= 0:
        raise RequestError(f"Invalid metadataId: {metadata_id}. It must be positive.")
    if any(m["metadataId"] == metadata_id for m in spreadsheet.developer_metadata):
        raise RequestError(f"Developer metadata with id {metadata_id} already exists.")
    entry = {"metadataId": metadata_id, "metadataKey": given["metadataKey"],
             "location": {"locationType": "SPREADSHEET", "spreadsheet": True},
             "visibility": given["visibility"]}
    if "metadataValue" in given:
        entry["metadataValue"] = str(given["metadataValue"])
    spreadsheet.developer_metadata.append(entry)
    return {"developerMetadata": copy.deepcopy(entry)}


def update_developer_metadata(
    store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]
) -> dict[str, Any]:
    mask = _mask(params)
    if set(mask) - {"metadataKey", "metadataValue", "visibility"}:
        raise ApiError(501, "fake-google updates metadataKey, metadataValue and visibility only.")
    matches = _metadata_matches(params.get("dataFilters") or [])
    given = params.get("developerMetadata") or {}
    updated = []
    for i, entry in enumerate(spreadsheet.developer_metadata):
        if matches(entry):
            spreadsheet.developer_metadata[i] = entry = fieldmask.update(entry, given, mask)
            updated.append(copy.deepcopy(entry))
    return {"developerMetadata": updated}


def delete_developer_metadata(
    store: Store, spreadsheet: Spreadsheet, params: dict[str, Any]
) -> dict[str, Any]:
    matches = _metadata_matches([params.get("dataFilter") or {}])
    gone = [m for m in spreadsheet.developer_metadata if matches(m)]
    spreadsheet.developer_metadata = [m for m in spreadsheet.developer_metadata if not matches(m)]
    return {"deletedDeveloperMetadata": gone}


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "updateCells": update_cells,
    "appendCells": append_cells,
    "repeatCell": repeat_cell,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
    "createDeveloperMetadata": create_developer_metadata,
    "updateDeveloperMetadata": update_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
}
