"""The local .xlsx backend: the fast reader and the part-rewriting writer, one atomic file
replacement per change set; openpyxl only for the few changes that need a whole-workbook model
(imported then, not at start: it costs a CLI command a third of a second).

What was read is kept; it is read again only when the file changed on disk (another process
wrote it). Every write happens under a file lock beside the workbook, goes to a temporary
file in the same folder, is fsynced and renamed over the original: a crash leaves the old file or
the new one, never a broken one.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import (
    BackendError,
    CorruptWorkbook,
    DataError,
    SheetNotFound,
    UnsafeChange,
    UsageError,
    WorkbookAccessDenied,
    WorkbookLocked,
    WorkbookNotFound,
)
from ..fs import atomic_write, sweep_temps
from ..progress import download
from ..values import DATE_DISPLAY_FORMAT, Cell, Formula, is_blank
from .base import Backend, Region, RequestStats, Sheet, SheetInfo
from .changes import ChangeSet
from .xlsx_package import Package, SheetEntry, Stamp, save, stamp_of
from .xlsx_read import SheetData, Typed, read_picked, read_sheet, read_top
from .xlsx_store import XlsxStore
from .xlsx_write import NeedsWholeWorkbook, Result, SheetEdit, rewrite

if TYPE_CHECKING:
    import filelock
    import openpyxl
    from openpyxl.worksheet.worksheet import Worksheet

LOCK_TIMEOUT_SECONDS = 30.0
#: A region that ends above this row is read from the top of its sheet only (a header, the
#: first rows); deeper ones read the whole sheet once and keep it.
PARTIAL_READ_ROWS = 200
#: A sheet part this small is read by the byte scans whatever the region (``_picks``).
SMALL_PART_BYTES = 1 << 20


def lock_path(path: Path) -> Path:
    """The lock file guarding ``path``: hidden, beside it, in the same folder."""
    return path.with_name(f".{path.name}.lock")


def load_xlsx(path: Path) -> openpyxl.Workbook:
    """openpyxl's load with its failures mapped to ours, every sheet's grid kept for the next save.

    A grid corner saved as an empty string loads as an empty cell, which openpyxl's next save
    drops: marking it again keeps the grid size through any number of load/save cycles.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path)
    except FileNotFoundError as exc:
        raise WorkbookNotFound(f"workbook file not found: {path}") from exc
    except PermissionError as exc:
        raise WorkbookAccessDenied(f"cannot read workbook file {path}: permission denied") from exc
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise CorruptWorkbook(f"{path} is not a readable .xlsx workbook ({exc})") from exc
    for ws in workbook.worksheets:
        mark_grid_corner(ws, ws.max_row, ws.max_column)
    return workbook


def write_cell(ws: Worksheet, row: int, col: int, value: Cell) -> None:
    """Write one value on purpose: text stays text (never a formula), dates show dd-mm-yyyy."""
    from openpyxl.utils.exceptions import IllegalCharacterError

    cell = ws.cell(row=row, column=col)
    try:
        if isinstance(value, Formula):
            cell.value = str(value)
        elif isinstance(value, str):
            cell.value = value
            cell.data_type = "s"  # openpyxl would turn "=..." into a formula
        elif isinstance(value, (dt.date, dt.datetime)):
            cell.value = value
            cell.number_format = DATE_DISPLAY_FORMAT
        else:
            cell.value = value
    except IllegalCharacterError as exc:
        raise DataError(f"value {value!r} has characters an .xlsx cell cannot hold", sheet=ws.title,
                        row=row, column=str(col)) from exc


def mark_grid_corner(ws: Worksheet, rows: int, cols: int) -> None:
    """Make the sheet's extent at least rows × cols, the .xlsx form of a grid size.

    openpyxl drops cells that hold nothing; an empty string survives a save and reads back blank.
    """
    corner = ws.cell(row=rows, column=cols)
    if corner.value is None:
        corner.value = ""


def edited(rows: list[list[Cell]], edit: SheetEdit) -> list[list[Cell]]:
    """Rows as read, with a sheet edit applied: what reading the written part gives. Changes
    ``rows`` in place (the backend's own copy: callers get copies), trimming only what the edit
    touched, so a one-row change costs one row, not the sheet."""
    touched: set[int] = set()
    if edit.kept:
        height, width = edit.kept
        del rows[height:]
        for kept in rows:
            del kept[width:]
        touched.update(range(len(rows)))
    for (r, c), value in edit.cells.items():
        if edit.kept and (r > edit.kept[0] or c > edit.kept[1]):
            continue
        if r > len(rows):
            rows.extend([] for _ in range(r - len(rows)))
        row = rows[r - 1]
        if c > len(row):
            row.extend([None] * (c - len(row)))
        row[c - 1] = value
        touched.add(r - 1)
    for i in touched:
        row = rows[i]
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def last_data_row(ws: Worksheet) -> int:
    width = ws.max_column  # computed over every cell: once, not once per row
    for r in range(ws.max_row, 0, -1):
        if any(not is_blank(ws.cell(row=r, column=c).value) for c in range(1, width + 1)):
            return r
    return 0


