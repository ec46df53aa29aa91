"""Backups of a Google spreadsheet: Drive copies carrying their manifest in ``appProperties``.

Requests (each through the live backend's HTTP client, so retries, counting and error mapping
are the workbook layer's): copy = 1 write (``files.copy`` with name, folder and properties in
one request); find = 1 read (``files.get``); list = 1 read of the live metadata and 1 per 1,000
backups (``files.list`` queried by property); reading a backup = 1 read; recording a
verification or trashing = 1 write each (``files.update``).

A restore writes values and formulas, grid sizes, every cell's format (``userEnteredFormat``:
number formats, fonts, colours, alignment) and the sheet order, each only where the live workbook
differs: the backup is read with its formats (1 read), the live formats are read (1 read), the
write is one ``batchUpdate`` while it fits in 10 MB, then 1 read checks values and formats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Protocol, cast

from gspread.urls import DRIVE_FILES_API_V3_URL, SPREADSHEETS_API_V4_BASE_URL

from ..errors import BackendError, RequestTooLarge, UsageError, WorkbookAccessDenied, WorkbookNotFound
from .base import Backend, BackupNotFound, RequestStats, RolledBack, Sheet, SheetInfo, StoredCopy
from .blocks import Box, differing_boxes
from .changes import ChangeSet

DRIVE_URL = DRIVE_FILES_API_V3_URL
FOLDER_MIME = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,createdTime,size,trashed,parents,appProperties"
SOURCE_KEY = "spoolsheet_source"
VERIFIED_KEY = "spoolsheet_verified"
TAG_PREFIX = "spoolsheet_"
ALL_DRIVES = {"supportsAllDrives": "true"}
#: Drive's limit for one property, key and value together, in UTF-8 bytes.
DRIVE_PROPERTY_BYTES = 124
#: Drive keeps at most 30 private properties per app and file; the manifest may use this many.
DRIVE_MANIFEST_KEYS = 24
MANIFEST_KEY_PREFIX = "m"
FORMAT_FIELDS = "sheets(properties(title),data(startRow,rowData(values(userEnteredFormat))))"
#: Rows per updateCells of formats, so that a large restore can be split across batches.
FORMAT_ROWS_PER_UPDATE = 1000
#: A cell whose live format is not known (rows or columns the write adds may inherit one).
UNKNOWN = {"unknown": True}

STORAGE_HINT = (
    "A service account has no Drive storage of its own: copy into a shared drive, or into a "
    "folder owned by a person and shared with the service account as editor, named with "
    "--folder FOLDER_ID or BACKUP_FOLDER_ID")

Formats = dict[str, list[dict[str, Any]]]  # title -> rowData rows of userEnteredFormat cells


class JsonClient(Protocol):
    def call(self, method: str, url: str, *, what: str, params: Mapping[str, Any] | None = None,
             body: Any = None, idempotent: bool | None = None) -> Any: ...


class LiveSpreadsheet(Protocol):
    """What the store needs of the live ``GoogleBackend`` (kept apart to avoid an import circle)."""

    stats: RequestStats

    @property
    def id(self) -> str: ...

    @property
    def http(self) -> JsonClient: ...

    def sheets(self) -> list[SheetInfo]: ...

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]: ...

    def sibling(self, spreadsheet_id: str) -> Backend: ...  # a GoogleBackend: a LiveSpreadsheet too

    def read_with_formats(self, titles: Sequence[str] | None = None) -> tuple[dict[str, Sheet], dict]: ...

    def apply(self, changes: ChangeSet, *, atomic: bool = True,
              then: Callable[[dict[str, SheetInfo]], list[dict]] | None = None) -> None: ...


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pack_text(text: str) -> dict[str, str]:
    """Text as Drive properties ``m0``, ``m1``…, each within Drive's byte limit."""
    chunks: list[str] = []
    current = ""
    for ch in text:
        key = f"{MANIFEST_KEY_PREFIX}{len(chunks)}"
        if len((key + current + ch).encode()) > DRIVE_PROPERTY_BYTES:
            chunks.append(current)
            current = ""
        current += ch
    chunks.append(current)
    if len(chunks) > DRIVE_MANIFEST_KEYS:
        raise UsageError(f"the backup manifest needs {len(chunks)} Drive properties; a Drive file "
                         f"holds at most {DRIVE_MANIFEST_KEYS} for it (fewer or shorter sheet names)")
    return {f"{MANIFEST_KEY_PREFIX}{i}": c for i, c in enumerate(chunks)}


