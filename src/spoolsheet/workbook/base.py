"""The backend contract: what every storage (Google Sheets, .xlsx) must do, and nothing more.

Like httpx's transports, a backend does I/O and only I/O: list sheets, read whole sheets, apply a
``ChangeSet`` atomically, and give an exclusive section for read-check-write. Everything that
knows about spools, backups or migrations lives above it, in ``Workbook`` and its users.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import SheetNotFound, UsageError
from ..progress import scanned
from ..values import Cell, is_blank
from .changes import ChangeSet


@dataclass(frozen=True)
class SheetInfo:
    """A sheet's identity and grid size (rows × cols), which may exceed its data."""

    title: str
    sheet_id: int
    index: int
    rows: int
    cols: int


@dataclass
class Sheet:
    """A sheet's content as read: ``rows[r][c]`` is the cell at row r+1, column c+1.

    Trailing blank cells and rows are trimmed (as Google returns them), so ``rows`` may be shorter
    than the grid; ``cell`` answers None past the data.
    """

    info: SheetInfo
    rows: list[list[Cell]]

    @property
    def title(self) -> str:
        return self.info.title

    def cell(self, row: int, col: int) -> Cell:
        if 1 <= row <= len(self.rows):
            r = self.rows[row - 1]
            if 1 <= col <= len(r):
                return r[col - 1]
        return None

    def row(self, row: int) -> list[Cell]:
        return list(self.rows[row - 1]) if 1 <= row <= len(self.rows) else []

    def column(self, col: int, start: int = 1) -> list[Cell]:
        return [self.cell(r, col) for r in range(start, len(self.rows) + 1)]


def trim(rows: Sequence[Sequence[Cell]]) -> list[list[Cell]]:
    """Drop trailing blank cells of each row and trailing blank rows (Google's read shape)."""
    out: list[list[Cell]] = []
    for row in scanned(rows):  # a running count (a migration's plan) moves as it goes
        r = list(row)
        while r and (r[-1] is None or r[-1] == ""):
            r.pop()
        out.append(r)
    while out and not out[-1]:
        out.pop()
    return out


@dataclass(frozen=True)
class Region:
    """A rectangle of one sheet to read: 1-based and inclusive; a None bound runs to the end.

    ``Region("Operaciones", 1, 1)`` is the header row, ``Region("Operaciones", first_col=6,
    last_col=6)`` the whole sixth column, ``Region("Operaciones", 120, 120)`` one row.
    """

    title: str
    first_row: int = 1
    last_row: int | None = None
    first_col: int = 1
    last_col: int | None = None
    #: ``(column, text)``: only the rows whose cell in that column of the sheet (one of the
    #: region's) is not blank and reads as ``text`` (``str`` of the value); the other rows
    #: read as blank, so each row keeps its place. A backend may skip them before typing them.
    where: tuple[int, str] | None = None

    def __post_init__(self) -> None:
        if self.where is not None and not (
                self.first_col <= self.where[0] <= (self.last_col or self.where[0])):
            raise ValueError(f"where column {self.where[0]} is outside the region {self}")

    def cut(self, rows: Sequence[Sequence[Cell]]) -> list[list[Cell]]:
        """This region out of a whole sheet's rows (trimmed as ``trim`` does)."""
        picked = rows[self.first_row - 1:self.last_row]
        return self.kept(trim([list(r[self.first_col - 1:self.last_col]) for r in picked]))

    def keeps(self, value: Cell) -> bool:
        """Whether a row whose cell in the ``where`` column holds ``value`` is read."""
        return self.where is None or (not is_blank(value) and str(value) == self.where[1])

    def kept(self, cells: list[list[Cell]]) -> list[list[Cell]]:
        """The region's cells (as cut) with the rows ``where`` does not keep made blank."""
        if self.where is None:
            return cells
        col = self.where[0] - self.first_col
        out = [row if self.keeps(row[col] if col < len(row) else None) else [] for row in cells]
        while out and not out[-1]:
            out.pop()
        return out


