"""Workbooks saved by the real LibreOffice (tests/fixtures/libreoffice, made by its make.py):
booleans as TRUE()/FALSE() formulas, shared strings, formulas with cached values, its styles.
They go through migrate up and tomar/pausar/completar unharmed. A third file is the first one
with its Precio Total column turned into one shared formula, as Excel writes a filled-down
column (an anchor ``<f t="shared" ref=... si=...>`` and bare ``<f t="shared" si=.../>`` below it,
each cell with its cached value): LibreOffice 7 writes none from these files."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from spool_life import arm_life
from spoolsheet import migrations
from spoolsheet.occupation import OccupationService
from spoolsheet.occupation.rules import Operation, Stage
from spoolsheet.settings import Settings
from spoolsheet.values import Formula
from spoolsheet.workbook import open_workbook

FIXTURES = Path(__file__).parents[1] / "fixtures" / "libreoffice"


_TOTAL = re.compile(rb'(<c r="BK(\d+)"[^>]*>)<f aca="false">([^<]*)</f>')


def with_shared_formulas(source: Path, target: Path) -> Path:
    """``source`` with Operaciones' BK formulas as one shared group, cached values kept."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                rows = [int(m[2]) for m in _TOTAL.finditer(data)]
                assert len(rows) > 5
                ref = f"BK{rows[0]}:BK{rows[-1]}".encode()

                anchor = b'<f t="shared" ref="' + ref + b'" si="0">'
                data = _TOTAL.sub(lambda m, first=rows[0], anchor=anchor: m[1] + (
                    anchor + m[3] + b"</f>" if int(m[2]) == first else b'<f t="shared" si="0"/>'),
                    data)
            out.writestr(info, data)
    return target


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


@pytest.mark.parametrize("name", ["kronos_v2.xlsx", "kronos_v3.xlsx", "shared formulas"])
def test_libreoffice_file_through_migrate_and_occupation(tmp_path, name):
    path = tmp_path / "kronos.xlsx"
    if name == "shared formulas":
        with_shared_formulas(FIXTURES / "kronos_v2.xlsx", path)
        assert zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").count(b't="shared"') > 5
    else:
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
        spool = arm_life(service)
        assert service.get(spool.tag).stage(Operation.ARM) is Stage.DONE
    after = formula_cells(path)
    lost = {k: (v, after.get(k)) for k, v in cached.items() if after.get(k) != v}
    assert not lost  # every formula LibreOffice left keeps its cached value