def unpack_text(props: Mapping[str, str]) -> str | None:
    """The text stored by ``pack_text``; None when there is none."""
    parts: list[str] = []
    while (key := f"{MANIFEST_KEY_PREFIX}{len(parts)}") in props:
        parts.append(props[key])
    return "".join(parts) if parts else None


def _cells(row: Mapping[str, Any]) -> list[Any]:
    """One rowData row as its cells' formats, without trailing empty ones (None: no format)."""
    cells = [c.get("userEnteredFormat") or None for c in row.get("values", [])]
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def _trimmed(rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Format rows without trailing empty cells and rows, to compare two reads."""
    out = [_cells(r) for r in rows]
    while out and not out[-1]:
        out.pop()
    return out


def _live_formats(rows: Sequence[Mapping[str, Any]], live: SheetInfo | None,
                  grid: SheetInfo) -> list[list[Any]]:
    """The formats a sheet holds before the write, as cells to compare with the backup's; rows
    and columns the write adds to an existing sheet are ``UNKNOWN`` (they are written)."""
    if live is None:  # re-created: a new sheet has no formats
        return []
    out = [_cells(r) for r in rows[:live.rows]]
    if grid.cols > live.cols:
        out = [r + [None] * (live.cols - len(r)) + [UNKNOWN] * (grid.cols - live.cols) for r in out]
        out += [[None] * live.cols + [UNKNOWN] * (grid.cols - live.cols)
                for _ in range(live.rows - len(out))]
    return out + [[UNKNOWN] * grid.cols for _ in range(grid.rows - live.rows)]


def _format_updates(sheet_id: int, want: Sequence[Mapping[str, Any]], boxes: Sequence[Box]) -> list[dict]:
    """``updateCells`` of the backup's formats over each box (no format = cleared), split every
    ``FORMAT_ROWS_PER_UPDATE`` rows so that a large restore can go in several batches."""
    out = []
    for box in boxes:
        for top in range(box.top, box.bottom, FORMAT_ROWS_PER_UPDATE):
            rows = []
            for r in range(top, min(top + FORMAT_ROWS_PER_UPDATE, box.bottom)):
                cells = _cells(want[r]) if r < len(want) else []
                rows.append({"values": [
                    {"userEnteredFormat": cells[c]} if c < len(cells) and cells[c] else {}
                    for c in range(box.left, box.right)]})
            out.append({"updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": top, "columnIndex": box.left},
                "rows": rows, "fields": "userEnteredFormat"}})
    return out


class GoogleStore:
    removal = "moved to the trash"
    restores = ("values and formulas, every cell's format (number formats, fonts, colours, "
                "alignment), grid sizes and sheet order; the audit log is kept. Not restored: "
                "column widths, merges, conditional formats, validation, notes, charts, "
                "protection (the Drive copy still has them)")

    def __init__(self, live: LiveSpreadsheet, folder: str | None) -> None:
        self.live = live
        self._backup_formats: dict[str, Formats] = {}  # backup id -> its formats, from content()
        self.given = folder
        self.http = live.http
        self.folder = f"Drive folder {folder}" if folder else "the source spreadsheet's Drive folder"

    def check_folder(self) -> None:
        if not self.given:
            return
        try:
            found = self.http.call("GET", f"{DRIVE_URL}/{self.given}", what=f"finding folder {self.given}",
                                   params={"fields": "id,mimeType,trashed", **ALL_DRIVES})
        except WorkbookNotFound:
            raise UsageError(f"backup folder {self.given} not found, or not shared with the service "
                             "account (--folder / BACKUP_FOLDER_ID)") from None
        if found.get("mimeType") != FOLDER_MIME or found.get("trashed"):
            raise UsageError(f"backup folder {self.given} is not a folder (or is in the trash)")

    # --- creating --------------------------------------------------------------------------

    def copy(self, name: str, manifest: str, tags: Mapping[str, str]) -> StoredCopy:
        props = {SOURCE_KEY: self.live.id, **{TAG_PREFIX + k: v for k, v in tags.items()},
                 **pack_text(manifest)}
        body: dict[str, Any] = {"name": name, "appProperties": props}
        if self.given:
            body["parents"] = [self.given]
        what = f"copying spreadsheet {self.live.id} to a backup"
        try:
            found = self.http.call("POST", f"{DRIVE_URL}/{self.live.id}/copy", what=what,
                                   params={"fields": FILE_FIELDS, **ALL_DRIVES}, body=body)
        except WorkbookAccessDenied as exc:
            raise WorkbookAccessDenied(
                f"Google Drive refused the backup copy ({exc}). {STORAGE_HINT}.") from exc
        except WorkbookNotFound as exc:
            if not self.given:
                raise
            raise UsageError(f"backup folder {self.given} not found, or not shared with the service "
                             f"account (--folder / BACKUP_FOLDER_ID); nothing was copied ({exc})") from exc
        except BackendError as exc:
            if exc.status == 400 and self.given:
                raise UsageError(f"backup folder {self.given} is not a folder ({exc})") from exc
            raise
        return self._copy(found)

    def same_as_read(self, copy: StoredCopy) -> bool:
        """A Drive copy is made on Google's side: only reading it shows what it holds."""
        return False

    def record_verification(self, copy: StoredCopy, ok: bool) -> StoredCopy:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        self.http.call("PATCH", f"{DRIVE_URL}/{copy.id}", what=f"recording the check of backup {copy.id}",
                       params={"fields": "id", **ALL_DRIVES}, idempotent=True,
                       body={"appProperties": {VERIFIED_KEY: "yes" if ok else "no",
                                               "spoolsheet_checked": stamp}})
        return replace(copy, verified=ok)

    # --- finding ---------------------------------------------------------------------------

    def _copy(self, found: Mapping[str, Any]) -> StoredCopy:
        props = found.get("appProperties") or {}
        manifest = unpack_text(props)
        tags = {k.removeprefix(TAG_PREFIX): v for k, v in props.items() if k.startswith(TAG_PREFIX)}
        return StoredCopy(
            id=found["id"], name=found.get("name", ""),
            created=dt.datetime.fromisoformat(found["createdTime"].replace("Z", "+00:00")),
            manifest=manifest, problem=None if manifest else "it carries no manifest",
            verified={"yes": True, "no": False}.get(props.get(VERIFIED_KEY, "")), tags=tags,
            size=int(found["size"]) if found.get("size") else None)

    def get(self, copy_id: str) -> StoredCopy:
        try:
            found = self.http.call("GET", f"{DRIVE_URL}/{copy_id}", what=f"finding backup {copy_id}",
                                   params={"fields": FILE_FIELDS, **ALL_DRIVES})
        except (WorkbookNotFound, WorkbookAccessDenied):
            raise BackupNotFound(f"no backup {copy_id!r} on Drive that this account can read "
                                 "(see `spoolsheet backup list`)") from None
        if found.get("trashed"):
            raise BackupNotFound(f"backup {copy_id!r} is in the Drive trash; take it out first")
        if SOURCE_KEY not in (found.get("appProperties") or {}):
            raise BackupNotFound(f"{copy_id!r} ({found.get('name')}) is not a spoolsheet backup")
        return self._copy(found)

    def list(self) -> list[StoredCopy]:
        self.live.sheets()  # 1 read: an unknown spreadsheet is an error, not "no backups"
        query = (f"appProperties has {{ key='{SOURCE_KEY}' and value={_quote(self.live.id)} }} "
                 "and trashed = false")
        params = {"q": query, "fields": f"nextPageToken,files({FILE_FIELDS})", "pageSize": 1000,
                  "includeItemsFromAllDrives": "true", **ALL_DRIVES}
        found: list[StoredCopy] = []
        while True:
            page = self.http.call("GET", DRIVE_URL, what="listing backups", params=params)
            found += [self._copy(f) for f in page.get("files", [])]
            if not page.get("nextPageToken"):
                return found
            params["pageToken"] = page["nextPageToken"]

    def remove(self, copy: StoredCopy) -> None:
        self.http.call("PATCH", f"{DRIVE_URL}/{copy.id}", what=f"moving backup {copy.id} to the trash",
                       params={"fields": "id", **ALL_DRIVES}, body={"trashed": True}, idempotent=True)

    # --- reading and restoring ---------------------------------------------------------------

    @contextmanager
    def open(self, copy: StoredCopy, *, for_restore: bool = False) -> Iterator[Backend]:
        """The backup spreadsheet over the live session; its requests count with the live's."""
        yield self.live.sibling(copy.id)  # not closed: it shares the live workbook's session

    def content(self, staged: Backend) -> dict[str, Sheet]:
        """The backup's sheets, and its cell formats kept for ``roll_back``: one read."""
        sheets, formats = cast(LiveSpreadsheet, staged).read_with_formats()
        self._backup_formats[staged.id] = formats
        return sheets

    def _formats(self, spreadsheet_id: str, titles: Sequence[str]) -> Formats:
        """Every cell's ``userEnteredFormat`` of these sheets: 1 read."""
        if not titles:
            return {}
        body = self.http.call(
            "GET", f"{SPREADSHEETS_API_V4_BASE_URL}/{spreadsheet_id}",
            what=f"reading the cell formats of {spreadsheet_id}",
            params={"includeGridData": "true", "fields": FORMAT_FIELDS,
                    "ranges": ["'" + t.replace("'", "''") + "'" for t in titles]})
        out: Formats = {}
        for sheet in body.get("sheets", []):
            rows: list[dict[str, Any]] = []
            for data in sheet.get("data", []):
                rows.extend({} for _ in range(data.get("startRow", 0) - len(rows)))
                rows.extend(data.get("rowData", []))
            out[sheet["properties"]["title"]] = rows
        return out

    def roll_back(self, staged: Backend, live_changes: ChangeSet, backup_changes: ChangeSet,
                  target: Mapping[str, Sheet], kept: Sequence[str] = ()) -> RolledBack:
        """One ``batchUpdate``: ``live_changes``, then the backup's formats of each restored
        sheet where the live formats (1 read) differ, and the sheet order; then values and formats
        are read back (one read) and compared.

        Past Google's 10 MB per request the write goes as several batchUpdates in order, the
        ``kept`` sheets' cells (the restore's log line) in the last one: no longer atomic, but a
        restore stopped between them has not logged itself, so running it again finishes it.
        """
        have = {i.title for i in staged.sheets()}
        titles = [t for t in target if t not in kept and t in have]
        formats = self._backup_formats[staged.id]  # read by content(), which a restore starts with
        live = {i.title: i for i in self.live.sheets()}
        now_formats = self._formats(self.live.id, [t for t in titles if t in live])
        boxes = {t: differing_boxes(
            [_cells(r) for r in formats.get(t, [])],
            _live_formats(now_formats.get(t, []), live.get(t), target[t].info),
            rows=target[t].info.rows, cols=target[t].info.cols) for t in titles}
        order = list(target)

        def then(infos: dict[str, SheetInfo]) -> list[dict]:
            out: list[dict] = []
            for title, found in boxes.items():
                out += _format_updates(infos[title].sheet_id, formats.get(title, []), found)
            now = [i.title for i in sorted(infos.values(), key=lambda i: i.index)]
            if now != order:
                out += [{"updateSheetProperties": {
                    "properties": {"sheetId": infos[t].sheet_id, "index": i}, "fields": "index"}}
                    for i, t in enumerate(order) if t in infos]
            return out

        try:
            self.live.apply(live_changes, then=then)
        except RequestTooLarge:  # refused before anything was sent
            closing = [b for b in live_changes.blocks if b.sheet in kept]
            if any(n.title in kept for n in live_changes.new_sheets):
                closing = []  # a kept sheet re-created: its content goes with its creation
            self.live.apply(replace(live_changes, blocks=[
                b for b in live_changes.blocks if b not in closing]), atomic=False, then=then)
            self.live.apply(ChangeSet(blocks=closing))
        after, found = self.live.read_with_formats()
        problems = [f"sheet {t!r}: cell formats differ in the restored workbook"
                    for t in titles if _trimmed(found.get(t, [])) != _trimmed(formats.get(t, []))]
        got_order = [t for t in after if t in target]
        if got_order != [t for t in order if t in after]:
            problems.append(f"sheet order is {got_order} in the restored workbook, {order} expected")
        return RolledBack(after, problems)
