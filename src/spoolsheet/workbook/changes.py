"""A set of changes that a backend applies as one atomic unit.

The caller describes *what* should change (cells, grid sizes, appended rows, sheets added or
removed); the backend decides how to make it one atomic write: one ``spreadsheets.batchUpdate``
on Google, one file replacement on .xlsx. Nothing is written until ``Workbook.apply``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import UsageError
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


@dataclass
class ChangeSet:
    """Everything one atomic write will do, in the order a backend applies it.

    Order: sheets added, grids grown, cells written, rows appended, grids shrunk, sheets deleted.
    Cell writes past the grid grow it automatically in the same unit.
    """

    new_sheets: list[NewSheet] = field(default_factory=list)
    resizes: list[Resize] = field(default_factory=list)
    blocks: list[CellBlock] = field(default_factory=list)
    appends: list[tuple[str, tuple[tuple[Cell, ...], ...]]] = field(default_factory=list)
    deleted_sheets: list[str] = field(default_factory=list)

    def add_sheet(self, title: str, rows: int = 1000, cols: int = 26) -> ChangeSet:
        if rows < 1 or cols < 1:
            raise UsageError(f"sheet {title!r}: a grid needs at least one row and column")
        self.new_sheets.append(NewSheet(title, rows, cols))
        return self

    def delete_sheet(self, title: str) -> ChangeSet:
        self.deleted_sheets.append(title)
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
        self.resizes += other.resizes
        self.blocks += other.blocks
        self.appends += other.appends
        self.deleted_sheets += other.deleted_sheets
        return self

    def __bool__(self) -> bool:
        return bool(self.new_sheets or self.resizes or self.blocks or self.appends
                    or self.deleted_sheets)

    def sheets_touched(self) -> set[str]:
        return ({s.title for s in self.new_sheets} | {r.sheet for r in self.resizes}
                | {b.sheet for b in self.blocks} | {a[0] for a in self.appends}
                | set(self.deleted_sheets))

    def cell_count(self) -> int:
        return (sum(len(r) for b in self.blocks for r in b.rows)
                + sum(len(r) for _, rows in self.appends for r in rows))
