"""Sheets as production drifts them: handled when the intent is clear, refused precisely when not."""

from __future__ import annotations

from pathlib import Path

import pytest
from migration_helpers import assert_v3, changed_cells, v3_positions
from typer.testing import CliRunner

from spoolsheet import backup, migrations, occupation
from spoolsheet.cli import app
from spoolsheet.errors import DataError, SchemaError
from spoolsheet.ledger import LEDGER_SHEET
from spoolsheet.occupation import LayoutDrift, Operation, Stage
from spoolsheet.schema import OPERACIONES
from spoolsheet.workbook.changes import ChangeSet


def ops(wb):
    return wb[OPERACIONES]


def test_a_column_inserted_in_the_middle_shifts_the_new_ones(drifted, sample_tiny):
    def insert_matsys(wb):
        ops(wb).insert_cols(21)
        ops(wb).cell(row=1, column=21, value="MatSys")
        ops(wb).cell(row=2, column=21, value="MS-1")

    wb = drifted(sample_tiny, insert_matsys)
    before = wb.read()
    plan = migrations.plan(wb)
    assert ("add column 'Ocupado_Por' (worker) at BM (65) of 'Operaciones'"
            in [s.text for s in plan.migrations[0].steps])

    migrations.up(wb, backups=backup, force=True)

    after = wb.read()
    assert_v3(after, first=65)
    assert changed_cells(before, after) == []


@pytest.mark.parametrize("spelling", ["TAG_SPOOL", "tag spool"])
def test_the_tag_column_is_found_however_it_is_spelled(drifted, sample_tiny, spelling):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=1, column=6), "value", spelling))
    migrations.up(wb, backups=backup, force=True)
    assert_v3(wb.read())


def test_a_duplicate_header_is_refused_naming_both_positions(drifted, sample_tiny):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=1, column=18), "value", "Prioridad"))
    with pytest.raises(SchemaError, match=r"'Prioridad' at Q \(17\) and R \(18\)"):
        migrations.up(wb, backups=backup, force=True)
    assert LEDGER_SHEET not in wb.sheet_titles()


def test_a_grid_wider_than_the_data_is_not_resized(drifted, sample_tiny):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=3, column=70), "value", ""))
    report = migrations.up(wb, backups=backup, force=True)
    assert report.applied
    after = wb.read()
    assert_v3(after)
    assert not any("resize" in w for w in report.plan.migrations[0].writes)


def test_a_half_finished_run_gets_only_what_is_missing(drifted, sample_tiny):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=1, column=64), "value", "Ocupado_Por"))
    plan = migrations.plan(wb)
    steps = [s.text for s in plan.migrations[0].steps]
    assert [t for t in steps if " column '" in t] == [
        "keep column 'Ocupado_Por' (worker) at BL (64) of 'Operaciones'",
        "add column 'Fecha_Ocupacion' (date) at BM (65) of 'Operaciones'",
        "add column 'version' (integer) at BN (66) of 'Operaciones'"]

    migrations.up(wb, backups=backup, force=True)
    assert_v3(wb.read())


def test_a_backfill_that_stopped_halfway_is_completed(drifted, sample_tiny):
    def half(wb):
        sheet = ops(wb)
        for col, name in ((64, "Ocupado_Por"), (65, "Fecha_Ocupacion"), (66, "version")):
            sheet.cell(row=1, column=col, value=name)
        for r in range(2, 20):
            if sheet.cell(row=r, column=6).value:
                sheet.cell(row=r, column=66, value=0)

    wb = drifted(sample_tiny, half)
    steps = [s.text for s in migrations.plan(wb).migrations[0].steps]
    assert steps[-1].startswith("backfill version = 0 on ")
    migrations.up(wb, backups=backup, force=True)
    assert_v3(wb.read())


def test_a_new_column_found_elsewhere_is_refused(drifted, sample_tiny):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=1, column=64), "value", "version"))
    with pytest.raises(SchemaError, match=r"'version' stands at BL \(64\), but v3.0 puts it at BN \(66\)"):
        migrations.up(wb, backups=backup, force=True)
    assert v3_positions(wb.read())["version"] == [64]


