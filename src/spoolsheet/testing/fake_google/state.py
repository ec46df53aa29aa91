"""What the fake remembers: Drive files and folders, and the spreadsheets behind some of them.

Every spreadsheet is also a Drive file (same id); the spreadsheet title and the file name are
kept equal by ``Store.commit`` and ``Store.rename``. Writes never edit a stored spreadsheet in
place: they edit ``spreadsheet.clone()`` and ``commit`` it, so a failing request changes nothing.
A clone is cheap whatever the size: grids are copy-on-write (grid.py), so a write copies only
the rows it changes.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import random
import string
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import a1
from .a1 import Box
from .errors import ApiError, bad_request, not_found
from .grid import Grid

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
SERVICE_ACCOUNT = "fake-service-account@fake-google.iam.gserviceaccount.com"

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
MAX_CELLS = 10_000_000  # per spreadsheet, all sheets together


def now() -> str:
    """Drive's timestamp format: RFC 3339 in UTC with milliseconds."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def grid_range(sheet_id: int, box: Box) -> dict[str, Any]:
    """A GridRange as the API prints it (sheetId 0 left out, as proto3 does)."""
    row0, col0, row1, col1 = box
    bounds = {"startRowIndex": row0, "endRowIndex": row1, "startColumnIndex": col0, "endColumnIndex": col1}
    return {"sheetId": sheet_id, **bounds} if sheet_id else bounds


def shift_box(box: Box, dimension: str, start: int, end: int, inserted: bool) -> Box | None:
    """Where a box goes when rows/columns [start, end) are inserted or deleted; None if it vanishes.
    A box grows when rows are inserted strictly inside it, as merges and named ranges do."""
    row0, col0, row1, col1 = box
    low, high = (row0, row1) if dimension == "ROWS" else (col0, col1)
    count = end - start
    if inserted:
        low, high = low + count * (low >= start), high + count * (high > start)
    else:
        low, high = (i if i < start else max(start, i - count) for i in (low, high))
    if low >= high:
        return None
    return (low, col0, high, col1) if dimension == "ROWS" else (row0, low, row1, high)


@dataclass
class Sheet:
    """One tab. ``properties`` is the API's SheetProperties minus ``index`` (the list order is the index)."""

    properties: dict[str, Any]
    grid: Grid = field(default_factory=Grid)
    merges: list[Box] = field(default_factory=list)

    @property
    def sheet_id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def row_count(self) -> int:
        return self.properties["gridProperties"]["rowCount"]

    @property
    def col_count(self) -> int:
        return self.properties["gridProperties"]["columnCount"]

    def resize(self, rows: int, cols: int) -> None:
        grid_props = self.properties["gridProperties"]
        grid_props["rowCount"], grid_props["columnCount"] = rows, cols
        self.grid.truncate(rows, cols)

    def clone(self) -> Sheet:
        return Sheet(copy.deepcopy(self.properties), self.grid.copy(), list(self.merges))


def new_sheet_properties(
    sheet_id: int, title: str, rows: int = DEFAULT_ROWS, cols: int = DEFAULT_COLUMNS
) -> dict[str, Any]:
    return {
        "sheetId": sheet_id,
        "title": title,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": rows, "columnCount": cols},
    }


@dataclass(frozen=True)
class NamedRange:
    id: str
    name: str
    sheet_id: int
    box: Box

    def resource(self) -> dict[str, Any]:
        return {"namedRangeId": self.id, "name": self.name, "range": grid_range(self.sheet_id, self.box)}


