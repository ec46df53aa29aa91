"""Half done → finished, for the operations a run can stop in the middle of, on both backends.

A run stopped after part of a revision's work (over Google's request limit a revision goes in
parts, and a run killed between them has no ledger row) is simulated by hand on the file or the
fake with ``Workbook.apply``: the next ``up`` plans only what is missing, and the workbook ends
cell for cell as an uninterrupted run of the same revision leaves it. A sheet rename or a sheet
drop is one request and cannot be half done: for those, already done → skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from migration_helpers import MACHINERY, formats_of

from spoolsheet import migrations
from spoolsheet.ledger import read_ledger
from spoolsheet.schema import METADATA, OPERACIONES, TAG_COLUMN, ColumnMap
from spoolsheet.workbook import Workbook
from spoolsheet.workbook.base import Sheet
from spoolsheet.workbook.changes import ChangeSet

HEAD = 'id = "v3_1_shop"\nversion = "v3.1"\nrevises = "v3.0"\ndescription = "a shop change"\n\n\n'
EVEN = 'def even(row):\n    return str(row["TAG_SPOOL"])[-1] in "02468"\n\n\n'
SKIPPED = ["already in place: record it in the ledger only"]


def _folder(tmp_path: Path, *ops: str) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir(exist_ok=True)
    body = "".join(f"    {o}\n" for o in ops)
    (folder / "v3_1_shop.py").write_text(HEAD + EVEN + "def upgrade(op):\n" + body,
                                         encoding="utf-8")
    return folder


def _run(open_copy: Callable[..., Workbook], sample: Path, folder: Path,
         half: Callable[[Workbook, Mapping[str, Sheet]], None] | None = None,
         ) -> tuple[Workbook, list[str], dict[str, Sheet]]:
    """A fresh copy at v3.0, ``half`` done to it by hand, then ``up`` of the shop's revision:
    (the workbook, the plan's steps, what it holds after)."""
    wb = open_copy(sample, "half" if half else "uninterrupted")
    migrations.up(wb, force=True)
    if half is not None:
        half(wb, wb.read())
    [planned] = migrations.plan(wb, migrations_dir=folder).migrations
    assert migrations.up(wb, force=True, migrations_dir=folder).applied == ["v3_1_shop"]
    after = wb.read()
    assert [e.migration_id for e in read_ledger(after)] == ["v3_0_occupation", "v3_1_shop"]
    assert migrations.verify(wb, migrations_dir=folder).ok
    return wb, [s.text for s in planned.steps], after


def _data(sheets: Mapping[str, Sheet]) -> dict[str, list[list[object]]]:
    """Every sheet's cells but the machinery's and the Metadata events (their times differ)."""
    return {t: s.rows for t, s in sheets.items() if t not in (*MACHINERY, METADATA)}


def test_a_sheet_renamed_already_is_skipped(tmp_path, open_copy, sample_tiny):
    """A rename is one request (cannot be half done): done by hand already → skipped."""
    folder = _folder(tmp_path, 'op.rename_sheet("Resumen", "Resumen_Planta")')
    want = _data(_run(open_copy, sample_tiny, folder)[2])
    _, steps, after = _run(open_copy, sample_tiny, folder, lambda wb, _: wb.apply(
        ChangeSet().rename_sheet("Resumen", "Resumen_Planta")))
    assert steps == SKIPPED
    assert "Resumen" not in want and _data(after) == want


def test_a_sheet_dropped_already_is_skipped(tmp_path, open_copy, sample_tiny):
    """A sheet drop is one request (cannot be half done): gone already → skipped."""
    folder = _folder(tmp_path, 'op.drop_sheet("NoConformidad", allow_data_loss=True)')
    want = _data(_run(open_copy, sample_tiny, folder)[2])
    _, steps, after = _run(open_copy, sample_tiny, folder, lambda wb, _: wb.apply(
        ChangeSet().delete_sheet("NoConformidad")))
    assert steps == SKIPPED
    assert "NoConformidad" not in want and _data(after) == want


def test_a_backfill_where_that_filled_half_its_rows_is_finished(tmp_path, open_copy, sample_tiny):
    """The column added and the first half of the rows ``where`` picks filled: the next run
    keeps the column, fills the other half only and leaves the rows ``where`` skips blank."""
    folder = _folder(tmp_path, 'op.add_column("Operaciones", "Prioridad_Taller", "integer")',
                     'op.backfill("Operaciones", "Prioridad_Taller", 1, where=even)')
    want = _data(_run(open_copy, sample_tiny, folder)[2])
    picked: list[int] = []

    def half(wb: Workbook, sheets: Mapping[str, Sheet]) -> None:
        ops = sheets[OPERACIONES]
        tag = ColumnMap.from_row(OPERACIONES, ops.row(1)).index(TAG_COLUMN)
        picked.extend(r for r in range(2, len(ops.rows) + 1)
                      if ops.cell(r, tag) and str(ops.cell(r, tag))[-1] in "02468")
        changes = ChangeSet().resize(OPERACIONES, cols=67).put(OPERACIONES, 1, 67, "Prioridad_Taller")
        for r in picked[:len(picked) // 2]:
            changes.put(OPERACIONES, r, 67, 1)
        wb.apply(changes)

    _, steps, after = _run(open_copy, sample_tiny, folder, half)
    assert len(picked) >= 4
    assert steps == ["keep column 'Prioridad_Taller' (integer) at BO (67) of 'Operaciones'",
                     f"backfill Prioridad_Taller on {len(picked) - len(picked) // 2} row(s) of "
                     "'Operaciones'"]
    assert {r: after[OPERACIONES].cell(r, 67) for r in picked} == dict.fromkeys(picked, 1)
    assert _data(after) == want


def test_a_number_format_set_on_half_the_rows_is_finished(tmp_path, open_copy, sample_tiny):
    """The format on the first half of the column's rows: the next run sets it on every row
    below the header (a format is written again whole: the sheets as read carry none)."""
    folder = _folder(tmp_path, 'op.set_number_format("Operaciones", "Prioridad", "0.0")')
    wb, _, after = _run(open_copy, sample_tiny, folder)
    rows = len(after[OPERACIONES].rows)
    want, want_formats = _data(after), formats_of(wb, OPERACIONES, 17, rows)
    assert want_formats == {"0.0"}
    halves: list[set] = []

    def half(wb: Workbook, sheets: Mapping[str, Sheet]) -> None:
        assert sheets[OPERACIONES].row(1)[16] == "Prioridad"
        wb.apply(ChangeSet().set_number_format(OPERACIONES, "0.0", row=2, col=17,
                                               last_row=rows // 2, last_col=17))
        halves.extend([formats_of(wb, OPERACIONES, 17, rows // 2),
                       formats_of(wb, OPERACIONES, 17, rows) - {"0.0"}])

    wb, steps, after = _run(open_copy, sample_tiny, folder, half)
    assert halves[0] == {"0.0"} and halves[1]  # half of it was set, half was not
    assert steps == ["number format '0.0' on Q (17) of 'Operaciones'"]
    assert formats_of(wb, OPERACIONES, 17, rows) == want_formats
    assert _data(after) == want
