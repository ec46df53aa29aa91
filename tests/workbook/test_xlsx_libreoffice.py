"""Workbooks saved by the real LibreOffice (tests/fixtures/libreoffice, made by its make.py):
booleans as TRUE()/FALSE() formulas, shared strings, formulas with cached values, its styles.
They go through migrate up and tomar/pausar/completar unharmed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from spoolsheet import migrations
from spoolsheet.occupation import OccupationService
from spoolsheet.occupation.rules import Operation, Stage
from spoolsheet.settings import Settings
from spoolsheet.values import Formula
from spoolsheet.workbook import open_workbook

FIXTURES = Path(__file__).parents[1] / "fixtures" / "libreoffice"


def formula_cells(path: Path) -> dict[tuple[str, int, int], object]:
    """Every formula cell's cached value, as calamine (a cached-value reader) sees it."""
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        sheets = wb.read()
    book = CalamineWorkbook.from_path(str(path))
    out = {}
    for title, sheet in sheets.items():
        rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, Formula):
                    out[(title, r, c)] = rows[r - 1][c - 1]
    return out


@pytest.mark.parametrize("name", ["kronos_v2.xlsx", "kronos_v3.xlsx"])
def test_libreoffice_file_through_migrate_and_occupation(tmp_path, name):
    path = tmp_path / name
    shutil.copy(FIXTURES / name, path)
    cached = formula_cells(path)
    assert sum(v not in ("", None) for v in cached.values()) > 10  # LibreOffice stored results
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
        staff = wb.read_sheet("Trabajadores").rows
        activo = staff[0].index("Activo")
        assert all(type(row[activo]) is bool for row in staff[1:])  # TRUE() read as a boolean
        service = OccupationService(wb)
        workers = service.workers()
        assert workers and all(isinstance(w.activo, bool) for w in workers)
        worker = next(w for w in workers if w.activo and w.has_role("Armador"))
        spool = next(s for s in service.spools() if s.free and s.materiales is not None
                     and s.stage(Operation.ARM) is Stage.PENDING)
        service.tomar(spool.tag, worker=worker.id, op="ARM")
        service.pausar(spool.tag, worker=worker.id)
        service.tomar(spool.tag, worker=worker.id, op="ARM")
        service.completar(spool.tag, worker=worker.id)
        assert service.get(spool.tag).stage(Operation.ARM) is Stage.DONE
    after = formula_cells(path)
    lost = {k: (v, after.get(k)) for k, v in cached.items() if after.get(k) != v}
    assert not lost  # every formula LibreOffice left keeps its cached value