def test_data_where_a_column_goes_is_refused(drifted, sample_tiny):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=5, column=65), "value", "stray"))
    with pytest.raises(SchemaError, match=r"'Fecha_Ocupacion' goes at BM \(65\), "
                                          r"but cell BM5 already holds 'stray'"):
        migrations.up(wb, backups=backup, force=True)


def test_unexpected_data_in_a_present_column_is_refused(drifted, sample_tiny):
    def bad_version(wb):
        for col, name in ((64, "Ocupado_Por"), (65, "Fecha_Ocupacion"), (66, "version")):
            ops(wb).cell(row=1, column=col, value=name)
        ops(wb).cell(row=7, column=66, value="three")

    wb = drifted(sample_tiny, bad_version)
    with pytest.raises(DataError, match=r"row 7, column 'version'"):
        migrations.up(wb, backups=backup, force=True)


def test_a_missing_tag_column_is_refused(drifted, sample_tiny):
    wb = drifted(sample_tiny, lambda wb: setattr(ops(wb).cell(row=1, column=6), "value", "Codigo"))
    with pytest.raises(SchemaError, match="'TAG_SPOOL / CODIGO_BARRA' not found"):
        migrations.up(wb, backups=backup, force=True)


HISTORY = Path(__file__).parent / "history"  # the shop's own chain after v3.0: v4.0 adds Uniones


def _held_spool_and_uniones_deleted(wb) -> tuple[str, str, int]:
    """At v4.0 of the shop's history, one spool taken for ARM, then `Uniones` deleted by hand:
    (the held TAG, a free TAG ready for ARM, an Armador's id)."""
    migrations.up(wb, backups=backup, force=True, migrations_dir=HISTORY, to="v4.0")
    armador = next(w for w in occupation.workers(wb) if w.activo and "Armador" in w.roles)
    free = occupation.spools(wb, free=True)
    held = next(s.tag for s in free if s.materiales and s.stage(Operation.ARM) is Stage.PENDING)
    other = next(s.tag for s in free if s.tag != held)  # the layout is checked before any rule
    occupation.tomar(wb, held, worker=armador.id, op="ARM")
    wb.apply(ChangeSet().delete_sheet("Uniones"))
    assert "Uniones" not in wb.sheet_titles()
    return held, other, armador.id


def test_a_sheet_the_chain_names_deleted_by_hand_refuses_occupation_and_writes_nothing(
        open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    held, free, worker = _held_spool_and_uniones_deleted(wb)
    before = wb.read()
    check = migrations.layout_check(HISTORY)
    calls = {"tomar": lambda: occupation.tomar(wb, free, worker=worker, op="ARM",
                                               layout_check=check),
             "pausar": lambda: occupation.pausar(wb, held, worker=worker, layout_check=check),
             "completar": lambda: occupation.completar(wb, held, worker=worker,
                                                       layout_check=check)}
    for name, call in calls.items():
        with pytest.raises(LayoutDrift) as refused:
            call()
        message = str(refused.value)
        assert "v4_0_uniones: sheet 'Uniones' is missing" in message, (name, message)
        assert "\n" not in message and "nothing was written" in message, (name, message)
        assert refused.value.exit_code == 4
    assert wb.read() == before


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_the_occupation_commands_exit_4_naming_the_deleted_sheet(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    held, free, worker = _held_spool_and_uniones_deleted(wb)
    path = wb.backend.path
    before = path.read_bytes()
    runner = CliRunner(env={"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None,
                            "SPOOLSHEET_MIGRATIONS": str(HISTORY)})
    for args in (["tomar", free, "--worker", str(worker), "--op", "ARM"],
                 ["pausar", held, "--worker", str(worker)],
                 ["completar", held, "--worker", str(worker)]):
        result = runner.invoke(app, ["--workbook", str(path), *args])
        assert (result.exit_code, result.stdout) == (4, ""), (args, result.output)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, args
        assert "v4_0_uniones: sheet 'Uniones' is missing" in result.stderr, (args, result.stderr)
    assert path.read_bytes() == before
