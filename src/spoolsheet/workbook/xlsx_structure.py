"""Columns inserted or deleted mid-sheet and sheets renamed, in an .xlsx package, as Excel and
Sheets do them: the cells of the sheet move, and so do its ``<cols>`` widths and merged cells;
every formula of every sheet that refers to moved cells or to the renamed sheet follows them.

What this module cannot move safely — conditional formats, data validations, tables,
autofilters, hyperlinks, drawings and comments of a moved sheet; defined names, charts and
pivot tables that refer to it; shared or array formulas that would have to change — makes the
change refused (``UnsafeChange``, naming file, sheet and part) before anything is written.

The result is a sheet part the part writer (``xlsx_write``) then takes as the sheet's XML, so a
structural change and cell writes are still one file replacement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from ..errors import SheetNotFound, UnsafeChange, UsageError
from ..formula_refs import REF_ERROR, ColumnMove, mentions, move_cells, rename_sheet
from .changes import ChangeSet
from .xlsx_cells import column_letters, xml_escape
from .xlsx_package import MAIN_NS, Package, SheetEntry
from .xlsx_part import column_index, grid_of
from .xlsx_read import unescape

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'(\sr=")([A-Z]{1,3})(\d+)(")')
_F = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_F_START = re.compile(rb"<f[\s>/]")
_SHARED = re.compile(rb'\st="(?:shared|array)"')
_T = re.compile(rb'\st="[^"]*"')
_V = re.compile(rb"<v>.*?</v>|<v/>", re.S)
_SPANS = re.compile(rb'(<row\b[^>]*?)\sspans="[^"]*"')
_COLS = re.compile(rb"<cols>(.*?)</cols>|<cols/>", re.S)
_COL = re.compile(rb"<col\b[^>]*?/>")
_MIN_MAX = re.compile(rb'\s(min|max)="(\d+)"')
_MERGES = re.compile(rb"<mergeCells\b[^>]*>(.*?)</mergeCells>", re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"[^>]*/>')
#: Parts of a moved sheet that point at its cells by position; spoolsheet does not move them.
_FIXED = {b"conditionalFormatting": "conditional formatting", b"dataValidations": "data validation",
          b"autoFilter": "an autofilter", b"tableParts": "a table", b"hyperlinks": "hyperlinks",
          b"drawing": "a drawing (charts, images)", b"legacyDrawing": "comments",
          b"colBreaks": "column page breaks", b"protectedRanges": "protected ranges",
          b"x14:conditionalFormatting": "conditional formatting",
          b"x14:dataValidation": "data validation"}
#: Parts of a sheet whose formulas may name another sheet; one that names a moved or renamed
#: sheet is refused too.
_FORMULA_FEATURES = (b"conditionalFormatting", b"dataValidations", b"x14:conditionalFormatting",
                     b"x14:dataValidation")
#: Members outside the sheets that refer to cells by sheet name.
_REFERRING = ("xl/charts/", "xl/pivotCache/", "xl/pivotTables/", "xl/externalLinks/", "xl/tables/")


@dataclass
class Followed:
    """A sheet as the structural change leaves it, before any cell of the change is written."""

    entry: SheetEntry
    xml: bytes
    grid: tuple[int, int]


def titles_after(package: Package, changes: ChangeSet, name: str) -> dict[str, SheetEntry]:
    """Each existing sheet by the title it has after the change's renames (in their order)."""
    entries = {e.title: e for e in package.sheet_entries}
    for rn in changes.renames:
        if rn.old not in entries:
            raise SheetNotFound(f"sheet {rn.old!r} not found in {name}")
        if any(t.casefold() == rn.new.casefold() for t in entries if t != rn.old):
            raise UsageError(f"sheet {rn.new!r} already exists in {name}")
        entries = {rn.new if t == rn.old else t: e for t, e in entries.items()}
    return entries