@dataclass
class RequestStats:
    """Requests a backend made, by kind. On .xlsx a read is a file load and a write a file save."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, kind: str) -> None:
        with self._lock:
            setattr(self, kind, getattr(self, kind) + 1)

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def snapshot(self) -> dict[str, int]:
        return {"reads": self.reads, "writes": self.writes, "retries": self.retries}


class Backend(ABC):
    """One storage for one workbook. Implementations: ``XlsxBackend``, ``GoogleBackend``."""

    kind: str  # "xlsx" or "google"
    stats: RequestStats

    @property
    @abstractmethod
    def id(self) -> str:
        """Stable identity of the workbook: the spreadsheet id, or the file's absolute path."""

    @property
    @abstractmethod
    def title(self) -> str:
        """The workbook's human name: the spreadsheet title, or the file name without suffix."""

    @abstractmethod
    def sheets(self) -> list[SheetInfo]:
        """Every sheet with its grid size, in order (cached; kept current by ``apply``)."""

    def sheet_titles(self) -> list[str]:
        """Every sheet's title, in order: ``sheets()`` without the grids, where a backend
        learns those at a cost of their own (.xlsx: inflating each part)."""
        return [s.title for s in self.sheets()]

    @abstractmethod
    def read(self, titles: Sequence[str] | None = None, *,
             formulas: bool = True) -> dict[str, Sheet]:
        """Whole sheets (all when ``titles`` is None) in one request; values unformatted and typed.

        ``formulas=False`` allows a cheaper read of computed values where the backend has one.
        """

    def read_regions(self, regions: Sequence[Region], *,
                     formulas: bool = False) -> list[list[list[Cell]]]:
        """Each region's cells (``out[i][r][c]`` relative to region i's top-left corner, trimmed),
        all in one request, typed as ``read`` types them; unknown sheets raise ``SheetNotFound``.

        What an operation that needs a few rows or columns calls instead of reading whole sheets
        (Google: one ``values:batchGet``; .xlsx: only the parts and rows needed). This default
        reads the whole sheets and cuts; backends override it with something cheaper.
        """
        titles = list(dict.fromkeys(r.title for r in regions))
        sheets = self.read(titles, formulas=formulas)
        missing = [t for t in titles if t not in sheets]
        if missing:
            raise SheetNotFound(f"sheet {missing[0]!r} not found in {self.title!r}")
        return [r.cut(sheets[r.title].rows) for r in regions]

    def read_described(self, regions: Sequence[Region]) -> list[list[list[Cell]]]:
        """``read_regions`` of a few small regions that also learns, in the same request, what
        ``title``, ``sheet_info`` (the sheets touched) and ``note`` answer: a fresh process's
        first read needs no sheet list then. Google answers it as grid data, about 3 x the
        bytes of ``read_regions`` a cell: never for a long column. This default is
        ``read_regions``."""
        return self.read_regions(regions)

    def sheet_info(self, title: str) -> SheetInfo | None:
        """The sheet ``title`` as the sheet list or the last read that touched it left it; None
        when the workbook has no such sheet. Asks only when neither knows."""
        return next((i for i in self.sheets() if i.title == title), None)

    def note(self, key: str) -> str | None:
        """The note ``key`` a change set kept (``ChangeSet.set_note``) as of the last read, or
        None: none kept, or a backend that keeps none (this default). Callers work the answer
        out from the sheets then."""
        return None

    def revision(self) -> object | None:
        """A token equal between two calls only if nothing changed the workbook in between
        (ours or anyone's writes); None when the backend cannot know without a request.

        Lets a long-lived service keep what it read and re-read only when this changed.
        """
        return None

    @property
    def location(self) -> str:
        """Where the workbook is, for messages: a file path or the spreadsheet's URL."""
        return self.id

    @abstractmethod
    def apply(self, changes: ChangeSet, *, atomic: bool = True) -> None:
        """Apply every change or none of them.

        ``atomic=False`` lets a backend split a change too large for one request; only for work
        that is safe to run again if it stops half-way (a restore, a fill).
        """

    @abstractmethod
    def split(self, changes: ChangeSet,
              sheets: Mapping[str, SheetInfo] | None = None) -> list[ChangeSet]:
        """``changes`` as the fewest change sets that ``apply`` writes as one atomic request
        each, in order: ``[changes]`` when it fits in one (on .xlsx always, one save whatever
        the size). Applied in order they do what ``changes`` does; the first holds all the
        structure (sheets, renames, columns, grids, number formats) and every header row, so a
        run stopped between two parts leaves whole columns with their headers and only cells
        missing, which an idempotent caller finishes. ``sheets``: the sheets the change will
        meet (default: the workbook's as last read), for a change planned on predicted sheets.
        """

    @abstractmethod
    def exclusive(self) -> AbstractContextManager[None]:
        """A section no other writer of this workbook enters (file lock / in-process lock)."""

    @abstractmethod
    def sidecar(self, name: str) -> Path | None:
        """A local file beside the workbook for a note about who holds ``exclusive()``, or None.

        A path only where ``exclusive()`` is a lock across processes that the OS drops when its
        holder dies (.xlsx): then a long run holds it and notes its owner there. None (Google:
        ``exclusive()`` is in-process only) means such records must live in the workbook itself.
        """

    @abstractmethod
    def backup_store(self, folder: str | None) -> BackupStore:
        """Where this workbook's backups live in ``folder`` (None: the backend's default)."""

    def close(self) -> None:  # noqa: B027  (optional: most backends hold nothing to release)
        """Release what the backend holds. Idempotent."""

    def describe(self) -> str:
        return f"{self.kind}:{self.id}"


