"""Content fingerprints: one hash per sheet over every cell, and the first differences.

Backups, restores and migrations all prove "nothing else changed" with these. A fingerprint
covers the sheet's grid size and every cell's canonical value (formulas as formulas), so two
sheets with the same fingerprint hold the same content cell for cell.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import is_
from typing import Any

from .progress import scanned
from .schema import column_letter
from .values import canonical
from .workbook.base import Sheet

#: One encoder for every row (``json.dumps`` with options builds one per call).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _row_bytes(row: Iterable[object]) -> bytes:
    # non-empty text and plain ints are their own canonical form: most cells skip the call
    cells = [v if (t := type(v)) is int or (t is str and v) else canonical(v) for v in row]
    while cells and cells[-1] is None:
        cells.pop()
    return _ENCODE(cells).encode()


def _content_end(rows: Sequence[Sequence[object]], start: int = 0) -> int:
    """How many rows count: the trailing blank ones (from ``start`` on) do not."""
    end = len(rows)
    while end > start and all(canonical(v) is None for v in rows[end - 1]):
        end -= 1
    return end


def _hash_rows(hashes: Sequence[Any], rows: Sequence[Sequence[object]], start: int,
               end: int) -> None:
    for i in scanned(range(start, end)):  # a running count moves within the sheet
        line = _row_bytes(rows[i]) + b"\n"
        for h in hashes:
            h.update(line)


def _grid_line(sheet: Sheet) -> bytes:
    return f"{sheet.info.rows}x{sheet.info.cols}\n".encode()


def sheet_fingerprint(sheet: Sheet, *, columns: int | None = None, grid: bool = True) -> str:
    """sha256 over the grid size and every row; ``columns`` limits it to the first N columns."""
    h = hashlib.sha256()
    if grid:
        h.update(_grid_line(sheet))
    rows = [r[:columns] for r in sheet.rows] if columns is not None else sheet.rows
    _hash_rows([h], rows, 0, _content_end(rows))
    return h.hexdigest()


@dataclass
class _Hashed:
    rows: list[list[object]]  # the rows hashed, copied (their cells: the objects compared)
    plain: Any  # sha256 over them, without the grid (a copy is hashed on)
    full: dict[bytes, str]  # the grid line -> the digest with it

    @classmethod
    def of(cls, rows: Sequence[Sequence[object]], end: int, plain: Any,
           full: dict[bytes, str]) -> _Hashed:
        """Kept as copies of the row lists: a caller may edit its own lists afterwards."""
        return cls([list(r) for r in rows[:end]], plain, full)

    @property
    def end(self) -> int:
        return len(self.rows)


class KeptHashes:
    """``sheet_fingerprint`` that remembers, per sheet title, the rows it hashed: a sheet (or a
    region of one, ``grid=False``) whose rows are the very cell objects hashed before is not
    hashed again, and rows appended after them are hashed on from where it stopped (cells are
    immutable: the same objects are the same content). A backup and the migration it is made
    for fingerprint the same cells (the .xlsx backend hands back what it read); values parsed
    anew (Google) are other objects and are hashed. Called as a ``Fingerprinter``: with the grid."""

    def __init__(self) -> None:
        self._seen: dict[str, _Hashed] = {}

    def __call__(self, sheet: Sheet) -> str:
        return self.of(sheet)

    def of(self, sheet: Sheet, *, grid: bool = True) -> str:
        rows, seen, line = sheet.rows, self._seen.get(sheet.title), _grid_line(sheet)
        if seen is not None and _same_first(seen.rows, rows, seen.end):
            end = _content_end(rows, seen.end)  # the rows hashed, and any that follow them
            if end == seen.end and (not grid or line in seen.full):
                return seen.full[line] if grid else str(seen.plain.hexdigest())
            if not grid:  # hashed on from where it stopped
                plain = seen.plain.copy()
                _hash_rows([plain], rows, seen.end, end)
                self._seen[sheet.title] = _Hashed.of(rows, end, plain, {})
                return str(plain.hexdigest())
        plain, full = hashlib.sha256(), hashlib.sha256(line)
        end = _content_end(rows)
        _hash_rows([plain, full], rows, 0, end)
        self._seen[sheet.title] = _Hashed.of(rows, end, plain, {line: full.hexdigest()})
        return full.hexdigest() if grid else str(plain.hexdigest())


def _same_first(a: Sequence[Sequence[object]], b: Sequence[Sequence[object]], n: int) -> bool:
    """The first ``n`` rows of ``a`` and ``b`` hold the very same cell objects (a row may end
    in more blank cells than the other: a region cut from wider rows; they hash alike)."""
    return len(a) >= n and len(b) >= n and all(map(_same_row, a[:n], b[:n]))


def _same_row(x: Sequence[object], y: Sequence[object]) -> bool:
    if len(x) == len(y):
        return all(map(is_, x, y))
    short, long = (x, y) if len(x) < len(y) else (y, x)
    tail = long[len(short):]
    return all(map(is_, short, long)) and tail.count(None) == len(tail)


def workbook_fingerprints(sheets: Mapping[str, Sheet]) -> dict[str, str]:
    return {title: sheet_fingerprint(sheet) for title, sheet in sheets.items()}


@dataclass(frozen=True)
class CellDifference:
    sheet: str
    row: int
    col: int
    expected: object
    found: object

    def __str__(self) -> str:
        return (f"{self.sheet}!{column_letter(self.col)}{self.row}: expected {self.expected!r}, "
                f"found {self.found!r}")


def differences(expected: Sheet, found: Sheet, *, limit: int = 10) -> list[CellDifference]:
    """The first ``limit`` cells where two sheets differ, in reading order."""
    out: list[CellDifference] = []
    for r in range(1, max(len(expected.rows), len(found.rows)) + 1):
        a, b = expected.row(r), found.row(r)
        for c in range(1, max(len(a), len(b)) + 1):
            va = canonical(a[c - 1]) if c <= len(a) else None
            vb = canonical(b[c - 1]) if c <= len(b) else None
            if va != vb:
                out.append(CellDifference(expected.title, r, c, va, vb))
                if len(out) >= limit:
                    return out
    return out
