"""The operations a revision file's ``upgrade(op)`` / ``downgrade(op)`` calls, and what each does.

Every operation finds columns and sheets by header name, never by position, and has five parts:
a plan line (``line``), a pre-flight and idempotency check of its own (``steps``: no changing
step when it is already done, the rest of the work when it is half done; it raises naming the sheet, column
or cell when the workbook holds something that conflicts), the change (``change``), a check of
the result (``verify``) and, where one exists, its ``inverse`` (what ``downgrade`` does when a
revision defines none). All are pure functions of the sheets as read; the machinery does I/O.

Types come from the value codec (``spoolsheet.values``): ``text``, ``worker`` (``INICIALES(ID)``),
``date``, ``integer``, ``number``.

Google requests: whatever a revision holds, its operations go into the one atomic write of the
run (one ``spreadsheets.batchUpdate``; on .xlsx one atomic save) and cost nothing more, unless
that is over Google's 10 MB per request: then it goes in parts, and a run stopped between them
is finished by the next through each operation's own idempotency check.

Columns inserted or dropped mid-sheet and sheets renamed move the formulas that point at them,
in every sheet, as Sheets and Excel do (``ChangeSet``'s structural changes).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import ConflictError, DataError, SchemaError
from ..progress import scanned
from ..schema import TAG_COLUMN, ColumnMap, column_letter, normalise_header
from ..values import Cell, Formula, WorkerRef, canonical, is_blank, parse_date, parse_int
from ..workbook.base import Sheet
from ..workbook.changes import ChangeSet
from .migration import Step


def _text(value: object, **where: object) -> object:
    return value


def _number(value: object, *, sheet: str | None = None, row: int | None = None,
            column: str | None = None) -> object:
    if is_blank(value) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise DataError(f"expected a number, found {value!r}", sheet=sheet, row=row, column=column)


#: Column types, each the codec's reader for it (raises ``DataError`` naming the cell).
TYPES: dict[str, Callable[..., object]] = {
    "text": _text, "worker": WorkerRef.parse, "date": parse_date, "integer": parse_int,
    "number": _number,
}


def at(col: int) -> str:
    return f"{column_letter(col)} ({col})"


def sheet_of(sheets: Mapping[str, Sheet], title: str) -> Sheet:
    if title not in sheets:
        raise SchemaError(f"sheet {title!r} not found")
    return sheets[title]


def rows_of(sheets: Mapping[str, Sheet], title: str) -> int:
    """The rows of sheet ``title`` (1 when it is not there): an operation's share of a count."""
    return max(len(sheets[title].rows), 1) if title in sheets else 1


def header_map(sheet: Sheet) -> ColumnMap:
    """The sheet's headers, refusing duplicates by name and position (nothing is guessed)."""
    cmap = ColumnMap.from_row(sheet.title, sheet.row(1))
    dups = cmap.duplicates()
    if dups:
        raise SchemaError(f"sheet {sheet.title!r}: duplicate headers: " + "; ".join(
            f"{name!r} at " + " and ".join(at(c) for c in cols) for name, cols in dups.items())
            + "; rename or remove one so every column has one name")
    return cmap


def body(sheet: Sheet, first: int = 2) -> Iterable[int]:
    """The row numbers from ``first`` (below the header) to the last: a pass over them moves
    the running count of rows (``progress.scanned``), so a long check shows how far it is."""
    return scanned(range(first, len(sheet.rows) + 1))


def data_rows(sheet: Sheet) -> list[int]:
    """The rows that hold a record: those with a TAG where the sheet has a TAG column (spools),
    else those with any value. Blank rows below the data are never touched."""
    cmap = ColumnMap.from_row(sheet.title, sheet.row(1))
    tag = cmap.get(TAG_COLUMN) if TAG_COLUMN in cmap else None
    rows = body(sheet)
    if tag is not None:
        return [r for r in rows if not is_blank(sheet.cell(r, tag))]
    return [r for r in rows if any(not is_blank(v) for v in sheet.row(r))]


