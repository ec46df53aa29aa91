"""The part-rewriting .xlsx writer: a change set costs the parts it changes, not the workbook.

Unchanged zip members are copied as they are (the compressed bytes, no recompression). A
changed sheet part is re-streamed: every row the change does not touch is copied byte for byte,
and in a changed row every cell it does not touch too (formulas' cached values included); only
the written cells are new elements (``xlsx_cells``), the row's ``spans`` and the sheet's
``<dimension>`` follow. Small parts are edited as XML where a change needs it: the workbook,
its relationships and the content types for sheets added or removed, ``styles.xml`` when a
date needs a dd-mm-yyyy style the file does not have, and ``calcChain.xml`` is dropped when a
formula cell is overwritten (Excel rebuilds it; a stale chain makes it "repair" the file).

Where the change needs a whole-workbook model, ``NeedsWholeWorkbook`` says why and the backend
falls back to openpyxl: overwriting or cutting off the anchor of a shared or array formula
(its other cells hang on it), a workbook without a styles part that must get a date, or a sheet
part whose XML is not in the plain form every spreadsheet program writes.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from lxml import etree  # type: ignore[import-untyped]

from ..errors import SheetNotFound, UsageError
from ..progress import EVERY, upload
from ..values import DATE_DISPLAY_FORMAT, Cell, is_blank
from .changes import ChangeSet, NumberFormat
from .xlsx_cells import as_read, cell_xml, column_letters
from .xlsx_package import (
    CT_NS,
    MAIN_NS,
    PKG_REL_NS,
    REL_NS,
    WORKSHEET_CT,
    WORKSHEET_REL,
    Package,
    SheetEntry,
)
from .xlsx_part import CELL_REF, COMPRESS_LEVEL, SheetPart, Splice, column_index
from .xlsx_read import unescape
from .xlsx_structure import follow, titles_after

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_R_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_T_ATTR = re.compile(rb'\st="([a-zA-Z]+)"')
_S_ATTR = re.compile(rb'\ss="(\d+)"')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_INLINE_TEXT = re.compile(rb"<t\b[^>]*>(.*?)</t>", re.S)
_V = re.compile(rb"<v>(.*?)</v>", re.S)
_ANCHOR = re.compile(rb'<f\b[^>]*\bt="(?:shared|array)"[^>]*\bref="')
CONTENT_TYPES = "[Content_Types].xml"


_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="'
                + MAIN_NS.encode() + b'"><dimension ref="A1"/><sheetData/></worksheet>')


class NeedsWholeWorkbook(Exception):
    """This change needs openpyxl's whole-workbook model; the message says why."""


@dataclass
class SheetEdit:
    """What one sheet became: the cells written (as a read gives them back) and its grid."""

    cells: dict[tuple[int, int], Cell]
    grid: tuple[int, int]
    kept: tuple[int, int] | None = None  # after shrinks: the rows × columns that keep data
    exact: bool = True  # False when a cache cannot predict a read (a number in a date style)


@dataclass
class Result:
    data: bytes
    edits: dict[str, SheetEdit] = field(default_factory=dict)
    parts: dict[str, SheetPart] = field(default_factory=dict)  # sheet parts rewritten
    changed: set[str] = field(default_factory=set)  # members rewritten or removed
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    moved: bool = False  # columns moved or a sheet renamed: formulas of any sheet may differ


@dataclass
class _Plan:
    title: str
    part: str
    sheet: SheetPart
    grid: tuple[int, int]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    formats: list[NumberFormat] = field(default_factory=list)
    #: Shrinks run in order after every write, each cutting what lies beyond it and setting the
    #: grid: the last one gives the grid, the smallest bounds give what keeps data.
    shrink: tuple[int, int] | None = None
    keep: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        # Every use of a part's rows (the append row, the splices) needs its chunks, which
        # only a part in plain form has: checked here, where each part enters the writer.
        if not self.sheet.plain:
            raise NeedsWholeWorkbook(f"sheet {self.title!r} is not in the plain XML form")

    def shrink_to(self, rows: int, cols: int) -> None:
        self.shrink = (rows, cols)
        self.keep = (min(self.keep[0], rows), min(self.keep[1], cols)) if self.keep else (rows, cols)


