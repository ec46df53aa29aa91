"""A set of changes that a backend applies as one atomic unit.

The caller describes *what* should change (cells, grid sizes, appended rows, sheets added,
renamed or removed, columns inserted or deleted mid-sheet, number formats); the backend
decides how to make it one atomic write: one ``spreadsheets.batchUpdate`` on Google, one file
replacement on .xlsx. Nothing is written until ``Workbook.apply``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import UsageError
from ..formula_refs import ColumnMove
from ..values import Cell


@dataclass(frozen=True)
class CellBlock:
    """A rectangle of values whose top-left corner is (row, col), 1-based. ``None`` clears a cell."""

    sheet: str
    row: int
    col: int
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def last_row(self) -> int:
        return self.row + len(self.rows) - 1

    @property
    def last_col(self) -> int:
        return self.col + max((len(r) for r in self.rows), default=1) - 1


@dataclass(frozen=True)
class Resize:
    """Set a sheet's grid to exactly ``rows`` × ``cols`` (None keeps that dimension)."""

    sheet: str
    rows: int | None
    cols: int | None


@dataclass(frozen=True)
class NewSheet:
    title: str
    rows: int
    cols: int


@dataclass(frozen=True)
class SheetRename:
    old: str
    new: str


@dataclass(frozen=True)
class NumberFormat:
    """A number format (``0.00``, ``dd-mm-yyyy``) for a rectangle; None ends at the grid's edge."""

    sheet: str
    row: int
    col: int
    last_row: int | None
    last_col: int | None
    pattern: str