class Row(Mapping[str, Cell]):
    """One row as a backfill or ``where`` function sees it: cells by header name."""

    def __init__(self, sheets: Mapping[str, Sheet], sheet: Sheet, cmap: ColumnMap,
                 row: int) -> None:
        self.sheets, self.sheet, self.cmap, self.number = sheets, sheet, cmap, row

    def __getitem__(self, name: str) -> Cell:
        if name not in self.cmap:
            raise KeyError(name)
        return self.sheet.cell(self.number, self.cmap.index(name))

    def __iter__(self) -> Iterator[str]:
        return iter(h for h in self.cmap.headers if h)

    def __len__(self) -> int:
        return len([h for h in self.cmap.headers if h])


Fill = Cell | Callable[[Row], Cell]


class Op(ABC):
    """One operation of a revision (see the module docstring for the five parts)."""

    @abstractmethod
    def line(self) -> str:
        """The plan line, as an admin reads it."""

    @abstractmethod
    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        """Pre-flight and idempotency: what is left to do (no ``change`` step when done);
        raises on conflict."""

    @abstractmethod
    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        """What is left to do, as a change (empty when done)."""

    def verify(self, before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet]) -> list[str]:
        """Problems with the result (``before``: the sheets the change was planned on)."""
        try:
            left = [s.text for s in self.steps(after) if s.change]
        except (SchemaError, DataError, ConflictError) as exc:
            return [str(exc)]
        return [f"{self.line()}: not done ({'; '.join(left)})"] if left else []

    def inverse(self) -> Op | None:
        return None

    def counted_rows(self, sheets: Mapping[str, Sheet]) -> int:
        """Its share of a count of rows planned or verified: the rows it goes through (its
        sheet's, for one that works on a sheet's rows; else 1: a header, a name)."""
        return 1


