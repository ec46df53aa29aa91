"""A header read decompresses only the start of its sheet part (``plain_top``) and types it
exactly as calamine and the scans do; any cell it cannot type alone sends the read there."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from spoolsheet import migrations
from spoolsheet.settings import Settings
from spoolsheet.workbook import open_workbook
from spoolsheet.workbook.xlsx_package import Package, stamp_of
from spoolsheet.workbook.xlsx_read import calamine_top, plain_top

FIXTURES = Path(__file__).parent.parent / "fixtures" / "libreoffice"
DEPTHS = (1, 2, 3, 10, 60, 200)


def package(path: Path) -> Package:
    return Package(path, path.read_bytes(), stamp_of(path.stat()))


def compare(path: Path) -> int:
    """Every sheet, several depths: plain_top is calamine's answer or None; how many it gave."""
    pk, given = package(path), 0
    for entry in pk.sheet_entries:
        for depth in DEPTHS:
            plain = plain_top(pk, entry, depth)
            if plain is not None:
                assert plain == calamine_top(pk, entry, depth), (path.name, entry.title, depth)
                given += 1
    return given


def test_the_sample_before_and_after_migrating(sample_small, tmp_path):
    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_small, path)
    assert compare(path) > 0
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        migrations.up(wb, force=True)
    assert compare(path) > 0


@pytest.mark.parametrize("name", ["kronos_v2.xlsx", "kronos_v3.xlsx"])
def test_files_saved_by_libreoffice(name):  # shared strings, styles, LibreOffice's own XML
    assert compare(FIXTURES / name) > 0


def test_cells_it_cannot_type_alone_go_to_calamine(tmp_path):
    path = tmp_path / "mixed.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "  padded  ", "Total", "When", "Flag", 7, 2.5, "_x000D_"])
    ws.append(["a", "=not a formula", "=SUM(F1:G1)", dt.datetime(2026, 12, 3), True, None, -3])
    ws["B2"].data_type = "s"
    ws["D1"].number_format = "0.00"
    wb.save(path)
    pk = package(path)
    entry = pk.sheet_entries[0]
    assert plain_top(pk, entry, 1) is None  # a number with a number format, escaped text
    assert plain_top(pk, entry, 2) is None  # row 1 again (a formula, a date, a boolean: typed alone)
    assert calamine_top(pk, entry, 2)[1][2] == "=SUM(F1:G1)"
