"""v2.1 → v3.0: append Ocupado_Por, Fecha_Ocupacion and version to Operaciones.

Expand only: the three columns go right after the last existing header (positions counted from
the sheet; 64-66 on the v2.1 layout), ``version`` is backfilled with 0 on every row that has a
TAG, the occupation columns start empty, and nothing that exists moves or changes. A revision
file like a shop's own: the operations check column by column (a half-finished run gets only
what is missing, a column found elsewhere or data in the way is refused naming it).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConflictError, DataError
from ..schema import OPERACIONES, TAG_COLUMN, V3_COLUMNS, VERSION, column_letter
from ..values import is_blank, parse_int
from ..workbook.base import Sheet
from .ops import Operations, header_map, sheet_of

id = "v3_0_occupation"
version = "v3.0"
revises = "v2.1"
description = "Occupation: append Ocupado_Por, Fecha_Ocupacion and version to Operaciones"

#: The op type of each v3.0 column: Ocupado_Por holds INICIALES(ID).
TYPES = {"text": "worker", "date": "date", "integer": "integer"}


def spools(sheets: Mapping[str, Sheet]) -> None:
    """The sheet is the shop's, its TAG column found (the rows that get a version), and no
    version below 0 (a counter that only goes up)."""
    sheet = sheet_of(sheets, OPERACIONES)
    cmap = header_map(sheet)
    cmap.index(TAG_COLUMN)
    col = cmap.get(VERSION)
    if col is None:
        return
    for r in range(2, len(sheet.rows) + 1):
        number = parse_int(sheet.cell(r, col), sheet=OPERACIONES, row=r, column=VERSION)
        if number is not None and number < 0:
            raise DataError(f"version {number} is below 0 ({column_letter(col)}{r})",
                            sheet=OPERACIONES, row=r, column=VERSION)


def not_in_use(sheets: Mapping[str, Sheet]) -> None:
    """Refuse to revert while a spool is occupied or has a version above 0: work it would lose."""
    spools(sheets)
    sheet = sheets[OPERACIONES]
    cmap = header_map(sheet)
    occ = [c for c in (cmap.get(spec.name) for spec in V3_COLUMNS[:2]) if c]
    ver = cmap.get(VERSION)
    rows = range(2, len(sheet.rows) + 1)
    occupied = [r for r in rows if any(not is_blank(sheet.cell(r, c)) for c in occ)]
    advanced = [r for r in rows if ver and (parse_int(sheet.cell(r, ver), blank=0) or 0) > 0]
    parts = []
    if occupied:
        parts.append(f"{len(occupied)} spool(s) occupied (first: row {occupied[0]})")
    if advanced:
        parts.append(f"{len(advanced)} spool(s) with {VERSION} above 0 (first: row {advanced[0]})")
    if parts:
        raise ConflictError(f"sheet {OPERACIONES!r}: " + " and ".join(parts) + "; removing the "
                            "v3.0 columns would lose that; add --force to do it anyway")


def upgrade(op: Operations) -> None:
    op.require(spools, "the TAG column of Operaciones, versions of 0 or more")
    for spec in V3_COLUMNS:
        op.add_column(OPERACIONES, spec.name, TYPES[spec.kind],
                      backfill=0 if spec.name == VERSION else None)


def downgrade(op: Operations) -> None:
    """The three columns removed (the grid shrinks to the column before them); refused while
    the occupation holds work unless forced (the run's backup keeps it either way)."""
    op.require(spools if op.force else not_in_use, "no spool occupied or past version 0")
    for spec in reversed(V3_COLUMNS):
        op.drop_column(OPERACIONES, spec.name, allow_data_loss=True)