@dataclass
class AddColumn(Op):
    """``add_column(sheet, name, type, default=, backfill=, after=, number_format=)``.

    Placed at the end: right after the last column that is not one this revision appends to the
    sheet (``group``), in the order the revision appends them, so nothing existing moves. With
    ``after="Header"`` it is inserted right after that column (found by name): the columns from
    there move right, and formulas in every sheet that point at them follow. A column already at
    its place is kept (its cells must be of its type; appended: the run would put it there, a
    resumed run); one standing anywhere else (a shop column of that name at Q), or a cell
    holding data where an appended one goes, is refused naming it. Only a revision taken as
    applied (``anywhere``: ``baseline``) keeps its appended columns wherever they stand in
    order, as later revisions and hand edits left them. ``backfill`` (a value or a
    function of the ``Row``) fills its blank cells on every record row; ``default`` is the
    backfill when none is given. ``number_format`` (``0.00``, ``dd-mm-yyyy``) is set on its
    cells below the header when the column is added.
    """

    sheet: str
    name: str
    type: str = "text"
    default: Cell = None
    backfill: Fill = None
    after: str | None = None
    number_format: str | None = None
    #: the revision's version (for messages) and the columns it appends to this sheet, in order
    owner: str = "this revision"
    group: tuple[str, ...] = ()
    #: a later ``backfill`` of the same revision fills it (so it is not expected empty)
    filled_later: bool = False
    #: the revision is taken as applied: the group in order is in place wherever it stands
    anywhere: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise SchemaError(f"add_column {self.name!r}: unknown type {self.type!r}; "
                              f"known: {', '.join(TYPES)}")

    def counted_rows(self, sheets: Mapping[str, Sheet]) -> int:
        return rows_of(sheets, self.sheet)

    def line(self) -> str:
        fill = self.backfill if self.backfill is not None else self.default
        how = "" if fill is None else (
            ", backfilled by a function of the row" if callable(fill) else f", backfilled {fill!r}")
        where = f"after {self.after!r} of" if self.after else "at the end of"
        shown = f", shown {self.number_format!r}" if self.number_format else ""
        return f"add column {self.name!r} ({self.type}) {where} {self.sheet!r}{how}{shown}"

    def place(self, sheets: Mapping[str, Sheet]) -> tuple[Sheet, ColumnMap, int, bool]:
        """(sheet, headers, the column's place, whether it is there already); raises on conflict."""
        sheet = sheet_of(sheets, self.sheet)
        cmap = header_map(sheet)
        if self.after is not None:
            return self._place_after(sheet, cmap)
        names = self.group or (self.name,)
        base = self.base(cmap)
        for k, name in enumerate(names):  # every column of the group where it goes, first
            found = cmap.get(name)
            if found is not None and found != base + 1 + k:
                raise SchemaError(
                    f"sheet {self.sheet!r}: column {name!r} stands at {at(found)}, but "
                    f"{self.owner} puts it at {at(base + 1 + k)}, right after the last column "
                    f"{cmap.headers[base - 1] if base else '(none)'!r}; move or remove it by "
                    "hand, then run again")
        want = base + 1 + [normalise_header(n) for n in names].index(normalise_header(self.name))
        found = cmap.get(self.name)
        if found is None:
            stray = next((r for r in body(sheet, 1)
                          if not is_blank(sheet.cell(r, want))), None)
            if stray is not None:
                raise SchemaError(
                    f"sheet {self.sheet!r}: column {self.name!r} goes at {at(want)}, but cell "
                    f"{column_letter(want)}{stray} already holds {sheet.cell(stray, want)!r}")
        else:
            check = TYPES[self.type]
            for r in body(sheet):
                check(sheet.cell(r, want), sheet=self.sheet, row=r, column=self.name)
        return sheet, cmap, want, found is not None

    def _place_after(self, sheet: Sheet, cmap: ColumnMap) -> tuple[Sheet, ColumnMap, int, bool]:
        assert self.after is not None
        anchor = cmap.get(self.after)
        if anchor is None:
            raise SchemaError(f"sheet {self.sheet!r}: add_column {self.name!r} goes after "
                              f"{self.after!r}, which is not a header of the sheet")
        found = cmap.get(self.name)
        if found is not None and found != anchor + 1:
            raise SchemaError(f"sheet {self.sheet!r}: column {self.name!r} stands at {at(found)}, "
                              f"but {self.owner} puts it right after {self.after!r} "
                              f"({at(anchor)}); move or remove it by hand, then run again")
        if found is not None:
            for r in body(sheet):
                TYPES[self.type](sheet.cell(r, found), sheet=self.sheet, row=r, column=self.name)
        return sheet, cmap, anchor + 1, found is not None

    def _inserts(self, present: bool) -> bool:
        return self.after is not None and not present

    def base(self, cmap: ColumnMap) -> int:
        """The column the group goes after: the last one not of the group, or, ``anywhere``
        when the whole group stands in order already, the one before it (whatever later
        revisions appended)."""
        names = self.group or (self.name,)
        found = [cmap.get(n) for n in names]
        if self.anywhere and found[0] is not None and found == list(
                range(found[0], found[0] + len(names))):
            return found[0] - 1
        group = {normalise_header(n) for n in names}
        return max((i for i, h in enumerate(cmap.headers, start=1)
                    if h and normalise_header(h) not in group), default=0)

    def value(self, row: Row) -> Cell:
        fill = self.backfill if self.backfill is not None else self.default
        return fill(row) if callable(fill) else fill

    def fills(self) -> bool:
        return self.backfill is not None or self.default is not None

    def missing(self, sheet: Sheet, cmap: ColumnMap, col: int, inserted: bool = False) -> list[int]:
        """Record rows whose cell is blank and should be filled (all of them when the column is
        still to be inserted: the cells at ``col`` now are another column's)."""
        if not self.fills():
            return []
        return [r for r in data_rows(sheet) if inserted or is_blank(sheet.cell(r, col))]

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        sheet, cmap, col, present = self.place(sheets)
        inserts = self._inserts(present)
        out = [Step(f"{'keep' if present else 'insert' if inserts else 'add'} column "
                    f"{self.name!r} ({self.type}) at {at(col)} of {self.sheet!r}"
                    + (f" (the {sheet.info.cols - col + 1} column(s) from there move right)"
                       if inserts else ""), change=not present)]
        end = self.base(cmap) + len(self.group or (self.name,))
        if not present and col > sheet.info.cols and not inserts:
            out.append(Step(f"grow the {self.sheet} grid from {sheet.info.cols} to {end} columns"))
        if self.number_format and not present:
            out.append(Step(f"show {self.name} as {self.number_format!r}", structural=False))
        missing = self.missing(sheet, cmap, col, inserts)
        if missing:
            fill = self.backfill if self.backfill is not None else self.default
            what = " by a function of the row" if callable(fill) else f" = {fill!r}"
            others = len(sheet.rows) - 1 - len(data_rows(sheet))
            rows = (f"spool rows (rows with a TAG; {others:,} other rows left alone)"
                    if TAG_COLUMN in cmap else "row(s)")
            out.append(Step(f"backfill {self.name}{what} on {len(missing):,} {rows} of "
                            f"{self.sheet!r}", structural=False))
        return out

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        sheet, cmap, col, present = self.place(sheets)
        changes = ChangeSet()
        inserts = self._inserts(present)
        if inserts:
            changes.insert_columns(self.sheet, col)
        elif not present and col > sheet.info.cols:  # once, for the whole group: the rest fit
            changes.resize(self.sheet, cols=self.base(cmap) + len(self.group or (self.name,)))
        if not present:
            changes.put(self.sheet, 1, col, self.name)
            if self.number_format:
                changes.set_number_format(self.sheet, self.number_format, row=2, col=col,
                                          last_col=col)
        for first, values in _runs([(r, self.value(Row(sheets, sheet, cmap, r)))
                                    for r in scanned(self.missing(sheet, cmap, col, inserts))]):
            changes.set_block(self.sheet, first, col, [[v] for v in values])
        return changes

    def verify(self, before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet]) -> list[str]:
        if before is None:  # resumed, or `migrate verify` later: later revisions may follow it
            return self._present(after)
        problems = super().verify(before, after)
        if problems:
            return problems
        try:
            sheet, cmap, col, present = self.place(before)
            now = header_map(after[self.sheet]).get(self.name)
        except (SchemaError, DataError) as exc:
            return [str(exc)]
        if now != col:
            return [f"sheet {self.sheet!r}: column {self.name!r} is at {at(now or 0)}, the plan "
                    f"put it at {at(col)}"]
        bad = [f"{column_letter(col)}{r} = {after[self.sheet].cell(r, col)!r}"
               for r in scanned(self.missing(sheet, cmap, col, self._inserts(present)))
               if canonical(after[self.sheet].cell(r, col)) != canonical(
                   self.value(Row(before, sheet, cmap, r)))]
        if bad:
            problems.append(f"sheet {self.sheet!r}: {len(bad)} row(s) without the value "
                            f"{self.name!r} should hold: " + ", ".join(bad[:5]))
        if not present and not self.fills() and not self.filled_later:
            held = [r for r in body(after[self.sheet])
                    if not is_blank(after[self.sheet].cell(r, col))]
            if held:
                problems.append(f"sheet {self.sheet!r}: new column {self.name!r} should be "
                                f"empty, but {len(held)} row(s) hold a value (first: row {held[0]})")
        return problems

    def _present(self, after: Mapping[str, Sheet]) -> list[str]:
        """Once, of its type, filled where it fills (wherever later revisions left it)."""
        try:
            sheet = sheet_of(after, self.sheet)
            cmap = header_map(sheet)
            col = cmap.get(self.name)
            if col is None:
                missing = f"sheet {self.sheet!r}: column {self.name!r} is missing"
                try:  # and what stands in its way where it would go (a header renamed by hand)
                    self.place(after)
                except (SchemaError, DataError) as exc:
                    return [f"{missing}; {exc}"]
                return [missing]
            for r in body(sheet):
                TYPES[self.type](sheet.cell(r, col), sheet=self.sheet, row=r, column=self.name)
        except (SchemaError, DataError) as exc:
            return [str(exc)]
        blank = self.missing(sheet, cmap, col)
        return [f"sheet {self.sheet!r}: column {self.name!r} is blank on {len(blank)} record "
                f"row(s) (first: {column_letter(col)}{blank[0]})"] if blank else []

    def inverse(self) -> Op:
        fill = self.backfill if self.backfill is not None else self.default
        return DropColumn(self.sheet, self.name, ignore=None if callable(fill) else fill)


