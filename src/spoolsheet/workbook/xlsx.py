"""The local .xlsx backend: openpyxl in memory, one atomic file replacement per change set.

The workbook is loaded once and kept; it is reloaded only when the file changed on disk (another
process wrote it). Every write happens under a file lock beside the workbook, goes to a temporary
file in the same folder, is fsynced and renamed over the original: a crash leaves the old file or
the new one, never a broken one.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import filelock
import openpyxl
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import (
    BackendError,
    CorruptWorkbook,
    DataError,
    SheetNotFound,
    UsageError,
    WorkbookAccessDenied,
    WorkbookLocked,
    WorkbookNotFound,
)
from ..values import DATE_DISPLAY_FORMAT, Cell, Formula, is_blank
from .base import Backend, RequestStats, Sheet, SheetInfo, trim
from .changes import ChangeSet

LOCK_TIMEOUT_SECONDS = 30.0


def lock_path(path: Path) -> Path:
    """The lock file guarding ``path``: hidden, beside it, in the same folder."""
    return path.with_name(f".{path.name}.lock")


def atomic_save(workbook: openpyxl.Workbook, path: Path) -> None:
    """Save to a temp file in the same folder, fsync, rename over ``path``, fsync the folder.

    Call it holding the workbook's lock: any temp file already there was left by a writer that
    died mid-save, and is swept.
    """
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        workbook.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_xlsx(path: Path) -> openpyxl.Workbook:
    """openpyxl's load with its failures mapped to ours, every sheet's grid kept for the next save.

    A grid corner saved as an empty string loads as an empty cell, which openpyxl's next save
    drops: marking it again keeps the grid size through any number of load/save cycles.
    """
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


def typed(cells) -> list[Cell]:
    return [Formula(str(c.value)) if c.data_type == "f" else c.value for c in cells]


def sheet_rows(ws: Worksheet) -> list[list[Cell]]:
    """A worksheet's cells as typed values, formulas as ``Formula``, trimmed like Google's reads."""
    return trim([typed(cells) for cells in ws.iter_rows()])


def write_cell(ws: Worksheet, row: int, col: int, value: Cell) -> None:
    """Write one value on purpose: text stays text (never a formula), dates show dd-mm-yyyy."""
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


def last_data_row(ws: Worksheet) -> int:
    width = ws.max_column  # computed over every cell: once, not once per row
    for r in range(ws.max_row, 0, -1):
        if any(not is_blank(ws.cell(row=r, column=c).value) for c in range(1, width + 1)):
            return r
    return 0


class XlsxBackend(Backend):
    kind = "xlsx"

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = LOCK_TIMEOUT_SECONDS):
        self.path = Path(path).resolve()
        if not self.path.exists():
            raise WorkbookNotFound(f"workbook file not found: {self.path}")
        if self.path.is_dir() or not zipfile.is_zipfile(self.path):
            raise CorruptWorkbook(f"{self.path} is not an .xlsx workbook")
        self.stats = RequestStats()
        self._lock_timeout = lock_timeout
        self._file_lock = filelock.FileLock(lock_path(self.path), thread_local=False)
        self._thread_lock = threading.RLock()
        self._wb: openpyxl.Workbook | None = None
        self._stamp: tuple[int, int, int] | None = None
        #: Cells already extracted from the in-memory workbook, per sheet: extracting is the
        #: costly part of a read, and most reads see an unchanged sheet.
        self._extracted: dict[str, list[list[Cell]]] = {}

    # --- identity ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return str(self.path)

    @property
    def title(self) -> str:
        return self.path.stem

    # --- loading -------------------------------------------------------------------------

    def _disk_stamp(self) -> tuple[int, int, int]:
        st = self.path.stat()
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _workbook(self) -> openpyxl.Workbook:
        """The in-memory workbook, reloaded when the file changed since we last loaded or saved."""
        with self._thread_lock:
            try:
                stamp = self._disk_stamp()
            except FileNotFoundError as exc:
                raise WorkbookNotFound(f"workbook file not found: {self.path}") from exc
            if self._wb is None or stamp != self._stamp:
                self._extracted.clear()
                self._wb = load_xlsx(self.path)
                self._stamp = stamp
                self.stats.count("reads")
            return self._wb

    def _sheet(self, wb: openpyxl.Workbook, title: str) -> Worksheet:
        if title not in wb.sheetnames:
            raise SheetNotFound(f"sheet {title!r} not found in {self.path.name}")
        return wb[title]

    # --- contract ------------------------------------------------------------------------

    def sheets(self) -> list[SheetInfo]:
        wb = self._workbook()
        return [SheetInfo(ws.title, i, i, ws.max_row, ws.max_column)
                for i, ws in enumerate(wb.worksheets)]

    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        # openpyxl holds formulas, not their results: both modes read what was entered.
        with self._thread_lock:
            wb = self._workbook()
            names = list(wb.sheetnames) if titles is None else list(titles)
            out = {}
            for t in names:  # sizes of the sheets read only: each costs a pass over its cells
                ws = self._sheet(wb, t)
                i = wb.index(ws)
                if t not in self._extracted:
                    self._extracted[t] = sheet_rows(ws)
                rows = [list(r) for r in self._extracted[t]]  # callers may change their copy
                out[t] = Sheet(SheetInfo(t, i, i, ws.max_row, ws.max_column), rows)
            return out

    def read_rows(self, title: str, rows: Sequence[int]) -> list[list[Cell]]:
        """Some rows of one sheet, typed and trimmed like ``read``, without extracting the rest.

        For a caller that knows which rows it needs from its own bookkeeping (``stats`` tell it
        whether anyone else loaded or wrote since); reloads a file changed on disk, like ``read``.
        """
        with self._thread_lock:
            ws = self._sheet(self._workbook(), title)
            width = ws.max_column
            out = []
            for r in rows:
                cells = next(ws.iter_rows(min_row=r, max_row=r, max_col=width))
                out.append((trim([typed(cells)]) or [[]])[0])
            return out

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._thread_lock:
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

    def apply(self, changes: ChangeSet, *, atomic: bool = True) -> None:
        # Always atomic here: one file replacement, whatever the size.
        if not changes:
            return
        with self.exclusive():
            wb = self._workbook()
            self._extracted.clear()
            try:
                self._apply_in_memory(wb, changes)
                for ws in wb.worksheets:  # the file keeps the grids the memory has
                    mark_grid_corner(ws, ws.max_row, ws.max_column)
                atomic_save(wb, self.path)
            except BaseException as exc:
                self._wb = None  # half-applied in memory: forget it, the file is untouched
                if isinstance(exc, OSError):  # disk full, permissions: ours, not a traceback
                    raise BackendError(f"saving {self.path.name} failed ({exc.strerror or exc}); "
                                       f"the file was not changed") from exc
                raise
            self._stamp = self._disk_stamp()
            self.stats.count("writes")

    def _apply_in_memory(self, wb: openpyxl.Workbook, changes: ChangeSet) -> None:
        for new in changes.new_sheets:
            if new.title in wb.sheetnames:
                raise UsageError(f"sheet {new.title!r} already exists in {self.path.name}")
            mark_grid_corner(wb.create_sheet(new.title), new.rows, new.cols)
        shrinks = []
        for rs in changes.resizes:
            ws = self._sheet(wb, rs.sheet)
            rows, cols = rs.rows or ws.max_row, rs.cols or ws.max_column
            mark_grid_corner(ws, max(rows, ws.max_row), max(cols, ws.max_column))
            if rows < ws.max_row or cols < ws.max_column:
                shrinks.append((ws, rows, cols))
        for block in changes.blocks:
            ws = self._sheet(wb, block.sheet)
            for r, values in enumerate(block.rows, start=block.row):
                for c, value in enumerate(values, start=block.col):
                    write_cell(ws, r, c, value)
        for title, rows in changes.appends:
            ws = self._sheet(wb, title)
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
        for title in changes.deleted_sheets:
            del wb[self._sheet(wb, title).title]
        if not wb.sheetnames:
            raise UsageError("a workbook must keep at least one sheet")

    def close(self) -> None:
        self._wb = None
