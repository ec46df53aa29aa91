"""The round trip through a real spreadsheet program (issue 12, "What it must show"): a sample, the
same after ``migrate up``, after TOMAR/PAUSAR/COMPLETAR, its backup and the restored workbook,
each re-saved by LibreOffice (``soffice --headless --convert-to xlsx``, one run for all five) and
read back as LibreOffice stored it (calamine: values, formulas' results as LibreOffice computed
them, dates). Every cell that existed before an operation reads the same after it, except the
cells the operation is there to change (the operated spool's row)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from spool_life import arm_life
from spoolsheet import backup as B
from spoolsheet import migrations
from spoolsheet.ledger import LEDGER_SHEET
from spoolsheet.occupation import OccupationService
from spoolsheet.sample import write_sample
from spoolsheet.schema import OPERACIONES, TAG_COLUMN, ColumnMap
from spoolsheet.settings import Settings
from spoolsheet.values import Formula
from spoolsheet.workbook import open_workbook

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="no soffice (CI installs it: .ci/run)")

Cells = dict[str, list[list[Any]]]
Formulas = dict[tuple[str, int, int], str]


def as_libreoffice_saves(paths: list[Path], home: Path) -> dict[str, tuple[Cells, Formulas]]:
    """Each file re-saved by LibreOffice, read back: file stem -> (sheet -> rows of values as
    LibreOffice stored them, the formulas it wrote as spoolsheet reads them)."""
    out_dir = home / "lo"
    subprocess.run([str(SOFFICE), f"-env:UserInstallation=file://{home}/profile", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out_dir), *map(str, paths)],
                   check=True, capture_output=True, timeout=300)
    read = {}
    for path in paths:
        saved = out_dir / path.name
        book = CalamineWorkbook.from_path(str(saved))
        with open_workbook(Settings(workbook=saved, sheet_id=None)) as wb:
            formulas = {(t, r, c): str(v) for t, sheet in wb.read().items()
                        for r, row in enumerate(sheet.rows, start=1)
                        for c, v in enumerate(row, start=1) if isinstance(v, Formula)}
        read[path.stem] = ({name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                            for name in book.sheet_names}, formulas)
    return read


def changed(earlier: tuple[Cells, Formulas], later: tuple[Cells, Formulas],
            allowed: Collection[tuple[str, int]] = ()) -> list[str]:
    """Cells of ``earlier`` (its whole extent, blanks included) that read differently ``later``.
    ``allowed`` rows (sheet, 1-based row) are the operation's own; a formula may compute another
    result (its inputs are the operation's), but must be the same formula."""
    (before, formulas), (after, formulas_after) = earlier, later
    out = [f"{t}!R{r}C{c}: formula {f!r} became {formulas_after.get((t, r, c))!r}"
           for (t, r, c), f in formulas.items() if formulas_after.get((t, r, c)) != f]
    for title, rows in before.items():
        if title not in after:
            out.append(f"sheet {title} is gone")
            continue
        theirs = after[title]
        for r, row in enumerate(rows, start=1):
            if (title, r) in allowed:
                continue
            other = theirs[r - 1] if r <= len(theirs) else []
            for c, value in enumerate(row, start=1):
                found = other[c - 1] if c <= len(other) else ""
                if found != value and (title, r, c) not in formulas:
                    out.append(f"{title} row {r} column {c}: {value!r} became {found!r}")
    return out


@pytest.mark.slow
def test_libreoffice_reads_every_pre_existing_cell_unchanged_through_migrate_occupation_backup_restore(
        tmp_path):
    live = write_sample(tmp_path / "Kronos.xlsx", spools=60, seed=11)
    stages = tmp_path / "stages"
    stages.mkdir()

    def keep(name: str) -> Path:
        return Path(shutil.copy(live, stages / f"{name}.xlsx"))

    files = [keep("sample")]
    with open_workbook(Settings(workbook=live, sheet_id=None)) as wb:
        backup = B.create(wb, verify=True)
        assert backup.path is not None
        files.append(Path(shutil.copy(backup.path, stages / "backup.xlsx")))
        migrations.up(wb, force=True)
        files.append(keep("migrated"))
        service = OccupationService(wb)
        spool = arm_life(service)
        files.append(keep("operated"))
        B.restore(wb, backup.id)
        files.append(keep("restored"))

    seen = as_libreoffice_saves(files, tmp_path)
    sample, migrated, operated = seen["sample"], seen["migrated"], seen["operated"]
    assert sum(len(rows) for rows in sample[0].values()) > 60  # LibreOffice read the whole sample
    assert len(sample[1]) > 5  # and wrote its formulas
    ops_before, ops_after = migrated[0][OPERACIONES], operated[0][OPERACIONES]
    tags = ColumnMap.from_row(OPERACIONES, ops_before[0]).index(TAG_COLUMN)
    spool_row = next(r for r, row in enumerate(ops_before, start=1) if row[tags - 1] == spool.tag)

    assert changed(sample, seen["backup"]) == []
    assert changed(seen["backup"], sample) == []  # the backup is the sample, both ways
    assert changed(sample, migrated) == []  # migrate up only adds
    assert changed(migrated, operated, allowed={(OPERACIONES, spool_row)}) == []
    assert ops_after[spool_row - 1] != ops_before[spool_row - 1]  # the operation did change it
    assert changed(sample, seen["restored"]) == []  # the log only grew; the rest is the sample's
    # no sheet of the migration stays but the ledger, which says the run was rolled back
    assert set(seen["restored"][0]) == set(sample[0]) | {LEDGER_SHEET}
    assert len(seen["restored"][0][OPERACIONES][0]) == len(sample[0][OPERACIONES][0])
