"""The shop's real schema history replayed as a migrations folder of its own (tests/migrations/
history): v3.0 (the package) → v3.1 (Estado_Detalle backfilled from each spool's state) → v4.0
(the Uniones sheet, five counter formulas over it by TAG, Metadata.N_UNION) → v4.1 (version
dropped, guarded). Both backends.

Each revision up, down and up again; on a sheet where MatSys was inserted mid-sheet by hand;
nothing pre-existing changed, cell by cell; formulas read back as formulas (and, on Google,
evaluated by the fake's COUNTIF(S)/SUMIF(S) over Uniones).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from migration_helpers import changed_cells
from requests.adapters import BaseAdapter

from spoolsheet import backup, migrations
from spoolsheet.errors import SchemaError
from spoolsheet.ledger import read_ledger
from spoolsheet.schema import METADATA, OPERACIONES, ColumnMap, column_letter
from spoolsheet.values import Formula
from spoolsheet.workbook.changes import ChangeSet

HISTORY = Path(__file__).parent / "history"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, HISTORY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


V31, V40 = _module("v3_1_estado_detalle"), _module("v4_0_uniones")
CHAIN = ["v3_0_occupation", "v3_1_estado_detalle", "v4_0_uniones", "v4_1_drop_version"]


def headers(sheets, title=OPERACIONES) -> ColumnMap:
    return ColumnMap.from_row(title, sheets[title].row(1))


def tag_rows(sheets) -> list[int]:
    op, tag = sheets[OPERACIONES], headers(sheets).index("TAG_SPOOL")
    return [r for r in range(2, len(op.rows) + 1) if op.cell(r, tag) not in (None, "")]


def up(wb, **kw):
    return migrations.up(wb, backups=backup, force=True, migrations_dir=HISTORY, **kw)


def down(wb, **kw):
    return migrations.down(wb, backups=backup, force=True, migrations_dir=HISTORY, **kw)


def assert_v40(sheets, width: int) -> None:
    """Estado_Detalle and the five counters appended after the v3.0 columns, each once."""
    cmap = headers(sheets)
    names = ["Estado_Detalle", *V40.COUNTERS]
    assert [cmap.positions(n) for n in names] == [[width + 1 + i] for i in range(len(names))]
    op = sheets[OPERACIONES]
    tag = cmap.index("TAG_SPOOL")
    rows = tag_rows(sheets)
    assert rows
    for r in rows:
        row = {h: op.cell(r, i) for i, h in enumerate(cmap.headers, 1) if h}
        assert op.cell(r, width + 1) == V31.estado(row)
        formulas = [op.cell(r, width + 2 + i) for i in range(5)]
        assert all(isinstance(f, Formula) for f in formulas), formulas
        assert formulas[0].replace(" ", "") == f"=COUNTIF(Uniones!D:D,{column_letter(tag)}{r})"
    assert tuple(sheets["Uniones"].row(1)) == V40.UNIONES
    assert "N_UNION" in headers(sheets, METADATA)


def assert_v41(sheets, width: int) -> None:
    """v4.0 with ``version`` gone: everything after it one column to the left."""
    assert "version" not in headers(sheets)
    assert_v40(sheets, width - 1)


def assert_v30(sheets, width: int) -> None:
    cmap = headers(sheets)
    assert cmap.width == width and "Estado_Detalle" not in cmap and "Uniones" not in sheets
    assert "N_UNION" not in headers(sheets, METADATA)


def _matsys(wb) -> None:
    ops = wb[OPERACIONES]
    ops.insert_cols(21)
    ops.cell(row=1, column=21, value="MatSys")
    ops.cell(row=2, column=21, value="MS-1")


@pytest.mark.parametrize("matsys", [False, True], ids=["as-seeded", "matsys-inserted"])
def test_the_shops_history_up_down_up(drifted, open_copy, sample_tiny, matsys):
    wb = drifted(sample_tiny, _matsys) if matsys else open_copy(sample_tiny)
    width = 66 + matsys  # after v3.0
    before = wb.read()

    plan = migrations.plan(wb, backups=backup, migrations_dir=HISTORY)
    assert [m.id for m in plan.migrations] == CHAIN
    report = up(wb)
    assert report.version_after == "v4.1" and report.backup_id
    after = wb.read()
    assert_v41(after, width)
    assert changed_cells(before, after) == []
    assert migrations.check(wb, migrations_dir=HISTORY).drift == []

    v3 = down(wb, to="v3.0")
    assert v3.applied == CHAIN[:0:-1] and v3.version_after == "v3.0"
    reverted = wb.read()
    assert_v30(reverted, width)
    assert changed_cells(before, reverted) == []

    assert up(wb).version_after == "v4.1"
    again = wb.read()
    assert_v41(again, width)
    assert changed_cells(after, again) == [] or all(
        c.startswith(METADATA) for c in changed_cells(after, again))
    statuses = [(e.migration_id, e.status) for e in read_ledger(again)]
    assert statuses[-3:] == [(m, "verified") for m in CHAIN[1:]]
    assert migrations.verify(wb, migrations_dir=HISTORY).ok


def test_the_counters_count_uniones_on_google(google_copy, sample_tiny):
    """The five formulas, evaluated by the fake as Sheets would, count and sum by TAG."""
    wb = google_copy(sample_tiny)
    up(wb)
    sheets = wb.read()
    r = tag_rows(sheets)[0]
    tag = sheets[OPERACIONES].cell(r, headers(sheets).index("TAG_SPOOL"))
    joints = [[1, "OT", 1, tag, 2, "BW", None, "01-02-2026", None, None, None, None],
              [2, "OT", 2, tag, 3, "BW", None, None, None, None, "02-02-2026", None],
              [3, "OT", 3, "OTHER-TAG", 4, "BW", None, "01-02-2026"]]
    wb.apply(ChangeSet().set_block("Uniones", 2, 1, joints))
    values = wb.read([OPERACIONES], formulas=False)[OPERACIONES]
    first = headers(sheets).index("Total_Uniones")
    assert [values.cell(r, first + i) for i in range(5)] == [2, 1, 1, 2, 3]


def test_status_and_down_without_the_folder_name_the_unknown_version(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    up(wb, to="v3.1")
    assert migrations.status(wb, migrations_dir=HISTORY).version == "v3.1"
    with pytest.raises(SchemaError, match=r"the workbook is at v3.1, which no migration of the "
                                          r"chain reaches \(the chain ends at v3.0\)"):
        migrations.down(wb, backups=backup, force=True)


HISTORY_STEPS = ["lock acquired", "backup done", "write done: v3_1_estado_detalle",
                 "verify done: v3_1_estado_detalle", "write done: v4_0_uniones",
                 "verify done: v4_0_uniones", "write done: v4_1_drop_version",
                 "verify done: v4_1_drop_version", "record done"]


def same_workbook(clean, after) -> list[str]:
    """Cells differing either way between two runs' results, Metadata aside (its events carry
    their own ids and times), and sheets only one of them has."""
    def data(sheets):
        return {t: s for t, s in sheets.items() if t != METADATA}

    titles = sorted(set(data(clean)) ^ set(data(after)))
    return titles + changed_cells(data(clean), data(after)) + changed_cells(data(after),
                                                                            data(clean))


def assert_resumed(report, before, after) -> None:
    """A killed run finished by the next: at v4.1, nothing duplicated or changed, all verified."""
    assert report.version_after == "v4.1"
    assert_v41(after, 66)
    dropped = f"{OPERACIONES}!R1C66: 'version' -> 'Estado_Detalle'"  # v3.0's last column
    changed = changed_cells(before, after)
    assert dropped in changed
    assert [c for c in changed if not c.startswith(f"{OPERACIONES}!") or
            not c.split(":")[0].endswith("C66")] == []
    assert [(e.migration_id, e.status) for e in read_ledger(after)] == [
        (m, "verified") for m in CHAIN]


@pytest.fixture(scope="module")
def clean_on_xlsx(sample_tiny, tmp_path_factory):
    """The same on .xlsx, once for every step."""
    import shutil

    from spoolsheet.settings import Settings
    from spoolsheet.workbook import open_workbook

    clean_path = tmp_path_factory.mktemp("clean") / "Kronos.xlsx"
    shutil.copy(sample_tiny, clean_path)
    with open_workbook(Settings(workbook=clean_path, sheet_id=None)) as wb:
        up(wb, to="v3.0")
        up(wb)
        return wb.read()


@pytest.mark.parametrize("step", HISTORY_STEPS)
def test_the_history_killed_at_each_step_is_finished_by_the_next(google_copy, sample_tiny,
                                                                  fake_google, clean_on_google,
                                                                  step):
    """At the step the process is as good as dead (every request fails from then on); the next
    run, once the admin breaks its lock, ends at v4.1 with nothing duplicated or changed, and
    with the very workbook an uninterrupted run gives: every op of the history (add_column
    with a backfill, add_sheet, add_formula_column, drop_column) killed before, between and
    after its write."""
    from test_migrate_resume import Killed, google_dies_at

    wb = google_copy(sample_tiny)
    up(wb, to="v3.0")
    before = wb.read()
    with pytest.raises(Killed):
        up(wb, progress=google_dies_at(fake_google, step))
    fake_google.faults.clear()
    report = up(wb, break_lock=True)
    after = wb.read()
    assert_resumed(report, before, after)
    assert same_workbook(clean_on_google, after) == []


class Recording(BaseAdapter):
    """The fake's adapter, keeping the body of every batchUpdate sent to the live sheet."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self.inner, self.batches = inner, []

    def send(self, request, **kwargs):  # type: ignore[override]
        if request.url.endswith("/live:batchUpdate"):  # not the backup copy's
            body = request.body  # bytes, or the backend's streamed body (iterated as sent)
            self.batches.append(json.dumps(json.loads(
                body if isinstance(body, (bytes, str)) else b"".join(body))))
        return self.inner.send(request, **kwargs)

    def close(self) -> None:
        self.inner.close()


