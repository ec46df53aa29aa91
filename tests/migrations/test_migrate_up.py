"""``up`` end to end on both backends: the change, the ledger, the event, the budget, idempotence."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest
from migration_helpers import assert_v3, changed_cells

from spoolsheet import backup, migrations
from spoolsheet.audit import read_events
from spoolsheet.errors import UsageError
from spoolsheet.ledger import LEDGER_SHEET, read_ledger
from spoolsheet.migrations import v3_0_occupation
from spoolsheet.schema import METADATA, OPERACIONES


def test_up_applies_v3_and_changes_nothing_else(open_copy, sample_small):
    wb = open_copy(sample_small)
    before = wb.read()
    assert migrations.current_version(wb) == "v2.1"

    report = migrations.up(wb, backups=backup, force=True, actor="tester")

    after = wb.read()
    assert (report.version_before, report.version_after) == ("v2.1", "v3.0")
    assert migrations.current_version(wb) == "v3.0"
    assert_v3(after)
    assert changed_cells(before, after) == []
    assert after[OPERACIONES].info.rows == before[OPERACIONES].info.rows
    # the ledger row: readable, verified, linked to the backup, with the module's checksum
    [entry] = read_ledger(after)
    assert entry.migration_id == "v3_0_occupation" and entry.status == "verified"
    assert entry.schema_version == "v3.0" and entry.applied_by == "tester"
    assert entry.backup_id == report.backup_id and report.backup_id
    assert entry.checksum == hashlib.sha256(Path(v3_0_occupation.__file__).read_bytes()).hexdigest()
    assert entry.duration_s is not None and entry.duration_s >= 0
    # the Metadata event: valid JSON naming the backup, after every event that was there
    events = list(read_events(after[METADATA]))
    [applied] = [e for e in events if e.evento_tipo == "MIGRATION_APPLIED"]
    assert applied.metadata["backup_id"] == report.backup_id
    assert applied.metadata["migration_id"] == "v3_0_occupation"
    assert applied.row > len(before[METADATA].rows)
    assert migrations.verify(wb).ok


def test_second_up_changes_nothing(open_copy, sample_tiny, backend_kind, fake_google):
    wb = open_copy(sample_tiny)
    migrations.up(wb, backups=backup, force=True)
    before = wb.read()
    reads, writes = wb.stats.reads, wb.stats.writes

    report = migrations.up(wb, backups=backup, force=True)

    assert not report.changed and report.applied == [] and report.backup_id is None
    after = wb.read()
    assert {t: s.rows for t, s in after.items()} == {t: s.rows for t, s in before.items()}
    assert wb.stats.writes == writes
    if backend_kind == "google":
        assert wb.stats.reads == reads + 2  # up's one read, and this test's


def test_google_budget_is_six_requests_besides_the_backup(google_copy, sample_small, fake_google):
    wb = google_copy(sample_small)
    fake_google.reset_log()
    marks = {}
    report = migrations.up(wb, backups=backup, force=True,
                           progress=lambda step: marks.setdefault(step.phase.split(":")[0],
                                                                  len(fake_google.log)))
    log = fake_google.log
    ours = log[:marks["lock acquired"]] + log[marks["backup done"]:]
    assert [(e.method, e.path) for e in ours] == [
        ("GET", "/v4/spreadsheets/live"),                # read: plan, lock state
        ("POST", "/v4/spreadsheets/live:batchUpdate"),   # take the lock
        ("GET", "/v4/spreadsheets/live"),                # confirm the lock, plan on fresh data
        ("POST", "/v4/spreadsheets/live:batchUpdate"),   # change + ledger + event, atomically
        ("GET", "/v4/spreadsheets/live"),                # read back, verify
        ("POST", "/v4/spreadsheets/live:batchUpdate"),   # ledger verified + release the lock
    ]
    assert report.requests == {"reads": 3, "writes": 3, "retries": 0}


def test_plan_and_dry_run_write_nothing(open_copy, sample_tiny, backend_kind):
    wb = open_copy(sample_tiny)
    before = wb.read()
    writes = wb.stats.writes

    plan = migrations.plan(wb, backups=backup)
    report = migrations.up(wb, backups=backup, dry_run=True, force=True)

    assert wb.stats.writes == writes
    assert {t: s.rows for t, s in wb.read().items()} == {t: s.rows for t, s in before.items()}
    assert report.dry_run and not report.changed and report.plan.as_dict() == plan.as_dict()
    [m] = plan.migrations
    text = [s.text for s in m.steps]
    assert [t for t in text if " column '" in t] == [
        "add column 'Ocupado_Por' (worker) at BL (64) of 'Operaciones'",
        "add column 'Fecha_Ocupacion' (date) at BM (65) of 'Operaciones'",
        "add column 'version' (integer) at BN (66) of 'Operaciones'"]
    assert any(t.startswith("grow the Operaciones grid from 63 to 66 columns") for t in text)
    spools = sum(1 for r in before[OPERACIONES].rows[1:] if len(r) > 5 and r[5])
    assert any(f"backfill version = 0 on {spools:,} spool rows" in t for t in text)
    assert any("resize 'Operaciones'" in w for w in m.writes)
    counted = [line for line in plan.requests if line.startswith("1 ")]
    assert len(counted) == (6 if backend_kind == "google" else 2)


def test_up_needs_confirmation_unless_forced(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    shown = []
    with pytest.raises(UsageError, match="not confirmed"):
        migrations.up(wb, backups=backup, confirm=lambda plan: shown.append(plan) or False)
    assert shown and shown[0].target == "v3.0"
    assert migrations.current_version(wb) == "v2.1"
    assert LEDGER_SHEET not in wb.sheet_titles()

    report = migrations.up(wb, backups=backup, confirm=lambda plan: True)
    assert report.applied == ["v3_0_occupation"]


def test_unknown_target_is_refused(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    with pytest.raises(UsageError, match="--to 'v9'"):
        migrations.up(wb, backups=backup, to="v9", force=True)


def test_a_heartbeat_after_a_long_backup_rides_in_the_change_write(google_copy, sample_tiny):
    import time

    from spoolsheet.migrations.lock import sheet_records

    wb = google_copy(sample_tiny)

    def slow_backup(step) -> None:
        if step.phase.startswith("backup done"):
            time.sleep(3.1)  # more than half the TTL

    report = migrations.up(wb, backups=backup, force=True, lock_ttl=6, progress=slow_backup)

    assert report.requests == {"reads": 3, "writes": 3, "retries": 0}
    [record] = sheet_records(wb.read())
    assert (record.heartbeat - record.acquired).total_seconds() >= 3
    assert record.released


def test_up_counts_how_far_it_is_and_its_backup_reports_through_the_same_callback(open_copy,
                                                                                   sample_tiny,
                                                                                   backend_kind):
    wb = open_copy(sample_tiny)
    sheets = wb.read()
    rows, spools = sum(len(s.rows) for s in sheets.values()), len(sheets["Operaciones"].rows)
    steps = []
    migrations.up(wb, backups=backup, force=True, progress=steps.append)

    def last(phase: str):
        return [s for s in steps if s.phase == phase][-1]

    # the backup's, inside the run: its copy is read and checked unless it is, byte for byte,
    # the file the manifest was made from (.xlsx)
    checked = "checking" if backend_kind == "google" else None
    # checked again as written unless it reads back as the very cells checked before the write
    # (.xlsx hands back what it wrote; Google's answer is parsed)
    as_written = "checking v3_0_occupation as written" if backend_kind == "google" else None
    for phase in ("planning v3_0_occupation: what is in place and its change",
                  "fingerprinting", *([checked] if checked else []),
                  "fingerprinting what v3_0_occupation must not change",
                  "verifying v3_0_occupation", "checking what v3_0_occupation will write",
                  *([as_written] if as_written else [])):
        counted = [s for s in steps if s.phase == phase]
        assert counted[0].done == 0 and counted[-1].finished and counted[-1].unit == "rows"
        # every sheet's rows, or each operation's: 3 columns added to Operaciones
        least = 3 * spools if phase.startswith(("planning", "checking ")) else rows - 10
        assert counted[-1].total is not None and counted[-1].total >= least, phase
        dones = [s.done for s in counted if s.unit == "rows"]
        # forward only, or from 0 again: planning runs twice (pre-flight, under the lock)
        assert all(b >= a or b == 0 for a, b in itertools.pairwise(dones)), phase
    names = [s.phase for s in steps]
    compared = "comparing the copy with what was read"
    assert names.index(checked or compared) < names.index(
        next(n for n in names if n.startswith("backup done")))
    assert ("checking" in names) == (backend_kind == "google")
    assert ("checking v3_0_occupation as written" in names) == (backend_kind == "google")
    assert last("writing v3_0_occupation (one atomic write)").finished


def test_plan_reports_its_read_and_counts_the_rows_it_planned(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    steps = []
    plan = migrations.plan(wb, backups=backup, progress=steps.append)
    assert [m.id for m in plan.migrations] == ["v3_0_occupation"]
    read = [s for s in steps if s.phase == "reading the workbook (to plan)"]
    spools = len(wb.read()["Operaciones"].rows)
    assert read[-1].finished
    # its 3 columns: 3 passes over Operaciones, what is in place and its change in one
    planned = [s for s in steps
               if s.phase == "planning v3_0_occupation: what is in place and its change"]
    assert planned[0].unit == "steps" and {s.unit for s in planned[1:]} == {"rows"}
    assert planned[-1].done == planned[-1].total >= 3 * spools
    assert len(planned) > 3, "counted only between operations"
    assert [s.phase for s in steps][-2:] == ["planning v3_0_occupation: the result it expects"] * 2


def test_status_reports_its_one_read(open_copy, sample_tiny):
    wb = open_copy(sample_tiny)
    steps = []
    result = migrations.status(wb, progress=steps.append)
    assert result.version == "v2.1"
    assert {s.phase for s in steps} == {"reading the workbook"}
    assert (steps[0].done, steps[0].total) == (0, None) and steps[-1].finished
    # one read: a step when it is done (.xlsx), or its bytes as they arrive (Google)
    assert len(steps) == 2 or all(s.unit == "bytes" for s in steps[1:])


PLANNING = "planning v3_0_occupation: what is in place and its change"


def test_the_plan_under_the_lock_is_the_pre_flights_when_nothing_changed_and_new_otherwise(
        sample_tiny, tmp_path):
    """.xlsx hands back what it read while the file is unchanged (but for the run's own backup
    event): the pre-flight's plan is the plan under the lock. A spool another process adds
    between the plan confirmed and the lock is planned on, fresh: it gets its version too."""
    from spoolsheet.schema import TAG_COLUMN, VERSION, ColumnMap
    from spoolsheet.workbook import ChangeSet, Workbook, XlsxBackend

    def planned(steps) -> int:  # how many times planning started
        return sum(1 for s in steps if s.phase == PLANNING and s.done == 0 and s.unit == "rows")

    quiet = tmp_path / "quiet.xlsx"
    quiet.write_bytes(sample_tiny.read_bytes())
    steps: list = []
    with Workbook(XlsxBackend(quiet)) as wb:
        migrations.up(wb, backups=backup, force=True, progress=steps.append)
        assert_v3(wb.read())
    assert planned(steps) == 1

    busy = tmp_path / "busy.xlsx"
    busy.write_bytes(sample_tiny.read_bytes())

    def add_a_spool(plan) -> bool:
        with Workbook(XlsxBackend(busy)) as other:  # another process's write
            ops = other.read_sheet(OPERACIONES)
            row = list(ops.rows[1])
            row[ColumnMap.from_row(OPERACIONES, ops.rows[0]).index(TAG_COLUMN) - 1] = "NEW-1"
            other.apply(ChangeSet().append_rows(OPERACIONES, [row]))
        return True

    steps = []
    with Workbook(XlsxBackend(busy)) as wb:
        migrations.up(wb, backups=backup, confirm=add_a_spool, progress=steps.append)
        after = wb.read()
    assert planned(steps) == 2
    assert_v3(after)
    ops = after[OPERACIONES]
    cmap = ColumnMap.from_row(OPERACIONES, ops.rows[0])
    assert ops.rows[-1][cmap.index(TAG_COLUMN) - 1] == "NEW-1"
    assert ops.rows[-1][cmap.index(VERSION) - 1] == 0
