"""Ledger checksums (an applied revision edited since shows in status and verify) and
``migrate check``: drift from the layout the chain gives the workbook, exit 4."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from migration_helpers import changed_cells
from typer.testing import CliRunner

from spoolsheet import backup, migrations
from spoolsheet.cli import app
from spoolsheet.errors import VerificationError
from spoolsheet.ledger import read_ledger
from spoolsheet.schema import OPERACIONES, ColumnMap
from spoolsheet.workbook.changes import ChangeSet

HISTORY = Path(__file__).parent / "history"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    shutil.copytree(HISTORY, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_an_edited_applied_revision_is_reported(open_copy, sample_tiny, tmp_path):
    folder = _folder(tmp_path)
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True, migrations_dir=folder)
    assert migrations.status(wb, migrations_dir=folder).checksum_mismatch == []
    assert migrations.verify(wb, migrations_dir=folder).ok

    path = folder / "v3_1_estado_detalle.py"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited after it ran\n", encoding="utf-8")
    assert migrations.status(wb, migrations_dir=folder).checksum_mismatch == ["v3_1_estado_detalle"]
    report = migrations.verify(wb, migrations_dir=folder)
    assert report.problems == ["v3_1_estado_detalle: its file changed since it was applied "
                               "(checksum differs from the ledger)"]


def test_check_reports_drift_by_sheet_and_column(open_copy, sample_tiny, tmp_path):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True, migrations_dir=HISTORY)
    assert migrations.check(wb, migrations_dir=HISTORY).ok
    ops = wb.read([OPERACIONES])[OPERACIONES]
    cmap = ColumnMap.from_row(OPERACIONES, ops.row(1))
    # at v4.1 (version gone), by hand: a header renamed, then a 2nd 'Total_Uniones' over Pulgadas_SOLD
    wb.apply(ChangeSet().put(OPERACIONES, 1, cmap.index("Estado_Detalle"), "Estado"))
    drift = migrations.check(wb, migrations_dir=HISTORY).drift
    assert drift == ["v3_1_estado_detalle: sheet 'Operaciones': column 'Estado_Detalle' is missing"]
    wb.apply(ChangeSet().put(OPERACIONES, 1, cmap.index("Pulgadas_SOLD"), "Total_Uniones"))
    drift = migrations.check(wb, migrations_dir=HISTORY).drift
    assert drift and all("duplicate headers: 'Total_Uniones' at BO (67) and BS (71)" in d
                         for d in drift), drift


def test_check_reports_a_cell_not_of_its_declared_type(open_copy, sample_tiny):
    """Column types where declared: a date column holding text by hand is drift naming the
    sheet, the cell's row and the column."""
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    assert migrations.check(wb).ok
    ops = wb.read([OPERACIONES])[OPERACIONES]
    col = ColumnMap.from_row(OPERACIONES, ops.row(1)).index("Fecha_Ocupacion")
    wb.apply(ChangeSet().put(OPERACIONES, 5, col, "mañana temprano"))
    [drift] = migrations.check(wb).drift
    assert drift.startswith("v3_0_occupation: ") and "'mañana temprano'" in drift, drift
    assert all(w in drift for w in (OPERACIONES, "row 5", "Fecha_Ocupacion")), drift


def test_migrate_check_exit_codes(tmp_path, sample_tiny):
    target = shutil.copy(sample_tiny, tmp_path / sample_tiny.name)
    runner = CliRunner()
    args = ["--workbook", str(target), "migrate"]
    assert runner.invoke(app, [*args, "up", "--force"]).exit_code == 0
    ok = runner.invoke(app, [*args, "check"])
    assert ok.exit_code == 0 and "No drift" in ok.output
    from openpyxl import load_workbook

    book = load_workbook(target)
    book[OPERACIONES].cell(row=1, column=66).value = None  # 'version' header cleared by hand
    book.save(target)
    drifted = runner.invoke(app, [*args, "check", "--json"])
    assert drifted.exit_code == 4, drifted.output
    assert "column 'version' goes at BN (66), but cell BN2 already holds 0" in drifted.output


def test_stamp_records_without_checking_and_check_tells_the_rest(open_copy, sample_tiny):
    """A sheet half-migrated by hand: baseline refuses, stamp records it, check names the gap."""
    wb = open_copy(sample_tiny)
    before = wb.read()
    width = ColumnMap.from_row(OPERACIONES, before[OPERACIONES].row(1)).width
    wb.apply(ChangeSet().put(OPERACIONES, 1, width + 1, "Ocupado_Por"))  # one of three, by hand
    edited = wb.read()
    with pytest.raises(VerificationError, match="cannot be baselined"):
        migrations.baseline(wb, "v3_0_occupation", force=True)
    report = migrations.stamp(wb, "v3_0_occupation", force=True)
    assert report.applied == ["v3_0_occupation"] and report.version_after == "v3.0"
    assert [e.status for e in read_ledger(wb.read())] == ["stamped"]
    assert migrations.current_version(wb) == "v3.0"
    assert changed_cells(edited, wb.read()) == []  # stamp changes no data
    drift = migrations.check(wb).drift
    assert drift and drift[0].startswith("v3_0_occupation: sheet 'Operaciones': column")