def test_each_revision_is_one_atomic_batch_update_on_google(fake_google, sample_tiny):
    """v3.1 and v4.0 in one run: every operation of a revision, its ledger row and its event
    travel in one batchUpdate (v4.0: the new sheet, its headers, five formula columns, the
    Metadata column); the run makes 2 requests per revision besides lock, reads and release."""
    from spoolsheet.testing import fake_settings
    from spoolsheet.workbook import open_workbook
    from spoolsheet.workbook.retry import FAST_RETRY

    fake_google.load_xlsx(sample_tiny, "live")
    recording = Recording(fake_google.adapter())
    with open_workbook(fake_settings("live"), transport=recording, retry=FAST_RETRY) as wb:
        up(wb, to="v3.0")
        recording.batches.clear()
        report = up(wb, to="v4.0")
    assert report.applied == ["v3_1_estado_detalle", "v4_0_uniones"]
    assert report.requests == {"reads": 4, "writes": 4, "retries": 0}  # 6 + 2 for the second
    lock, backed_up, v31, v40, release = recording.batches  # the backup logs its event
    assert "BACKUP_CREATED" in backed_up
    assert "Estado_Detalle" in v31 and "v3_1_estado_detalle" in v31 and "MIGRATION_APPLIED" in v31
    assert '"addSheet"' in v40 and '"title": "Uniones"' in v40 and "NDT_STATUS" in v40
    assert all(name in v40 for name in V40.COUNTERS) and "=COUNTIF(" in v40 and "=SUMIFS(" in v40
    assert "N_UNION" in v40 and "v4_0_uniones" in v40 and "MIGRATION_APPLIED" in v40
    assert not any(mark in other for other in (lock, backed_up, v31, release)
                   for mark in ("Uniones", "N_UNION", "=COUNTIF("))
    assert "Estado_Detalle" not in lock + backed_up + v40 + release


