"""The cells of one sheet.

Stored as a ragged list of rows, each a list of cell dicts (``{}`` = empty), only as long as the
data that was written; the grid size (rowCount/columnCount) lives in the sheet properties.

Copies are copy-on-write, so every write can work on its own copy (that is how batchUpdate stays
all-or-nothing) without paying for the whole sheet: ``copy()`` shares the row lists, and a grid
copies a row the first time it edits it. Cell dicts are never mutated at all (values.py builds
a new dict for every write), so grids, copies and the xlsx cache share them freely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Cell = dict[str, Any]
EMPTY: Cell = {}


class Grid:
    """Rows of cells. ``rows`` is for reading; every change goes through the methods below."""

    def __init__(self, rows: list[list[Cell]] | None = None):
        """Takes ownership of ``rows``."""
        self.rows: list[list[Cell]] = rows if rows is not None else []
        self._own: set[int] = set(range(len(self.rows)))  # rows this grid may edit in place

    def copy(self) -> Grid:
        """A copy sharing every row with this grid; from now on neither edits them in place."""
        twin = Grid()
        twin.rows = list(self.rows)
        self._own = set()
        return twin

    def get(self, row: int, col: int) -> Cell:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return EMPTY

    def _editable(self, row: int) -> list[Cell]:
        """Row ``row``, grown into existence and made this grid's own."""
        rows = self.rows
        while len(rows) <= row:
            self._own.add(len(rows))
            rows.append([])
        if row not in self._own:
            rows[row] = list(rows[row])
            self._own.add(row)
        return rows[row]

    def set(self, row: int, col: int, cell: Cell) -> None:
        self.set_run(row, col, [cell])

    def set_run(self, row: int, col: int, cells: list[Cell]) -> None:
        """Set the cells of ``row`` from ``col`` on (``{}`` clears one); the row does not grow
        for empty cells past its end."""
        current = self.rows[row] if row < len(self.rows) else ()
        end = col + len(cells)
        while end > max(col, len(current)) and not cells[end - col - 1]:
            end -= 1
        if end == col:
            return
        target = self._editable(row)
        if len(target) < end:
            target.extend([EMPTY] * (end - len(target)))
        target[col:end] = [cell or EMPTY for cell in cells[: end - col]]

    def insert(self, dimension: str, at: int, count: int) -> None:
        if dimension == "ROWS":
            if at < len(self.rows):
                self.rows[at:at] = [[] for _ in range(count)]
                self._own = {r + count * (r >= at) for r in self._own} | set(range(at, at + count))
        else:
            for r, cells in enumerate(self.rows):
                if at < len(cells):
                    self._editable(r)[at:at] = [EMPTY] * count

    def delete(self, dimension: str, start: int, end: int) -> None:
        if dimension == "ROWS":
            del self.rows[start:end]
            self._own = {r - (end - start) * (r >= end) for r in self._own if not start <= r < end}
        else:
            for r, cells in enumerate(self.rows):
                if start < len(cells):
                    del self._editable(r)[start:end]

    def truncate(self, row_count: int, col_count: int) -> None:
        """Drop what falls outside a shrunk grid."""
        del self.rows[row_count:]
        self._own = {r for r in self._own if r < row_count}
        for r, cells in enumerate(self.rows):
            if len(cells) > col_count:
                del self._editable(r)[col_count:]

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
