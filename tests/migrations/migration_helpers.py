"""Helpers for migration tests: what the workbook held before, and proof that it still holds it.

The checks here are written independently of the runner's own fingerprints: cell by cell, with
the shared ``canonical`` form only, so a bug in the runner's verification cannot hide itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import openpyxl

from spoolsheet.ledger import LEDGER_SHEET
from spoolsheet.migrations.lock import LOCK_SHEET
from spoolsheet.schema import OPERACIONES, V3_COLUMNS, ColumnMap, normalise_header
from spoolsheet.values import canonical, is_blank
from spoolsheet.workbook.base import Sheet

MACHINERY = (LEDGER_SHEET, LOCK_SHEET)
V3_NAMES = [spec.name for spec in V3_COLUMNS]


def changed_cells(before: Mapping[str, Sheet], after: Mapping[str, Sheet]) -> list[str]:
    """Every cell that held something (or nothing) before, inside each sheet's data, and differs."""
    out = []
    for title, sheet in before.items():
        if title in MACHINERY:
            continue
        if title not in after:
            out.append(f"{title} is gone")
            continue
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if canonical(value) != canonical(after[title].cell(r, c)):
                    out.append(f"{title}!R{r}C{c}: {value!r} -> {after[title].cell(r, c)!r}")
    return out


def v3_positions(sheets: Mapping[str, Sheet]) -> dict[str, list[int]]:
    headers = ColumnMap.from_row(OPERACIONES, sheets[OPERACIONES].row(1))
    return {name: headers.positions(name) for name in V3_NAMES}


def assert_v3(sheets: Mapping[str, Sheet], first: int = 64) -> None:
    """The three columns once each at first..first+2, version 0 on every TAG row, no occupation."""
    op = sheets[OPERACIONES]
    assert v3_positions(sheets) == {n: [first + i] for i, n in enumerate(V3_NAMES)}
    assert ColumnMap.from_row(OPERACIONES, op.row(1)).duplicates() == {}
    tag = next(i for i, h in enumerate(op.row(1), 1) if normalise_header(h) == "tagspool")
    spools = 0
    for r in range(2, len(op.rows) + 1):
        if is_blank(op.cell(r, tag)):
            assert is_blank(op.cell(r, first + 2)), f"row {r} has no TAG but got a version"
            continue
        spools += 1
        assert op.cell(r, first + 2) == 0, f"row {r}: version {op.cell(r, first + 2)!r}"
        assert is_blank(op.cell(r, first)) and is_blank(op.cell(r, first + 1))
    assert spools > 0
    assert op.info.cols >= first + 2


def edit_xlsx(source: Path, target: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    """A drifted copy of a sample: ``edit`` changes it with openpyxl (as a person would)."""
    wb = openpyxl.load_workbook(source)
    edit(wb)
    wb.save(target)
    return target


def formats_of(wb, sheet: str, col: int, rows: int) -> set:
    """The number format patterns of a column's cells, rows 2..rows, on either backend."""
    if wb.backend.kind == "google":
        _, formats = wb.backend.read_with_formats([sheet])
        return {row["values"][col - 1].get("userEnteredFormat", {}).get("numberFormat", {})
                .get("pattern") for row in formats[sheet][1:rows]}
    ws = openpyxl.load_workbook(wb.id)[sheet]
    return {ws.cell(r, col).number_format for r in range(2, rows + 1)}


def another_handle(wb, fake):
    """A second, independent handle on the same workbook (another process, as far as it knows)."""
    from spoolsheet.settings import Settings
    from spoolsheet.testing import open_fake
    from spoolsheet.workbook import open_workbook

    if wb.kind == "xlsx":
        return open_workbook(Settings(workbook=wb.backend.path, sheet_id=None))
    return open_fake(fake, wb.id)