@pytest.mark.slow
@pytest.mark.parametrize("step", HISTORY_STEPS)
def test_the_history_on_xlsx_killed_at_each_step_is_finished_by_the_next(tmp_path, sample_tiny,
                                                                         clean_on_xlsx, step):
    """The real command SIGKILLed at each step of v3.1, v4.0 and v4.1; the next run ends at v4.1,
    the very workbook an uninterrupted run gives,
    with nothing duplicated or changed and every ledger row verified."""
    import os
    import shutil
    import signal

    from test_migrate_resume import kill_cli_at

    from spoolsheet.settings import Settings
    from spoolsheet.workbook import open_workbook

    path = tmp_path / "Kronos.xlsx"
    shutil.copy(sample_tiny, path)
    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        up(wb, to="v3.0")
        before = wb.read()

    env = {**os.environ, "SPOOLSHEET_MIGRATIONS": str(HISTORY)}
    assert kill_cli_at(["--workbook", str(path)], step, env) == -signal.SIGKILL

    with open_workbook(Settings(workbook=path, sheet_id=None)) as wb:
        report = up(wb)  # the dead run's file lock is taken over at once
        after = wb.read()
    assert_resumed(report, before, after)
    assert same_workbook(clean_on_xlsx, after) == []


def test_drop_column_refuses_a_column_holding_data_without_allow_data_loss(open_copy,
                                                                           sample_tiny):
    """The guard v4.1 passes deliberately: without it, the versions are refused, nothing lost."""
    from spoolsheet.errors import ConflictError
    from spoolsheet.migrations.ops import DropColumn

    wb = open_copy(sample_tiny)
    up(wb, to="v4.0")
    sheets = wb.read()
    col = headers(sheets).index("version")
    r = tag_rows(sheets)[0]
    with pytest.raises(ConflictError, match=rf"column 'version' holds data in \d+ row\(s\) "
                                            rf"\(first: {column_letter(col)}{r}\).*allow_data_loss"):
        DropColumn(OPERACIONES, "version").steps(sheets)
    assert DropColumn(OPERACIONES, "version", allow_data_loss=True).steps(sheets)