@dataclass
class AddFormulaColumn(AddColumn):
    """``add_formula_column(sheet, name, formula)``: a column whose every record row holds the
    formula, written per row. In ``formula`` ``{Header}`` is this row's cell of that column and
    ``{Sheet!Header}`` the whole column of another sheet, both found by header name when planned
    (e.g. ``=COUNTIFS({Uniones!TAG_SPOOL}, {TAG_SPOOL})``). A cell already holding the formula is
    kept; one holding anything else is refused naming it."""

    formula: str = ""

    def line(self) -> str:
        return f"add formula column {self.name!r} at the end of {self.sheet!r}: {self.formula}"

    def render(self, sheets: Mapping[str, Sheet], row: int) -> Formula:
        def ref(match: re.Match[str]) -> str:
            other, _, name = match[1].rpartition("!")
            if other:
                col = header_map(sheet_of(sheets, other)).index(name)
                quoted = f"'{other}'" if not other.isalnum() else other
                return f"{quoted}!{column_letter(col)}:{column_letter(col)}"
            return f"{column_letter(header_map(sheets[self.sheet]).index(name))}{row}"

        text = re.sub(r"\{([^{}]+)\}", ref, self.formula)
        return Formula(text if text.startswith("=") else "=" + text)

    def fills(self) -> bool:
        return True

    def value(self, row: Row) -> Cell:
        return self.render(row.sheets, row.number)

    def place(self, sheets: Mapping[str, Sheet]) -> tuple[Sheet, ColumnMap, int, bool]:
        sheet, cmap, col, present = super().place(sheets)
        for r in data_rows(sheet) if present else ():
            found = sheet.cell(r, col)
            if not is_blank(found) and canonical(found) != canonical(self.render(sheets, r)):
                raise ConflictError(f"sheet {self.sheet!r}: cell {column_letter(col)}{r} holds "
                                    f"{found!r}, not the formula {self.name!r} writes "
                                    f"({self.render(sheets, r)}); clear it or fix the revision")
        return sheet, cmap, col, present

    def inverse(self) -> Op:
        return DropColumn(self.sheet, self.name, formulas_only=True)