class _Styles:
    """The styles part, copied and edited only if a date or a number format needs a style it
    does not have."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.root: etree._Element | None = None
        self.memo: dict[tuple[int, str], int] = {}

    def date_style(self, base: int) -> int:
        return self.style_with(base, DATE_DISPLAY_FORMAT)

    def style_with(self, base: int, pattern: str) -> int:
        """The cell style ``base`` with its number format set to ``pattern``."""
        wanted_key = (base, pattern)
        if wanted_key in self.memo:
            return self.memo[wanted_key]
        styles = self.package.styles
        if styles.root is None:
            raise NeedsWholeWorkbook("the workbook has no styles part to hold a number format")
        if self.root is None:
            self.root = copy.deepcopy(styles.root)
        root = self.root
        fmt_id = next((i for i, code in self._formats(root).items()
                       if code.lower() == pattern.lower()), None)
        if fmt_id is None:
            numfmts = root.find(f"{{{MAIN_NS}}}numFmts")
            if numfmts is None:
                numfmts = etree.Element(f"{{{MAIN_NS}}}numFmts")
                root.insert(0, numfmts)
            fmt_id = max([163, *self._formats(root)]) + 1
            etree.SubElement(numfmts, f"{{{MAIN_NS}}}numFmt", numFmtId=str(fmt_id),
                             formatCode=pattern)
            numfmts.set("count", str(len(numfmts)))
        xfs = root.find(f"{{{MAIN_NS}}}cellXfs")
        if xfs is None or not len(xfs):
            raise NeedsWholeWorkbook("the styles part has no cell formats")
        wanted = copy.deepcopy(xfs[base] if base < len(xfs) else xfs[0])
        wanted.set("numFmtId", str(fmt_id))
        wanted.set("applyNumberFormat", "1")
        key = _xf_key(wanted)
        index = next((i for i, xf in enumerate(xfs) if _xf_key(xf) == key), None)
        if index is None:
            xfs.append(wanted)
            xfs.set("count", str(len(xfs)))
            index = len(xfs) - 1
        else:
            self.memo[wanted_key] = index
            if self._untouched():
                self.root = None  # found as it was: the part stays byte-identical
        self.memo[wanted_key] = index
        return index

    def _untouched(self) -> bool:
        assert self.root is not None and self.package.styles.root is not None
        return etree.tostring(self.root) == etree.tostring(self.package.styles.root)

    @staticmethod
    def _formats(root: etree._Element) -> dict[int, str]:
        return {int(n.get("numFmtId", "0")): n.get("formatCode", "")
                for n in root.iter(f"{{{MAIN_NS}}}numFmt")}

    def is_date(self, style: int) -> bool:
        return self.package.styles.is_date_style(style)


def _xf_key(xf: etree._Element) -> bytes:
    el = copy.deepcopy(xf)
    el.tail = None
    attrs = sorted(el.attrib.items())
    el.attrib.clear()
    for k, v in attrs:
        el.set(k, v)
    return etree.tostring(el)


# --- the sheet part ------------------------------------------------------------------------

def _cells_of(row_xml: bytes) -> list[tuple[int, bytes, bytes, bytes | None]]:
    """(column, element, attributes, content) of each cell of a row element."""
    head_end = row_xml.index(b">") + 1
    out = []
    col = 0
    for m in _CELL.finditer(row_xml, head_end):
        ref = _R_REF.search(m[1])
        col = column_index(ref[1]) if ref else col + 1
        out.append((col, m[0], m[1], m[2]))
    return out


def _has_data(package: Package, attrs: bytes, content: bytes | None) -> bool:
    """Whether a stored cell reads as something not blank (``is_blank``'s rule)."""
    if not content:
        return False
    if b"<f" in content:
        return True
    kind = _T_ATTR.search(attrs)
    t = kind[1] if kind else b"n"
    if t == b"inlineStr":
        return not is_blank(unescape(b"".join(_INLINE_TEXT.findall(content)).decode()))
    v = _V.search(content)
    if v is None:
        return False
    text = v[1]
    if t == b"s":
        strings = package.shared_strings
        i = int(text)
        return 0 <= i < len(strings) and not is_blank(strings[i])
    return not is_blank(unescape(text.decode()))


def _last_data_row(package: Package, plan: _Plan) -> int:
    """The last row with a non-blank cell, the cells already planned included."""
    planned = max((r for (r, _), v in plan.cells.items() if not is_blank(v)), default=0)
    sheet = plan.sheet
    for index in range(len(sheet) - 1, -1, -1):
        number = sheet.row(index)[0]
        if number <= planned:
            break
        for col, _, attrs, content in _cells_of(sheet.row_xml(index)):
            if (number, col) not in plan.cells and _has_data(package, attrs, content):
                return number
    return planned


class _SheetWriter:
    def __init__(self, package: Package, styles: _Styles, plan: _Plan) -> None:
        self.package, self.styles, self.plan = package, styles, plan
        self.dropped_formula = False
        self.exact = True

    def cell(self, row: int, col: int, value: Cell, style: int | None,
             pattern: str | None = None) -> bytes:
        date_style = 0
        if pattern is not None:  # the change's number format wins over a date's own
            style = date_style = self.styles.style_with(style or 0, pattern)
        elif hasattr(value, "year"):
            date_style = self.styles.date_style(style or 0)
        elif isinstance(value, (int, float)) and style and self.styles.is_date(style):
            self.exact = False  # reads back as a date, as openpyxl would have it
        return cell_xml(f"{column_letters(col)}{row}", value, style=style, date_style=date_style,
                        date1904=self.package.date1904, sheet=self.plan.title,
                        row=row).encode()

    def row(self, number: int, old: bytes | None, writes: dict[int, Cell],
            keep_cols: int | None, formats: dict[int, str] | None = None) -> bytes:
        """A row re-rendered: cells written, cut off (past ``keep_cols``) or given a number
        format (``formats``: column -> pattern); every other cell copied as it was."""
        if old is not None and keep_cols is None and not formats:
            appended = self._appended(number, old, writes)
            if appended is not None:
                return appended
        formats = formats or {}
        cells: dict[int, bytes] = {}
        head = f'<row r="{number}">'.encode()
        if old is not None:
            head_end = old.index(b">") + 1
            head = old[:head_end]
            if head.endswith(b"/>"):
                head = head[:-2] + b">"
            for col, element, attrs, content in _cells_of(old):
                if col in writes or (keep_cols is not None and col > keep_cols):
                    if content and b"<f" in content:
                        self.dropped_formula = True
                        if _ANCHOR.search(content):
                            raise NeedsWholeWorkbook(
                                f"{self.plan.title}!{column_letters(col)}{number} anchors a "
                                f"shared or array formula")
                    if col in writes:
                        style = _S_ATTR.search(attrs)
                        cells[col] = self.cell(number, col, writes[col],
                                               int(style[1]) if style else None, formats.get(col))
                    continue
                if col in formats:
                    style = _S_ATTR.search(attrs)
                    new = str(self.styles.style_with(int(style[1]) if style else 0, formats[col]))
                    element = (  # offsets in attrs are 2 more in element (after "<c")
                        element[:2 + style.start(1)] + new.encode() + element[2 + style.end(1):]
                        if style else element[:2] + f' s="{new}"'.encode() + element[2:])
                cells[col] = element
        for col, value in writes.items():  # already within the kept bounds
            if col not in cells:
                cells[col] = self.cell(number, col, value, None, formats.get(col))
        for col, pattern in formats.items():
            if col not in cells:
                cells[col] = self.cell(number, col, None, None, pattern)
        order = sorted(cells)
        if _SPANS.search(head):
            spans = f' spans="{order[0]}:{order[-1]}"'.encode() if order else b""
            head = _SPANS.sub(spans, head, count=1)
        return head + b"".join(cells[c] for c in order) + b"</row>"

    def _appended(self, number: int, old: bytes, writes: dict[int, Cell]) -> bytes | None:
        """The row when every written cell lies past its last stored cell (a migration
        appending columns): the old cells kept as one run of bytes, only the new ones made;
        None when the row is not of that shape (the general path then parses its cells)."""
        head_end = old.index(b">") + 1
        if old.endswith(b"/>") and head_end == len(old):
            return None  # an empty row: nothing to keep
        close = len(old) - len(b"</row>")
        last = old.rfind(b'<c r="', head_end, close)
        if last < 0:
            return None
        cell = _CELL.match(old, last)
        ref = CELL_REF.match(old, last)
        if cell is None or ref is None or cell.end() != close:
            return None  # the last element is not a cell with a reference
        order = sorted(writes)
        if order[0] <= column_index(ref[1]):
            return None
        head = old[:head_end]
        if _SPANS.search(head):
            first = CELL_REF.match(old, head_end)
            if first is None:
                return None
            spans = f' spans="{column_index(first[1])}:{order[-1]}"'.encode()
            head = _SPANS.sub(spans, head, count=1)
        return b"".join([head, old[head_end:close],
                         *(self.cell(number, c, writes[c], None) for c in order), b"</row>"])

    def write(self) -> tuple[SheetPart, tuple[int, int]]:
        """The new part, made by splicing only the rows that change, and the sheet's grid."""
        plan, sheet = self.plan, self.plan.sheet
        if not sheet.ordered:
            raise NeedsWholeWorkbook(f"sheet {plan.title!r} has rows out of order")
        rows_grid, cols_grid = plan.grid
        for r, c in plan.cells:
            rows_grid, cols_grid = max(rows_grid, r), max(cols_grid, c)
        widest = cols_grid
        if plan.shrink:
            rows_grid, cols_grid = plan.shrink
        keep_rows = plan.keep[0] if plan.keep else None
        # Stored cells never lie beyond the widest grid: a wider bound re-renders no row.
        keep_cols = plan.keep[1] if plan.keep and plan.keep[1] < widest else None
        corner = (rows_grid, cols_grid)
        by_row: dict[int, dict[int, Cell]] = {}
        for (r, c), value in plan.cells.items():
            if plan.keep is None or (r <= plan.keep[0] and c <= plan.keep[1]):
                by_row.setdefault(r, {})[c] = value
        formats = self._formats(corner)
        for number in formats:
            by_row.setdefault(number, {})
        kept = plan.keep is None or (corner[0] <= plan.keep[0] and corner[1] <= plan.keep[1])
        has_corner = kept and self._has_cell(sheet, corner)
        if not has_corner and corner[1] not in by_row.get(corner[0], {}):
            by_row.setdefault(corner[0], {})[corner[1]] = None
        dim = _DIMENSION.search(sheet.head())
        ref = f"A1:{column_letters(cols_grid)}{rows_grid}" if corner != (1, 1) else "A1"
        pending = sorted(by_row)
        # Shrinks look at every row; other changes only at the rows they write.
        shrinking = keep_rows is not None or keep_cols is not None
        touched = (range(len(sheet)) if shrinking
                   else sorted({sheet.find(n) for n in pending} - {len(sheet)}))
        laid = upload(sheet.starts[-1])  # the part's bytes gone through, as its rows are made

        def splices() -> Iterator[Splice]:
            """In order, each made as the new part takes it (a rewrite of every row is not
            held whole beside the part's new chunks)."""
            if dim and dim[0] != f'<dimension ref="{ref}"/>'.encode():
                yield dim.start(), dim.end(), f'<dimension ref="{ref}"/>'.encode()
            i = 0
            for n, index in enumerate(touched):
                number, start, end = sheet.row(index)
                if laid is not None and not n % EVERY:
                    laid(start)
                old = sheet.row_xml(index)
                new = []
                while i < len(pending) and pending[i] < number:
                    new.append(self.row(pending[i], None, by_row[pending[i]], None,
                                        formats.get(pending[i])))
                    i += 1
                if keep_rows is not None and number > keep_rows:
                    self.dropped_formula |= self._cuts_formula(old, number, None)
                elif i < len(pending) and pending[i] == number:
                    new.append(self.row(number, old, by_row[number], keep_cols,
                                        formats.get(number)))
                    i += 1
                elif keep_cols is not None:
                    new.append(self.row(number, old, {}, keep_cols))
                else:
                    if new:
                        yield start, start, b"".join(new)
                    continue
                yield start, end, b"".join(new)
            if i < len(pending):
                body_end = sheet.body_end()
                yield body_end, body_end, b"".join(
                    self.row(n, None, by_row[n], None, formats.get(n)) for n in pending[i:])

        grid = (rows_grid, cols_grid)
        part = sheet.spliced(splices(), grid)
        if laid is not None:
            laid(sheet.starts[-1])
        return part, grid

    def _formats(self, corner: tuple[int, int]) -> dict[int, dict[int, str]]:
        """Row -> column -> pattern of the change's number formats, inside the final grid
        (the last format of a cell wins)."""
        out: dict[int, dict[int, str]] = {}
        for nf in self.plan.formats:
            self.exact = False  # a date format makes numbers read as dates, and back
            for r in range(nf.row, min(nf.last_row or corner[0], corner[0]) + 1):
                line = out.setdefault(r, {})
                for c in range(nf.col, min(nf.last_col or corner[1], corner[1]) + 1):
                    line[c] = nf.pattern
        return out

    def _cuts_formula(self, row_xml: bytes, number: int, keep_cols: int | None) -> bool:
        for col, _, _, content in _cells_of(row_xml):
            if content and b"<f" in content and (keep_cols is None or col > keep_cols):
                if _ANCHOR.search(content):
                    raise NeedsWholeWorkbook(f"{self.plan.title}!{column_letters(col)}{number} "
                                             f"anchors a shared or array formula")
                return True
        return False

    @staticmethod
    def _has_cell(sheet: SheetPart, at: tuple[int, int]) -> bool:
        index = sheet.find(at[0])
        if index == len(sheet) or sheet.row(index)[0] != at[0]:
            return False
        return any(col == at[1] for col, *_ in _cells_of(sheet.row_xml(index)))


# --- the package ---------------------------------------------------------------------------

def _plans(package: Package, changes: ChangeSet, name: str,
           entries: dict[str, SheetEntry]) -> tuple[dict[str, _Plan], list[str]]:
    titles = list(entries)
    plans: dict[str, _Plan] = {}
    added: list[str] = []
    used = set(package.zip.NameToInfo)
    n = 1
    for new in changes.new_sheets:
        if new.title in titles or new.title in added:
            raise UsageError(f"sheet {new.title!r} already exists in {name}")
        while f"xl/worksheets/sheet{n}.xml" in used:
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        used.add(part)
        plans[new.title] = _Plan(new.title, part, SheetPart(_EMPTY_SHEET), (new.rows, new.cols))
        added.append(new.title)

    if changes.moves_structure:
        for title, done in follow(package, changes, name, entries).items():
            plans[title] = _Plan(title, done.entry.part, SheetPart(done.xml), done.grid)

    def plan(title: str) -> _Plan:
        if title not in plans:
            entry = entries.get(title)
            if entry is None:
                raise SheetNotFound(f"sheet {title!r} not found in {name}")
            sheet = package.sheet_part(entry.part)
            plans[title] = _Plan(title, entry.part, sheet, package.guard(entry.part,
                                                                         lambda: sheet.grid))
        return plans[title]

    shrinks: list[tuple[_Plan, int, int]] = []
    for rs in changes.resizes:
        p = plan(rs.sheet)
        rows, cols = rs.rows or p.grid[0], rs.cols or p.grid[1]
        p.grid = (max(rows, p.grid[0]), max(cols, p.grid[1]))
        if rows < p.grid[0] or cols < p.grid[1]:
            shrinks.append((p, rows, cols))
    for block in changes.blocks:
        p = plan(block.sheet)
        for r, values in enumerate(block.rows, start=block.row):
            for c, value in enumerate(values, start=block.col):
                p.cells.pop((r, c), None)  # the last write of a cell wins, in its new place
                p.cells[(r, c)] = value
    for title, appended in changes.appends:
        p = plan(title)
        start = package.guard(p.part, partial(_last_data_row, package, p)) + 1
        for r, values in enumerate(appended, start=start):
            for c, value in enumerate(values, start=1):
                p.cells.pop((r, c), None)
                p.cells[(r, c)] = value
    for p, rows, cols in shrinks:
        p.shrink_to(rows, cols)
    for nf in changes.number_formats:
        plan(nf.sheet).formats.append(nf)
    for title in changes.deleted_sheets:
        if title not in titles and title not in added:
            raise SheetNotFound(f"sheet {title!r} not found in {name}")
    if not set(titles + added) - set(changes.deleted_sheets):
        raise UsageError("a workbook must keep at least one sheet")
    return plans, added


def rewrite(package: Package, changes: ChangeSet, name: str) -> Result:
    """The new file's bytes for ``changes`` applied to ``package``, and what each sheet became."""
    entries = titles_after(package, changes, name)
    plans, added = _plans(package, changes, name, entries)
    deleted = list(dict.fromkeys(changes.deleted_sheets))
    styles = _Styles(package)
    new_parts: dict[str, SheetPart | bytes] = {}
    result = Result(b"", added=added, deleted=deleted, moved=changes.moves_structure)
    dropped_formula = False
    for title, plan in plans.items():
        if title in deleted:
            continue
        writer = _SheetWriter(package, styles, plan)
        sheet, grid = package.guard(plan.part, writer.write)
        new_parts[plan.part] = result.parts[plan.part] = sheet
        dropped_formula |= writer.dropped_formula
        result.edits[title] = SheetEdit({k: as_read(v) for k, v in plan.cells.items()}, grid,
                                        plan.keep, writer.exact)
    removed: set[str] = set()
    if styles.root is not None:
        new_parts[package.styles.part] = _xml_bytes(styles.root)
    # calcChain lists formula cells by position: stale once one goes or columns move
    drop_chain = bool((dropped_formula or changes.column_moves) and package.related("calcChain"))
    if added or deleted or changes.renames or drop_chain:
        removed = _restructure(package, plans, entries, changes, drop_chain, new_parts)
    result.data = _assemble(package, new_parts, removed)
    result.changed = set(new_parts) | removed
    return result


def _xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _restructure(package: Package, plans: dict[str, _Plan], entries: dict[str, SheetEntry],
                 changes: ChangeSet, drop_calc_chain: bool,
                 new_parts: dict[str, SheetPart | bytes]) -> set[str]:
    """Workbook, relationships and content types for sheets added, renamed or removed (and a
    dropped calcChain); returns the members that go."""
    added = [n.title for n in changes.new_sheets]
    deleted = list(dict.fromkeys(changes.deleted_sheets))
    wb_part = package.workbook_part
    folder, base = posixpath.split(wb_part)
    rels_part = posixpath.join(folder, "_rels", f"{base}.rels")
    workbook = copy.deepcopy(package.workbook_xml)
    rels = etree.fromstring(package.part(rels_part))
    types = etree.fromstring(package.part(CONTENT_TYPES))
    removed: set[str] = set()

    def drop_part(part: str) -> None:
        removed.add(part)
        pfolder, pname = posixpath.split(part)
        removed.add(posixpath.join(pfolder, "_rels", f"{pname}.rels"))
        for o in types.findall(f"{{{CT_NS}}}Override"):
            if o.get("PartName", "").lstrip("/") == part:
                types.remove(o)
        for rel in list(rels):
            target = rel.get("Target", "")
            member = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            if member == part:
                rels.remove(rel)

    sheets_el = workbook.find(f"{{{MAIN_NS}}}sheets")
    assert sheets_el is not None
    by_old = {e.title: t for t, e in entries.items()}
    for el in sheets_el:
        el.set("name", by_old.get(el.get("name", ""), el.get("name", "")))
    for title in deleted:
        entry = entries.get(title)
        if entry is None:  # added and deleted in the same change: never written
            new_parts.pop(plans[title].part, None)
            continue
        index = next(i for i, el in enumerate(sheets_el) if el.get("name") == title)
        sheets_el.remove(sheets_el[index])
        drop_part(entry.part)
        _shift_sheet_indexes(workbook, index)
    if drop_calc_chain:
        chain = package.related("calcChain")
        if chain:
            drop_part(chain)
    ids = {rel.get("Id", "") for rel in rels}
    next_sheet_id = max([0, *(int(el.get("sheetId", "0")) for el in sheets_el)]) + 1
    n = 1
    for title in added:
        if title in deleted:
            continue
        while f"rId{n}" in ids:
            n += 1
        rel_id = f"rId{n}"
        ids.add(rel_id)
        part = plans[title].part
        etree.SubElement(rels, f"{{{PKG_REL_NS}}}Relationship", Id=rel_id, Type=WORKSHEET_REL,
                         Target=posixpath.relpath(part, folder or "."))
        etree.SubElement(types, f"{{{CT_NS}}}Override", PartName=f"/{part}",
                         ContentType=WORKSHEET_CT)
        el = etree.SubElement(sheets_el, f"{{{MAIN_NS}}}sheet", name=title,
                              sheetId=str(next_sheet_id))
        el.set(f"{{{REL_NS}}}id", rel_id)
        next_sheet_id += 1
    new_parts[wb_part] = _xml_bytes(workbook)
    new_parts[rels_part] = _xml_bytes(rels)
    new_parts[CONTENT_TYPES] = _xml_bytes(types)
    return removed


def _shift_sheet_indexes(workbook: etree._Element, index: int) -> None:
    """Names and views that point at sheets by position, after the sheet at ``index`` went."""
    names = workbook.find(f"{{{MAIN_NS}}}definedNames")
    if names is not None:
        for dn in list(names):
            local = dn.get("localSheetId")
            if local is None:
                continue
            if int(local) == index:
                names.remove(dn)
            elif int(local) > index:
                dn.set("localSheetId", str(int(local) - 1))
        if not len(names):
            workbook.remove(names)
    for view in workbook.iter(f"{{{MAIN_NS}}}workbookView"):
        for attr in ("activeTab", "firstSheet"):
            value = view.get(attr)
            if value is not None and int(value) >= index and int(value) > 0:
                view.set(attr, str(int(value) - 1))


def _assemble(package: Package, new_parts: dict[str, SheetPart | bytes],
              removed: set[str]) -> bytes:
    """The new zip: members copied raw in their order, changed ones re-streamed in place."""
    source = package.zip
    infos = source.infolist()
    ends = sorted({i.header_offset for i in infos} | {source.start_dir})
    next_offset = {o: ends[k + 1] for k, o in enumerate(ends[:-1])}
    raw = memoryview(package.data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        written = set()
        for info in infos:
            name = info.filename
            if name in removed and name not in new_parts:
                continue
            if name in new_parts:
                _write_member(out, name, new_parts[name], info)
            else:
                copied = copy.copy(info)
                copied.header_offset = out.fp.tell()  # type: ignore[union-attr]
                out.fp.write(raw[info.header_offset:next_offset[info.header_offset]])  # type: ignore[union-attr]
                out.filelist.append(copied)
                out.NameToInfo[name] = copied
                out.start_dir = out.fp.tell()  # type: ignore[union-attr]
                out._didModify = True  # type: ignore[attr-defined]
            written.add(name)
        for name, chunks in new_parts.items():
            if name not in written:
                _write_member(out, name, chunks, None)
    return buffer.getvalue()


def _write_member(out: zipfile.ZipFile, name: str, content: SheetPart | bytes,
                  like: zipfile.ZipInfo | None) -> None:
    """A rewritten member: a sheet part's deflate segments as they are, small parts deflated."""
    info = zipfile.ZipInfo(name, date_time=like.date_time if like else (2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
    if like is not None:
        info.external_attr = like.external_attr
    if isinstance(content, bytes):
        out.writestr(info, content)
        return
    pieces, info.CRC, info.file_size = content.compressed()
    info.compress_size = sum(len(p) for p in pieces)
    fp = out.fp
    assert fp is not None
    info.header_offset = fp.tell()
    fp.write(info.FileHeader())
    for piece in pieces:
        fp.write(piece)
    out.filelist.append(info)
    out.NameToInfo[name] = info
    out.start_dir = fp.tell()
    out._didModify = True  # type: ignore[attr-defined]
