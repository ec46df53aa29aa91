"""A1 notation: parse what clients send, print what the real API answers.

The API echoes ranges back normalised (``Sheet1!A1:Z1000``, ``'My Sheet'!A1:B2``), and tests
compare those strings, so parsing and printing live together here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18278  # column ZZZ, the API's hard limit
Box = tuple[int, int, int, int]  # row0, col0, row1, col1: 0-based, half-open

_CELL = re.compile(r"^(?P<col>[A-Za-z]{1,3})?(?P<row>[1-9][0-9]*)?$")
_UNQUOTED_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[Rr][0-9]*[Cc][0-9]*$")


def column_letters(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Letters -> 0-based column index (A -> 0)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def quote_title(title: str) -> str:
    """Quote a sheet title the way the API does in the ranges it returns."""
    if _UNQUOTED_TITLE.match(title) and not _LOOKS_LIKE_CELL.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, row0: int, col0: int, row1: int, col1: int) -> str:
    """Sheet title + half-open 0-based box -> ``Sheet1!A1:B2`` (``Sheet1!A1`` for one cell)."""
    start = f"{column_letters(col0)}{row0 + 1}"
    end = f"{column_letters(col1 - 1)}{row1}"
    cells = start if (row1 - row0, col1 - col0) == (1, 1) else f"{start}:{end}"
    return f"{quote_title(title)}!{cells}"


@dataclass(frozen=True)
class A1:
    """A parsed range. Bounds are 0-based and half-open; ``None`` means "to the grid edge"."""

    sheet: str | None
    row0: int | None = None
    col0: int | None = None
    row1: int | None = None
    col1: int | None = None
    single_cell: bool = False

    @property
    def whole_sheet(self) -> bool:
        return (self.row0, self.col0, self.row1, self.col1) == (None, None, None, None)

    def box(self, row_count: int, col_count: int) -> Box:
        """Fill open bounds from the grid size."""
        return (
            self.row0 or 0,
            self.col0 or 0,
            row_count if self.row1 is None else self.row1,
            col_count if self.col1 is None else self.col1,
        )


def split_sheet(text: str) -> tuple[str | None, str]:
    """``'My Sheet'!A1`` -> ("My Sheet", "A1"); ``A1`` -> (None, "A1"); ``Sheet1`` -> (None, "Sheet1")."""
    if text.startswith("'"):
        end = 1
        while True:
            end = text.find("'", end)
            if end < 0:
                raise ValueError(text)
            if text[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        title = text[1:end].replace("''", "'")
        rest = text[end + 1 :]
        if rest == "":
            return title, ""
        if not rest.startswith("!"):
            raise ValueError(text)
        return title, rest[1:]
    if "!" in text:
        title, _, cells = text.rpartition("!")
        if not title:
            raise ValueError(text)
        return title, cells
    return None, text


def parse_cells(cells: str) -> tuple[int | None, int | None, int | None, int | None, bool]:
    """``A1:B2`` / ``A:A`` / ``1:2`` / ``A2:B`` / ``A1`` -> (row0, col0, row1, col1, single_cell)."""
    parts = cells.split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(cells)
    ends = []
    for part in parts:
        match = _CELL.match(part)
        if not match or not (match["col"] or match["row"]):
            raise ValueError(cells)
        col = column_index(match["col"]) if match["col"] else None
        row = int(match["row"]) - 1 if match["row"] else None
        ends.append((col, row))
    if len(ends) == 1:
        col, row = ends[0]
        if col is None or row is None:
            raise ValueError(cells)
        return row, col, row + 1, col + 1, True
    (c0, r0), (c1, r1) = ends
    if c0 is not None and c1 is not None and c0 > c1:
        c0, c1 = c1, c0
    if r0 is not None and r1 is not None and r0 > r1:
        r0, r1 = r1, r0
    return r0, c0, None if r1 is None else r1 + 1, None if c1 is None else c1 + 1, False


def parse(text: str, sheet_titles: list[str]) -> A1:
    """Parse a client range against the spreadsheet's sheet titles.

    A bare word that names a sheet is that whole sheet (the API prefers the sheet over a cell
    reference); anything else without ``!`` addresses the first sheet. Raises ValueError.
    """
    title, cells = split_sheet(text.strip())
    if title is None:
        if cells in sheet_titles:
            return A1(sheet=cells)
        return A1(None, *parse_cells(cells))
    if cells == "":
        return A1(sheet=title)
    return A1(title, *parse_cells(cells))
