"""Operaciones as the service last read it: the header, where each TAG stands, and some rows.

A full read (every row) gives the board; a state change reads only the header, the TAG column
and the rows it touches (``Backend.read_regions``, one request) and lays them over the same
shape. Rows are always found by TAG in the read at hand, never by a row number kept from an
earlier one: a row inserted by hand above a spool moves it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import DataError
from ..schema import TAG_COLUMN, V3_COLUMNS, ColumnMap
from ..values import Cell, Formula, datetime_to_serial, is_blank
from . import rules
from .errors import NotMigrated, RowMoved, SpoolNotFound
from .rules import Spool

REQUIRED_VERSION = "v3.0"
MIGRATE_HINT = "run `spoolsheet migrate up` first"


def _hashable(value: Cell) -> object:
    """One form per value whichever way it was read: a date as its serial number (Google reads
    serials, .xlsx dates), integral floats as ints, blanks as None."""
    if is_blank(value):
        return None
    if isinstance(value, Formula):
        return {"f": str(value)}
    if isinstance(value, (dt.date, dt.datetime)):
        value = datetime_to_serial(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 6)
    return value


def row_hash(cells: Sequence[Cell]) -> str:
    """A fingerprint of every cell of a row, equal for the row as read and as we wrote it."""
    values = [_hashable(v) for v in cells]
    while values and values[-1] is None:
        values.pop()
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def layout_columns(title: str, header: Sequence[Cell]) -> dict[str, int]:
    """The columns occupation needs, found by name; a sheet without the v3.0 ones is refused."""
    cmap = ColumnMap.from_row(title, header)
    missing = [spec.name for spec in V3_COLUMNS if spec.name not in cmap]
    if missing:
        raise NotMigrated(f"sheet {title!r} has no {', '.join(missing)} column: the workbook "
                          f"is not at {REQUIRED_VERSION}; {MIGRATE_HINT}")
    return cmap.require(rules.COLUMNS)


def tag_rows(tags: Sequence[Cell], first_row: int = 2) -> dict[str, list[int]]:
    """Every TAG of a column (from ``first_row`` down) and the rows it stands at."""
    out: dict[str, list[int]] = {}
    for row, value in enumerate(tags, start=first_row):
        if not is_blank(value):
            out.setdefault(str(value).strip(), []).append(row)
    return out


@dataclass
class Operaciones:
    """Operaciones as read: its columns by header name, its spools by TAG, the rows read."""

    title: str
    header: list[Cell]
    tags: dict[str, list[int]]
    rows: dict[int, list[Cell]] = field(default_factory=dict)
    hashed: bool = True  # False when the rows hold only the columns shown: no row_hash then

    def __post_init__(self) -> None:
        self.cols = layout_columns(self.title, self.header)

    @classmethod
    def shown(cls, title: str, header: Sequence[Cell], runs: Sequence[tuple[int, int]],
              cells: Sequence[Sequence[Sequence[Cell]]]) -> Operaciones:
        """From the header and, per run of columns ``(first, last)``, its cells from row 2 down:
        rows as wide as the header, the columns not read left blank, and no row_hash."""
        view = cls(title, list(header), {}, {}, hashed=False)
        height = max((len(c) for c in cells), default=0)
        width = len(view.header)
        for row in range(height):
            out: list[Cell] = [None] * width
            for (first, last), block in zip(runs, cells, strict=True):
                values = list(block[row][:last - first + 1]) if row < len(block) else []
                out[first - 1:first - 1 + len(values)] = values
            view.rows[row + 2] = out
        tag_col = view.tag_column
        view.tags = tag_rows([view.rows[r][tag_col - 1] for r in sorted(view.rows)])
        return view

    @classmethod
    def whole(cls, title: str, rows: Sequence[Sequence[Cell]]) -> Operaciones:
        """From every row of the sheet (row 1 the header)."""
        header = list(rows[0]) if rows else []
        view = cls(title, header, {}, {n: list(r) for n, r in enumerate(rows[1:], start=2)})
        tag_col = view.cols[TAG_COLUMN]
        view.tags = tag_rows([r[tag_col - 1] if tag_col <= len(r) else None for r in rows[1:]])
        return view

    @property
    def tag_column(self) -> int:
        return self.cols[TAG_COLUMN]

    def row(self, row: int) -> list[Cell]:
        return list(self.rows.get(row, []))

    def where(self, tag: str) -> int:
        """The one row ``tag`` stands at; not found and on-two-rows are refusals of this spool."""
        tag = tag.strip()
        rows = self.tags.get(tag)
        if not rows:
            raise SpoolNotFound(f"spool {tag} not found in {self.title}", tag=tag)
        if len(rows) > 1:
            raise DataError(f"TAG {tag} appears in rows {' and '.join(map(str, rows))}",
                            sheet=self.title, column=TAG_COLUMN)
        return rows[0]

    def spool(self, tag: str, *, hashed: bool = True) -> Spool:
        """The spool ``tag``, with its row_hash unless the rows have no whole row or ``hashed``
        is False (a listing that does not show it: hashing every row is most of its cost)."""
        row = self.where(tag)
        if row not in self.rows:  # the TAG read now stands at a row this read did not include
            raise RowMoved(tag.strip(), row)
        cells = self.rows[row]
        return rules.read_spool(self.title, row, cells, self.cols,
                                row_hash(cells) if self.hashed and hashed else None)

    def survey(self, *, hashed: bool = True) -> Iterator[Spool | DataError]:
        """Every spool in sheet order, or the DataError naming the cell that keeps it unreadable
        (one bad cell refuses that spool, never the listing)."""
        for tag in self.tags:
            try:
                yield self.spool(tag, hashed=hashed)
            except DataError as exc:
                yield exc

    def changed(self, row: int, cells: Mapping[str, Cell]) -> list[Cell]:
        """Row ``row`` as it is after writing ``cells`` (header name → value) into it."""
        out = self.row(row)
        for name, value in cells.items():
            col = self.cols[name]
            out += [None] * (col - len(out))
            out[col - 1] = value
        return out