@dataclass
class DropColumn(Op):
    """``drop_column(sheet, name, allow_data_loss=False)``: refuses a column that holds data
    unless told, naming the first cell (the values are in the run's backup). Anywhere in the
    sheet: the columns after it move left, and formulas in any sheet that point at them follow
    (one pointing at the dropped column itself becomes ``#REF!``). The last column with data
    goes with the blank grid after it. Gone already: nothing to do."""

    sheet: str
    name: str
    allow_data_loss: bool = False
    #: a value that is not data (what the revision that added it backfilled), formulas not data
    ignore: Cell = None
    formulas_only: bool = False

    def counted_rows(self, sheets: Mapping[str, Sheet]) -> int:
        return rows_of(sheets, self.sheet)

    def line(self) -> str:
        return f"drop column {self.name!r} of {self.sheet!r}"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        sheet = sheet_of(sheets, self.sheet)
        col = header_map(sheet).get(self.name)
        if col is None:
            return []
        held = [r for r in body(sheet) if self._data(sheet.cell(r, col))]
        if held and not self.allow_data_loss:
            raise ConflictError(f"sheet {self.sheet!r}: column {self.name!r} holds data in "
                                f"{len(held)} row(s) (first: {column_letter(col)}{held[0]}); "
                                "dropping it would lose that: pass allow_data_loss=True (the "
                                "run's backup keeps the values)")
        if self._last(sheet, col):
            return [Step(f"drop column {self.name!r} at {at(col)} of {self.sheet!r} (the grid "
                         f"shrinks to {col - 1} columns)")]
        return [Step(f"drop column {self.name!r} at {at(col)} of {self.sheet!r} (the "
                     f"{sheet.info.cols - col} column(s) after it move left)")]

    @staticmethod
    def _last(sheet: Sheet, col: int) -> bool:
        """Whether no cell after column ``col`` holds anything."""
        return all(is_blank(v) for line in sheet.rows for v in line[col:])

    def _data(self, value: Cell) -> bool:
        if is_blank(value):
            return False
        if self.formulas_only:
            return not isinstance(value, Formula)
        return self.ignore is None or canonical(value) != canonical(self.ignore)

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        if not self.steps(sheets):
            return ChangeSet()
        sheet = sheets[self.sheet]
        col = header_map(sheet).index(self.name)
        if self._last(sheet, col):
            return ChangeSet().resize(self.sheet, cols=col - 1)
        return ChangeSet().delete_columns(self.sheet, col)


