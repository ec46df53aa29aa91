"""Formula references moved as Sheets and Excel move them when columns come or go, or a sheet
is renamed: the .xlsx writer does to its files what Google does to a spreadsheet.

Text is scanned token by token (strings, quoted sheet names, function and defined names are
stepped over whole), so only real cell references change. A reference to a sheet ``sheet``
(qualified with its name, or unqualified in a formula of that sheet) moves with its cells: a
reference at or after an insertion moves right, a range that spans it grows; a range losing
some of its columns shrinks, one losing all of them, or a single cell deleted, becomes
``#REF!``. ``$`` marks stay (they matter for copying, not for moving). Row-only references
(``2:5``) never move with columns, column-only ones (``A:C``) never with rows: rows move
with the same arithmetic, on the row part of each reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import column_letter

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"]|"")*")
  | (?P<ref>
      (?:(?P<sheet>'(?:[^']|'')+'|[^\W\d][\w.]*)!)?
      (?P<start>\$?[A-Za-z]{1,3}\$?[0-9]+|\$?[A-Za-z]{1,3}(?=:)|\$?[0-9]+(?=:))
      (?::(?P<end>\$?[A-Za-z]{1,3}\$?[0-9]+|\$?[A-Za-z]{1,3}|\$?[0-9]+))?
      (?![\w.(!:\[]))
  | (?P<name>[^\W\d][\w.]*\(?)
  | (?P<other>.)
    """,
    re.VERBOSE | re.S,
)
_PART = re.compile(r"(\$?)([A-Za-z]*)(\$?)([0-9]*)")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*")
REF_ERROR = "#REF!"


@dataclass(frozen=True)
class ColumnMove:
    """Columns ``[col, col + count)`` (1-based) of ``sheet`` inserted, or deleted."""

    sheet: str
    col: int
    count: int
    delete: bool

    def position(self, col: int) -> int | None:
        """Where column ``col`` of a single-cell reference goes; None when it is deleted."""
        if not self.delete:
            return col + self.count if col >= self.col else col
        if col < self.col:
            return col
        return None if col < self.col + self.count else col - self.count

    def span(self, first: int, last: int) -> tuple[int, int] | None:
        """Where the columns ``first..last`` of a range go; None when all of them are deleted."""
        if not self.delete:
            return (first + self.count * (first >= self.col), last + self.count * (last >= self.col))
        end = self.col + self.count
        if self.col <= first and last < end:
            return None
        new_first = first if first < self.col else self.col if first < end else first - self.count
        new_last = last if last < self.col else self.col - 1 if last < end else last - self.count
        return new_first, new_last


@dataclass(frozen=True)
class RowMove(ColumnMove):
    """Rows ``[col, col + count)`` (1-based) of ``sheet`` inserted, or deleted: the same
    arithmetic as columns, applied to the row part of each reference."""


def quote_title(title: str) -> str:
    """A sheet name as a formula writes it: bare when it can be, quoted (quotes doubled) else."""
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _unquote(sheet: str) -> str:
    return sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet


def _col(part: str) -> tuple[str, int | None, str]:
    """``$AB$12`` -> ("$", 28, "$12"): the column mark, number (None if row-only) and the rest."""
    m = _PART.fullmatch(part)
    assert m is not None
    dollar, letters, rest = m[1], m[2], m[3] + m[4]
    if not letters:
        return "", None, part
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return dollar, number, rest


def _row(part: str) -> tuple[str, int | None, str]:
    """``$AB$12`` -> ("$AB$", 12, ""): the text before the row, its number (None if
    column-only) and nothing after, shaped like ``_col`` so ``_moved`` serves both."""
    m = _PART.fullmatch(part)
    assert m is not None
    if not m[4]:
        return part, None, ""
    return m[1] + m[2] + m[3], int(m[4]), ""


def _moved(start: str, end: str | None, move: ColumnMove) -> str | None:
    """The cells part of a reference after ``move``; None when it is gone (#REF!)."""
    split, label = (_row, str) if isinstance(move, RowMove) else (_col, column_letter)
    d1, c1, r1 = split(start)
    if c1 is None:
        return start + (":" + end if end else "")
    if end is None:
        at = move.position(c1)
        return None if at is None else f"{d1}{label(at)}{r1}"
    d2, c2, r2 = split(end)
    assert c2 is not None
    span = move.span(min(c1, c2), max(c1, c2))
    if span is None:
        return None
    return f"{d1}{label(span[0])}{r1}:{d2}{label(span[1])}{r2}"


def _rewrite(formula: str, here: str, change) -> str:
    """Each reference token through ``change(sheet title, token match)`` -> new text or None."""
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(formula):
        if m["ref"] is None:
            continue
        title = _unquote(m["sheet"]) if m["sheet"] else here
        new = change(title, m)
        if new is not None:
            out.append(formula[pos:m.start()])
            out.append(new)
            pos = m.end()
    if not out:
        return formula
    out.append(formula[pos:])
    return "".join(out)


def move_cells(formula: str, here: str, move: ColumnMove) -> str:
    """``formula`` (of a cell of sheet ``here``, with or without its ``=``) after ``move`` (of
    columns, or of rows: a ``RowMove``)."""
    target = move.sheet.casefold()

    def change(title: str, m: re.Match[str]) -> str | None:
        if title.casefold() != target:
            return None
        cells = _moved(m["start"], m["end"], move)
        if cells is None:
            return REF_ERROR
        return (m["sheet"] + "!" if m["sheet"] else "") + cells

    return _rewrite(formula, here, change)


def rename_sheet(formula: str, here: str, old: str, new: str) -> str:
    """``formula`` after sheet ``old`` became ``new``: its qualified references follow."""
    target = old.casefold()

    def change(title: str, m: re.Match[str]) -> str | None:
        if not m["sheet"] or title.casefold() != target:
            return None
        return quote_title(new) + m[0][len(m["sheet"]):]

    return _rewrite(formula, here, change)


def mentions(formula: str, here: str, sheet: str) -> bool:
    """Whether ``formula`` has a reference to ``sheet``."""
    target = sheet.casefold()
    return any(m["ref"] is not None
               and (_unquote(m["sheet"]) if m["sheet"] else here).casefold() == target
               for m in _TOKEN.finditer(formula))