@dataclass
class ChangeSet:
    """Everything one atomic write will do, in the order a backend applies it.

    Order: sheets added, sheets renamed, columns inserted or deleted (each in the positions the
    one before left), grids grown, cells written, rows appended, grids shrunk, number formats
    set, sheets deleted. So everything after a rename names the sheet by its new title, and
    everything after a column move addresses cells where they are after it. Formulas anywhere
    that refer to moved columns or a renamed sheet follow them, as in Sheets and Excel. Cell
    writes past the grid grow it automatically in the same unit.
    """

    new_sheets: list[NewSheet] = field(default_factory=list)
    renames: list[SheetRename] = field(default_factory=list)
    column_moves: list[ColumnMove] = field(default_factory=list)
    resizes: list[Resize] = field(default_factory=list)
    blocks: list[CellBlock] = field(default_factory=list)
    appends: list[tuple[str, tuple[tuple[Cell, ...], ...]]] = field(default_factory=list)
    number_formats: list[NumberFormat] = field(default_factory=list)
    deleted_sheets: list[str] = field(default_factory=list)
    #: Short records about the workbook, kept beside its sheets where the backend can (Google:
    #: developer metadata): a quick answer to what the sheets also say, so never the only copy.
    #: They ride along with a change; a set holding nothing else is empty (Google still writes
    #: it: a note alone).
    notes: dict[str, str] = field(default_factory=dict)

    def add_sheet(self, title: str, rows: int = 1000, cols: int = 26) -> ChangeSet:
        if rows < 1 or cols < 1:
            raise UsageError(f"sheet {title!r}: a grid needs at least one row and column")
        self.new_sheets.append(NewSheet(title, rows, cols))
        return self

    def delete_sheet(self, title: str) -> ChangeSet:
        self.deleted_sheets.append(title)
        return self

    def rename_sheet(self, old: str, new: str) -> ChangeSet:
        if not new.strip():
            raise UsageError(f"sheet {old!r}: a sheet needs a non-blank title")
        self.renames.append(SheetRename(old, new))
        return self

    def insert_columns(self, sheet: str, before_col: int, count: int = 1) -> ChangeSet:
        """``count`` empty columns so that the first is column ``before_col`` (1-based); the
        columns from there move right."""
        return self._move(ColumnMove(sheet, before_col, count, delete=False))

    def delete_columns(self, sheet: str, col: int, count: int = 1) -> ChangeSet:
        """Delete columns ``col .. col + count - 1`` (1-based); those after them move left."""
        return self._move(ColumnMove(sheet, col, count, delete=True))

    def _move(self, move: ColumnMove) -> ChangeSet:
        if move.col < 1 or move.count < 1:
            raise UsageError(f"sheet {move.sheet!r}: columns are 1-based and at least one moves, "
                             f"got column {move.col}, count {move.count}")
        self.column_moves.append(move)
        return self

    def set_number_format(self, sheet: str, pattern: str, *, row: int = 1, col: int = 1,
                          last_row: int | None = None, last_col: int | None = None) -> ChangeSet:
        """Show the cells of a rectangle with ``pattern``; only their format changes."""
        if row < 1 or col < 1 or (last_row or row) < row or (last_col or col) < col:
            raise UsageError(f"sheet {sheet!r}: bad range for a number format: rows {row}.."
                             f"{last_row or ''}, columns {col}..{last_col or ''}")
        if not pattern:
            raise UsageError(f"sheet {sheet!r}: a number format needs a pattern")
        self.number_formats.append(NumberFormat(sheet, row, col, last_row, last_col, pattern))
        return self

    def resize(self, sheet: str, rows: int | None = None, cols: int | None = None) -> ChangeSet:
        if (rows is not None and rows < 1) or (cols is not None and cols < 1):
            raise UsageError(f"sheet {sheet!r}: a grid needs at least one row and column")
        self.resizes.append(Resize(sheet, rows, cols))
        return self

    def put(self, sheet: str, row: int, col: int, value: Cell) -> ChangeSet:
        """Write one cell (1-based). ``None`` clears it; a ``str`` always stays text."""
        return self.set_block(sheet, row, col, [[value]])

    def set_row(self, sheet: str, row: int, col: int, values: Sequence[Cell]) -> ChangeSet:
        return self.set_block(sheet, row, col, [values])

    def set_block(self, sheet: str, row: int, col: int,
                  rows: Sequence[Sequence[Cell]]) -> ChangeSet:
        if row < 1 or col < 1:
            raise UsageError(f"sheet {sheet!r}: rows and columns are 1-based, got ({row}, {col})")
        if rows:
            self.blocks.append(CellBlock(sheet, row, col, tuple(tuple(r) for r in rows)))
        return self

    def append_rows(self, sheet: str, rows: Sequence[Sequence[Cell]]) -> ChangeSet:
        """Add rows after the sheet's last row with data (the grid grows as needed)."""
        if rows:
            self.appends.append((sheet, tuple(tuple(r) for r in rows)))
        return self

    def extend(self, other: ChangeSet) -> ChangeSet:
        """Merge another change set into this one, keeping both in the same atomic write."""
        self.new_sheets += other.new_sheets
        self.renames += other.renames
        self.column_moves += other.column_moves
        self.resizes += other.resizes
        self.blocks += other.blocks
        self.appends += other.appends
        self.number_formats += other.number_formats
        self.deleted_sheets += other.deleted_sheets
        self.notes.update(other.notes)
        return self

    def set_note(self, key: str, value: str) -> ChangeSet:
        """Keep ``value`` as the workbook's note ``key`` (``Backend.note``), in the same write."""
        self.notes[key] = value
        return self

    def __bool__(self) -> bool:
        return bool(self.new_sheets or self.renames or self.column_moves or self.resizes
                    or self.blocks or self.appends or self.number_formats or self.deleted_sheets)

    @property
    def moves_structure(self) -> bool:
        """Whether formulas of any sheet may have to follow (columns moved, a sheet renamed)."""
        return bool(self.renames or self.column_moves)

    def sheets_touched(self) -> set[str]:
        return ({s.title for s in self.new_sheets} | {r.new for r in self.renames}
                | {r.old for r in self.renames} | {m.sheet for m in self.column_moves}
                | {r.sheet for r in self.resizes} | {b.sheet for b in self.blocks}
                | {a[0] for a in self.appends} | {f.sheet for f in self.number_formats}
                | set(self.deleted_sheets))

    def cell_count(self) -> int:
        return (sum(len(r) for b in self.blocks for r in b.rows)
                + sum(len(r) for _, rows in self.appends for r in rows))