@dataclass
class Spreadsheet:
    id: str
    properties: dict[str, Any]  # title, locale, autoRecalc, timeZone
    sheets: list[Sheet]
    named_ranges: list[NamedRange] = field(default_factory=list)
    #: DeveloperMetadata located on the spreadsheet itself, as the API answers them.
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.properties["title"]

    def clone(self) -> Spreadsheet:
        return Spreadsheet(
            self.id,
            copy.deepcopy(self.properties),
            [s.clone() for s in self.sheets],
            list(self.named_ranges),
            copy.deepcopy(self.developer_metadata),
        )

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def sheet_properties(self, sheet: Sheet) -> dict[str, Any]:
        """SheetProperties as the API prints them (with ``index``, without false/zero defaults)."""
        props: dict[str, Any] = {"sheetId": sheet.sheet_id, "title": sheet.title,
                                 "index": self.sheets.index(sheet)}
        for key, value in sheet.properties.items():
            if key not in props and value not in (False, None, {}):
                props[key] = (
                    {k: v for k, v in value.items() if v not in (0, False)}
                    if key == "gridProperties"
                    else value
                )
        props["gridProperties"].update(rowCount=sheet.row_count, columnCount=sheet.col_count)
        return props

    def locate(self, text: str) -> tuple[Sheet, a1.A1]:
        """A client's range -> (sheet, parsed range); 400 "Unable to parse range" otherwise."""
        parsed: a1.A1 | None
        try:
            parsed = a1.parse(text, [s.title for s in self.sheets])
            sheet = self.sheets[0] if parsed.sheet is None else self.sheet_by_title(parsed.sheet)
        except ValueError:
            named = self._named_range(text)
            sheet = None if named is None else self.sheet_by_id(named.sheet_id)
            parsed = None if named is None else a1.A1(None, *named.box)
        if sheet is None or parsed is None:
            raise bad_request(f"Unable to parse range: {text}")
        return sheet, parsed

    def _named_range(self, text: str) -> NamedRange | None:
        """``NamedRange`` or ``'Sheet1'!NamedRange``: the API resolves names, ignoring the sheet."""
        try:
            name = a1.split_sheet(text.strip())[1]
        except ValueError:
            return None
        return next((n for n in self.named_ranges if n.name == name), None)

    def box(self, text: str) -> tuple[Sheet, Box]:
        """A client's range bounded by its sheet's grid; 400 when it reaches outside the grid."""
        sheet, parsed = self.locate(text)
        box = parsed.box(sheet.row_count, sheet.col_count)
        check_grid(sheet, box)
        return sheet, box


def check_grid(sheet: Sheet, box: Box) -> None:
    row0, col0, row1, col1 = box
    if row1 > sheet.row_count or col1 > sheet.col_count or row0 >= row1 or col0 >= col1:
        shown = a1.format_range(sheet.title, row0, col0, max(row1, row0 + 1), max(col1, col0 + 1))
        raise bad_request(
            f"Range ({shown}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    created: str
    modified: str
    order: int  # creation order, the tie-breaker when timestamps are equal
    properties: dict[str, str] = field(default_factory=dict)
    app_properties: dict[str, str] = field(default_factory=dict)
    trashed: bool = False
    shared: bool = False  # a folder a person owns / a shared drive: gives storage to the service account
    description: str | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)

    def resource(self) -> dict[str, Any]:
        """The full Drive v3 File resource (``fields=*``)."""
        res: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "trashed": self.trashed,
            "createdTime": self.created,
            "modifiedTime": self.modified,
            "shared": self.shared,
            "ownedByMe": True,
            "webViewLink": self.web_view_link(),
        }
        if self.description is not None:
            res["description"] = self.description
        if self.properties:
            res["properties"] = dict(self.properties)
        if self.app_properties:
            res["appProperties"] = dict(self.app_properties)
        return res

    def web_view_link(self) -> str:
        if self.mime_type == SPREADSHEET_MIME:
            return f"https://docs.google.com/spreadsheets/d/{self.id}/edit"
        return f"https://drive.google.com/drive/folders/{self.id}"