def _picks(package: Package, entry: SheetEntry, region: Region) -> bool:
    """Whether a region of a sheet not read whole is picked from its part (``read_picked``):
    one that reaches below the first rows and holds a few columns or rows, or filters them;
    any region of a small part (calamine, for a few workers, would copy the whole file)."""
    info = package.zip.NameToInfo.get(entry.part)
    if info is not None and info.file_size <= SMALL_PART_BYTES:
        return True
    if region.last_row is not None and region.last_row <= PARTIAL_READ_ROWS:
        return False  # the top of the part is enough (read_top)
    return region.where is not None or region.last_col is not None or (
        region.last_row is not None and region.last_row - region.first_row < PARTIAL_READ_ROWS)


class XlsxBackend(Backend):
    """A local .xlsx file. Reads go through the fast reader, one sheet part at a time, cached
    per file version (``revision()``); writes replace the file atomically under its lock."""

    kind = "xlsx"

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = LOCK_TIMEOUT_SECONDS):
        self.path = Path(path).resolve()
        if not self.path.exists():
            raise WorkbookNotFound(f"workbook file not found: {self.path}")
        if self.path.is_dir() or not zipfile.is_zipfile(self.path):
            raise CorruptWorkbook(f"{self.path} is not an .xlsx workbook")
        self.stats = RequestStats()
        self._lock_timeout = lock_timeout
        self._file_lock: filelock.FileLock | None = None  # made by the first exclusive()
        self._thread_lock = threading.RLock()
        self._package: Package | None = None
        #: What was read of the current package, per sheet: typed rows and grid, or grid only.
        self._sheets: dict[str, SheetData] = {}
        self._grids: dict[str, tuple[int, int]] = {}
        #: Sheets read only from the top (a header): how deep, and the typed rows.
        self._tops: dict[str, tuple[int, list[list[Cell]]]] = {}

    # --- identity ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return str(self.path)

    @property
    def title(self) -> str:
        return self.path.stem

    @property
    def location(self) -> str:
        return str(self.path)

    # --- loading -------------------------------------------------------------------------

    def revision(self) -> Stamp:
        """(size, mtime_ns, inode) of the file now: any replacement or rewrite changes it."""
        try:
            return stamp_of(self.path.stat())
        except FileNotFoundError as exc:
            raise WorkbookNotFound(f"workbook file not found: {self.path}") from exc

    def _current(self) -> Package:
        """The file as it is now: the snapshot read before if the file has not changed since."""
        with self._thread_lock:
            stamp = self.revision()
            if self._package is None or stamp != self._package.stamp:
                self._package = Package.open(self.path)
                self._forget()
                self.stats.count("reads")
            return self._package

    def _entry(self, package: Package, title: str) -> SheetEntry:
        entry = package.entry(title)
        if entry is None:
            raise SheetNotFound(f"sheet {title!r} not found in {self.path.name}")
        return entry

    def _data(self, package: Package, title: str, typed: Typed | None = None) -> SheetData:
        data = self._sheets.get(title)
        if data is None:
            entry = self._entry(package, title)
            data = self._sheets[title] = read_sheet(package, entry, typed)
            self._grids[title] = (data.grid_rows, data.grid_cols)
        return data

    def _grid(self, package: Package, entry: SheetEntry) -> tuple[int, int]:
        grid = self._grids.get(entry.title)
        if grid is None:
            grid = self._grids[entry.title] = package.grid(entry.part)
        return grid

    # --- contract ------------------------------------------------------------------------

    def sheets(self) -> list[SheetInfo]:
        with self._thread_lock:
            package = self._current()
            return [SheetInfo(e.title, i, i, *self._grid(package, e))
                    for i, e in enumerate(package.sheet_entries)]

    def sheet_titles(self) -> list[str]:
        """From the workbook part alone: no sheet part is opened."""
        with self._thread_lock:
            return [e.title for e in self._current().sheet_entries]

    def sheet_info(self, title: str) -> SheetInfo | None:
        """That sheet alone: the others' parts are not opened for their grids."""
        with self._thread_lock:
            package = self._current()
            return next((SheetInfo(e.title, i, i, *self._grid(package, e))
                         for i, e in enumerate(package.sheet_entries) if e.title == title), None)

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        # Both modes read what was entered (formulas as Formula): cached results are not always
        # there (files written by openpyxl or spoolsheet have none).
        with self._thread_lock:
            package = self._current()
            names = [e.title for e in package.sheet_entries] if titles is None else list(titles)
            index = {e.title: i for i, e in enumerate(package.sheet_entries)}
            # The running phase counts the sheets' XML bytes, of all it will read: half of a
            # sheet's as its part inflates, half as its rows are typed (calamine's parse, in
            # between, moves no count: it is one call; the display's clock still moves).
            infos = package.zip.NameToInfo  # a missing part is named by the read below
            sizes = {t: getattr(infos.get(self._entry(package, t).part), "file_size", 0)
                     for t in names}
            received, done = download(sum(sizes.values())), 0

            def inflated(n: int) -> None:  # the running sheet's bytes inflated so far
                if received is not None:
                    received(done + n // 2)

            def typed(n: int, of: int) -> None:  # the running sheet's rows typed so far
                if received is not None and of:
                    half = sizes[t] // 2
                    received(done + half + (sizes[t] - half) * min(n, of) // of)

            out = {}
            for t in names:
                if received is not None and t not in self._sheets:  # it moves as it is read
                    package.part(self._entry(package, t).part, inflated)
                data = self._data(package, t, typed if received is not None else None)
                if received is not None:
                    done += sizes[t]
                    received(done)
                rows = [list(r) for r in data.rows]  # callers may change their copy
                i = index[t]
                out[t] = Sheet(SheetInfo(t, i, i, data.grid_rows, data.grid_cols), rows)
            return out

    def read_regions(self, regions: Sequence[Region], *,
                     formulas: bool = False) -> list[list[list[Cell]]]:
        """Only the sheet parts the regions name; a sheet read before (same file version) is
        cut from memory, one not read yet only as far down as its regions reach."""
        with self._thread_lock:
            package = self._current()
            picked: dict[int, list[list[Cell]]] = {}
            for i, r in enumerate(regions):
                entry = self._entry(package, r.title)
                if r.title not in self._sheets and _picks(package, entry, r):
                    found = read_picked(package, entry, r)
                    if found is not None:
                        picked[i] = found
            depth: dict[str, int | None] = {}
            for i, r in enumerate(regions):
                if i in picked or (r.title in depth and depth[r.title] is None):
                    continue
                depth[r.title] = (None if r.last_row is None
                                  else max(depth.get(r.title) or 0, r.last_row))
            rows: dict[str, list[list[Cell]]] = {}
            for title, last in depth.items():
                top = self._tops.get(title)
                if title in self._sheets or last is None or last > PARTIAL_READ_ROWS:
                    rows[title] = self._data(package, title).rows
                elif top is not None and top[0] >= last:
                    rows[title] = top[1]
                else:
                    rows[title] = read_top(package, self._entry(package, title), last)
                    self._tops[title] = (last, rows[title])
            return [picked[i] if i in picked else r.cut(rows[r.title])
                    for i, r in enumerate(regions)]

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        import filelock  # here: a command that only reads never imports it (~10 ms)

        with self._thread_lock:
            if self._file_lock is None:
                self._file_lock = filelock.FileLock(lock_path(self.path), thread_local=False)
            try:
                self._file_lock.acquire(timeout=self._lock_timeout)
            except filelock.Timeout as exc:
                raise WorkbookLocked(
                    f"{self.path.name} is locked by another process (lock file "
                    f"{lock_path(self.path)}); try again when it has finished") from exc
            try:
                yield
            finally:
                self._file_lock.release()

    def sidecar(self, name: str) -> Path:
        """``.<file name>.<name>`` beside the workbook; ``exclusive()`` is an OS file lock."""
        return self.path.with_name(f".{self.path.name}.{name}")

    def backup_store(self, folder: str | None) -> XlsxStore:
        return XlsxStore(self, self.path, folder, XlsxBackend, self._last_read)

    def _last_read(self) -> bytes | None:
        """The bytes of the file version last read (or written by us), if one is held."""
        with self._thread_lock:
            return self._package.data if self._package is not None else None

    def apply(self, changes: ChangeSet, *, atomic: bool = True) -> None:
        """One atomic file replacement under the file lock, whatever the size; only the parts
        the change touches are rewritten (``xlsx_write``), openpyxl only where it must be."""
        if not changes:
            return
        with self.exclusive():
            package = self._current()  # a missing or damaged file is refused before writing
            try:
                result = rewrite(package, changes, self.path.name)
            except NeedsWholeWorkbook as exc:
                if changes.moves_structure:  # openpyxl moves cells, not the formulas naming them
                    raise UnsafeChange(f"{self.path.name}: {exc}; spoolsheet cannot move columns "
                                       f"or rename sheets in it, nothing was written") from exc
                self._apply_whole(changes)
                return
            self._replace(lambda: save(self.path, result.data))
            written = Package(self.path, result.data, self.revision())
            written.carry(package, result.parts, result.changed)
            self._adopt(written, result)

    def split(self, changes: ChangeSet,
              sheets: Mapping[str, SheetInfo] | None = None) -> list[ChangeSet]:
        """``[changes]``: one atomic file replacement has no size limit."""
        return [changes]

    def _replace(self, write: Callable[[], None]) -> None:
        sweep_temps(self.path)  # under the lock: whatever is there, a dead writer left it
        try:
            write()
        except OSError as exc:  # disk full, permissions: ours, not a traceback
            raise BackendError(f"saving {self.path.name} failed ({exc.strerror or exc}); "
                               f"the file was not changed") from exc
        self.stats.count("writes")

    def _adopt(self, package: Package, result: Result) -> None:
        """Make the file just written the current version without reading it again: sheets
        it did not touch keep what was read, touched ones take the written cells."""
        if result.moved:
            self._forget()
        for title in result.deleted:
            self._sheets.pop(title, None)
            self._grids.pop(title, None)
            self._tops.pop(title, None)
        for title, edit in result.edits.items():
            self._grids[title] = edit.grid
            data = self._sheets.get(title)
            if data is not None and edit.exact:
                self._sheets[title] = SheetData(edited(data.rows, edit), *edit.grid)
            else:
                self._sheets.pop(title, None)
            top = self._tops.pop(title, None)
            if top is not None and edit.exact:
                depth, rows = top
                within = {k: v for k, v in edit.cells.items() if k[0] <= depth}
                self._tops[title] = (depth, edited(rows, SheetEdit(within, edit.grid, edit.kept)))
        self._package = package

    def _apply_whole(self, changes: ChangeSet) -> None:
        """The openpyxl path, for the few changes that need a whole-workbook model."""
        wb = load_xlsx(self.path)
        apply_in_memory(wb, changes, self.path.name)
        for ws in wb.worksheets:  # the file keeps the grids the memory has
            mark_grid_corner(ws, ws.max_row, ws.max_column)
        self._replace(lambda: atomic_write(self.path, wb.save))
        self._package = None

    def _forget(self) -> None:
        self._sheets.clear()
        self._grids.clear()
        self._tops.clear()

    def close(self) -> None:
        with self._thread_lock:
            self._package = None
            self._forget()


def _sheet(wb: openpyxl.Workbook, title: str, name: str) -> Worksheet:
    if title not in wb.sheetnames:
        raise SheetNotFound(f"sheet {title!r} not found in {name}")
    return wb[title]


def apply_in_memory(wb: openpyxl.Workbook, changes: ChangeSet, name: str) -> None:
    """A change set applied to a whole openpyxl workbook (the path where a model is needed)."""
    for new in changes.new_sheets:
        if new.title in wb.sheetnames:
            raise UsageError(f"sheet {new.title!r} already exists in {name}")
        mark_grid_corner(wb.create_sheet(new.title), new.rows, new.cols)
    shrinks = []
    for rs in changes.resizes:
        ws = _sheet(wb, rs.sheet, name)
        rows, cols = rs.rows or ws.max_row, rs.cols or ws.max_column
        mark_grid_corner(ws, max(rows, ws.max_row), max(cols, ws.max_column))
        if rows < ws.max_row or cols < ws.max_column:
            shrinks.append((ws, rows, cols))
    for block in changes.blocks:
        ws = _sheet(wb, block.sheet, name)
        for r, values in enumerate(block.rows, start=block.row):
            for c, value in enumerate(values, start=block.col):
                write_cell(ws, r, c, value)
    for title, rows in changes.appends:
        ws = _sheet(wb, title, name)
        start = last_data_row(ws) + 1
        for r, values in enumerate(rows, start=start):
            for c, value in enumerate(values, start=1):
                write_cell(ws, r, c, value)
    for ws, rows, cols in shrinks:
        if ws.max_row > rows:
            ws.delete_rows(rows + 1, ws.max_row - rows)
        if ws.max_column > cols:
            ws.delete_cols(cols + 1, ws.max_column - cols)
        mark_grid_corner(ws, rows, cols)  # the old corner went with the deleted cells
    for nf in changes.number_formats:
        ws = _sheet(wb, nf.sheet, name)
        for r in range(nf.row, min(nf.last_row or ws.max_row, ws.max_row) + 1):
            for c in range(nf.col, min(nf.last_col or ws.max_column, ws.max_column) + 1):
                ws.cell(row=r, column=c).number_format = nf.pattern
    for title in changes.deleted_sheets:
        del wb[_sheet(wb, title, name).title]
    if not wb.sheetnames:
        raise UsageError("a workbook must keep at least one sheet")