@pytest.mark.parametrize("at_v40", [True, False], ids=["missing-before-v4.1", "back-after-v4.1"])
def test_drift_knows_v41_dropped_version(open_copy, sample_tiny, at_v40):
    """Missing before v4.1 is drift; present again after v4.1 is drift; gone after v4.1 is not."""
    wb = open_copy(sample_tiny)
    up(wb, to="v4.0" if at_v40 else "v4.1")
    sheets = wb.read()
    cmap = headers(sheets)
    if at_v40:
        wb.apply(ChangeSet().put(OPERACIONES, 1, cmap.index("version"), "versión_vieja"))
    else:
        wb.apply(ChangeSet().put(OPERACIONES, 1, cmap.width + 1, "version"))
    problems = migrations.check(wb, migrations_dir=HISTORY).drift
    if at_v40:
        assert problems and all(p.startswith("v3_0_occupation: ") for p in problems), problems
    else:
        assert [p.split(":")[0] for p in problems] == ["v4_1_drop_version"], problems


def test_occupation_refuses_a_v41_workbook_naming_the_revision_that_dropped_version(
        open_copy, sample_tiny):
    """Occupation needs `version`: at v4.1 one line names v4.1's drop, not a KeyError; once
    `migrate down` brings the column back, occupation opens the same workbook."""
    from spoolsheet.occupation import NotMigrated, OccupationService

    wb = open_copy(sample_tiny)
    up(wb)
    tag = str(wb.read([OPERACIONES])[OPERACIONES].cell(
        tag_rows(wb.read([OPERACIONES]))[0], headers(wb.read([OPERACIONES])).index("TAG_SPOOL")))
    with pytest.raises(NotMigrated, match=r"^'[^']+' is at schema v4.1: v4_1_drop_version "
                                          r"dropped 'version' from 'Operaciones', which "
                                          r"occupation needs; .*migrate down") as refused:
        OccupationService(wb).get(tag)
    assert "\n" not in str(refused.value)
    down(wb, to="v4.0")
    assert OccupationService(wb).get(tag).version == 0


def test_each_run_records_the_columns_it_adds_and_drops_in_its_ledger_row(open_copy, sample_tiny):
    """Structured, not plan text: v3.0 adds its three, v4.1 drops `version`, v4.1's revert adds
    it back; a record-only run (stamp) records what the revision's upgrade does."""
    wb = open_copy(sample_tiny)
    up(wb)
    down(wb, to="v4.0")
    rows = {(e.migration_id, e.details["direction"]): e.details for e in read_ledger(wb.read())}
    assert rows["v3_0_occupation", "up"]["adds"] == [
        [OPERACIONES, "Ocupado_Por"], [OPERACIONES, "Fecha_Ocupacion"], [OPERACIONES, "version"]]
    assert rows["v4_1_drop_version", "up"] == {
        **rows["v4_1_drop_version", "up"], "adds": [], "drops": [[OPERACIONES, "version"]]}
    assert rows["v4_1_drop_version", "down"] == {
        **rows["v4_1_drop_version", "down"], "adds": [[OPERACIONES, "version"]], "drops": []}
    migrations.stamp(wb, "v4_1_drop_version", force=True, migrations_dir=HISTORY)
    stamped = read_ledger(wb.read())[-1]
    assert (stamped.status, stamped.details["drops"]) == ("stamped", [[OPERACIONES, "version"]])


def _reword_ledger_steps(wb) -> None:
    """Rewrite every ledger row's recorded steps as a later wording of the plan lines might."""
    from spoolsheet.ledger import LEDGER_SHEET

    sheets = wb.read([LEDGER_SHEET])
    col = headers(sheets, LEDGER_SHEET).index("details")
    changes = ChangeSet()
    for entry in read_ledger(sheets):
        reworded = [f"paso {i}: {s.upper().replace('COLUMN', 'COLUMNA')}"
                    for i, s in enumerate(entry.details.get("steps", []), 1)]
        changes.put(LEDGER_SHEET, entry.row, col, json.dumps({**entry.details, "steps": reworded}))
    wb.apply(changes)