@dataclass
class RenameColumn(Op):
    """``rename_column(sheet, old, new)``: the header cell only; done when ``new`` stands and
    ``old`` does not; both present is refused naming both."""

    sheet: str
    old: str
    new: str

    def line(self) -> str:
        return f"rename column {self.old!r} of {self.sheet!r} to {self.new!r}"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        cmap = header_map(sheet_of(sheets, self.sheet))
        old, new = cmap.get(self.old), cmap.get(self.new)
        if old is not None and new is not None and old != new:
            raise SchemaError(f"sheet {self.sheet!r}: both {self.old!r} ({at(old)}) and "
                              f"{self.new!r} ({at(new)}) exist; remove one by hand")
        if old is None and new is None:
            raise SchemaError(f"sheet {self.sheet!r}: column {self.old!r} not found to rename")
        if old is None or (new == old and cmap.headers[old - 1] == self.new):
            return []
        return [Step(f"rename header {column_letter(old)}1 of {self.sheet!r} from {self.old!r} "
                     f"to {self.new!r}")]

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        if not self.steps(sheets):
            return ChangeSet()
        return ChangeSet().put(self.sheet, 1, header_map(sheets[self.sheet]).index(self.old),
                               self.new)

    def inverse(self) -> Op:
        return RenameColumn(self.sheet, self.new, self.old)


@dataclass
class AddSheet(Op):
    """``add_sheet(name, headers)``: done when it exists with these headers first; a sheet of
    that name with other headers is refused naming the cell; an empty one gets its headers."""

    name: str
    headers: tuple[str, ...]
    rows: int = 1000

    def line(self) -> str:
        return f"add sheet {self.name!r} ({len(self.headers)} columns: {', '.join(self.headers)})"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        sheet = sheets.get(self.name)
        if sheet is None:
            return [Step(f"add sheet {self.name!r} with {len(self.headers)} headers")]
        found = sheet.row(1)
        for c, want in enumerate(self.headers, start=1):
            have = found[c - 1] if c <= len(found) else None
            if is_blank(have) and not any(not is_blank(v) for v in found):
                return [Step(f"write the {len(self.headers)} headers of the empty sheet {self.name!r}")]
            if normalise_header(have) != normalise_header(want):
                raise SchemaError(f"sheet {self.name!r} exists, but cell {column_letter(c)}1 holds "
                                  f"{have!r} where {want!r} goes; rename or remove it by hand")
        return []

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        changes = ChangeSet()
        if not self.steps(sheets):
            return changes
        if self.name not in sheets:
            changes.add_sheet(self.name, rows=self.rows, cols=len(self.headers))
        elif sheets[self.name].info.cols < len(self.headers):
            changes.resize(self.name, cols=len(self.headers))
        return changes.set_row(self.name, 1, 1, list(self.headers))

    def verify(self, before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet]) -> list[str]:
        """A sheet gone since it was added is said as such (a hand deletion), not as a step."""
        if self.name not in after:
            return [f"sheet {self.name!r} is missing"]
        return super().verify(before, after)

    def inverse(self) -> Op:
        return DropSheet(self.name)


@dataclass
class DropSheet(Op):
    """``drop_sheet(name, allow_data_loss=False)``: refuses a sheet with rows below its header
    unless told (the run's backup keeps it). Gone already: nothing to do."""

    name: str
    allow_data_loss: bool = False

    def counted_rows(self, sheets: Mapping[str, Sheet]) -> int:
        return rows_of(sheets, self.name)

    def line(self) -> str:
        return f"drop sheet {self.name!r}"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        sheet = sheets.get(self.name)
        if sheet is None:
            return []
        rows = [r for r in body(sheet) if any(not is_blank(v) for v in sheet.row(r))]
        if rows and not self.allow_data_loss:
            raise ConflictError(f"sheet {self.name!r} holds {len(rows)} row(s) of data (first: row "
                                f"{rows[0]}); dropping it would lose that: pass "
                                "allow_data_loss=True (the run's backup keeps it)")
        return [Step(f"delete sheet {self.name!r}")]

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        return ChangeSet().delete_sheet(self.name) if self.steps(sheets) else ChangeSet()


