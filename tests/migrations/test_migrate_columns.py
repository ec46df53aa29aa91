"""``op.drop_column`` of a column in the middle of a sheet, through the real runner on both
backends: guarded by the data it holds (naming the first cell), then every other cell moves left
with its column, nothing else changes, and a second run has nothing to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from migration_helpers import MACHINERY, formats_of

from spoolsheet import backup, migrations
from spoolsheet.errors import ConflictError, SchemaError
from spoolsheet.ledger import read_ledger
from spoolsheet.schema import METADATA, OPERACIONES
from spoolsheet.values import Formula


def _matsys(wb) -> None:
    ops = wb[OPERACIONES]
    ops.insert_cols(21)
    ops.cell(row=1, column=21, value="MatSys")
    ops.cell(row=3, column=21, value="MS-1")


def _revision(folder: Path, allow: bool) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "v3_1_drop_matsys.py"
    path.write_text(
        'id = "v3_1_drop_matsys"\nversion = "v3.1"\nrevises = "v3.0"\n'
        'description = "MatSys goes again"\n\n\ndef upgrade(op):\n'
        f'    op.drop_column("Operaciones", "MatSys", allow_data_loss={allow})\n', encoding="utf-8")
    return folder


def _values(rows):
    return [[None if isinstance(v, Formula) else v for v in row] for row in rows]


def _without(rows, col: int):
    out = []
    for row in rows:
        row = list(row[:col - 1]) + list(row[col:])
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    return out


def test_dropping_a_column_mid_sheet_moves_the_rest_left(tmp_path, drifted, sample_tiny):
    wb = drifted(sample_tiny, _matsys)
    migrations.up(wb, backups=backup, force=True)  # the package's v3.0 first
    before = wb.read()
    assert before[OPERACIONES].row(1)[20] == "MatSys"

    guarded = _revision(tmp_path / "guarded", allow=False)
    with pytest.raises(ConflictError, match=r"'MatSys' holds data in 1 row\(s\) \(first: U3\)"):
        migrations.up(wb, backups=backup, force=True, migrations_dir=guarded)
    assert wb.read()[OPERACIONES].rows == before[OPERACIONES].rows

    folder = _revision(tmp_path / "told", allow=True)
    plan = migrations.plan(wb, backups=backup, migrations_dir=folder)
    [planned] = plan.migrations
    assert "delete column(s) U of 'Operaciones'" in planned.writes
    report = migrations.up(wb, backups=backup, force=True, migrations_dir=folder)
    assert report.version_after == "v3.1" and report.backup_id
    after = wb.read()
    want = _without(before[OPERACIONES].rows, 21)
    for r, row in enumerate(want[1:], start=2):  # the total follows the columns it sums
        if len(row) >= 63 and row[62] == Formula(f"=SUM(BG{r}:BJ{r})"):
            row[62] = Formula(f"=SUM(BF{r}:BI{r})")
    assert sum(isinstance(v, Formula) for row in want for v in row) > 10
    assert after[OPERACIONES].rows == want
    assert after[OPERACIONES].info.cols == before[OPERACIONES].info.cols - 1
    for title, sheet in before.items():  # other sheets: values kept, formulas follow
        if title not in (OPERACIONES, METADATA, *MACHINERY):
            assert _values(after[title].rows) == _values(sheet.rows), title
    assert [Formula("=COUNTA(Operaciones!AH2:AH84)")] in [r[1:] for r in before["Resumen"].rows]
    assert [Formula("=COUNTA(Operaciones!AG2:AG84)")] in [r[1:] for r in after["Resumen"].rows]
    assert migrations.up(wb, backups=backup, force=True, migrations_dir=folder).applied == []
    assert migrations.verify(wb, migrations_dir=folder).ok


def test_add_column_after_a_header_rename_sheet_and_formats_up_down_up(tmp_path, open_copy,
                                                                      sample_tiny):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    before = wb.read()
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "v3_1_peso.py").write_text(
        'id = "v3_1_peso"\nversion = "v3.1"\nrevises = "v3.0"\ndescription = "Peso_Neto"\n\n\n'
        'def upgrade(op):\n'
        '    op.add_column("Operaciones", "Peso_Neto", "number", backfill=1.5, after="OT",\n'
        '                  number_format="0.00")\n'
        '    op.rename_sheet("Resumen", "Resumen_Planta")\n', encoding="utf-8")
    [planned] = migrations.plan(wb, backups=backup, migrations_dir=folder).migrations
    assert "insert column(s) C of 'Operaciones' (the columns from there move right)" in planned.writes
    assert "rename sheet 'Resumen' to 'Resumen_Planta'" in planned.writes
    migrations.up(wb, backups=backup, force=True, migrations_dir=folder)
    after = wb.read()
    ops = after[OPERACIONES]
    assert ops.row(1)[:4] == ["NV", "OT", "Peso_Neto", before[OPERACIONES].row(1)[2]]
    tag = ops.row(1).index("TAG_SPOOL / CODIGO_BARRA") + 1
    tags = [r for r in range(2, len(ops.rows) + 1) if ops.cell(r, tag) is not None]
    assert tags and all(ops.cell(r, 3) == 1.5 for r in tags)
    assert formats_of(wb, OPERACIONES, 3, 5) == {"0.00"}
    assert "Resumen" not in after and _values(after["Resumen_Planta"].rows) == _values(
        before["Resumen"].rows)
    assert [Formula("=COUNTA(Operaciones!AI2:AI84)")] in [r[1:] for r in after["Resumen_Planta"].rows]
    assert migrations.verify(wb, migrations_dir=folder).ok

    down = migrations.down(wb, backups=backup, force=True, to="v3.0", migrations_dir=folder)
    assert down.version_after == "v3.0"
    reverted = wb.read()
    assert reverted[OPERACIONES].rows == before[OPERACIONES].rows  # formulas back where they were
    assert reverted["Resumen"].rows == before["Resumen"].rows
    assert migrations.up(wb, backups=backup, force=True, migrations_dir=folder).version_after == "v3.1"


def _shop_revision(folder: Path, allow: bool) -> Path:
    """v3.1: Prioridad_Taller added empty, backfilled 1 on every other spool (``where=``), shown as
    ``0``; the NoConformidad sheet dropped (guarded by its rows)."""
    folder.mkdir(exist_ok=True)
    (folder / "v3_1_prioridad.py").write_text(
        'id = "v3_1_prioridad"\nversion = "v3.1"\nrevises = "v3.0"\ndescription = "Prioridad_Taller"\n'
        '\n\ndef even(row):\n    return str(row["TAG_SPOOL"])[-1] in "02468"\n\n\n'
        'def upgrade(op):\n'
        '    op.add_column("Operaciones", "Prioridad_Taller", "integer")\n'
        '    op.backfill("Operaciones", "Prioridad_Taller", 1, where=even)\n'
        '    op.set_number_format("Operaciones", "Prioridad_Taller", "0")\n'
        f'    op.drop_sheet("NoConformidad", allow_data_loss={allow})\n\n\n'
        'def downgrade(op):\n'
        '    op.drop_column("Operaciones", "Prioridad_Taller", allow_data_loss=True)\n',
        encoding="utf-8")
    return folder


def test_backfill_where_set_number_format_and_a_guarded_drop_sheet(tmp_path, open_copy,
                                                                   sample_tiny):
    """drop_sheet refuses a sheet holding rows (naming the first) and writes nothing; told,
    it deletes it in the same atomic write as the column, the backfill of only the rows
    ``where`` picks and the number format; a second run has nothing to do; down drops the
    column (the sheet's rows are in the run's backup)."""
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    before = wb.read()
    with pytest.raises(ConflictError, match=r"sheet 'NoConformidad' holds 3 row\(s\) of data "
                                            r"\(first: row 2\).*allow_data_loss"):
        migrations.up(wb, force=True, migrations_dir=_shop_revision(tmp_path / "a", False))
    assert wb.read() == before
    folder = _shop_revision(tmp_path / "b", True)
    assert migrations.up(wb, backups=backup, force=True, migrations_dir=folder).applied == [
        "v3_1_prioridad"]
    after = wb.read()
    ops = after[OPERACIONES]
    header = ops.row(1)
    col = header.index("Prioridad_Taller") + 1
    tag = header.index("TAG_SPOOL / CODIGO_BARRA") + 1
    tags = {r: str(ops.cell(r, tag)) for r in range(2, len(ops.rows) + 1) if ops.cell(r, tag)}
    even = {r for r, t in tags.items() if t[-1] in "02468"}
    assert even and len(even) < len(tags)
    assert {r: ops.cell(r, col) for r in tags} == {r: 1 if r in even else None for r in tags}
    assert formats_of(wb, OPERACIONES, col, len(ops.rows)) == {"0"}
    assert "NoConformidad" not in after
    assert migrations.up(wb, backups=backup, force=True, migrations_dir=folder).applied == []
    migrations.down(wb, backups=backup, force=True, migrations_dir=folder)
    reverted = wb.read()
    assert reverted[OPERACIONES].rows == before[OPERACIONES].rows
    assert "NoConformidad" not in reverted


def _append(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "v3_1_append.py").write_text(
        f'id = "v3_1_append"\nversion = "v3.1"\nrevises = "v3.0"\ndescription = "{name}"\n\n\n'
        f'def upgrade(op):\n    op.add_column("Operaciones", "{name}", "integer")\n',
        encoding="utf-8")
    return folder


def test_appending_a_column_the_sheet_has_elsewhere_is_refused_naming_where(tmp_path, open_copy,
                                                                            sample_tiny):
    """The sample's own ``Prioridad`` stands at Q: appending one of that name is not "already in
    place" (a one-column group is always in order): plan and up refuse it in one line naming
    the sheet, the column and Q, and nothing is written."""
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    before = wb.read()
    folder = _append(tmp_path / "shop", "Prioridad")
    want = (r"^sheet 'Operaciones': column 'Prioridad' stands at Q \(17\), but v3.1 puts it at "
            r"BO \(67\), right after the last column 'version'; move or remove it by hand, then "
            r"run again$")
    with pytest.raises(SchemaError, match=want):
        migrations.plan(wb, migrations_dir=folder)
    with pytest.raises(SchemaError, match=want):
        migrations.up(wb, backups=backup, force=True, migrations_dir=folder)
    assert wb.read() == before
    assert [e.migration_id for e in read_ledger(wb.read())] == ["v3_0_occupation"]


def test_baseline_keeps_columns_wherever_later_revisions_left_them(tmp_path, drifted, sample_tiny):
    """A workbook migrated by hand to v3.1 (v3.0's three columns, then v3.1's): v3.0's stand in
    order but no longer last, and baseline adopts the chain as it is."""
    def by_hand(wb) -> None:
        sheet = wb[OPERACIONES]
        for col, name in enumerate(("Ocupado_Por", "Fecha_Ocupacion", "version", "Orden"), 64):
            sheet.cell(row=1, column=col, value=name)
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(row=r, column=6).value:
                sheet.cell(row=r, column=66, value=0)

    wb = drifted(sample_tiny, by_hand)
    folder = _append(tmp_path / "shop", "Orden")
    before = wb.read()
    report = migrations.baseline(wb, "v3_1_append", force=True, migrations_dir=folder)
    assert report.applied == ["v3_0_occupation", "v3_1_append"]
    assert wb.read()[OPERACIONES].rows == before[OPERACIONES].rows
    assert migrations.verify(wb, migrations_dir=folder).ok
