"""The cells of one sheet.

Stored as a ragged list of rows, each a list of cell dicts (``{}`` = empty), only as long as the
data that was written; the grid size (rowCount/columnCount) lives in the sheet properties.
Cell dicts are treated as immutable, so ``copy()`` only copies the row lists: cheap enough to
give every write its own working copy (that is how batchUpdate stays all-or-nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Cell = dict[str, Any]
EMPTY: Cell = {}


class Grid:
    def __init__(self, rows: list[list[Cell]] | None = None):
        self.rows: list[list[Cell]] = rows if rows is not None else []

    def copy(self) -> Grid:
        return Grid([list(row) for row in self.rows])

    def get(self, row: int, col: int) -> Cell:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return EMPTY

    def set(self, row: int, col: int, cell: Cell) -> None:
        if not cell and self.get(row, col) is EMPTY:
            return
        while len(self.rows) <= row:
            self.rows.append([])
        cells = self.rows[row]
        if len(cells) <= col:
            cells.extend([EMPTY] * (col + 1 - len(cells)))
        cells[col] = cell if cell else EMPTY

    def insert(self, dimension: str, at: int, count: int) -> None:
        if dimension == "ROWS":
            if at < len(self.rows):
                self.rows[at:at] = [[] for _ in range(count)]
        else:
            for cells in self.rows:
                if at < len(cells):
                    cells[at:at] = [EMPTY] * count

    def delete(self, dimension: str, start: int, end: int) -> None:
        if dimension == "ROWS":
            del self.rows[start:end]
        else:
            for cells in self.rows:
                del cells[start:end]

    def truncate(self, row_count: int, col_count: int) -> None:
        """Drop what falls outside a shrunk grid."""
        del self.rows[row_count:]
        for cells in self.rows:
            del cells[col_count:]

    def has_value(self, row: int, col: int) -> bool:
        return bool(self.get(row, col).get("userEnteredValue"))

    def last_value_row(self) -> int:
        """Index of the last row holding a value, -1 when there is none."""
        for index in range(len(self.rows) - 1, -1, -1):
            if any(cell.get("userEnteredValue") for cell in self.rows[index]):
                return index
        return -1

    def cells(self) -> Iterator[tuple[int, int, Cell]]:
        for r, cells in enumerate(self.rows):
            for c, cell in enumerate(cells):
                if cell:
                    yield r, c, cell