@dataclass
class Backfill(Op):
    """``backfill(sheet, column, value, where=)``: fill the column's blank cells on record rows
    (where ``where(row)`` holds) with a value or a function of the row; values there are kept."""

    sheet: str
    column: str
    value: Fill
    where: Callable[[Row], bool] | None = None

    def counted_rows(self, sheets: Mapping[str, Sheet]) -> int:
        return rows_of(sheets, self.sheet)

    def line(self) -> str:
        return f"backfill {self.column!r} of {self.sheet!r}" + (" where a condition holds"
                                                                if self.where else "")

    def _rows(self, sheets: Mapping[str, Sheet]) -> tuple[Sheet, ColumnMap, int, list[int]]:
        sheet = sheet_of(sheets, self.sheet)
        cmap = header_map(sheet)
        col = cmap.index(self.column)
        rows = [r for r in data_rows(sheet) if is_blank(sheet.cell(r, col))
                and (self.where is None or self.where(Row(sheets, sheet, cmap, r)))]
        return sheet, cmap, col, rows

    def fill(self, row: Row) -> Cell:
        return self.value(row) if callable(self.value) else self.value

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        rows = self._rows(sheets)[3]
        return [Step(f"backfill {self.column} on {len(rows):,} row(s) of {self.sheet!r}",
                     structural=False)] if rows else []

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        sheet, cmap, col, rows = self._rows(sheets)
        changes = ChangeSet()
        for first, values in _runs([(r, self.fill(Row(sheets, sheet, cmap, r))) for r in rows]):
            changes.set_block(self.sheet, first, col, [[v] for v in values])
        return changes


@dataclass
class Require(Op):
    """``require(check, what)``: a pre-flight of the revision's own, for what no operation knows
    (a column its data hangs on; work a downgrade must not lose unless ``op.force``).
    ``check(sheets)`` raises naming the sheet, column or cell to refuse; writes nothing; it runs
    again on the result as part of the verification."""

    check: Callable[[Mapping[str, Sheet]], None]
    what: str

    def line(self) -> str:
        return f"require {self.what}"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        self.check(sheets)
        return []

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        return ChangeSet()

    def inverse(self) -> Op:
        return self  # what the data hangs on holds on the way back too


@dataclass
class RenameSheet(Op):
    """``rename_sheet(old, new)``: done when ``new`` stands and ``old`` does not; both present
    is refused naming both, neither is refused naming ``old``. Formulas in every sheet that name
    it follow, as in Sheets and Excel."""

    old: str
    new: str

    def line(self) -> str:
        return f"rename sheet {self.old!r} to {self.new!r}"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        if self.old in sheets and self.new in sheets:
            raise SchemaError(f"sheets {self.old!r} and {self.new!r} both exist; rename or remove "
                              "one by hand, then run again")
        if self.new in sheets:
            return []
        sheet_of(sheets, self.old)
        return [Step(f"rename sheet {self.old!r} to {self.new!r}")]

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        return ChangeSet().rename_sheet(self.old, self.new) if self.steps(sheets) else ChangeSet()

    def inverse(self) -> Op:
        return RenameSheet(self.new, self.old)


@dataclass
class SetNumberFormat(Op):
    """``set_number_format(sheet, column, number_format)``: the format of the column's cells below its
    header (found by name), to the grid's edge. The sheets as read hold values, not formats, so
    it is written each time the revision runs (writing it again changes nothing)."""

    sheet: str
    column: str
    number_format: str

    def line(self) -> str:
        return f"show column {self.column!r} of {self.sheet!r} as {self.number_format!r}"

    def steps(self, sheets: Mapping[str, Sheet]) -> list[Step]:
        sheet = sheet_of(sheets, self.sheet)
        col = header_map(sheet).get(self.column)
        if col is None:
            raise SchemaError(f"sheet {self.sheet!r}: no column {self.column!r} to format")
        return [Step(f"number format {self.number_format!r} on {at(col)} of {self.sheet!r}",
                     structural=False)]

    def change(self, sheets: Mapping[str, Sheet]) -> ChangeSet:
        self.steps(sheets)
        col = header_map(sheets[self.sheet]).index(self.column)
        return ChangeSet().set_number_format(self.sheet, self.number_format, row=2, col=col,
                                             last_col=col)

    def verify(self, before: Mapping[str, Sheet] | None, after: Mapping[str, Sheet]) -> list[str]:
        try:
            self.steps(after)
        except (SchemaError, DataError) as exc:
            return [str(exc)]
        return []


