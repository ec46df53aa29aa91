"""The fast .xlsx reader: one sheet part at a time, typed as the backend has always typed cells.

Values come from python-calamine (shared and inline strings, numbers, booleans, dates by number
format in either date system, cached results of formulas). Two things calamine does not say are
read from the sheet XML itself with byte scans: which cells hold formulas (they read as
``Formula``, shared formulas translated to each cell as Excel and openpyxl do) and the grid (the
extent of the cell elements, empty ones included, which is how the .xlsx backend stores a grid
size). Booleans that LibreOffice writes as ``<f>TRUE()</f><v>1</v>`` read as booleans.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import cast

from python_calamine import CalamineError, CalamineWorkbook

from ..values import Cell, Formula
from .base import trim
from .xlsx_package import Package, SheetEntry
from .xlsx_part import CELL_REF, column_index

_FORMULA = re.compile(rb"<f(?=[\s>/])([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_ATTR = re.compile(rb'\s([a-zA-Z:]+)="([^"]*)"')
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_LIBREOFFICE_BOOLEANS = {"TRUE()": True, "FALSE()": False}


@dataclass
class SheetData:
    """A sheet as read: typed rows (trimmed) and its grid (rows × cols)."""

    rows: list[list[Cell]]
    grid_rows: int
    grid_cols: int


def unescape(text: str) -> str:
    """XML character data → text (the five entities and character references)."""
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        name = m[1]
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _NAMED[name]

    return _ENTITY.sub(one, text)


def attributes(head: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(head))


def normal(value: object) -> Cell:
    """calamine's value → the backend's type: blanks None, whole numbers int, dates datetime."""
    if type(value) is str:
        return value or None
    if type(value) is float:
        return int(value) if value.is_integer() else value
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return cast(Cell, value)  # calamine's others: bool, int, datetime, time, timedelta


def formulas_of(xml: bytes) -> dict[tuple[int, int], Cell]:
    """Every formula cell (row, col) → its ``Formula`` (or bool for LibreOffice's TRUE())."""
    if b"<f" not in xml:
        return {}
    found: dict[tuple[int, int], Cell] = {}
    masters: dict[bytes, tuple[str, str]] = {}  # shared index → (formula, origin ref)
    dependents: list[tuple[int, int, str, bytes]] = []
    for m in _FORMULA.finditer(xml):
        start = xml.rfind(b"<c ", 0, m.start())
        head = xml[start:xml.index(b">", start)]
        cell = attributes(head)
        ref = cell.get(b"r")
        if ref is None:
            continue
        ref_m = CELL_REF.match(b'<c r="' + ref + b'"')
        if ref_m is None:
            continue
        row, col = int(ref_m[2]), column_index(ref_m[1])
        fattrs = attributes(m[1])
        text = unescape(m[2].decode()) if m[2] else ""
        if fattrs.get(b"t") == b"shared" and not text:
            dependents.append((row, col, ref.decode(), fattrs.get(b"si", b"")))
            continue
        if fattrs.get(b"t") == b"shared":
            masters[fattrs.get(b"si", b"")] = (text, ref.decode())
        if cell.get(b"t") == b"b" and text.strip().upper() in _LIBREOFFICE_BOOLEANS:
            found[(row, col)] = _LIBREOFFICE_BOOLEANS[text.strip().upper()]
            continue
        if text:
            found[(row, col)] = Formula("=" + text)
    if dependents:
        from openpyxl.formula.translate import Translator  # only files with shared formulas

        for row, col, dest, si in dependents:
            if si in masters:
                text, origin = masters[si]
                found[(row, col)] = Formula(Translator("=" + text, origin=origin)
                                            .translate_formula(dest))
    return found


def read_sheet(package: Package, entry: SheetEntry) -> SheetData:
    """One worksheet, typed; damaged parts raise ``CorruptWorkbook`` naming file and part."""
    (grid_rows, grid_cols), overlay = _scan(package, entry)
    return SheetData(_typed(package, entry, overlay, None), grid_rows, grid_cols)


def read_top(package: Package, entry: SheetEntry, last_row: int) -> list[list[Cell]]:
    """The sheet's first ``last_row`` rows only, typed as ``read_sheet`` types them."""
    overlay = _scan(package, entry)[1]
    return _typed(package, entry, {k: v for k, v in overlay.items() if k[0] <= last_row}, last_row)


def _scan(package: Package, entry: SheetEntry) -> tuple[tuple[int, int],
                                                      dict[tuple[int, int], Cell]]:
    """What calamine does not say, from the part's bytes: the grid and the formulas."""
    sheet = package.sheet_part(entry.part)  # CRC-checked: a damaged member is named here
    return package.guard(entry.part, lambda: (sheet.grid, formulas_of(sheet.xml)))


def _typed(package: Package, entry: SheetEntry, overlay: dict[tuple[int, int], Cell],
           last_row: int | None) -> list[list[Cell]]:
    try:
        sheet = calamine(package).get_sheet_by_name(entry.title)
        first_row, first_col = sheet.start or (0, 0)
        if last_row is None:
            raw = sheet.to_python(skip_empty_area=False)
        elif last_row > first_row:
            raw = sheet.to_python(skip_empty_area=False, nrows=last_row - first_row)
        else:
            raw = []
    except (CalamineError, ValueError, OSError) as exc:
        raise package.damaged(entry.part, exc) from exc
    pad = [None] * first_col
    rows: list[list[Cell]] = [[] for _ in range(first_row)]
    for values in raw:
        rows.append(pad + [normal(v) for v in values] if first_col else [normal(v) for v in values])
    del raw
    for (r, c), value in overlay.items():
        if r > len(rows):
            rows.extend([] for _ in range(r - len(rows)))
        row = rows[r - 1]
        if c > len(row):
            row.extend([None] * (c - len(row)))
        row[c - 1] = value
    return trim(rows[:last_row] if last_row is not None else rows)


def calamine(package: Package) -> CalamineWorkbook:
    """The package's calamine workbook, opened once per snapshot."""
    book = package.__dict__.get("_calamine")
    if book is None:
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(package.data))
        except (CalamineError, ValueError, OSError) as exc:
            raise package.damaged(package.workbook_part, exc) from exc
        package.__dict__["_calamine"] = book
    return book