def follow(package: Package, changes: ChangeSet, name: str,
           entries: dict[str, SheetEntry]) -> dict[str, Followed]:
    """The sheets the change's renames and column moves alter, by their new titles."""
    moved = {m.sheet for m in changes.column_moves}
    for title in moved:
        if title not in entries:
            raise SheetNotFound(f"sheet {title!r} not found in {name} (columns can only move in "
                                f"a sheet that exists before the change)")
    named = moved | {rn.old for rn in changes.renames}
    _refuse_referring(package, named, name)
    out: dict[str, Followed] = {}
    for title, entry in entries.items():
        xml = package.part(entry.part)
        moves = [m for m in changes.column_moves if m.sheet == title]
        grid = package.guard(entry.part, partial(grid_of, xml))
        if moves:
            _refuse_fixed(xml, name, title)
        for feature in _FORMULA_FEATURES:
            if b"<" + feature in xml and any(_escaped(t) in xml for t in named):
                raise UnsafeChange(f"{name}: sheet {title!r} has {_FIXED[feature]} that may refer "
                                   f"to sheet(s) {', '.join(sorted(named))}; spoolsheet cannot "
                                   f"move it, nothing was written")
        if not moves and b"<f" not in xml:
            continue
        new = package.guard(entry.part, partial(_sheet_part, xml, title, moves, changes, name))
        for m in moves:
            grid = _grid_after(grid, m, title)
        if new != xml or moves:
            out[title] = Followed(entry, new, grid)
    return out


def _escaped(title: str) -> bytes:
    return xml_escape(title, quotes=True).encode()


def _refuse_referring(package: Package, named: set[str], name: str) -> None:
    names = package.workbook_xml.find(f"{{{MAIN_NS}}}definedNames")
    for dn in names if names is not None else []:
        for title in named:
            if mentions(dn.text or "", "", title):
                raise UnsafeChange(f"{name}: the defined name {dn.get('name')!r} refers to sheet "
                                   f"{title!r}; spoolsheet cannot move it, nothing was written")
    for member in package.zip.namelist():
        if member.startswith(_REFERRING):
            data = package.part(member)
            for title in named:
                if _escaped(title) in data:
                    raise UnsafeChange(f"{name}: {member} refers to sheet {title!r}; spoolsheet "
                                       f"cannot move it, nothing was written")


def _refuse_fixed(xml: bytes, name: str, title: str) -> None:
    for tag, what in _FIXED.items():
        if re.search(b"<" + re.escape(tag) + rb"[\s>/]", xml):
            raise UnsafeChange(f"{name}: sheet {title!r} has {what}; spoolsheet cannot move its "
                               f"columns safely, nothing was written")


def _grid_after(grid: tuple[int, int], move: ColumnMove, title: str) -> tuple[int, int]:
    rows, cols = grid
    last = move.col + move.count - 1
    if move.delete and (last > cols or move.count >= cols):
        raise UsageError(f"sheet {title!r} has {cols} columns: cannot delete columns "
                         f"{column_letters(move.col)}..{column_letters(last)}")
    if not move.delete and move.col > cols + 1:
        raise UsageError(f"sheet {title!r} has {cols} columns: cannot insert before column "
                         f"{column_letters(move.col)}")
    return rows, cols - move.count if move.delete else cols + move.count


def formula_follower(changes: ChangeSet, here: str) -> Callable[[str], str]:
    """Formula text of a cell of sheet ``here`` (its new title) -> the text after the change."""
    def follow_text(text: str) -> str:
        for rn in changes.renames:
            text = rename_sheet(text, here, rn.old, rn.new)
        for m in changes.column_moves:
            text = move_cells(text, here, m)
        return text

    return follow_text