def _runs(cells: Sequence[tuple[int, Cell]]) -> list[tuple[int, list[Cell]]]:
    """(row, value) pairs as runs of consecutive rows: (first row, values)."""
    out: list[tuple[int, list[Cell]]] = []
    for r, v in cells:
        if out and out[-1][0] + len(out[-1][1]) == r:
            out[-1][1].append(v)
        else:
            out.append((r, [v]))
    return out


@dataclass
class Operations:
    """The ``op`` a revision's ``upgrade(op)`` / ``downgrade(op)`` receives: it records what the
    revision asks for, in order; ``force`` is set when the admin forces a downgrade."""

    owner: str = "this revision"
    force: bool = False
    ops: list[Op] = field(default_factory=list)

    def _add(self, op: Op) -> None:
        self.ops.append(op)
        appended = [o for o in self.ops if isinstance(o, AddColumn) and o.after is None]
        for sheet in {o.sheet for o in appended}:
            group = tuple(o.name for o in appended if o.sheet == sheet)
            for o in appended:
                if o.sheet == sheet:
                    o.group, o.owner = group, self.owner

    def add_column(self, sheet: str, name: str, type: str = "text", *, default: Cell = None,
                   backfill: Fill = None, after: str | None = None,
                   number_format: str | None = None) -> None:
        """Append a column (see ``AddColumn``)."""
        self._add(AddColumn(sheet, name, type, default, backfill, after, number_format))

    def add_formula_column(self, sheet: str, name: str, formula: str) -> None:
        """Append a column computed by ``formula`` per row (see ``AddFormulaColumn``)."""
        self._add(AddFormulaColumn(sheet, name, formula=formula))

    def rename_column(self, sheet: str, old: str, new: str) -> None:
        """Rename a header (see ``RenameColumn``)."""
        self._add(RenameColumn(sheet, old, new))

    def drop_column(self, sheet: str, name: str, *, allow_data_loss: bool = False) -> None:
        """Remove a column anywhere, guarded (see ``DropColumn``)."""
        self._add(DropColumn(sheet, name, allow_data_loss))

    def add_sheet(self, name: str, headers: Sequence[str]) -> None:
        """Add a sheet with its header row (see ``AddSheet``)."""
        self._add(AddSheet(name, tuple(headers)))

    def drop_sheet(self, name: str, *, allow_data_loss: bool = False) -> None:
        """Remove a sheet, guarded (see ``DropSheet``)."""
        self._add(DropSheet(name, allow_data_loss))

    def backfill(self, sheet: str, column: str, value: Fill, *,
                 where: Callable[[Row], bool] | None = None) -> None:
        """Fill blank cells of a column (see ``Backfill``)."""
        for o in self.ops:
            if isinstance(o, AddColumn) and (o.sheet, normalise_header(o.name)) == (
                    sheet, normalise_header(column)):
                o.filled_later = True
        self._add(Backfill(sheet, column, value, where))

    def require(self, check: Callable[[Mapping[str, Sheet]], None], what: str) -> None:
        """A pre-flight of the revision's own (see ``Require``)."""
        self._add(Require(check, what))

    def rename_sheet(self, old: str, new: str) -> None:
        """Rename a sheet; formulas naming it follow (see ``RenameSheet``)."""
        self._add(RenameSheet(old, new))

    def set_number_format(self, sheet: str, column: str, number_format: str) -> None:
        """Show a column's cells below its header with a format (see ``SetNumberFormat``)."""
        self._add(SetNumberFormat(sheet, column, number_format))