def test_occupation_knows_the_drop_whatever_the_plan_lines_say(open_copy, sample_tiny):
    """The ledger's step text reworded (a new wording of the plan lines, a hand edit): occupation
    still names v4.1 as the revision that dropped `version`, and opens once it is reverted."""
    from spoolsheet.occupation import NotMigrated, OccupationService

    wb = open_copy(sample_tiny)
    up(wb)
    _reword_ledger_steps(wb)
    sheets = wb.read([OPERACIONES])
    tag = str(sheets[OPERACIONES].cell(tag_rows(sheets)[0], headers(sheets).index("TAG_SPOOL")))
    with pytest.raises(NotMigrated, match=r"v4_1_drop_version dropped 'version' from 'Operaciones'"):
        OccupationService(wb).get(tag)
    down(wb, to="v4.0")
    _reword_ledger_steps(wb)
    assert OccupationService(wb).get(tag).version == 0


RENAME = ('id = "v3_1_rename"\nversion = "v3.1"\nrevises = "v3.0"\n'
          'description = "Fecha_Ocupacion renamed"\n\n\ndef upgrade(op):\n'
          '    op.rename_column("Operaciones", "Fecha_Ocupacion", "Ocupado_Desde")\n')


def test_rename_column_up_and_down_changes_the_header_cell_only(tmp_path, open_copy,
                                                                sample_tiny):
    """rename_column over a column an earlier revision created: up renames that header cell and
    nothing else (cell by cell), its ledger row records the rename, down puts the old name back;
    occupation refuses the renamed workbook naming the revision (the old name counts as
    dropped) and opens it again after down."""
    from spoolsheet.occupation import NotMigrated, OccupationService

    folder = tmp_path / "renames"
    folder.mkdir()
    (folder / "v3_1_rename.py").write_text(RENAME, encoding="utf-8")
    wb = open_copy(sample_tiny)
    migrations.up(wb, force=True, migrations_dir=folder, to="v3.0")
    before = wb.read()
    col = headers(before).index("Fecha_Ocupacion")
    tag = str(before[OPERACIONES].cell(tag_rows(before)[0], headers(before).index("TAG_SPOOL")))
    migrations.up(wb, force=True, migrations_dir=folder)
    after = wb.read()
    assert changed_cells(before, after) == [
        f"{OPERACIONES}!R1C{col}: 'Fecha_Ocupacion' -> 'Ocupado_Desde'"]
    row = read_ledger(after)[-1]
    assert (row.status, row.details["drops"], row.details["adds"], row.details["renames"]) == (
        "verified", [[OPERACIONES, "Fecha_Ocupacion"]], [[OPERACIONES, "Ocupado_Desde"]],
        [[OPERACIONES, "Fecha_Ocupacion", "Ocupado_Desde"]])
    assert migrations.check(wb, migrations_dir=folder).drift == []
    with pytest.raises(NotMigrated, match=r"v3_1_rename dropped 'Fecha_Ocupacion'"):
        OccupationService(wb).get(tag)
    migrations.down(wb, force=True, migrations_dir=folder)
    assert changed_cells(before, wb.read()) == []
    assert OccupationService(wb).get(tag).version == 0


def test_rename_column_refuses_when_both_names_stand_and_writes_nothing(tmp_path, open_copy,
                                                                       sample_tiny):
    """Conflicting: the new name already stands (added by hand) next to the old: refused in the
    pre-flight naming both columns, nothing written."""
    folder = tmp_path / "renames"
    folder.mkdir()
    (folder / "v3_1_rename.py").write_text(RENAME, encoding="utf-8")
    wb = open_copy(sample_tiny)
    migrations.up(wb, force=True, migrations_dir=folder, to="v3.0")
    width = headers(wb.read([OPERACIONES])).width
    wb.apply(ChangeSet().put(OPERACIONES, 1, width + 1, "Ocupado_Desde"))
    before = wb.read()
    with pytest.raises(SchemaError, match=r"both 'Fecha_Ocupacion' \(BM \(65\)\) and "
                                          r"'Ocupado_Desde' \(BO \(67\)\) exist"):
        migrations.up(wb, force=True, migrations_dir=folder)
    assert wb.read() == before