def _sheet_part(xml: bytes, title: str, moves: Sequence[ColumnMove], changes: ChangeSet,
                name: str) -> bytes:
    """One sheet part with its cells, widths and merges moved and its formulas followed."""
    follow_text = formula_follower(changes, title)
    letters: dict[bytes, bytes | None] = {}  # a column's letters -> its new ones (None: deleted)

    def moved_letters(old: bytes) -> bytes | None:
        if old not in letters:
            at: int | None = column_index(old)
            for m in moves:
                at = m.position(at) if at is not None else None
            letters[old] = None if at is None else column_letters(at).encode()
        return letters[old]

    def cell(m: re.Match[bytes]) -> bytes:
        element, attrs, content = m[0], m[1], m[2]
        ref = _REF.search(attrs)
        if ref is None:
            raise UsageError(f"{name}: a cell of sheet {title!r} has no reference")
        new = moved_letters(ref[2])
        if new is None:
            return b""
        if new != ref[2]:
            element = element[:ref.start(2) + 2] + new + element[ref.end(2) + 2:]
        if content and b"<f" in content:
            element = _follow_formula(element, title, moves, follow_text, name)
        return element

    if not moves:  # only formula cells can change: visit those alone
        return _formula_cells(xml, lambda element: _follow_formula(element, title, moves,
                                                                   follow_text, name))
    out = _CELL.sub(cell, xml)
    if moves:
        out = _SPANS.sub(rb"\1", out)
        out = _COLS.sub(lambda m: _cols(m, moves), out, count=1)
        out = _MERGES.sub(lambda m: _merges(m, moves), out, count=1)
    return out


def _formula_cells(xml: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """``xml`` with each cell element that holds a formula passed through ``change``."""
    out: list[bytes] = []
    pos = 0
    for f in _F_START.finditer(xml):
        start = xml.rfind(b"<c ", 0, f.start())
        if start < pos:
            continue  # a second <f> in a cell already done
        end = xml.index(b"</c>", f.start()) + 4
        out += [xml[pos:start], change(xml[start:end])]
        pos = end
    if not out:
        return xml
    out.append(xml[pos:])
    return b"".join(out)


def _follow_formula(element: bytes, title: str, moves: Sequence[ColumnMove],
                    follow_text: Callable[[str], str], name: str) -> bytes:
    f = _F.search(element)
    if f is None:
        return element
    text = unescape(f[2].decode()) if f[2] else ""
    new = follow_text(text) if text else text
    if _SHARED.search(f[1]) and (moves or new != text):
        ref = _REF.search(element)
        where = f"{column_letters(column_index(ref[2]))}{int(ref[3])}" if ref else "?"
        raise UnsafeChange(f"{name}: sheet {title!r} cell {where} holds a shared or array formula "
                           f"the change would have to rewrite; spoolsheet cannot, nothing was "
                           f"written")
    if new == text:
        return element
    start, end = f.start(2), f.end(2)
    element = element[:start] + xml_escape(new).encode() + element[end:]
    if REF_ERROR in new and REF_ERROR not in text:  # the cached result is stale: an error now
        head_end = element.index(b">")
        head = _T.sub(b"", element[:head_end]) + b' t="e"'
        element = head + element[head_end:]
        element = _V.sub(b"<v>#REF!</v>", element, count=1)
    return element


def _cols(m: re.Match[bytes], moves: Sequence[ColumnMove]) -> bytes:
    kept = []
    for col in _COL.findall(m[1] or b""):
        bounds = {k: int(v) for k, v in _MIN_MAX.findall(col)}
        span: tuple[int, int] | None = (bounds.get(b"min", 1), bounds.get(b"max", 1))
        for mv in moves:
            span = mv.span(*span) if span is not None else None
        if span is None:
            continue
        col = re.sub(rb'\smin="\d+"', f' min="{span[0]}"'.encode(), col, count=1)
        kept.append(re.sub(rb'\smax="\d+"', f' max="{span[1]}"'.encode(), col, count=1))
    return b"<cols>" + b"".join(kept) + b"</cols>" if kept else b""


def _merges(m: re.Match[bytes], moves: Sequence[ColumnMove]) -> bytes:
    kept = []
    for merge in _MERGE.finditer(m[1]):
        span: tuple[int, int] | None = (column_index(merge[1]), column_index(merge[3]))
        for mv in moves:
            span = mv.span(*span) if span is not None else None
        if span is None or (span[0] == span[1] and merge[2] == merge[4]):
            continue  # gone, or one cell: no longer a merge
        ref = f"{column_letters(span[0])}{int(merge[2])}:{column_letters(span[1])}{int(merge[4])}"
        kept.append(f'<mergeCell ref="{ref}"/>'.encode())
    if not kept:
        return b""
    return f'<mergeCells count="{len(kept)}">'.encode() + b"".join(kept) + b"</mergeCells>"