# --- backups: the store a backend gives for them ------------------------------------------------

class BackupNotFound(UsageError):
    """No backup answers to that id or name (or it is in the trash, or not a spoolsheet backup)."""


@dataclass(frozen=True)
class StoredCopy:
    """A copy of a workbook as its store keeps it, with the text stored beside it.

    ``manifest`` is that text (None: there is none, ``problem`` says why); ``tags`` are the short
    properties given to ``copy`` where the store keeps them apart (Drive); ``path`` is a local file.
    """

    id: str
    name: str
    created: dt.datetime  # aware
    manifest: str | None
    problem: str | None = None
    verified: bool | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None
    path: str | None = None


@dataclass
class RolledBack:
    """What ``BackupStore.roll_back`` left: the live sheets afterwards, and what else it checked
    (formats, ...) that did not come out as the backup has it."""

    sheets: dict[str, Sheet]
    problems: list[str] = field(default_factory=list)


class BackupStore(Protocol):
    """The backups of one live workbook in one folder: copies, not what a backup must prove.

    Every method does what it says or raises one of our errors having changed nothing.
    """

    folder: str  # where new backups go, for people
    removal: str  # what ``remove`` does, for people ("deleted", "moved to the trash")
    restores: str  # what ``roll_back`` puts back, for people

    def check_folder(self) -> None:
        """A clear error when the folder is missing (dry runs: nothing is written)."""

    def copy(self, name: str, manifest: str, tags: Mapping[str, str]) -> StoredCopy:
        """Copy the live workbook, as last read inside ``exclusive()``, into a new backup."""

    def same_as_read(self, copy: StoredCopy) -> bool:
        """Whether ``copy`` holds, byte for byte, the live workbook as last read inside
        ``exclusive()``: it then reads as that read did, so checking it needs no read of its
        own. False when that cannot be shown (then the copy is read and checked)."""

    def record_verification(self, copy: StoredCopy, ok: bool) -> StoredCopy:
        """Keep a verification's result with the backup."""

    def get(self, copy_id: str) -> StoredCopy:
        """The backup with this id, or ``BackupNotFound``."""

    def list(self) -> list[StoredCopy]:
        """The backups in the folder that may be this workbook's, in any order."""

    def remove(self, copy: StoredCopy) -> None:
        """Remove a backup (Drive: to the trash)."""

    def open(self, copy: StoredCopy, *, for_restore: bool = False) -> AbstractContextManager[Backend]:
        """The backup as a backend to read; with ``for_restore`` the one ``roll_back`` takes."""

    def content(self, staged: Backend) -> dict[str, Sheet]:
        """Every sheet of an opened backup, and whatever else ``roll_back`` needs of it, in one
        read: a restore starts with this."""

    def roll_back(self, staged: Backend, live_changes: ChangeSet, backup_changes: ChangeSet,
                  target: Mapping[str, Sheet], kept: Sequence[str] = ()) -> RolledBack:
        """Make the live workbook read as ``target`` (sheets in order), and check it.

        ``staged`` is ``open(copy, for_restore=True)``; ``live_changes`` turn the live workbook as
        last read into ``target``, ``backup_changes`` turn the backup into it: a store applies
        whichever it starts from. ``kept`` sheets keep their live content and formats. Puts back
        all that ``restores`` says.
        """


def row_is_blank(row: Sequence[Cell]) -> bool:
    return all(is_blank(v) for v in row)
