"""Occupation runs the migration chain's drift check (``migrations.layout_check``) each time it
(re)loads its directory, on the header rows its one read takes: a renamed or duplicated v3.0
header refuses every call (``LayoutDrift``, CLI exit 4), nothing written; a column inserted by
hand that renames nothing is no drift; a clean workbook costs the requests it always did."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spoolsheet import migrations
from spoolsheet.cli import app
from spoolsheet.occupation import LayoutDrift, OccupationService
from spoolsheet.schema import OPERACIONES, ColumnMap
from spoolsheet.workbook.changes import ChangeSet

HISTORY = Path(__file__).parents[1] / "migrations" / "history"  # the shop's own chain after v3.0


def _col(wb, name: str) -> int:
    return ColumnMap.from_row(OPERACIONES, wb.read([OPERACIONES])[OPERACIONES].row(1)).index(name)


def rename(wb, name: str, new: str) -> None:
    wb.apply(ChangeSet().put(OPERACIONES, 1, _col(wb, name), new))


def insert_before(wb, name: str, header: str) -> None:
    """A column inserted by hand right before ``name``: the v3.0 columns from there move right."""
    col = _col(wb, name)
    wb.apply(ChangeSet().insert_columns(OPERACIONES, col).put(OPERACIONES, 1, col, header))


DRIFTS = {
    "renamed": (lambda wb: rename(wb, "Ocupado_Por", "Ocupado"),
                "v3_0_occupation: sheet 'Operaciones': column 'Ocupado_Por' is missing"),
    "duplicated": (lambda wb: insert_before(wb, "Ocupado_Por", "Fecha_Ocupacion"),
                   "duplicate headers: 'Fecha_Ocupacion' at BL (64) and BN (66)"),
}


def checked(wb, **kw) -> OccupationService:
    return OccupationService(wb, layout_check=migrations.layout_check(), **kw)


@pytest.mark.parametrize("drift", DRIFTS)
def test_drift_refuses_tomar_and_writes_nothing(shop, drift):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    edit, words = DRIFTS[drift]
    edit(shop.wb)
    before = shop.wb.read()
    service = checked(shop.reopen())
    for _ in range(2):  # refused again on the next call: the directory is reloaded and rechecked
        with pytest.raises(LayoutDrift) as refused:
            service.tomar(tag, worker=a.id, op="ARM")
        message = str(refused.value)
        assert words in message and "\n" not in message, message
        assert message.endswith("nothing was written; see `spoolsheet migrate check`")
        assert service.drift and all(p in message for p in service.drift)
    assert shop.wb.read() == before


@pytest.mark.parametrize("where", ["Ocupado_Por", "mid-sheet"])
def test_a_column_inserted_by_hand_that_renames_nothing_is_no_drift(shop, where):
    """MatSys right before the v3.0 columns (moving all three) or mid-sheet (column 21, as the
    engineering office did): every chain column still stands, once, under its name."""
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    col = _col(shop.wb, "Ocupado_Por") if where == "Ocupado_Por" else 21
    shop.wb.apply(ChangeSet().insert_columns(OPERACIONES, col).put(OPERACIONES, 1, col, "MatSys"))
    service = checked(shop.reopen())
    assert service.tomar(tag, worker=a.id, op="ARM").version_after == 1
    assert service.drift == [] and service.get(tag).holder == a.ref


def test_the_check_runs_again_when_the_directory_expires(shop):
    now = [0.0]
    service = checked(shop.wb, cache_ttl=60, clock=lambda: now[0])
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    service.tomar(tag, worker=a.id, op="ARM")
    rename(shop.wb, "Ocupado_Por", "Ocupado")
    now[0] = 60.0
    with pytest.raises(LayoutDrift, match="column 'Ocupado_Por' is missing"):
        service.pausar(tag, worker=a.id)
    rename(shop.wb, "Ocupado", "Ocupado_Por")  # fixed by hand: the next call checks and runs
    assert service.pausar(tag, worker=a.id).version_after == 2 and service.drift == []


@pytest.mark.parametrize("backend_kind", ["xlsx"])
@pytest.mark.parametrize("drift", DRIFTS)
def test_tomar_cli_exits_4_with_one_line_and_the_file_unchanged(shop, drift):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    edit, words = DRIFTS[drift]
    edit(shop.wb)
    path = shop.wb.backend.path
    before = path.read_bytes()
    result = CliRunner(env={"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None}).invoke(
        app, ["--workbook", str(path), "tomar", tag, "--worker", str(a.id), "--op", "ARM"])
    assert (result.exit_code, result.stdout) == (4, ""), result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert words in result.stderr and "spoolsheet migrate check" in result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("backend_kind", ["google"])
@pytest.mark.parametrize("drift", DRIFTS)
def test_tomar_cli_on_google_exits_4_and_writes_nothing(shop, fake_google, drift):
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    edit, words = DRIFTS[drift]
    edit(shop.wb)
    before = shop.wb.read()
    with fake_google.serve() as server:
        fake_google.reset_log()
        result = CliRunner(env={"SPOOLSHEET_WORKBOOK": None,
                                "SPOOLSHEET_GOOGLE_ENDPOINT": server.base_url}).invoke(
            app, ["--sheet-id", "live", "tomar", tag, "--worker", str(a.id), "--op", "ARM"])
        writes = fake_google.count(kind="write")
    assert (result.exit_code, result.stdout) == (4, ""), result.output
    assert result.stderr.count("\n") == 1 and words in result.stderr
    assert writes == 0 and shop.wb.read() == before


@pytest.mark.parametrize("backend_kind", ["google"])
def test_a_clean_workbook_costs_no_request_more_with_the_check(shop, fake_google):
    """The header rows of the sheets the chain names ride in the values:batchGet occupation
    makes anyway (a few KB more), cold (no sheet list needed for them) and warm."""
    a, b = shop.qualified("Armador")[:2]
    first, second = shop.fresh_spool().tag, shop.spool(
        lambda s: s.free and s.tag != shop.fresh_spool().tag).tag
    costs = []
    for service, tag, worker in ((OccupationService(shop.reopen()), first, a),
                                 (checked(shop.reopen()), second, b)):
        fake_google.reset_log()
        service.tomar(tag, worker=worker.id, op="ARM")
        costs.append([(e.kind, e.method, e.path.rsplit("/", 1)[-1].split("?")[0])
                      for e in fake_google.log])
        fake_google.reset_log()
        service.pausar(tag, worker=worker.id)  # warm: the directory is not reloaded
        costs.append([(e.kind, e.method) for e in fake_google.log])
    assert costs[1] == costs[3] == [("read", "GET"), ("write", "POST")]
    assert costs[0] == [("read", "GET", "values:batchGet"), ("read", "GET", "live"),
                        ("write", "POST", "live:batchUpdate")]
    assert costs[2] == costs[0]


@pytest.mark.parametrize("backend_kind", ["xlsx"])
def test_the_cli_checks_against_the_shops_own_chain(shop):
    """At v3.1 of the shop's history (tests/migrations/history): the check needs that chain,
    from --migrations or SPOOLSHEET_MIGRATIONS, as ``migrate check`` does."""
    migrations.up(shop.wb, force=True, migrations_dir=HISTORY, to="v3_1_estado_detalle")
    rename(shop.wb, "Estado_Detalle", "Estado")
    a = shop.qualified("Armador")[0]
    tag = shop.fresh_spool().tag
    path = shop.wb.backend.path
    before = path.read_bytes()
    env = {"SPOOLSHEET_WORKBOOK": None, "GOOGLE_SHEET_ID": None, "SPOOLSHEET_MIGRATIONS": None}
    tomar = ["--workbook", str(path), "tomar", tag, "--worker", str(a.id), "--op", "ARM"]
    for args, extra in (([*tomar, "--migrations", str(HISTORY)], {}),
                        (tomar, {"SPOOLSHEET_MIGRATIONS": str(HISTORY)})):
        result = CliRunner(env={**env, **extra}).invoke(app, args)
        assert result.exit_code == 4 and result.stderr.count("\n") == 1, result.output
        assert ("v3_1_estado_detalle: sheet 'Operaciones': column 'Estado_Detalle' is missing"
                in result.stderr)
    unknown = CliRunner(env=env).invoke(app, tomar)
    assert unknown.exit_code == 1 and "the workbook is at v3.1, which no migration of the chain " \
        "reaches (the chain ends at v3.0); give its revision folder" in unknown.stderr
    assert path.read_bytes() == before
