"""The fast .xlsx reader: one sheet part at a time, typed as the backend has always typed cells.

Values come from python-calamine (shared and inline strings, numbers, booleans, dates by number
format in either date system, cached results of formulas). Two things calamine does not say are
read from the sheet XML itself (byte scans; an lxml parse of the formulas of a part with namespace
prefixes): which cells hold formulas (they read as ``Formula``, shared formulas translated to each
cell as Excel and openpyxl do) and the grid (the extent of the cell elements, empty ones included,
which is how the .xlsx backend stores a grid size). Booleans that LibreOffice writes as
``<f>TRUE()</f><v>1</v>`` read as booleans.

A region of a sheet not read whole (a few columns, a few rows, a filter: ``read_picked``) and
the top rows of one (``plain_top``) are typed by this module alone, from the cells' own bytes,
when each cell is plain (``_plain``: text, numbers, booleans, formulas, serials in date
formats), the same values calamine and the scans give; anything else goes to them.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

from lxml import etree  # type: ignore[import-untyped]
from python_calamine import CalamineError, CalamineWorkbook

from ..progress import download
from ..values import Cell, Formula
from .base import Region, trim
from .xlsx_cells import column_letters
from .xlsx_package import MAIN_NS, Package, SheetEntry
from .xlsx_part import CELL_REF, column_index

_FORMULA = re.compile(rb"<f(?=[\s>/])([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_CELL_START = b'<c r="'
_ATTR = re.compile(rb'\s([a-zA-Z:]+)="([^"]*)"')
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_LIBREOFFICE_BOOLEANS = {"TRUE()": True, "FALSE()": False}
#: Rows typed between two reports to a ``Typed`` callback (a report costs more than a row).
TYPED_EVERY = 1024
#: Told the rows of a sheet typed so far, and the sheet's rows.
Typed = Callable[[int, int], None]


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


def formulas_of(xml: bytes, plain: bool) -> dict[tuple[int, int], Cell]:
    """Every formula cell (row, col) → its ``Formula`` (or bool for LibreOffice's TRUE());
    a part not in plain form (namespace prefixes) is parsed, a plain one byte-scanned."""
    found: dict[tuple[int, int], Cell] = {}
    masters: dict[str, tuple[str, str]] = {}  # shared index → (formula, origin ref)
    dependents: list[tuple[int, int, str, str]] = []
    for ref, cell_type, fattrs, text in (_scanned(xml) if plain else _parsed(xml)):
        ref_m = CELL_REF.match(b'<c r="' + ref.encode() + b'"')
        if ref_m is None:
            continue
        row, col = int(ref_m[2]), column_index(ref_m[1])
        if fattrs.get("t") == "shared" and not text:
            dependents.append((row, col, ref, fattrs.get("si", "")))
            continue
        if fattrs.get("t") == "shared":
            masters[fattrs.get("si", "")] = (text, ref)
        if cell_type == "b" and text.strip().upper() in _LIBREOFFICE_BOOLEANS:
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


_Found = Iterator[tuple[str, str | None, dict[str, str], str]]  # ref, cell t, <f> attrs, text


def _scanned(xml: bytes) -> _Found:
    """A plain part's formula cells, by byte scan (unprefixed ``<c>``/``<f>`` only)."""
    if b"<f" not in xml:
        return
    for m in _FORMULA.finditer(xml):
        start = xml.rfind(b"<c ", 0, m.start())
        cell = attributes(xml[start:xml.index(b">", start)])
        ref = cell.get(b"r")
        if ref is None:
            continue
        cell_type = cell.get(b"t")
        yield (ref.decode(), cell_type.decode() if cell_type is not None else None,
               {k.decode(): v.decode() for k, v in attributes(m[1]).items()},
               unescape(m[2].decode()) if m[2] else "")


def _parsed(xml: bytes) -> _Found:
    """Any part's formula cells, by a namespace-aware parse (for parts not in plain form)."""
    f_tag = f"{{{MAIN_NS}}}f"
    for _, c in etree.iterparse(io.BytesIO(xml), events=("end",), tag=f"{{{MAIN_NS}}}c",
                                resolve_entities=False, no_network=True, huge_tree=True):
        f = c.find(f_tag)
        ref = c.get("r")
        if f is not None and ref is not None:
            yield ref, c.get("t"), dict(f.attrib), f.text or ""
        c.clear(keep_tail=False)


def read_sheet(package: Package, entry: SheetEntry, typed: Typed | None = None) -> SheetData:
    """One worksheet, typed; damaged parts raise ``CorruptWorkbook`` naming file and part.
    ``typed`` is told the rows typed so far, of the sheet's, every ``TYPED_EVERY`` rows. The
    part's inflated XML is let go once scanned, before calamine (which reads the file itself)
    types the rows: the two are not held at once (a write inflates the part again)."""
    (grid_rows, grid_cols), overlay = _scan(package, entry)
    package.release(entry.part)
    return SheetData(_typed(package, entry, overlay, None, typed), grid_rows, grid_cols)


def read_top(package: Package, entry: SheetEntry, last_row: int) -> list[list[Cell]]:
    """The sheet's first ``last_row`` rows only, typed as ``read_sheet`` types them: from the
    start of the part alone when those rows hold only text and plain numbers (``plain_top``),
    else by calamine and the scans, which read the whole part."""
    plain = plain_top(package, entry, last_row)
    return plain if plain is not None else calamine_top(package, entry, last_row)


def calamine_top(package: Package, entry: SheetEntry, last_row: int) -> list[list[Cell]]:
    """``read_top`` by calamine and the scans: any cell, the whole part parsed."""
    overlay = _scan(package, entry)[1]
    return _typed(package, entry, {k: v for k, v in overlay.items() if k[0] <= last_row}, last_row)


_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_INLINE = re.compile(rb'<is><t(?: xml:space="preserve")?>([^<]*)</t></is>')
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
#: How much of a part is decompressed at a time when only its top rows are wanted.
TOP_CHUNK = 1 << 16


def plain_top(package: Package, entry: SheetEntry, last_row: int) -> list[list[Cell]] | None:
    """The first ``last_row`` rows decompressed and parsed from the start of the part only (a
    header costs kilobytes, not the sheet), or None when any cell there needs more than text
    and numbers in General format: a formula, a style with a number format, a type other than
    shared, inline or number, rich or escaped text, a cell or row without its reference."""
    try:
        head = _head(package, entry.part, last_row)
        if head is None:
            return None
        strings = package.shared_strings if b't="s"' in head else []
        rows: list[list[Cell]] = []
        for row in _ROW.finditer(head):
            number = _ROW_NUMBER.search(row[1])
            if number is None:
                return None
            r = int(number[1])
            if r > last_row:
                break
            for cell in _CELL.finditer(row[2] or b""):
                attrs = attributes(cell[1])
                place = CELL_REF.match(b'<c r="' + attrs.get(b"r", b"") + b'"')
                value = _plain(package, attrs, cell[2] or b"", strings)
                if place is None or int(place[2]) != r or value is _NOT_PLAIN:
                    return None
                if value is None:
                    continue
                rows.extend([] for _ in range(r - len(rows)))
                cells, c = rows[r - 1], column_index(place[1])
                cells.extend([None] * (c - len(cells)))
                cells[c - 1] = cast(Cell, value)
    except (CalamineError, ValueError, OSError, IndexError, KeyError, EOFError, zlib.error,
            zipfile.BadZipFile):
        return None  # the whole read names what is wrong
    return trim(rows)


_NOT_PLAIN = object()
_BOOLEANS = {b"1": True, b"0": False}


def read_picked(package: Package, entry: SheetEntry, region: Region) -> list[list[Cell]] | None:
    """``region``'s cells found in the part's rows by byte scans and typed as ``plain_top``
    types them; the sheet's other cells, and the rows ``region.where`` does not keep, are never
    typed (a column of many thousand rows, or one spool's rows of the log, cost their own cells,
    not the sheet's). None when a cell it types is not plain or a cell element does not carry
    its reference first: the whole read (calamine) types the sheet then."""
    sheet = package.sheet_part(entry.part)  # CRC-checked: a damaged member is named here
    if not sheet.plain or not package.guard(entry.part, lambda: sheet.ordered):
        return None
    first, last, where = region.first_col, region.last_col, region.where
    letters = {c: column_letters(c).encode() for c in
               range(first, (last if last is not None else where[0] if where else 0) + 1)}
    rows: list[list[Cell]] = []
    try:
        strings = package.shared_strings
        for chunk in sheet.chunks:
            base = chunk.base
            if not chunk.rows or chunk.rows[-1][0] < region.first_row or (
                    region.last_row is not None and chunk.rows[0][0] > region.last_row):
                continue  # rows are in order: none of these is in the region
            if not chunk.referenced():
                return None
            literal = _literal(where[1], base, chunk.lo, chunk.hi) if where is not None else None
            for number, start, end in chunk.rows:
                if number < region.first_row or (region.last_row is not None
                                                   and number > region.last_row):
                    continue
                at = b"%d\"" % number
                if where is not None:
                    if literal is not None and base.find(literal, start, end) < 0:
                        continue  # the text is nowhere in the row: no cell of it reads as it
                    kept = _picked(package, base, letters[where[0]] + at, start, end, strings)[0]
                    if kept is _NOT_PLAIN:
                        return None
                    if not region.keeps(cast(Cell, kept)):
                        continue
                values: list[object] = []
                if last is not None:
                    at_cell = start  # cells are in column order: each is sought after the last
                    for c in range(first, last + 1):
                        value, at_cell = _picked(package, base, letters[c] + at, at_cell, end,
                                                 strings)
                        values.append(value)
                else:
                    for m in _CELL.finditer(base, start, end):
                        place = CELL_REF.match(base, m.start())
                        if place is None or int(place[2]) != number:
                            return None
                        c = column_index(place[1]) - first
                        if c >= 0:
                            values.extend([None] * (c + 1 - len(values)))
                            values[c] = _plain(package, attributes(m[1]), m[2] or b"", strings)
                if _NOT_PLAIN in values:
                    return None
                rows.extend([] for _ in range(number - region.first_row + 1 - len(rows)))
                rows[number - region.first_row] = cast(list[Cell], values)
    except (ValueError, IndexError, KeyError):
        return None  # the whole read names what is wrong
    return trim(rows)


def _literal(text: str, xml: bytes, lo: int, hi: int) -> bytes | None:
    """``text``'s bytes when any cell of ``xml[lo:hi]`` that reads as it holds them as they are
    (so a row without them has no such cell): text that XML does not escape and no number,
    date, time, boolean or formula reads as, in a run of rows with no shared strings, character
    references or ``_x`` escapes. None otherwise."""
    if not text or any(c in text for c in "&<>\"'\r:") or text.startswith("=") or text in (
            "True", "False") or any(xml.find(p, lo, hi) >= 0 for p in (b't="s"', b"&#", b"_x")):
        return None
    try:
        float(text)
    except ValueError:
        return text.encode()
    return None


def _picked(package: Package, xml: bytes, ref: bytes, start: int, end: int,
            strings: list[str]) -> tuple[object, int]:
    """The plain value of the cell ``ref`` (letters, row, closing quote) between start and end,
    and where the cell ends: None (and start) when the row has no such cell, ``_NOT_PLAIN``
    when it is not plain."""
    i = xml.find(_CELL_START + ref, start, end)
    m = _CELL.match(xml, i) if i >= 0 else None
    if m is None:
        return None, start
    return _plain(package, attributes(m[1]), m[2] or b"", strings), m.end()


def _plain(package: Package, cell: dict[bytes, bytes], inner: bytes,
           strings: list[str]) -> object:
    """One cell's value as ``read_sheet`` types it, when it is plain; else ``_NOT_PLAIN``."""
    kind = cell.get(b"t", b"n")
    if b"<f" in inner:  # as formulas_of reads it; a shared one needs its master
        f = _FORMULA.search(inner)
        if f is None or attributes(f[1]).get(b"t") == b"shared" or not f[2]:
            return _NOT_PLAIN
        text = unescape(f[2].decode())
        if kind == b"b" and text.strip().upper() in _LIBREOFFICE_BOOLEANS:
            return _LIBREOFFICE_BOOLEANS[text.strip().upper()]
        return Formula("=" + text)
    if kind == b"inlineStr":
        found = _INLINE.fullmatch(inner)
        if found is None or b"_x" in found[1] or b"\r" in found[1] or (
                b"preserve" not in inner and found[1] != found[1].strip()):
            return _NOT_PLAIN
        return normal(unescape(found[1].decode()))
    value = _VALUE.search(inner)
    if value is None:
        return None if not inner.strip() and kind in (b"n", b"s") else _NOT_PLAIN
    if kind == b"s":
        text = strings[int(value[1])]
        return _NOT_PLAIN if "_x" in text or "\r" in text else normal(text)
    if kind == b"b":
        return _BOOLEANS.get(value[1], _NOT_PLAIN)
    style = int(cell.get(b"s", b"0"))
    if kind != b"n":
        return _NOT_PLAIN
    number = float(value[1])
    fmt = package.styles.xf_formats[style] if style else 0
    if fmt == 0:
        return normal(number)
    code = package.styles.custom.get(fmt)
    if package.date1904 or not (_DATE_CODE.fullmatch(code) if code is not None
                                else fmt in _BUILTIN_DATES):
        return _NOT_PLAIN
    return _date(number)


#: Number formats whose serials calamine reads as dates or date-times, and nothing else:
#: built-in m-d-yy, d-mmm-yy, d-mmm, mmm-yy, m/d/yy h:mm; codes of date and time letters only.
_BUILTIN_DATES = frozenset({14, 15, 16, 17, 22})
_DATE_CODE = re.compile(r"(?:[dmyhs]+|[-/.:, ])+", re.I)
_EPOCH = dt.datetime(1899, 12, 30)
_DAY_MS = 86_400_000


def _date(serial: float) -> object:
    """A date serial (1900 system) as calamine reads it: midnight for a whole day, else to the
    nearest millisecond. Not plain: before 1 March 1900 (the leap year Excel invents), from
    9999-12-31 on, or within 0.05 ms of a half millisecond (calamine's own rounding)."""
    if not 61 <= serial < 2_958_465:
        return _NOT_PLAIN
    if serial.is_integer():
        return _EPOCH + dt.timedelta(days=int(serial))
    ms = serial * _DAY_MS
    if abs(ms - math.floor(ms) - 0.5) < 0.05:
        return _NOT_PLAIN
    return _EPOCH + dt.timedelta(milliseconds=math.floor(ms + 0.5))


def _head(package: Package, part: str, last_row: int) -> bytes | None:
    """The part's XML up to the first row below ``last_row`` or the end of its rows,
    decompressed in chunks from the start; None when it ends before either (a damaged part:
    the whole read names it)."""
    below = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
    out = b""
    received = download(package.zip.getinfo(part).file_size)  # of it all: it may stop early
    with package.zip.open(part) as stream:
        while chunk := stream.read(TOP_CHUNK):
            out += chunk
            if received is not None:
                received(len(out))
            if b"</sheetData>" in out or b"<sheetData/>" in out or any(
                    int(m[1]) > last_row
                    for m in below.finditer(out, max(0, len(out) - len(chunk) - 200))):
                return out
    return None


def _scan(package: Package, entry: SheetEntry) -> tuple[tuple[int, int],
                                                      dict[tuple[int, int], Cell]]:
    """What calamine does not say, from the part's bytes: the grid and the formulas."""
    sheet = package.sheet_part(entry.part)  # CRC-checked: a damaged member is named here
    return package.guard(entry.part, lambda: (sheet.grid, formulas_of(sheet.xml, sheet.plain)))


def _typed(package: Package, entry: SheetEntry, overlay: dict[tuple[int, int], Cell],
           last_row: int | None, typed: Typed | None = None) -> list[list[Cell]]:
    try:
        sheet = calamine(package).get_sheet_by_name(entry.title)
        # Rows come one at a time (to_python holds the GIL for the whole sheet, so a progress
        # display froze, and held every raw row beside its typed copy). calamine 0.9 iterates
        # the rows from the first (row 1), the columns from the range's first: padded to A.
        pad = [None] * (sheet.start[1] if sheet.start else 0)
        rows: list[list[Cell]] = []
        height = (sheet.end[0] + 1) if sheet.end else 0
        for values in sheet.iter_rows():
            if last_row is not None and len(rows) >= last_row:
                break
            rows.append([*pad, *map(normal, values)] if pad else list(map(normal, values)))
            if typed is not None and not len(rows) % TYPED_EVERY:
                typed(len(rows), height)
    except (CalamineError, ValueError, OSError) as exc:
        raise package.damaged(entry.part, exc) from exc
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
