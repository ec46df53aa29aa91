"""``layout_check``: ``drift`` on what occupation reads when it (re)loads its directory (the
ledger, Trabajadores and Roles whole, every other sheet's header row only) finds the header drift
a full read finds, and nothing a header-only read cannot see (types, fills) is reported missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from spoolsheet import backup, migrations
from spoolsheet.ledger import LEDGER_SHEET
from spoolsheet.schema import OPERACIONES, ROLES, TRABAJADORES, ColumnMap
from spoolsheet.workbook import Sheet
from spoolsheet.workbook.changes import ChangeSet

HISTORY = Path(__file__).parent / "history"
WHOLE = (LEDGER_SHEET, TRABAJADORES, ROLES)


def as_occupation_reads(sheets: dict[str, Sheet]) -> dict[str, Sheet]:
    return {t: s if t in WHOLE else Sheet(s.info, s.rows[:1]) for t, s in sheets.items()}


def both(wb, folder: Path | None) -> tuple[list[str], list[str]]:
    """(drift on a full read, the layout check on the header rows of the same read)."""
    sheets = wb.read()
    return (migrations.drift(sheets, migrations.load(folder)),
            migrations.layout_check(folder)(as_occupation_reads(sheets)))


def _put_header(wb, name: str, new: str) -> None:
    cmap = ColumnMap.from_row(OPERACIONES, wb.read([OPERACIONES])[OPERACIONES].row(1))
    wb.apply(ChangeSet().put(OPERACIONES, 1, cmap.index(name), new))


@pytest.mark.parametrize("to", ["v3_0_occupation", "v3_1_estado_detalle", "v4_0_uniones",
                                "v4_1_drop_version"])
def test_no_false_positive_along_the_shops_history(open_copy, sample_tiny, to):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True, migrations_dir=HISTORY, to=to)
    assert both(wb, HISTORY) == ([], [])


def test_a_blank_record_cell_is_not_header_drift(open_copy, sample_tiny):
    """``version`` blank on a spool row: a full read reports it, the header rows cannot and
    must not (occupation reads the spool's row itself)."""
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    cmap = ColumnMap.from_row(OPERACIONES, wb.read([OPERACIONES])[OPERACIONES].row(1))
    wb.apply(ChangeSet().put(OPERACIONES, 2, cmap.index("version"), None))
    full, headers = both(wb, None)
    assert full == ["v3_0_occupation: sheet 'Operaciones': column 'version' is blank on 1 record "
                    f"row(s) (first: {full[0].split('first: ')[1][:-1]})"] and headers == []


@pytest.mark.parametrize("edit, expected", [
    (("Ocupado_Por", "Ocupado"), "v3_0_occupation: sheet 'Operaciones': column 'Ocupado_Por' is "
                                 "missing"),
    (("Fecha_Ocupacion", "version"), "duplicate headers: 'version' at BM (65) and BN (66)"),
])
def test_a_renamed_or_duplicated_header_is_drift_on_header_rows_too(open_copy, sample_tiny, edit,
                                                                     expected):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    _put_header(wb, *edit)
    full, headers = both(wb, None)
    assert headers and all(expected in p for p in headers), headers
    assert headers == full
