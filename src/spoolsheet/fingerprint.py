"""Content fingerprints: one hash per sheet over every cell, and the first differences.

Backups, restores and migrations all prove "nothing else changed" with these. A fingerprint
covers the sheet's grid size and every cell's canonical value (formulas as formulas), so two
sheets with the same fingerprint hold the same content cell for cell.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


def sheet_fingerprint(sheet: Sheet, *, columns: int | None = None, grid: bool = True) -> str:
    """sha256 over the grid size and every row; ``columns`` limits it to the first N columns."""
    h = hashlib.sha256()
    if grid:
        h.update(f"{sheet.info.rows}x{sheet.info.cols}\n".encode())
    rows = [r[:columns] for r in sheet.rows] if columns is not None else sheet.rows
    end = len(rows)
    while end and all(canonical(v) is None for v in rows[end - 1]):
        end -= 1
    for i in scanned(range(end)):  # a running count moves within the sheet
        h.update(_row_bytes(rows[i]) + b"\n")
    return h.hexdigest()


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