class Store:
    """Files, spreadsheets and the ids to hand out. Knows nothing of HTTP, faults or quotas."""

    def __init__(self, seed: int = 0):
        self.files: dict[str, DriveFile] = {}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.foreign: set[str] = set()  # ids that exist but belong to someone else: 403
        self.drive_storage = True
        self._random = random.Random(seed)
        self._order = itertools.count()
        self.serials = itertools.count(1)  # ids of comments and permissions
        self._expected: dict[str, deque[Any]] = {"file": deque(), "sheet": deque(), "namedRange": deque()}

    # --- ids ---------------------------------------------------------------------------------

    def expect_ids(self, kind: str, ids: list[Any]) -> None:
        """Hand out these ids next ("file", "sheet", "namedRange"), so a replay sees the recorded ids."""
        self._expected[kind].extend(ids)

    def new_file_id(self) -> str:
        if self._expected["file"]:
            return self._expected["file"].popleft()
        alphabet = string.ascii_letters + string.digits + "-_"
        while True:
            file_id = "1" + "".join(self._random.choice(alphabet) for _ in range(43))
            if file_id not in self.files:
                return file_id

    def new_sheet_id(self, spreadsheet: Spreadsheet) -> int:
        if self._expected["sheet"]:
            return self._expected["sheet"].popleft()
        while True:
            sheet_id = self._random.randrange(1, 2**31 - 1)
            if spreadsheet.sheet_by_id(sheet_id) is None:
                return sheet_id

    def new_named_range_id(self) -> str:
        if self._expected["namedRange"]:
            return self._expected["namedRange"].popleft()
        return str(self._random.randrange(1, 2**31 - 1))

    def new_metadata_id(self, spreadsheet: Spreadsheet) -> int:
        while True:
            metadata_id = self._random.randrange(1, 2**31 - 1)
            if all(m["metadataId"] != metadata_id for m in spreadsheet.developer_metadata):
                return metadata_id

    # --- lookups -----------------------------------------------------------------------------

    def file(self, file_id: str) -> DriveFile:
        if file_id in self.foreign:
            raise ApiError(
                403,
                "The user does not have sufficient permissions for this file.",
                reason="insufficientFilePermissions",
            )
        if file_id not in self.files:
            raise ApiError(404, f"File not found: {file_id}.", reason="notFound")
        return self.files[file_id]

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        if spreadsheet_id in self.foreign:
            raise ApiError(403, "The caller does not have permission")
        if spreadsheet_id not in self.spreadsheets:
            raise not_found()
        return self.spreadsheets[spreadsheet_id]

    def has_storage(self, parents: list[str]) -> bool:
        """Can the service account own a new file under these parents?"""
        if self.drive_storage:
            return True
        seen: set[str] = set()
        todo = list(parents)
        while todo:
            folder = self.files.get(todo.pop())
            if folder is None or folder.id in seen:
                continue
            if folder.shared:
                return True
            seen.add(folder.id)
            todo.extend(folder.parents)
        return False

    def require_storage(self, parents: list[str]) -> None:
        if not self.has_storage(parents):
            raise ApiError(
                403, "The user's Drive storage quota has been exceeded.", reason="storageQuotaExceeded"
            )

    def check_parents(self, parents: list[str]) -> None:
        for parent in parents:
            if self.file(parent).mime_type != FOLDER_MIME:
                raise ApiError(400, "The specified parent is not a folder.", reason="notAFolder")

    # --- changes -----------------------------------------------------------------------------

    def add_file(
        self, name: str, mime_type: str, parents: list[str], file_id: str | None = None, **extra: Any
    ) -> DriveFile:
        stamp = now()
        file_id = file_id or self.new_file_id()
        if file_id in self.files:
            raise ApiError(
                409, f"A file already exists with the provided ID: {file_id}.", reason="fileIdInUse"
            )
        drive_file = DriveFile(
            file_id, name, mime_type, list(parents), stamp, stamp, next(self._order), **extra
        )
        self.files[file_id] = drive_file
        return drive_file

    def add_spreadsheet(
        self,
        title: str,
        parents: list[str],
        file_id: str | None = None,
        sheets: list[Sheet] | None = None,
        **properties: Any,
    ) -> Spreadsheet:
        drive_file = self.add_file(title, SPREADSHEET_MIME, parents, file_id)
        props = {
            "title": title,
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
            **properties,
        }
        spreadsheet = Spreadsheet(drive_file.id, props, sheets or [])
        if not spreadsheet.sheets:
            spreadsheet.sheets.append(Sheet(new_sheet_properties(0, "Sheet1")))
        self.spreadsheets[drive_file.id] = spreadsheet
        return spreadsheet

    def commit(self, spreadsheet: Spreadsheet) -> None:
        """Store an edited clone: the write it carries becomes visible all at once, or, past the
        platform's size limits, not at all (400)."""
        if any(sheet.col_count > a1.MAX_COLUMNS for sheet in spreadsheet.sheets):
            raise bad_request(
                f"This action would increase the number of columns above the limit of {a1.MAX_COLUMNS}."
            )
        if sum(sheet.row_count * sheet.col_count for sheet in spreadsheet.sheets) > MAX_CELLS:
            raise bad_request(
                "This action would increase the number of cells in the workbook "
                f"above the limit of {MAX_CELLS} cells."
            )
        self.spreadsheets[spreadsheet.id] = spreadsheet
        drive_file = self.files[spreadsheet.id]
        drive_file.name = spreadsheet.title
        drive_file.modified = now()

    def rename(self, drive_file: DriveFile, name: str) -> None:
        drive_file.name = name
        if drive_file.id in self.spreadsheets:
            self.spreadsheets[drive_file.id].properties["title"] = name

    def delete(self, file_id: str) -> None:
        """Delete a file for good, and what it contains if it is a folder."""
        self.files.pop(file_id, None)
        self.spreadsheets.pop(file_id, None)
        for child in [f.id for f in self.files.values() if file_id in f.parents]:
            self.delete(child)
